"""BIR alphalist (QAP, SAWT) and RELIEF (SLSP) data files: pure writers, rows in, bytes out.

Layouts (comma-delimited, one record a line, CR LF line ends, ASCII):

- **QAP** (attachment of 1601-EQ) and **SAWT** (attachment of 2550Q/1702Q), BIR *Alphalist
  Data Entry and Validation Module* v7 record layouts::

    HQAP,H1601EQ,TIN,BRANCH,"REGISTERED NAME",MM/YYYY,RDO
    D1,1601EQ,SEQ,TIN,BRANCH,"REGISTERED NAME","LAST","FIRST","MIDDLE",MM/YYYY,ATC,RATE,INCOME,WITHHELD
    C1,1601EQ,TIN,BRANCH,MM/YYYY,TOTAL INCOME,TOTAL WITHHELD

    HSAWT,H<FORM>,TIN,BRANCH,"REGISTERED NAME","LAST","FIRST","MIDDLE",MM/YYYY,RDO
    DSAWT,D<FORM>,SEQ,TIN,BRANCH,"REGISTERED NAME","LAST","FIRST","MIDDLE",MM/YYYY,,ATC,RATE,INCOME,WITHHELD
    CSAWT,C<FORM>,TIN,BRANCH,MM/YYYY,TOTAL INCOME,TOTAL WITHHELD

  File names ``<TIN><BRANCH><MMYYYY><FORM>.DAT`` (``1601EQ``, ``2550Q``, ``1702Q``).
  Empty name fields are left empty (a company has no last/first/middle name, an
  individual no registered name), as in the files the module itself writes.

- **SLSP**, BIR *RELIEF* (Reconciliation of Listings for Enforcement) data file layout:
  a header carrying the filer and the period's totals, one detail per counterparty; the
  header is the control record (its totals equal the detail sums). Every text field quoted::

    H,S,"TIN","REGISTERED NAME","LAST","FIRST","MIDDLE","TRADE NAME","ADDRESS 1","ADDRESS 2",
        EXEMPT,ZERO-RATED,TAXABLE,OUTPUT TAX,RDO,MM/DD/YYYY,FISCAL YEAR END MONTH
    D,S,"TIN","REGISTERED NAME","LAST","FIRST","MIDDLE","ADDRESS 1","ADDRESS 2",
        EXEMPT,ZERO-RATED,TAXABLE,OUTPUT TAX,OWNER TIN,MM/DD/YYYY
    H,P,... EXEMPT,ZERO-RATED,SERVICES,CAPITAL GOODS,OTHER GOODS,INPUT TAX,CREDITABLE INPUT TAX,
        NON-CREDITABLE INPUT TAX,RDO,MM/DD/YYYY,FISCAL YEAR END MONTH
    D,P,... EXEMPT,ZERO-RATED,SERVICES,CAPITAL GOODS,OTHER GOODS,INPUT TAX,OWNER TIN,MM/DD/YYYY

  File names ``<TIN>S<MMYYYY>.DAT`` and ``<TIN>P<MMYYYY>.DAT``.

Amounts carry two decimals and no thousands separator; rates are percentages with two
decimals. Text is upper-cased ASCII without double quotes (the validation modules accept
nothing else); registered names are cut at 50 characters, personal names at 30. The BIR
revises these layouts with new module versions: validate each file with the current module
before submission. Fixtures: ``tests/finance/fixtures/filings/README.md``.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from ipwb.errors import FilingError
from ipwb.finance.filings.identity import Filer, Period, Taxpayer

CRLF = "\r\n"
CENT = Decimal("0.01")


def clean(value: str | None, width: int = 50) -> str:
    """Upper-case ASCII, no quotes or line breaks, single spaces, at most ``width`` characters.

    >>> clean('Niño "Best" Co.,\\nInc')
    'NINO BEST CO., INC'
    """
    text = unicodedata.normalize("NFKD", value or "").encode("ascii", "ignore").decode("ascii")
    text = re.sub(r"\s+", " ", text.replace('"', "")).strip().upper()
    return text[:width]


def quoted(value: str | None, width: int = 50, blank_empty: bool = False) -> str:
    """A text field: quoted; left blank when empty and ``blank_empty`` (alphalist names).

    >>> quoted("Acme"), quoted("", blank_empty=True), quoted("")
    ('"ACME"', '', '""')
    """
    text = clean(value, width)
    return "" if blank_empty and not text else f'"{text}"'


def amount(value: Decimal | int | str) -> str:
    """Two decimals, half up, no separators.

    >>> amount(Decimal("1234.5")), amount("-0.005"), amount(0)
    ('1234.50', '-0.01', '0.00')
    """
    return str(Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP))


def cents(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


@dataclasses.dataclass(frozen=True)
class WithholdingRow:
    """One payee (QAP) or payor (SAWT) and ATC of the period."""

    party: Taxpayer
    atc: str
    rate: Decimal
    income_payment: Decimal
    tax_withheld: Decimal


@dataclasses.dataclass(frozen=True)
class SalesRow:
    party: Taxpayer
    exempt: Decimal
    zero_rated: Decimal
    taxable: Decimal
    output_tax: Decimal


@dataclasses.dataclass(frozen=True)
class PurchaseRow:
    party: Taxpayer
    exempt: Decimal
    zero_rated: Decimal
    services: Decimal
    capital_goods: Decimal
    other_goods: Decimal
    input_tax: Decimal


@dataclasses.dataclass(frozen=True)
class DatFile:
    """A written data file: its BIR name, bytes, detail count and control totals."""

    name: str
    content: bytes
    details: int
    totals: dict[str, Decimal]

    @property
    def records(self) -> list[str]:
        return self.content.decode("ascii").split(CRLF)[:-1]


def _check_parties(rows: Sequence[WithholdingRow | SalesRow | PurchaseRow], role: str) -> None:
    bad = [row.party.display_name or "(no name)" for row in rows if not re.fullmatch(r"\d{9}", row.party.tin)]
    if bad:
        raise FilingError(f"{len(bad)} {role}(s) without a valid 9-digit TIN: {', '.join(sorted(bad)[:10])}")
    branches = [row.party.display_name for row in rows if not re.fullmatch(r"\d{4}", row.party.branch)]
    if branches:
        raise FilingError(f"{role}(s) with a branch code that is not 4 digits: {', '.join(sorted(branches))}")


def _names(party: Taxpayer) -> str:
    """Registered name, last, first, middle: blank where they do not apply."""
    if party.is_individual:
        return ",".join(
            ["", quoted(party.last_name, 30, True), quoted(party.first_name, 30, True),
             quoted(party.middle_name, 30, True)]
        )  # fmt: skip
    return f"{quoted(party.registered_name, 50, True)},,,"


def _file(name: str, lines: list[str], details: int, totals: dict[str, Decimal]) -> DatFile:
    return DatFile(name, (CRLF.join(lines) + CRLF).encode("ascii"), details, totals)


def _mm_yyyy(period: Period) -> str:
    return period.last_day.strftime("%m/%Y")


@dataclasses.dataclass(frozen=True)
class _AlphalistLayout:
    """What differs between the QAP and the SAWT: record tags, the filer's name fields and
    the empty field the SAWT's details carry after the period (see the module docstring)."""

    header: str
    detail: str
    control: str
    file_form: str
    role: str
    filer_names: bool
    detail_gap: str


