# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Odoo's own figures for a period, computed without the warehouse and without the marts'
mapping, for reconciliation.

- VAT (2550M/2550Q, every line and total) and SLSP: the l10n_ph tax report as stored in the
  database (``account.report`` ``l10n_ph.vat``, its lines and expressions): each ``tax_tags``
  expression's tags (``_get_matching_tags``) summed over the posted journal items carrying
  them — balance, negated for a ``tax_negate`` tag and for ``tax_tag_invert`` lines — then
  the report's own aggregation formulas (:mod:`ipwb.finance.tax_report`).
- SAWT: the journal items of sale-side withholding taxes (ATC WI/WC), base lines by
  ``tax_ids`` and tax lines by ``tax_line_id`` — taxes, not tags.
- EWT on purchases: l10n_ph's BIR 2307 export itself (``utils._export_bir_2307``), one
  workbook per bill, its rows normalised (see :func:`ewt_2307`).
"""

import io
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from odoo.addons.l10n_ph import utils as l10n_ph_utils

from ipwb.errors import ReconciliationError
from ipwb.finance.bir import is_ewt_atc, quarter_of, tin_digits
from ipwb.finance.tax_report import SLSP_PURCHASES_COLUMNS, SLSP_SALES_COLUMNS, Expression, TaxReport

REPORT_XMLID = "l10n_ph.vat"


def _money(value, digits="0.01"):
    return Decimal(str(value)).quantize(Decimal(digits), rounding=ROUND_HALF_UP)


def _month(day):
    return day.strftime("%Y-%m")


def report_definition(env):
    """The 2550Q report of l10n_ph as the database holds it, and ``{tag_id: [(expression key,
    sign)]}``: which expression each tax tag feeds, with the tag's ``tax_negate`` sign."""
    report = env.ref(REPORT_XMLID, raise_if_not_found=False)
    if not report:
        raise ReconciliationError(f"Odoo has no tax report {REPORT_XMLID}: is l10n_ph installed?")
    records = report.line_ids.expression_ids.with_context(lang="en_US")
    definition = TaxReport(
        Expression(
            e.report_line_id.code or "", e.report_line_id.name or "", e.label, e.engine, e.formula or ""
        )
        for e in records
        if e.report_line_id.code
    )
    tags = defaultdict(list)
    for expression in records.filtered(lambda e: e.engine == "tax_tags" and e.report_line_id.code):
        for tag in expression._get_matching_tags():
            tags[tag.id].append(
                ((expression.report_line_id.code, expression.label), -1 if tag.tax_negate else 1)
            )
    return definition, dict(tags)


def _tag_leaves(env, companies, date_from, date_to, tags, *, by_partner=False):
    """``{(company_id, YYYY-MM[, partner]): {expression key: amount}}`` of the tag leaves."""
    groupby = ["company_id", "date:month", "tax_tag_ids", "tax_tag_invert"]
    if by_partner:
        groupby.insert(2, "partner_id")
    groups = env["account.move.line"]._read_group(
        [
            ("company_id", "in", companies.ids),
            ("parent_state", "=", "posted"),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
            ("tax_tag_ids", "in", list(tags)),
        ],
        groupby=groupby,
        aggregates=["balance:sum"],
    )
    leaves = defaultdict(lambda: defaultdict(Decimal))
    for group in groups:
        company, month, *partner, tag, invert, balance = group
        if tag.id not in tags:
            continue
        scope = (company.id, _month(month), *(_partner_key(p) for p in partner))
        for key, sign in tags[tag.id]:
            leaves[scope][key] += _money(balance) * sign * (-1 if invert else 1)
    return leaves


def _is_foreign(partner):
    """A partner outside the Philippines: its VAT number is no TIN (silver's rule too)."""
    return bool(partner.country_id) and partner.country_id.code != "PH"


def _partner_key(partner):
    """TIN (9 digits) and branch code of a partner's commercial entity, as BIR lists it."""
    commercial = partner.commercial_partner_id
    if not commercial:
        return ("", "000")
    tin = "" if _is_foreign(commercial) else tin_digits(commercial.vat)
    return (tin, commercial.branch_code or "000")


