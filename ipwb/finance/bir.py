"""BIR rules the finance marts are built on: 2550Q/2550M lines, ATC codes, TINs, periods.

The VAT return lines are those of Odoo's ``l10n_ph`` tax report (``account.report`` 2550Q):
each line's amount is the sum of the move-line balances carrying the line's *tax tags*
(``+31A``/``-31A`` …), sign-corrected (a ``-`` tag negates; so does ``tax_tag_invert``).
:data:`VAT_TAG_LINES` maps every tag formula of that report to its line and column, so the
gold VAT summary and Odoo's figures are computed by the same rule.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class VatLine:
    """A line of BIR form 2550Q (and of the monthly 2550M, which has the same layout)."""

    code: str
    name: str
    #: ``tax_base`` (the taxable amount) or ``balance`` (the VAT)
    column: str


#: tax-tag formula (as in l10n_ph's tax report) → the 2550Q line and column it feeds
VAT_TAG_LINES: dict[str, VatLine] = {
    "16B": VatLine("16", "Creditable VAT Withheld", "balance"),
    "17B": VatLine("17", "Advance VAT Payments", "balance"),
    "18B": VatLine("18", "VAT paid in return previously filed", "balance"),
    "19B": VatLine("19", "Other Credits/Payment", "balance"),
    "22B": VatLine("22", "Surcharge", "balance"),
    "23B": VatLine("23", "Interest", "balance"),
    "24B": VatLine("24", "Compromise", "balance"),
    "31A": VatLine("31", "VATable sales to private individuals/corporations", "tax_base"),
    "31B": VatLine("31", "VATable sales to private individuals/corporations", "balance"),
    "32A": VatLine("32", "VATable sales to government", "tax_base"),
    "32B": VatLine("32", "VATable sales to government", "balance"),
    "33A": VatLine("33", "Zero-rated sales", "tax_base"),
    "34A": VatLine("34", "Exempt sales", "tax_base"),
    "36B": VatLine("36", "Input tax carried over from previous quarter", "balance"),
    "37B": VatLine("37", "Input tax deferred on capital goods", "balance"),
    "38B": VatLine("38", "Transitional input tax", "balance"),
    "39B": VatLine("39", "Presumptive input tax", "balance"),
    "40B": VatLine("40", "Others", "balance"),
    "42A": VatLine("42", "Domestic purchases", "tax_base"),
    "42B": VatLine("42", "Domestic purchases", "balance"),
    "42SA": VatLine("42", "Domestic purchases", "tax_base"),
    "42SB": VatLine("42", "Domestic purchases", "balance"),
    "CAPA": VatLine("42", "Domestic purchases", "tax_base"),
    "CAPB": VatLine("42", "Domestic purchases", "balance"),
    "43A": VatLine("43", "Services rendered by non-residents", "tax_base"),
    "43B": VatLine("43", "Services rendered by non-residents", "balance"),
    "44A": VatLine("44", "Importations", "tax_base"),
    "44B": VatLine("44", "Importations", "balance"),
    "45A": VatLine("45", "Others", "tax_base"),
    "45B": VatLine("45", "Others", "balance"),
    "46E": VatLine("46", "Domestic purchases with no input tax", "tax_base"),
    "46ZR": VatLine("46", "Domestic purchases with no input tax", "tax_base"),
    "47A": VatLine("47", "VAT-exempt importations", "tax_base"),
    "50B": VatLine("50", "Input tax on purchases of capital goods deferred", "balance"),
    "51B": VatLine("51", "Input tax attributable to VAT-exempt sales", "balance"),
    "52B": VatLine("52", "VAT refund/TCC claimed", "balance"),
    "53B": VatLine("53", "Others", "balance"),
}

#: aggregate lines whose tax base the return shows (the others total VAT only)
VAT_AGGREGATES_WITH_BASE = frozenset({"35", "48"})

#: aggregate lines of the return, as sums/differences of other lines (per column)
VAT_AGGREGATES: dict[str, tuple[str, str]] = {
    "35": ("Total sales and output tax due", "31 + 32 + 33 + 34"),
    "41": ("Total allowable input tax (carried over)", "36 + 37 + 38 + 39 + 40"),
    "48": ("Total current purchases and input tax", "42 + 43 + 44 + 45 + 46 + 47"),
    "49": ("Total available input tax", "41 + 48"),
    "54": ("Total deductions from input tax", "50 + 51 + 52 + 53"),
    "55": ("Total allowable input tax", "49 - 54"),
    "56": ("Net VAT payable (excess input tax)", "35 - 55"),
}

_TAG_NAME = re.compile(r"^([+-])(.+)$")


def split_tag(name: str) -> tuple[int, str] | None:
    """Sign and formula of a tax tag name; ``None`` for a name that is not a tax tag.

    >>> split_tag("-31A")
    (-1, '31A')
    >>> split_tag("Operating Activities") is None
    True
    """
    match = _TAG_NAME.match(name or "")
    if not match:
        return None
    return (-1 if match.group(1) == "-" else 1), match.group(2)


def tin_digits(vat: str | None) -> str:
    """The 9-digit TIN of a Philippine VAT number (what BIR lists and 2307 show).

    >>> tin_digits("123-456-789-00000")
    '123456789'
    >>> tin_digits(None)
    ''
    """
    return re.sub(r"\D", "", vat or "")[:9]


def quarter_of(day: datetime.date) -> str:
    """``YYYY-Qn`` of a date.

    >>> quarter_of(datetime.date(2025, 8, 31))
    '2025-Q3'
    """
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def quarter_bounds(year: int, quarter: int) -> tuple[datetime.date, datetime.date]:
    """First and last day of a calendar quarter.

    >>> quarter_bounds(2025, 4)
    (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    """
    if not 1 <= quarter <= 4:
        raise ValueError(f"quarter must be 1-4, got {quarter}")
    start = datetime.date(year, 3 * quarter - 2, 1)
    end_month = 3 * quarter
    following = datetime.date(year + (end_month == 12), end_month % 12 + 1, 1)
    return start, following - datetime.timedelta(days=1)


#: expanded-withholding ATC prefixes: WI (individual payees), WC (corporate payees)
EWT_ATC_PREFIXES = ("WI", "WC")


def is_ewt_atc(atc: str | None) -> bool:
    """Whether an ATC code is an expanded withholding tax (1601-EQ/QAP/SAWT/2307).

    >>> is_ewt_atc("WC158"), is_ewt_atc(""), is_ewt_atc(None)
    (True, False, False)
    """
    return bool(atc) and str(atc).upper().startswith(EWT_ATC_PREFIXES)
