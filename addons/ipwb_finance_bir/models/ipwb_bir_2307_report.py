# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models
from odoo.exceptions import UserError


class ReportBir2307(models.AbstractModel):
    """BIR 2307 certificates: rendered from the data the filing service reads from gold
    (services/filings.py certificate_data), never from Odoo records."""

    _name = "report.ipwb_finance_bir.report_bir_2307"
    _description = "BIR 2307 Certificates"

    @api.model
    def _get_report_values(self, docids, data=None):
        if not data or "certificates" not in data:
            raise UserError(self.env._("The 2307 certificates are generated from the BIR filing wizard."))
        return {
            "doc_ids": docids,
            "doc_model": "ipwb.finance.run",
            "docs": self.env["ipwb.finance.run"].browse(docids),
            "filer": data["filer"],
            "period": data["period"],
            "certificates": data["certificates"],
        }
