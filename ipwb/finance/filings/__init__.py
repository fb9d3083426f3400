"""BIR filings from published gold: alphalist/RELIEF data files, form lines, 2307 data.

- :mod:`ipwb.finance.filings.identity` TIN + branch, filer (RDO code), listed parties, periods.
- :mod:`ipwb.finance.filings.dat`      QAP, SAWT, SLSP data files (pure writers, BIR layouts).
- :mod:`ipwb.finance.filings.forms`    2550Q, 1601-EQ, 0619-E lines; CSV/XLSX exports.
- :mod:`ipwb.finance.filings.gold`     what each filing reads from gold.

:func:`generate` is the one entry point the addon calls: a form, a company and a period
in, the files (name, bytes, mimetype) and their control totals out.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from decimal import Decimal

import psycopg2.extensions

from ipwb.errors import FilingError
from ipwb.finance.filings import dat, forms, gold
from ipwb.finance.filings.identity import Period
from ipwb.finance.warehouse import FinanceSchemas

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: form code → label; the DAT forms give a data file and its review XLSX, the returns CSV and XLSX
FORMS: dict[str, str] = {
    "qap": "QAP (1601-EQ alphalist of payees)",
    "sawt": "SAWT (summary alphalist of withholding taxes)",
    "slsp_sales": "SLSP: summary list of sales",
    "slsp_purchases": "SLSP: summary list of purchases",
    "2550q": "2550Q quarterly VAT return lines",
    "1601eq": "1601-EQ quarterly EWT remittance lines",
    "0619e": "0619-E monthly EWT remittance lines",
}


@dataclasses.dataclass(frozen=True)
class Artifact:
    name: str
    content: bytes
    mimetype: str


@dataclasses.dataclass(frozen=True)
class Filing:
    """What :func:`generate` produced: the files, the detail count and the control totals."""

    form: str
    period: Period
    artifacts: tuple[Artifact, ...]
    details: int
    totals: dict[str, Decimal]


def _dat_filing(form: str, period: Period, file: dat.DatFile) -> Filing:
    review = forms.dat_xlsx(form.upper(), file)
    stem = file.name.removesuffix(".DAT")
    return Filing(
        form,
        period,
        (Artifact(file.name, file.content, "text/plain"), Artifact(f"{stem}.xlsx", review, XLSX)),
        file.details,
        file.totals,
    )


def _lines_filing(form: str, period: Period, tin: str, lines: list[forms.FormLine]) -> Filing:
    stem = f"{tin}_{form.upper()}_{period.label}"
    totals = {
        line.code: line.amount
        for line in lines
        if line.amount is not None and not line.code.startswith("ATC")
    }
    return Filing(
        form,
        period,
        (
            Artifact(f"{stem}.csv", forms.lines_csv(lines), "text/csv"),
            Artifact(f"{stem}.xlsx", forms.lines_xlsx(form.upper(), lines), XLSX),
        ),
        len(lines),
        totals,
    )


def generate(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    company_id: int,
    form: str,
    period: Period,
    *,
    sawt_form: str = "2550Q",
) -> Filing:
    """Files of ``form`` for a company and period, from gold in ``schemas`` (published gold).

    Refuses (:class:`FilingError`) an unknown form, a filer without valid TIN/RDO code, a
    0619-E without a month or for a quarter's third month, and a period outside the data.
    """
    if form not in FORMS:
        raise FilingError(f"Unknown BIR form {form!r} (known: {', '.join(FORMS)})")
    if form == "0619e" and (period.month is None or period.month == period.months[2]):
        raise FilingError("0619-E is filed for the first or second month of a quarter: choose that month")
    filer = gold.filer(conn, schemas, company_id)
    gold.check_period(conn, schemas, company_id, period)
    quarter = Period(period.year, period.quarter)
    args = (conn, schemas, company_id, quarter)
    writers: dict[str, Callable[[], dat.DatFile]] = {
        "qap": lambda: dat.qap_dat(filer, quarter, gold.qap_rows(*args)),
        "sawt": lambda: dat.sawt_dat(filer, quarter, gold.sawt_rows(*args), sawt_form),
        "slsp_sales": lambda: dat.slsp_sales_dat(filer, quarter, gold.sales_rows(*args)),
        "slsp_purchases": lambda: dat.slsp_purchases_dat(filer, quarter, gold.purchase_rows(*args)),
    }
    if form in writers:
        return _dat_filing(form, quarter, writers[form]())
    stem = filer.tin + filer.branch
    if form == "2550q":
        return _lines_filing(form, quarter, stem, forms.form_2550q(gold.vat_quarters(*args), quarter))
    monthly = gold.withholding_by_month(*args)
    if form == "1601eq":
        return _lines_filing(form, quarter, stem, forms.form_1601eq(monthly))
    return _lines_filing(form, period, stem, forms.form_0619e(monthly, period.month or 0))


__all__ = ["FORMS", "Artifact", "Filing", "FilingError", "Period", "generate"]
