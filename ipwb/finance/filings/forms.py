"""Returns laid out line by line as on the BIR form, for keying into eBIRForms: 2550Q,
1601-EQ and 0619-E; CSV and XLSX exports of those lines and of the alphalist files.

2550Q follows l10n_ph's tax report (lines 15-26 and 31-56): the gold mart's leaf lines,
the aggregates recomputed, and line 36 (input tax carried over from the previous quarter)
increased by the excess input tax of the previous quarter (its line 56 when negative),
chained from the first quarter gold holds.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

import xlsxwriter

from ipwb.finance.bir import VAT_AGGREGATES, VAT_TAG_LINES
from ipwb.finance.filings.dat import DatFile, amount, cents
from ipwb.finance.filings.identity import Period

ZERO = Decimal(0)


@dataclasses.dataclass(frozen=True)
class FormLine:
    """One line of a return: its number, label and amounts (``None`` where the form has no box)."""

    code: str
    label: str
    tax_base: Decimal | None
    amount: Decimal | None


#: 2550Q Part II lines above the VAT computation (l10n_ph's report): code → (label, formula)
_2550Q_PART_II = {
    "15": ("Net VAT Payable/(Excess Input Tax)", "56"),
    "20": ("Total Tax Credits/Payment", "16 + 17 + 18 + 19"),
    "21": ("Tax Still Payable/(Excess Credits)", "15 - 20"),
    "25": ("Total Penalties", "22 + 23 + 24"),
    "26": ("Total Amount Payable", "21 + 25"),
}
_LEAF_NAMES = {line.code: line.name for line in VAT_TAG_LINES.values()}
_2550Q_ORDER = ["15", "16", "17", "18", "19", "20", "21", "22", "23", "24", "25", "26",
                *[str(n) for n in range(31, 57)]]  # fmt: skip


def _evaluate(formula: str, values: Mapping[str, Decimal]) -> Decimal:
    """``'36 + 37 - 54'`` over ``values`` (missing lines count 0).

    >>> _evaluate("1 + 2 - 3", {"1": Decimal(5), "3": Decimal(2)})
    Decimal('3')
    """
    total, sign = ZERO, 1
    for term in formula.split():
        if term in {"+", "-"}:
            sign = -1 if term == "-" else 1
        else:
            total += sign * values.get(term, ZERO)
    return total


def _2550q_quarter(
    leaves: Mapping[str, tuple[Decimal, Decimal]], carried: Decimal
) -> tuple[dict[str, Decimal], dict[str, Decimal]]:
    base = {code: cents(v[0]) for code, v in leaves.items()}
    vat = {code: cents(v[1]) for code, v in leaves.items()}
    vat["36"] = vat.get("36", ZERO) + carried
    for code, (_name, formula) in VAT_AGGREGATES.items():
        vat[code] = _evaluate(formula, vat)
        base[code] = _evaluate(formula, base) if code in ("35", "48") else ZERO
    for code, (_name, formula) in _2550Q_PART_II.items():
        vat[code] = _evaluate(formula, vat)
    return base, vat


def form_2550q(
    quarters: Mapping[str, Mapping[str, tuple[Decimal, Decimal]]], period: Period
) -> list[FormLine]:
    """2550Q lines of ``period`` from gold leaf lines per quarter (``{quarter: {line: (base, vat)}}``).

    >>> q = {"2025-Q1": {"42": (Decimal(1000), Decimal(120))}, "2025-Q2": {"31": (Decimal(500), Decimal(60))}}
    >>> lines = {l.code: l for l in form_2550q(q, Period(2025, 2))}
    >>> lines["36"].amount, lines["56"].amount, lines["26"].amount
    (Decimal('120.00'), Decimal('-60.00'), Decimal('-60.00'))
    """
    carried = ZERO
    base: dict[str, Decimal] = {}
    vat: dict[str, Decimal] = {}
    for quarter in sorted(q for q in quarters if q <= period.label):
        base, vat = _2550q_quarter(quarters[quarter], carried)
        if quarter == period.label:
            break
        carried = -vat["56"] if vat["56"] < 0 else ZERO
    else:
        base, vat = _2550q_quarter({}, carried)
    names = {**_LEAF_NAMES, **{c: n for c, (n, _f) in VAT_AGGREGATES.items()},
             **{c: n for c, (n, _f) in _2550Q_PART_II.items()}}  # fmt: skip
    with_base = {line.code for line in VAT_TAG_LINES.values() if line.column == "tax_base"} | {"35", "48"}
    return [
        FormLine(code, names.get(code, ""), base.get(code, ZERO) if code in with_base else None,
                 vat.get(code, ZERO) if code not in ("33", "34", "46", "47") else None)
        for code in _2550Q_ORDER
        if code in names
    ]  # fmt: skip


def form_1601eq(rows: Sequence[Mapping[str, Any]]) -> list[FormLine]:
    """1601-EQ (2018): Schedule 1 lines per ATC, then lines 19-30. ``rows`` are the quarter's
    0619-E mart rows (month, atc, tax_rate, tax_base, tax_withheld); remittances of months 1
    and 2 (lines 20, 21) are those months' withholding, as filed with 0619-E."""
    by_atc: dict[tuple[str, Decimal], list[Decimal]] = {}
    first_month = min((int(r["month"]) for r in rows), default=1)
    quarter_start = first_month - (first_month - 1) % 3
    remitted = [ZERO, ZERO]
    for row in rows:
        key = (row["atc"], Decimal(row["tax_rate"]))
        totals = by_atc.setdefault(key, [ZERO, ZERO])
        totals[0] += cents(row["tax_base"])
        totals[1] += cents(row["tax_withheld"])
        offset = int(row["month"]) - quarter_start
        if offset in (0, 1):
            remitted[offset] += cents(row["tax_withheld"])
    lines = [
        FormLine(f"ATC {atc} {amount(rate)}%", f"{atc} at {amount(rate)}%", base, withheld)
        for (atc, rate), (base, withheld) in sorted(by_atc.items())
    ]
    total = sum((v[1] for v in by_atc.values()), ZERO)
    still_due = total - remitted[0] - remitted[1]
    return [
        *lines,
        FormLine("19", "Total Taxes Withheld for the Quarter", None, total),
        FormLine("20", "Less: Remittances Made: 1st Month of the Quarter", None, remitted[0]),
        FormLine("21", "2nd Month of the Quarter", None, remitted[1]),
        FormLine("22", "Tax Remitted in Return Previously Filed, if this is an amended return", None, ZERO),
        FormLine("23", "Over-remittance from Previous Quarter of the same taxable year", None, ZERO),
        FormLine("24", "Total Remittances Made", None, remitted[0] + remitted[1]),
        FormLine("25", "Tax Still Due/(Over-remittance)", None, still_due),
        FormLine("26", "Surcharge", None, ZERO),
        FormLine("27", "Interest", None, ZERO),
        FormLine("28", "Compromise", None, ZERO),
        FormLine("29", "Total Penalties", None, ZERO),
        FormLine("30", "Total Amount Still Due/(Over-remittance)", None, still_due),
    ]


