# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import os

import yaml

from odoo import api, fields, models
from odoo.exceptions import UserError

from ipwb.errors import SpecError
from ipwb.finance.scaffold import ODOO_TYPES, SourceField, SourceModel, scaffold

from ..services.odoo_extract import secret_problems

#: system parameter naming the specs directory the wizard may write into
SPECS_DIR_PARAM = "ipwb_finance_bir.domain_template_specs_dir"
#: fields never worth a warehouse column
SKIPPED_FIELDS = ("create_uid", "write_uid", "create_date", "message_main_attachment_id")


class IpwbDomainTemplate(models.TransientModel):
    """Scaffold a new domain (bronze → silver → gold, specs, checks) for Odoo models."""

    _name = "ipwb.domain.template"
    _description = "New Domain Template"

    domain_name = fields.Char(required=True, help="Lower-case identifier, e.g. sales_orders.")
    owner = fields.Char(required=True, help="Owning team or e-mail, written into every spec.")
    schedule = fields.Char(default="0 2 * * *", required=True, help="Cron expression of the pipeline.")
    model_ids = fields.Many2many("ir.model", string="Models", domain=[("transient", "=", False)])
    field_names = fields.Char(
        string="Fields",
        help="Comma-separated field names to keep (e.g. name, date_order, amount_total); fields a "
        "selected model does not have are ignored for it. Empty: every stored field.",
    )
    file_names = fields.Text(readonly=True)
    preview = fields.Text(readonly=True)
    files_json = fields.Text(readonly=True)
    specs_dir = fields.Char(
        compute="_compute_specs_dir",
        help="Where 'Write files' puts them (system parameter %s)." % SPECS_DIR_PARAM,
    )

    @api.depends("domain_name")
    def _compute_specs_dir(self):
        directory = self.env["ir.config_parameter"].sudo().get_param(SPECS_DIR_PARAM) or ""
        for wizard in self:
            wizard.specs_dir = directory

    def _source_models(self):
        """The models and fields as the engine sees them (Odoo metadata, read as superuser)."""
        self.ensure_one()
        wanted = {name.strip() for name in (self.field_names or "").split(",") if name.strip()}
        result = []
        known = set()
        refused = []
        for model in self.model_ids.sudo():
            # secrets are never extracted (ipwb.security.secrets): a secret model or a
            # secret field asked for by name is refused, "every field" leaves them out
            refused += secret_problems(self.env, model.model, [])
            storable = model.field_id.filtered(
                lambda f: f.store and f.ttype in ODOO_TYPES and f.name not in SKIPPED_FIELDS
            )
            secret = {f.name for f in storable if secret_problems(self.env, model.model, [f.name])}
            refused += secret_problems(self.env, model.model, sorted(wanted & secret))
            storable = storable.filtered(lambda f, s=secret: f.name not in s)
            chosen = storable.filtered(lambda f: f.name in wanted) if wanted else storable
            known |= set(model.field_id.mapped("name"))
            result.append(
                SourceModel(
                    model.model,
                    tuple(SourceField(f.name, f.ttype, bool(f.required)) for f in chosen.sorted("name")),
                )
            )
        if refused:
            raise UserError(
                self.env._("The domain cannot be scaffolded:\n%s", "\n".join(dict.fromkeys(refused)))
            )
        unknown = sorted(wanted - known)
        if unknown:
            raise UserError(self.env._("No selected model has these fields: %s", ", ".join(unknown)))
        return result

    def _generate(self):
        self.ensure_one()
        try:
            files = scaffold(
                self.domain_name or "", self.owner or "", self._source_models(), schedule=self.schedule
            )
        except SpecError as exc:
            raise UserError(
                self.env._("The domain cannot be scaffolded:\n%s", "\n".join(exc.problems))
            ) from None
        return files

    def action_preview(self):
        files = self._generate()
        self.write(
            {
                "file_names": "\n".join(sorted(files)),
                "preview": "\n".join(f"# ---- specs/{name}\n{text}" for name, text in sorted(files.items())),
                "files_json": json.dumps(files, sort_keys=True),
            }
        )
        return self._reopen()

    def action_write_files(self):
        """Write the files under the configured specs directory (never outside it)."""
        if not self.env.user.has_group("ipwb_catalog.group_ipwb_admin"):
            raise UserError(self.env._("Only workbench administrators can write spec files on the server."))
        root = self.specs_dir
        if not root or not os.path.isdir(root):
            raise UserError(
                self.env._(
                    "Set the system parameter %s to an existing specs directory first.", SPECS_DIR_PARAM
                )
            )
        files = self._generate()
        root = os.path.realpath(root)
        existing = [name for name in files if os.path.exists(os.path.join(root, name))]
        if existing:
            raise UserError(
                self.env._("These files already exist, nothing was written:\n%s", "\n".join(existing))
            )
        for name, text in files.items():
            path = os.path.realpath(os.path.join(root, name))
            if not path.startswith(root + os.sep):
                raise UserError(
                    self.env._("Refusing to write outside %(root)s: %(name)s", root=root, name=name)
                )
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(text)
        self.action_preview()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Domain scaffolded"),
                "message": self.env._("%(count)s files written under %(root)s", count=len(files), root=root),
                "type": "success",
                "next": self._reopen(),
            },
        }

    def action_create_pipeline(self):
        """Import the written domain: its pipeline (from the spec file) and Guardian checks.

        The pipeline reads its SQL files from the pipelines' specs directory, so the files
        must have been written there (Write files, with both directories the same).
        """
        self.ensure_one()
        if not self.env.user.has_group("ipwb_catalog.group_ipwb_admin"):
            raise UserError(self.env._("Only workbench administrators can create scaffolded pipelines."))
        files = self._generate()
        root = os.path.realpath(self.specs_dir or "")
        name = f"pipelines/{self.domain_name}.yaml"
        if not self.specs_dir or not os.path.isfile(os.path.join(root, name)):
            raise UserError(self.env._("Write the files first: %s does not exist.", name))
        pipeline_dir = self.env["ipwb.pipeline.step.run"]._specs_dir()
        if os.path.realpath(pipeline_dir) != root:
            raise UserError(
                self.env._(
                    "Pipelines read their SQL files from %(pipelines)s, the files were written to "
                    "%(root)s: make both directories the same.",
                    pipelines=pipeline_dir,
                    root=root,
                )
            )
        with open(os.path.join(root, name), encoding="utf-8") as handle:
            pipeline = self.env["ipwb.pipeline"].import_spec_text(handle.read(), source=name)
        self._create_checks(yaml.safe_load(files[f"checks/{self.domain_name}.yaml"])["checks"])
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.pipeline",
            "res_id": pipeline.id,
            "view_mode": "form",
            "target": "current",
        }

    def _create_checks(self, checks):
        """Guardian checks of the generated checks file (those not declared yet)."""
        Check = self.env["ipwb.dq.check"]
        created = Check
        for check in checks:
            if Check.search_count([("name", "=", check["name"]), ("table_ref", "=", check["table"])]):
                continue
            created |= Check.create(
                {
                    "name": check["name"],
                    "table_ref": check["table"],
                    "check_type": check["type"],
                    "column_name": check.get("column") or False,
                    "max_age_hours": check.get("max_age_hours") or 0,
                    "blocking": check.get("blocking", True),
                    "severity": check.get("severity", "error"),
                    "domain": self.domain_name,
                }
            )
        return created

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
