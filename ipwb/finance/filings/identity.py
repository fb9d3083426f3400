"""Who files and who is listed: TIN + branch, RDO code, registered or personal names, periods.

BIR lists a taxpayer by its 9-digit TIN and a branch code; the alphalist files carry the
branch as 4 digits (``0000`` for the head office), the printed forms as TIN-branch.
"""

from __future__ import annotations

import dataclasses
import datetime
import re

from ipwb.errors import FilingError

_TIN_BRANCH = re.compile(r"^(\d{9})(\d{0,5})$")
_RDO = re.compile(r"^\d{3}[A-Z]?$")


def split_tin(vat: str | None, branch_code: str | None = None) -> tuple[str, str]:
    """``(tin, branch)`` of a Philippine TIN/VAT number: 9 digits and a 4-digit branch.

    Separators are ignored; digits after the ninth are the branch (l10n_ph spells it with
    3 or 5 digits, the alphalist files with 4: the last four are kept, left-padded); without
    them ``branch_code`` (the partner's) applies.

    >>> split_tin("123-456-789-00000")
    ('123456789', '0000')
    >>> split_tin("123456789", "001")
    ('123456789', '0001')
    >>> split_tin("12-34")
    Traceback (most recent call last):
    ...
    ipwb.errors.FilingError: Malformed TIN '12-34': BIR TINs have 9 digits, then an optional branch code
    """
    text = (vat or "").strip()
    if re.search(r"[^\d\s-]", text):
        raise FilingError(f"Malformed TIN {text!r}: only digits and dashes belong in a Philippine TIN")
    digits = re.sub(r"[\s-]", "", text)
    match = _TIN_BRANCH.match(digits)
    if not match:
        raise FilingError(f"Malformed TIN {text!r}: BIR TINs have 9 digits, then an optional branch code")
    branch = match.group(2) or re.sub(r"\D", "", branch_code or "")
    return match.group(1), (branch[-4:] if branch else "").rjust(4, "0")


def tin_branch(tin: str, branch: str) -> str:
    """The 13-digit TIN + branch of the printed forms, dashed.

    >>> tin_branch("123456789", "0001")
    '123-456-789-0001'
    """
    return f"{tin[:3]}-{tin[3:6]}-{tin[6:9]}-{branch}"


@dataclasses.dataclass(frozen=True)
class Taxpayer:
    """A payee, payor, customer or supplier as the lists show it: a registered name for a
    non-individual, last/first/middle names for an individual."""

    tin: str
    branch: str
    registered_name: str = ""
    last_name: str = ""
    first_name: str = ""
    middle_name: str = ""
    address: str = ""

    @property
    def is_individual(self) -> bool:
        return not self.registered_name and bool(self.last_name or self.first_name)

    @property
    def display_name(self) -> str:
        if not self.is_individual:
            return self.registered_name
        given = " ".join(p for p in (self.first_name, self.middle_name) if p)
        return f"{self.last_name}, {given}" if given else self.last_name


@dataclasses.dataclass(frozen=True)
class Filer(Taxpayer):
    """The withholding agent / VAT taxpayer who files: its RDO code is required."""

    rdo_code: str = ""

    def check(self) -> Filer:
        """The filer itself, or a :class:`FilingError` naming what it lacks."""
        if not re.fullmatch(r"\d{9}", self.tin or ""):
            raise FilingError(
                f"The filer {self.registered_name or '?'} has no valid TIN ({self.tin!r}): "
                "set the company's Tax ID (9 digits and branch code)"
            )
        if not re.fullmatch(r"\d{4}", self.branch or ""):
            raise FilingError(f"The filer's branch code {self.branch!r} is not 4 digits")
        if not _RDO.match(self.rdo_code or ""):
            raise FilingError(
                f"The filer {self.registered_name or self.tin} has no valid RDO code ({self.rdo_code!r}): "
                "set the company's BIR RDO code (3 digits)"
            )
        if not self.registered_name:
            raise FilingError(f"The filer {self.tin} has no registered name")
        return self


@dataclasses.dataclass(frozen=True)
class Period:
    """A calendar quarter (``month`` None) or one month of it (0619-E)."""

    year: int
    quarter: int
    month: int | None = None

    def __post_init__(self) -> None:
        if not 1900 < self.year < 3000 or not 1 <= self.quarter <= 4:
            raise FilingError(f"Invalid period {self.year} Q{self.quarter}")
        if self.month is not None and self.month not in self.months:
            raise FilingError(f"Month {self.month} is not in {self.year} Q{self.quarter}")

    @classmethod
    def of_month(cls, year: int, month: int) -> Period:
        if not 1 <= month <= 12:
            raise FilingError(f"Invalid month {month}")
        return cls(year, (month - 1) // 3 + 1, month)

    @property
    def months(self) -> tuple[int, int, int]:
        first = 3 * self.quarter - 2
        return first, first + 1, first + 2

    @property
    def label(self) -> str:
        """``YYYY-Qn`` (the marts' quarter key) or ``YYYY-MM``.

        >>> Period(2025, 3).label, Period.of_month(2025, 8).label
        ('2025-Q3', '2025-08')
        """
        return f"{self.year}-{self.month:02d}" if self.month else f"{self.year}-Q{self.quarter}"

    @property
    def first_day(self) -> datetime.date:
        return datetime.date(self.year, self.month or self.months[0], 1)

    @property
    def last_day(self) -> datetime.date:
        """Last day of the quarter (or month): the files' return period.

        >>> Period(2025, 4).last_day
        datetime.date(2025, 12, 31)
        """
        month = self.month or self.months[2]
        following = datetime.date(self.year + (month == 12), month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)
