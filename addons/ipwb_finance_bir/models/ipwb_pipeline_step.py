# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ipwb.finance import odoo_source

from ..services.odoo_extract import secret_problems

#: the step kind scaffolded domains start with (executed by ipwb.pipeline.step.run)
KIND = [(odoo_source.KIND, "Odoo extraction (to bronze)")]


class IpwbPipelineStep(models.Model):
    """``odoo_extract`` steps never name a secret-holding model or field: refused on save
    (form, canvas, spec import), again when the step runs."""

    _inherit = "ipwb.pipeline.step"

    kind = fields.Selection(selection_add=KIND, ondelete={odoo_source.KIND: "cascade"})

    @api.constrains("kind", "config")
    def _check_odoo_extract_secrets(self):
        for step in self.filtered(lambda s: s.kind == odoo_source.KIND):
            config = step._config_dict()
            problems = secret_problems(
                self.env, str(config.get("model") or ""), list(config.get("fields") or [])
            )
            if problems:
                raise ValidationError(
                    self.env._("Step %(step)s: %(problems)s", step=step.name, problems="; ".join(problems))
                )
