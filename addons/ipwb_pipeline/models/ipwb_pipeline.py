# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

#: pipeline technical names double as spec file names (specs/pipelines/<code>.yaml)
PIPELINE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class IpwbPipeline(models.Model):
    """A data pipeline: a DAG of steps kept in git as specs/pipelines/<code>.yaml.

    Lifecycle draft → validated → production; only validation (Guardian) moves a pipeline
    forward and reaching production is a human decision.
    """

    _name = "ipwb.pipeline"
    _description = "Data Pipeline"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        string="Technical Name",
        required=True,
        copy=False,
        tracking=True,
        help="Lower-case identifier; the spec lives in specs/pipelines/<technical name>.yaml.",
    )
    description = fields.Text()
    active = fields.Boolean(default=True)
    domain_name = fields.Char(string="Domain", tracking=True)
    owner_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user, tracking=True, index=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("validated", "Validated"), ("production", "Production")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    budget_per_run = fields.Float(string="Budget per Run (USD)", digits=(16, 2), default=5.0, tracking=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "Another pipeline already uses this technical name."),
    ]

    @api.constrains("code")
    def _check_code(self):
        for pipeline in self:
            if not PIPELINE_CODE.match(pipeline.code or ""):
                raise ValidationError(
                    self.env._(
                        "Technical name %s must start with a letter and use only lower-case letters, "
                        "digits and underscores.",
                        pipeline.code,
                    )
                )

    @api.constrains("budget_per_run")
    def _check_budget(self):
        for pipeline in self:
            if pipeline.budget_per_run < 0:
                raise ValidationError(self.env._("The budget per run cannot be negative."))

    def action_reset_to_draft(self):
        self.write({"state": "draft"})

    def action_promote(self):
        """Move validated pipelines to production (a human decision, never automatic)."""
        not_validated = self.filtered(lambda pipeline: pipeline.state != "validated")
        if not_validated:
            raise UserError(
                self.env._(
                    "Only validated pipelines can go to production: %s",
                    ", ".join(not_validated.mapped("name")),
                )
            )
        self.write({"state": "production"})
