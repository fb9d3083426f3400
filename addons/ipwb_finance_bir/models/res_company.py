# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import re

from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    """The BIR registration details l10n_ph does not hold: the filings need them."""

    _inherit = "res.company"

    ipwb_bir_rdo_code = fields.Char(
        string="BIR RDO Code",
        size=4,
        help="Revenue District Office the company is registered with (3 digits, e.g. 050): "
        "the BIR alphalist and RELIEF files carry it.",
    )

    @api.constrains("ipwb_bir_rdo_code")
    def _check_ipwb_bir_rdo_code(self):
        for company in self:
            code = company.ipwb_bir_rdo_code
            if code and not re.fullmatch(r"\d{3}[A-Z]?", code):
                raise ValidationError(
                    self.env._("The BIR RDO code is 3 digits (optionally a letter), not %s.", code)
                )
