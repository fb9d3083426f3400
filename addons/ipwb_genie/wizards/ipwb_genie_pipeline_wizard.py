# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re

from odoo import fields, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.llm.pipeline_gen import generate_pipeline

from ..services.gateway import OdooSink, build_gateway, user_label
from ..services.warehouse import catalog_for

#: tables listed in the generation prompt (the model needs names, not the whole catalog)
CATALOG_TABLES = 200


class IpwbGeniePipelineWizard(models.TransientModel):
    """Describe a pipeline in words; Genie writes the spec, the spec validator checks it,
    and a *draft* pipeline is created (promotion stays a human decision)."""

    _name = "ipwb.genie.pipeline.wizard"
    _description = "Genie: Generate a Pipeline"

    description = fields.Text(required=True)
    yaml_text = fields.Text(string="Generated Spec", readonly=True)
    problems = fields.Text(readonly=True)
    pipeline_id = fields.Many2one("ipwb.pipeline", readonly=True)

    def _catalog_text(self):
        try:
            connection = self.env["ipwb.connection"]._get_default()
            catalog = catalog_for(self.env, connection)
        except (IpwbError, UserError):
            return ""
        return "\n".join(
            f"{t.qualified}({', '.join(c.name for c in t.columns)})" for t in catalog.tables[:CATALOG_TABLES]
        )

    def _unique_code(self, name):
        base = re.sub(r"[^a-z0-9_]+", "_", (name or "").lower()).strip("_")
        if not base or not base[0].isalpha():
            base = f"genie_{base}".strip("_")
        base = base[:56]
        Pipeline = self.env["ipwb.pipeline"].with_context(active_test=False).sudo()
        code, n = base, 1
        while Pipeline.search_count([("code", "=", code)]):
            n += 1
            code = f"{base}_{n}"
        return code

    def action_generate(self):
        self.ensure_one()
        self.env["ipwb.llm.model"]._get_gateway_models()
        if not self.env["ipwb.pipeline"].has_access("create"):
            raise UserError(self.env._("Only Data Engineers can create pipelines."))
        sink = OdooSink(self.env, link=self)
        gateway = build_gateway(self.env, sink)
        try:
            draft = generate_pipeline(
                self.description, gateway, user=user_label(self.env), catalog_text=self._catalog_text()
            )
        except IpwbError as exc:
            self.write({"problems": self.env._("Genie could not generate the pipeline: %s", exc)})
            return self._reopen()
        if not draft.ok:
            self.write({"yaml_text": draft.yaml_text, "problems": "\n".join(draft.problems)})
            return self._reopen()
        spec = draft.spec
        pipeline = self.env["ipwb.pipeline"].create(
            {
                "name": spec.name,
                "code": self._unique_code(spec.name),
                "description": spec.description or self.description,
                "domain_name": spec.domain or False,
                "state": "draft",
                "genie_spec_yaml": draft.yaml_text,
                "genie_request": self.description,
            }
        )
        # the calls belong to the pipeline now, not to this short-lived wizard
        link = {"res_model": pipeline._name, "res_id": pipeline.id}
        sink.traces.write(link)
        self.env["ipwb.cost.entry"].sudo().search(
            [("res_model", "=", self._name), ("res_id", "=", self.id)]
        ).write(link)
        self.write({"yaml_text": draft.yaml_text, "problems": False, "pipeline_id": pipeline.id})
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.pipeline",
            "res_id": pipeline.id,
            "view_mode": "form",
            "target": "current",
        }

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