def vat_lines(env, companies, date_from, date_to):
    """``{(company_id, YYYY-MM, line_code, column): amount}`` of every 2550Q line of the
    report (leaves and totals), ``column`` ``tax_base`` or ``balance``."""
    definition, tags = report_definition(env)
    result = {}
    for (company, month), leaves in _tag_leaves(env, companies, date_from, date_to, tags).items():
        for (code, column), amount in definition.columns(definition.evaluate(leaves)).items():
            result[(company, month, code, column)] = amount
    return result


def slsp(env, companies, date_from, date_to):
    """``{(list, company_id, quarter, tin, branch, column): amount}`` of the summary lists of
    sales and purchases (``list`` ``sales``/``purchases``), from the same report expressions."""
    definition, tags = report_definition(env)
    result = defaultdict(Decimal)
    leaves_by_partner = _tag_leaves(env, companies, date_from, date_to, tags, by_partner=True)
    for (company, month, partner), leaves in leaves_by_partner.items():
        values = definition.evaluate(leaves)
        quarter = f"{month[:4]}-Q{(int(month[5:]) - 1) // 3 + 1}"
        for name, columns in (("sales", SLSP_SALES_COLUMNS), ("purchases", SLSP_PURCHASES_COLUMNS)):
            for column, keys in columns.items():
                amount = sum((values.get(key, Decimal(0)) for key in keys), Decimal(0))
                if amount:
                    result[(name, company, quarter, *partner, column)] += amount
    return dict(result)


def _ewt_taxes(env, companies, use):
    taxes = (
        env["account.tax"]
        .with_context(active_test=False)
        .search(
            [("company_id", "in", companies.ids), ("type_tax_use", "=", use), ("l10n_ph_atc", "!=", False)]
        )
    )
    return taxes.filtered(lambda t: is_ewt_atc(t.l10n_ph_atc))


def sawt(env, companies, date_from, date_to, invoice_quarters=None):
    """``{(company_id, quarter, payor_tin, payor_branch, atc): (income_payment, tax_withheld)}``
    withheld by customers, from the journal items of sale withholding taxes.

    ``invoice_quarters`` (``{move_id: quarter}``) moves an invoice's withholding to another
    quarter (a customer withholding at payment: the quarter of the payment); a move mapped
    to ``None`` is left out (not paid yet, so nothing withheld yet).
    """
    taxes = _ewt_taxes(env, companies, "sale")
    result = defaultdict(lambda: [Decimal(0), Decimal(0)])
    if not taxes:
        return {}
    base_domain = [
        ("company_id", "in", companies.ids),
        ("parent_state", "=", "posted"),
        ("date", ">=", date_from),
        ("date", "<=", date_to),
    ]
    for index, field in ((0, "tax_ids"), (1, "tax_line_id")):
        groups = env["account.move.line"]._read_group(
            [*base_domain, (field, "in", taxes.ids)],
            groupby=["company_id", "move_id", "partner_id", field],
            aggregates=["balance:sum"],
        )
        for company, move, partner, tax, balance in groups:
            if tax not in taxes:
                continue
            quarter = quarter_of(move.date)
            if invoice_quarters is not None:
                quarter = invoice_quarters.get(move.id, quarter)
                if quarter is None:
                    continue
            key = (company.id, quarter, *_partner_key(partner or move.partner_id), tax.l10n_ph_atc)
            # base lines of a sale are credits (income), the withheld tax a debit (a claim)
            result[key][index] += -_money(balance) if index == 0 else _money(balance)
    return {key: tuple(amounts) for key, amounts in result.items()}


def _read_2307(content):
    from openpyxl import load_workbook  # noqa: PLC0415 - engine dependency, loaded on use

    sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    try:
        columns = [header.index(name) for name in ("Vendor_TIN", "branchCode", "ATC", "income_payment",
                                                   "ewt_rate", "tax_amount")]  # fmt: skip
    except ValueError as exc:
        raise ReconciliationError(f"The l10n_ph 2307 export changed its columns: {exc}") from None
    return [[row[i] for i in columns] for row in rows]


