"""Reconciliation: gold figures against Odoo's own, key by key.

Both sides are ``{key: amount}`` mappings (a key is e.g. ``("31", "balance")`` for a 2550Q
line or ``("123456789", "WC158")`` for a payee and ATC). :func:`compare` lists every key
whose amounts differ by more than the tolerance, including keys present on one side only
(the other counts as zero). An empty list means the marts agree with the books.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Hashable, Mapping
from decimal import Decimal

#: amounts are in PHP with 2 decimals: anything at or below half a centavo is rounding
DEFAULT_TOLERANCE = Decimal("0.005")


@dataclasses.dataclass(frozen=True)
class Difference:
    check: str
    key: Hashable
    expected: Decimal
    actual: Decimal

    @property
    def delta(self) -> Decimal:
        return self.actual - self.expected

    def describe(self) -> str:
        return (
            f"{self.check} {self.key}: Odoo {self.expected:.2f}, gold {self.actual:.2f}"
            f" (diff {self.delta:+.2f})"
        )


def compare(
    check: str,
    expected: Mapping[Hashable, Decimal | float | int],
    actual: Mapping[Hashable, Decimal | float | int],
    tolerance: Decimal = DEFAULT_TOLERANCE,
) -> list[Difference]:
    """Differences between Odoo's figures (``expected``) and gold's (``actual``).

    >>> compare("vat", {"31": Decimal("12.00")}, {"31": Decimal("12.00"), "42": 0})
    []
    >>> [d.describe() for d in compare("vat", {"31": 12}, {"31": Decimal("11.5")})]
    ['vat 31: Odoo 12.00, gold 11.50 (diff -0.50)']
    """
    differences = []
    for key in sorted(set(expected) | set(actual), key=repr):
        want = Decimal(str(expected.get(key, 0)))
        got = Decimal(str(actual.get(key, 0)))
        if abs(want - got) > tolerance:
            differences.append(Difference(check, key, want, got))
    return differences


def totals(differences: list[Difference]) -> str:
    """One line summarising a reconciliation, for logs and run records."""
    if not differences:
        return "reconciled: gold equals Odoo"
    checks = sorted({d.check for d in differences})
    return f"{len(differences)} difference(s) in {', '.join(checks)}"