def _alphalist_dat(
    layout: _AlphalistLayout, filer: Filer, period: Period, rows: Sequence[WithholdingRow]
) -> DatFile:
    filer.check()
    _check_parties(rows, layout.role)
    when = _mm_yyyy(period)
    filer_name = _names(filer) if layout.filer_names else quoted(filer.registered_name)
    lines = [f"{layout.header},{filer.tin},{filer.branch},{filer_name},{when},{filer.rdo_code}"]
    for seq, row in enumerate(rows, start=1):
        lines.append(
            f"{layout.detail},{seq},{row.party.tin},{row.party.branch},{_names(row.party)},{when},"
            f"{layout.detail_gap}{clean(row.atc, 10)},{amount(row.rate)},{amount(row.income_payment)},"
            f"{amount(row.tax_withheld)}"
        )
    income = sum((cents(r.income_payment) for r in rows), Decimal(0))
    withheld = sum((cents(r.tax_withheld) for r in rows), Decimal(0))
    lines.append(f"{layout.control},{filer.tin},{filer.branch},{when},{amount(income)},{amount(withheld)}")
    name = f"{filer.tin}{filer.branch}{period.last_day:%m%Y}{layout.file_form}.DAT"
    return _file(name, lines, len(rows), {"income_payment": income, "tax_withheld": withheld})