def form_0619e(rows: Sequence[Mapping[str, Any]], month: int) -> list[FormLine]:
    """0619-E (2018) of one month: the ATCs withheld (for the record), then lines 14-18."""
    mine = [r for r in rows if int(r["month"]) == month]
    lines = [
        FormLine(f"ATC {r['atc']} {amount(r['tax_rate'])}%", str(r.get("nature") or r["atc"]),
                 cents(r["tax_base"]), cents(r["tax_withheld"]))
        for r in mine
    ]  # fmt: skip
    total = sum((cents(r["tax_withheld"]) for r in mine), ZERO)
    return [
        *lines,
        FormLine("14", "Amount of Remittance", None, total),
        FormLine(
            "15", "Less: Amount Remitted from Previously Filed Form, if this is an amended form", None, ZERO
        ),
        FormLine("16", "Net Amount of Remittance", None, total),
        FormLine("17A", "Surcharge", None, ZERO),
        FormLine("17B", "Interest", None, ZERO),
        FormLine("17C", "Compromise", None, ZERO),
        FormLine("17D", "Total Penalties", None, ZERO),
        FormLine("18", "Total Amount of Remittance", None, total),
    ]


FORM_COLUMNS = ("Line", "Description", "Tax base", "Amount")


def _form_cells(line: FormLine) -> list[str]:
    return [line.code, line.label, "" if line.tax_base is None else amount(line.tax_base),
            "" if line.amount is None else amount(line.amount)]  # fmt: skip


def lines_csv(lines: Sequence[FormLine]) -> bytes:
    """CSV (UTF-8, CR LF) of form lines: line, description, tax base, amount."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(FORM_COLUMNS)
    writer.writerows(_form_cells(line) for line in lines)
    return out.getvalue().encode("utf-8")


def _workbook(title: str, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = book.add_worksheet(title[:31])
    bold = book.add_format({"bold": True})
    money = book.add_format({"num_format": "#,##0.00"})
    sheet.write_row(0, 0, list(header), bold)
    for index, row in enumerate(rows, start=1):
        for col, value in enumerate(row):
            if isinstance(value, Decimal):
                sheet.write_number(index, col, float(value), money)
            else:
                sheet.write(index, col, value)
    sheet.set_column(0, len(header) - 1, 18)
    book.close()
    return buffer.getvalue()


def lines_xlsx(title: str, lines: Sequence[FormLine]) -> bytes:
    rows = [[line.code, line.label, "" if line.tax_base is None else line.tax_base,
             "" if line.amount is None else line.amount] for line in lines]  # fmt: skip
    return _workbook(title, FORM_COLUMNS, rows)


def dat_xlsx(title: str, dat: DatFile) -> bytes:
    """A data file's records as a sheet for review: one row a record, one column a field."""
    records = [next(csv.reader([record])) for record in dat.records]
    width = max(len(r) for r in records)
    header = [f"Field {n}" for n in range(1, width + 1)]
    rows = [[_typed(cell) for cell in record] for record in records]
    return _workbook(title, header, rows)


def _typed(cell: str) -> Any:
    try:
        return Decimal(cell) if "." in cell else cell
    except ArithmeticError:
        return cell
