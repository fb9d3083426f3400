"""Odoo's own tax report definition, evaluated independently of the gold marts' tag map.

Reconciliation must be able to fail: if Odoo's figures were read through the same
tag → line map the marts are built with (:data:`ipwb.finance.bir.VAT_TAG_LINES`), a wrong
mapping would agree with itself. So Odoo's side is computed from the report *as Odoo
stores it* (``account.report`` / ``account.report.line`` / ``account.report.expression`` of
``l10n_ph``): the addon reads the expressions from the database and hands them over as
:class:`Expression` rows; the ``tax_tags`` leaves get their amounts from the journal items
carrying the expression's tags; the ``aggregation`` expressions are evaluated here with
their own formulas (``31.tax_base + 32.tax_base``, ``42._vat_base + …``, ``35.balance -
55.balance``), so the totals 35, 48 and 56 are Odoo's totals, not gold's.

Only what l10n_ph's 2550Q uses is supported: ``tax_tags`` and ``aggregation`` engines,
aggregation formulas that are sums/differences of ``CODE.label`` terms. Anything else is
refused with :class:`~ipwb.errors.ReconciliationError` instead of being guessed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from decimal import Decimal

from ipwb.errors import ReconciliationError

#: the report columns gold carries: Odoo label → name used in reconciliation keys
REPORT_COLUMNS = ("tax_base", "balance")

_TERM = re.compile(r"\s*([+-])?\s*([A-Za-z0-9_]+)\.([A-Za-z0-9_]+)\s*")


@dataclasses.dataclass(frozen=True)
class Expression:
    """One ``account.report.expression`` of a report line."""

    line_code: str
    line_name: str
    label: str
    engine: str
    formula: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.line_code, self.label)


def parse_aggregation(formula: str) -> list[tuple[int, str, str]]:
    """``(sign, line_code, label)`` terms of an aggregation formula.

    >>> parse_aggregation("35.balance - 55.balance")
    [(1, '35', 'balance'), (-1, '55', 'balance')]
    >>> parse_aggregation("42._vat_base+42._service_base")
    [(1, '42', '_vat_base'), (1, '42', '_service_base')]
    >>> parse_aggregation("sum_children")
    Traceback (most recent call last):
    ...
    ipwb.errors.ReconciliationError: Unsupported aggregation formula 'sum_children'
    """
    terms: list[tuple[int, str, str]] = []
    position = 0
    text = formula.strip()
    while position < len(text):
        match = _TERM.match(text, position)
        if not match or match.end() == position or (terms and not match.group(1)):
            raise ReconciliationError(f"Unsupported aggregation formula {formula!r}")
        terms.append((-1 if match.group(1) == "-" else 1, match.group(2), match.group(3)))
        position = match.end()
    if not terms:
        raise ReconciliationError(f"Unsupported aggregation formula {formula!r}")
    return terms


class TaxReport:
    """A tax report's expressions, ready to be evaluated from tag amounts."""

    def __init__(self, expressions: Iterable[Expression]) -> None:
        self.expressions: dict[tuple[str, str], Expression] = {}
        for expression in expressions:
            if expression.engine not in ("tax_tags", "aggregation"):
                raise ReconciliationError(
                    f"Line {expression.line_code} uses engine {expression.engine!r}: not reconcilable"
                )
            if expression.key in self.expressions:
                raise ReconciliationError(f"Line {expression.line_code} defines {expression.label!r} twice")
            self.expressions[expression.key] = expression
        self._terms = {
            key: parse_aggregation(e.formula)
            for key, e in self.expressions.items()
            if e.engine == "aggregation"
        }
        for key, terms in self._terms.items():
            for _sign, code, label in terms:
                if (code, label) not in self.expressions:
                    raise ReconciliationError(
                        f"Line {key[0]} refers to {code}.{label}, which the report lacks"
                    )

    @property
    def tag_formulas(self) -> dict[tuple[str, str], str]:
        """``{(line_code, label): tag formula}`` of the ``tax_tags`` leaves."""
        return {key: e.formula for key, e in self.expressions.items() if e.engine == "tax_tags"}

    @property
    def line_names(self) -> dict[str, str]:
        return {e.line_code: e.line_name for e in self.expressions.values()}

    def leaf_lines(self) -> set[str]:
        """Lines with at least one ``tax_tags`` expression (their figures come from the books)."""
        return {e.line_code for e in self.expressions.values() if e.engine == "tax_tags"}

    def evaluate(self, leaves: Mapping[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
        """Every expression's value, from the leaves' amounts (missing leaves count as 0).

        >>> report = TaxReport([
        ...     Expression("31", "Sales", "balance", "tax_tags", "31B"),
        ...     Expression("55", "Input", "balance", "tax_tags", "55B"),
        ...     Expression("35", "Total", "balance", "aggregation", "31.balance"),
        ...     Expression("56", "Net", "balance", "aggregation", "35.balance - 55.balance"),
        ... ])
        >>> values = report.evaluate({("31", "balance"): Decimal(120), ("55", "balance"): Decimal(30)})
        >>> values[("56", "balance")]
        Decimal('90')
        """
        values: dict[tuple[str, str], Decimal] = {}
        visiting: set[tuple[str, str]] = set()

        def value(key: tuple[str, str]) -> Decimal:
            if key in values:
                return values[key]
            if key in visiting:
                raise ReconciliationError(f"Line {key[0]} ({key[1]}) depends on itself")
            visiting.add(key)
            if key in self._terms:
                result = sum(
                    (sign * value((code, label)) for sign, code, label in self._terms[key]), Decimal(0)
                )
            else:
                result = Decimal(leaves.get(key, 0))
            visiting.discard(key)
            values[key] = result
            return result

        for key in self.expressions:
            value(key)
        return values

    def columns(self, values: Mapping[tuple[str, str], Decimal]) -> dict[tuple[str, str], Decimal]:
        """The values of the report's visible columns only (``tax_base``, ``balance``)."""
        return {key: amount for key, amount in values.items() if key[1] in REPORT_COLUMNS}


#: SLSP columns as sums of 2550Q report expressions ``(line_code, label)``: the summary list
#: of sales/purchases shows per partner what the return shows in total
SLSP_SALES_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "exempt_sales": (("34", "tax_base"),),
    "zero_rated_sales": (("33", "tax_base"),),
    "taxable_sales": (("31", "tax_base"), ("32", "tax_base")),
    "output_tax": (("31", "balance"), ("32", "balance")),
}
SLSP_PURCHASES_COLUMNS: dict[str, tuple[tuple[str, str], ...]] = {
    "exempt_purchases": (("46", "_exempt_base"), ("47", "tax_base")),
    "zero_rated_purchases": (("46", "_zr_base"),),
    "services": (("42", "_service_base"), ("43", "tax_base")),
    "capital_goods": (("42", "_capital_base"),),
    "other_goods": (("42", "_vat_base"), ("44", "tax_base"), ("45", "tax_base")),
    "input_tax": (("42", "balance"), ("43", "balance"), ("44", "balance"), ("45", "balance")),
}