_QAP = _AlphalistLayout("HQAP,H1601EQ", "D1,1601EQ", "C1,1601EQ", "1601EQ", "payee", False, "")


def qap_dat(filer: Filer, period: Period, rows: Sequence[WithholdingRow]) -> DatFile:
    """QAP (1601-EQ) data file of a quarter."""
    return _alphalist_dat(_QAP, filer, period, rows)


SAWT_FORMS = ("2550Q", "1702Q", "1701Q", "2551Q")


def sawt_dat(filer: Filer, period: Period, rows: Sequence[WithholdingRow], form: str = "2550Q") -> DatFile:
    """SAWT data file of a quarter, attached to return ``form``."""
    if form not in SAWT_FORMS:
        raise FilingError(f"SAWT is attached to {', '.join(SAWT_FORMS)}, not {form!r}")
    layout = _AlphalistLayout(f"HSAWT,H{form}", f"DSAWT,D{form}", f"CSAWT,C{form}", form, "payor", True, ",")
    return _alphalist_dat(layout, filer, period, rows)


def split_address(address: str) -> tuple[str, str]:
    """RELIEF's two address fields: the street, then the rest.

    >>> split_address("12 Ayala Ave, Makati, Metro Manila")
    ('12 Ayala Ave', 'Makati, Metro Manila')
    """
    parts = [p.strip() for p in (address or "").split(",") if p.strip()]
    return (parts[0] if parts else "", ", ".join(parts[1:]))


def _relief_party(party: Taxpayer) -> str:
    street, rest = split_address(party.address)
    names = (
        [quoted(""), quoted(party.last_name, 30), quoted(party.first_name, 30), quoted(party.middle_name, 30)]
        if party.is_individual
        else [quoted(party.registered_name), quoted(""), quoted(""), quoted("")]
    )
    return ",".join([quoted(party.tin), *names, quoted(street), quoted(rest)])


def _relief_filer(filer: Filer) -> str:
    street, rest = split_address(filer.address)
    return ",".join(
        [quoted(filer.tin), quoted(filer.registered_name), quoted(""), quoted(""), quoted(""),
         quoted(filer.registered_name), quoted(street), quoted(rest)]
    )  # fmt: skip


def _sum(rows: Sequence[SalesRow] | Sequence[PurchaseRow], field: str) -> Decimal:
    return sum((cents(getattr(r, field)) for r in rows), Decimal(0))


def slsp_sales_dat(filer: Filer, period: Period, rows: Sequence[SalesRow], fiscal_end: int = 12) -> DatFile:
    """Summary list of sales (RELIEF) of a quarter."""
    filer.check()
    _check_parties(rows, "customer")
    day = period.last_day.strftime("%m/%d/%Y")
    fields = ("exempt", "zero_rated", "taxable", "output_tax")
    totals = {f: _sum(rows, f) for f in fields}
    lines = [
        f"H,S,{_relief_filer(filer)},{','.join(amount(totals[f]) for f in fields)},"
        f"{filer.rdo_code},{day},{fiscal_end}"
    ]
    for row in rows:
        lines.append(
            f"D,S,{_relief_party(row.party)},"
            f"{','.join(amount(getattr(row, f)) for f in fields)},{filer.tin},{day}"
        )
    return _file(f"{filer.tin}S{period.last_day:%m%Y}.DAT", lines, len(rows), totals)


def slsp_purchases_dat(
    filer: Filer, period: Period, rows: Sequence[PurchaseRow], fiscal_end: int = 12
) -> DatFile:
    """Summary list of purchases (RELIEF) of a quarter; all input tax creditable."""
    filer.check()
    _check_parties(rows, "supplier")
    day = period.last_day.strftime("%m/%d/%Y")
    fields = ("exempt", "zero_rated", "services", "capital_goods", "other_goods", "input_tax")
    totals = {f: _sum(rows, f) for f in fields}
    header_amounts = [amount(totals[f]) for f in fields] + [amount(totals["input_tax"]), amount(0)]
    lines = [f"H,P,{_relief_filer(filer)},{','.join(header_amounts)},{filer.rdo_code},{day},{fiscal_end}"]
    for row in rows:
        lines.append(
            f"D,P,{_relief_party(row.party)},"
            f"{','.join(amount(getattr(row, f)) for f in fields)},{filer.tin},{day}"
        )
    return _file(f"{filer.tin}P{period.last_day:%m%Y}.DAT", lines, len(rows), totals)
