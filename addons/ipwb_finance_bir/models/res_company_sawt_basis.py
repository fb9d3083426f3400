# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class ResCompany(models.Model):
    """When the withholding customers deduct from this company's sales counts for the SAWT.

    BIR (RR 2-98 Sec. 2.57.3) makes the customer withhold when the income is paid, payable
    or accrued in its books, whichever comes first: for an invoiced sale that is the invoice
    (the default, ``accrual``). A company whose customers withhold only when they pay (and
    issue their 2307 for the quarter of the payment) chooses ``payment``: the SAWT then lists
    a withholding in the quarter the invoice was paid, and not at all while it is unpaid.
    """

    _inherit = "res.company"

    ipwb_sawt_basis = fields.Selection(
        [("accrual", "Invoice date"), ("payment", "Payment date")],
        string="SAWT Period",
        default="accrual",
        required=True,
        help="Quarter in which the SAWT lists the tax customers withheld: the invoice's (BIR's "
        "default: withholding is due when the income is accrued, if before payment) or the "
        "payment's (customers who withhold only when they pay).",
    )
