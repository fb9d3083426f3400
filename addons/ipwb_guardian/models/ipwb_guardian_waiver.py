# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .ipwb_dq_check import QUALIFIED_TABLE


class IpwbGuardianWaiver(models.Model):
    """A time-boxed exception to the promotion gate, granted by an Architect, with its reason."""

    _name = "ipwb.guardian.waiver"
    _description = "Guardian Gate Waiver"
    _inherit = ["mail.thread"]
    _order = "expiry desc, id desc"
    _rec_name = "target"

    target = fields.Char(required=True, index=True, tracking=True, help="schema.table the waiver covers.")
    reason = fields.Text(required=True, tracking=True)
    expiry = fields.Date(required=True, tracking=True, help="Last day the waiver is valid.")
    granted_by = fields.Many2one(
        "res.users", required=True, readonly=True, default=lambda self: self.env.user, ondelete="restrict"
    )
    is_valid = fields.Boolean(compute="_compute_is_valid", search="_search_is_valid", string="Valid")

    @api.depends("expiry")
    def _compute_is_valid(self):
        today = fields.Date.context_today(self)
        for waiver in self:
            waiver.is_valid = bool(waiver.expiry and waiver.expiry >= today)

    def _search_is_valid(self, operator, value):
        today = fields.Date.context_today(self)
        valid = (operator == "=") == bool(value)
        return [("expiry", ">=" if valid else "<", today)]

    @api.constrains("target", "expiry", "reason")
    def _check_values(self):
        today = fields.Date.context_today(self)
        for waiver in self:
            if not QUALIFIED_TABLE.match(waiver.target or ""):
                raise ValidationError(self.env._("Waiver target %s must be schema.table.", waiver.target))
            if not (waiver.reason or "").strip():
                raise ValidationError(self.env._("A waiver needs a reason."))
            if waiver.expiry and waiver.expiry < today and not self.env.context.get("ipwb_allow_past_expiry"):
                raise ValidationError(self.env._("A waiver cannot expire in the past (%s).", waiver.expiry))

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("ipwb_catalog.group_ipwb_architect"):
            raise AccessError(self.env._("Only Architects may grant waivers."))
        for vals in vals_list:
            vals["granted_by"] = self.env.user.id
        return super().create(vals_list)
