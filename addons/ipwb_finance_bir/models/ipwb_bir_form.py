# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbBirForm(models.Model):
    """A BIR return, list or certificate the finance domain's gold marts feed."""

    _name = "ipwb.bir.form"
    _description = "BIR Form"
    _order = "sequence, code"
    _rec_names_search = ["code", "name"]

    code = fields.Char(required=True)
    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    frequency = fields.Selection(
        [("monthly", "Monthly"), ("quarterly", "Quarterly"), ("annual", "Annual")], required=True
    )
    kind = fields.Selection(
        [
            ("vat", "Value-added tax"),
            ("withholding", "Withholding tax"),
            ("alphalist", "Alphalist / summary list"),
            ("certificate", "Certificate"),
        ],
        required=True,
    )
    description = fields.Text(translate=True)

    _sql_constraints = [("code_unique", "unique(code)", "A BIR form code must be unique.")]

    def _compute_display_name(self):
        for form in self:
            form.display_name = f"{form.code} - {form.name}"
