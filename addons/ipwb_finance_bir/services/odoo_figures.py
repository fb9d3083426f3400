# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Odoo's own figures for a period, computed without the warehouse, for reconciliation.

- VAT: the 2550Q tax report rule (l10n_ph ``account.report`` lines with ``tax_tags``
  expressions): per tag, the balance of the posted move lines carrying it, negated for a
  ``-`` tag and for ``tax_tag_invert`` lines — read live through the ORM.
- EWT: the BIR 2307 export of l10n_ph itself (``utils._export_bir_2307``), generated for the
  period's vendor bills and read back from the produced workbook.
"""

import io
from collections import defaultdict
from decimal import Decimal

from odoo.addons.l10n_ph import utils as l10n_ph_utils

from ipwb.finance.bir import VAT_TAG_LINES, quarter_of, split_tag, tin_digits


def _money(value):
    return Decimal(str(value)).quantize(Decimal("0.01"))


def vat_lines(env, companies, date_from, date_to):
    """``{(company_id, YYYY-MM, line_code, column): amount}`` of the 2550Q leaf lines, from the books."""
    groups = (
        env["account.move.line"]
        .with_context(lang="en_US")
        ._read_group(
            [
                ("company_id", "in", companies.ids),
                ("parent_state", "=", "posted"),
                ("date", ">=", date_from),
                ("date", "<=", date_to),
                ("tax_tag_ids", "!=", False),
            ],
            groupby=["company_id", "date:month", "tax_tag_ids", "tax_tag_invert"],
            aggregates=["balance:sum"],
        )
    )
    result = defaultdict(Decimal)
    for company, month, tag, invert, balance in groups:
        parsed = split_tag(tag.name)
        if not parsed or parsed[1] not in VAT_TAG_LINES:
            continue
        sign, formula = parsed
        line = VAT_TAG_LINES[formula]
        amount = _money(balance) * sign * (-1 if invert else 1)
        result[(company.id, month.strftime("%Y-%m"), line.code, line.column)] += amount
    return dict(result)


def _read_2307(content):
    from openpyxl import load_workbook  # noqa: PLC0415 - engine dependency, loaded on use

    sheet = load_workbook(io.BytesIO(content), read_only=True, data_only=True).worksheets[0]
    rows = sheet.iter_rows(values_only=True)
    header = list(next(rows))
    tin, atc = header.index("Vendor_TIN"), header.index("ATC")
    base, tax = header.index("income_payment"), header.index("tax_amount")
    for row in rows:
        if row[atc]:
            yield str(row[tin] or ""), str(row[atc]), _money(row[base] or 0), _money(row[tax] or 0)


def ewt_2307(env, companies, date_from, date_to):
    """``{(company_id, quarter, vendor_tin, atc): (income_payment, tax_withheld)}`` from the
    2307 export, generated per company.

    Bills count positive and vendor refunds negative (the export itself shows absolute
    amounts); only expanded-withholding ATCs (WI/WC) are kept.
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
    result = defaultdict(lambda: (Decimal(0), Decimal(0)))
    by_key = defaultdict(lambda: env["account.move"])
    for move in moves:
        by_key[(move.company_id.id, quarter_of(move.date), move.move_type)] |= move
    for (company, quarter, move_type), batch in sorted(by_key.items(), key=lambda kv: kv[0]):
        sign = -1 if move_type == "in_refund" else 1
        content = l10n_ph_utils._export_bir_2307("Form2307", batch, file_format="xlsx")
        for tin, atc, base, tax in _read_2307(content):
            if not atc.upper().startswith(("WI", "WC")):
                continue
            key = (company, quarter, tin_digits(tin), atc)
            old_base, old_tax = result[key]
            result[key] = (old_base + sign * base, old_tax + sign * tax)
    return dict(result)
