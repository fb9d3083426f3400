# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The SAWT period of a customer invoice when its company lists withholding by payment date
(``res.company.ipwb_sawt_basis``, see models/res_company_sawt_basis.py)."""

from ipwb.finance.bir import quarter_of

PAID_STATES = ("paid", "in_payment", "reversed")


def paid_date(move):
    """The date an invoice was settled (its last reconciliation), ``None`` while it is open
    or partly paid: the whole withholding is listed once, in the quarter of settlement."""
    if move.move_type not in ("out_invoice", "out_refund") or move.payment_state not in PAID_STATES:
        return None
    terms = move.line_ids.filtered(
        lambda line: line.account_type in ("asset_receivable", "liability_payable")
    )
    partials = terms.matched_debit_ids | terms.matched_credit_ids
    return max(partials.mapped("max_date"), default=None)


def prefetch_paid_dates(moves):
    """Read what :func:`paid_date` needs for many moves at once (their receivable/payable
    lines and those lines' reconciliations, a query per field for the whole set), so that
    calling it move by move reads the cache instead of querying per move."""
    settled = moves.filtered(
        lambda move: move.move_type in ("out_invoice", "out_refund") and move.payment_state in PAID_STATES
    )
    terms = settled.line_ids.filtered(
        lambda line: line.account_type in ("asset_receivable", "liability_payable")
    )
    (terms.matched_debit_ids | terms.matched_credit_ids).mapped("max_date")


def payment_quarters(companies):
    """``{move_id: quarter or None}`` of the customer invoices of the companies listing SAWT
    by payment date (``None``: not settled yet); ``None`` when no company does."""
    payment = companies.filtered(lambda company: company.ipwb_sawt_basis == "payment")
    if not payment:
        return None
    moves = companies.env["account.move"].search(
        [
            ("company_id", "in", payment.ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("out_invoice", "out_refund")),
        ]
    )
    result = {}
    prefetch_paid_dates(moves)
    for move in moves:
        day = paid_date(move)
        result[move.id] = quarter_of(day) if day else None
    return result