def _export_rows(move):
    """The (line, tax) pairs the 2307 export writes for a bill, in its order (l10n_ph
    ``utils._export_bir_2307``: invoice lines but notes/sections, taxes with an ATC)."""
    lines = move.invoice_line_ids.filtered(
        lambda line: line.display_type not in ("line_note", "line_section")
    )
    return [(line, tax) for line in lines for tax in line.tax_ids.filtered(lambda t: t.l10n_ph_atc)]


#: bills per 2307 export: one workbook for many bills (the export writes their rows in
#: order), not one per bill, while a workbook's memory stays bounded
EXPORT_CHUNK = 500


def _exported(moves):
    """``(move, pairs, rows)`` of each bill with taxed lines: its (line, tax) pairs and the
    rows the 2307 export wrote for them, exported ``EXPORT_CHUNK`` bills at a time."""
    for start in range(0, len(moves), EXPORT_CHUNK):
        chunk = [(move, _export_rows(move)) for move in moves[start : start + EXPORT_CHUNK]]
        chunk = [(move, pairs) for move, pairs in chunk if pairs]
        if not chunk:
            continue
        exported = moves.browse([move.id for move, _pairs in chunk])
        rows = _read_2307(l10n_ph_utils._export_bir_2307("Form2307", exported, file_format="xlsx"))
        expected = sum(len(pairs) for _move, pairs in chunk)
        if len(rows) != expected:
            raise ReconciliationError(
                f"The 2307 export of {chunk[0][0].name} .. {chunk[-1][0].name} has {len(rows)} rows"
                f" for {expected} taxed lines"
            )
        offset = 0
        for move, pairs in chunk:
            yield move, pairs, rows[offset : offset + len(pairs)]
            offset += len(pairs)


def ewt_2307(env, companies, date_from, date_to):
    """``{(company_id, YYYY-MM, payee_tin, payee_branch, atc): (income_payment, tax_withheld)}``
    from l10n_ph's 2307 export (one workbook per chunk of bills), read back from the workbook.

    The export is meant for the payee, not for reconciliation; its rows are normalised, each
    for a stated reason, so that its quirks never block correct gold:

    1. *sign*: the export shows absolute amounts; a vendor refund counts negative.
    2. *currency*: the export shows the bill's currency; amounts are converted to the company
       currency with the bill's own rate (``invoice_currency_rate``), rounded per row as Odoo
       rounds each journal item.
    3. *discount*: the export computes the tax on the undiscounted price (``compute_all`` of
       ``price_unit``) while its income payment is net of the discount; on a discounted line
       the withheld tax is recomputed as the export's own rate times its income payment.
    4. *month*: the export's Reporting_Month is the invoice date; the journal (and gold) book
       the withholding in the month of the accounting date, which is used.
    5. *payee*: keyed by the export's own Vendor_TIN and branchCode, except that a foreign
       vendor's VAT number is no TIN (as in silver); only expanded-withholding ATCs (WI/WC) are
       kept (the export also lists other ATC-bearing taxes).
    """
    moves = env["account.move"].search(
        [
            ("company_id", "in", companies.ids),
            ("state", "=", "posted"),
            ("move_type", "in", ("in_invoice", "in_refund")),
            ("date", ">=", date_from),
            ("date", "<=", date_to),
        ],
        order="date, id",
    )
    result = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for move, pairs, rows in _exported(moves):
        sign = -1 if move.move_type == "in_refund" else 1
        rate = Decimal(str(move.invoice_currency_rate or 1))
        for (line, _tax), (tin, branch, atc, raw_base, ewt_rate, raw_tax) in zip(pairs, rows, strict=True):
            if not is_ewt_atc(atc):
                continue
            base = Decimal(str(raw_base or 0))
            tax = Decimal(str(raw_tax or 0))
            if line.discount:
                tax = _money(base * Decimal(str(ewt_rate or 0)) / 100)
            key = (
                move.company_id.id,
                _month(move.date),
                "" if _is_foreign(move.commercial_partner_id) else tin_digits(str(tin or "")),
                str(branch or "000"),
                atc,
            )
            result[key][0] += sign * _money(base / rate)
            result[key][1] += sign * _money(_money(tax) / rate)
    return {key: tuple(amounts) for key, amounts in result.items()}
