# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class ResPartner(models.Model):
    """Government customers: their VATable sales belong on 2550Q line 32, not 31 (the
    government withholds final VAT), which a finance quality check verifies."""

    _inherit = "res.partner"

    ipwb_is_government = fields.Boolean(
        string="Government Entity",
        help="A national or local government office or a government-owned or -controlled "
        "corporation: sales to it go to 2550Q line 32 (the 12% GOV tax).",
    )

    def _commercial_fields(self):
        return [*super()._commercial_fields(), "ipwb_is_government"]
