"""Reconciliation: gold figures against Odoo's own, key by key.

Both sides are ``{key: amount}`` mappings (a key is e.g. ``("31", "balance")`` for a 2550Q
line or ``("123456789", "WC158")`` for a payee and ATC). :func:`compare` lists every key
whose amounts differ by more than the tolerance, including keys present on one side only
(the other counts as zero). An empty list means the marts agree with the books.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Hashable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import psycopg2.extensions
from psycopg2 import sql

from ipwb.finance.bir import VAT_AGGREGATES, VAT_TAG_LINES, quarter_bounds, quarter_of
from ipwb.finance.marts import fetch_dicts
from ipwb.finance.warehouse import FinanceSchemas

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


def quarter_months(quarter: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of a ``YYYY-Qn`` quarter.

    >>> quarter_months("2025-Q2")
    (datetime.date(2025, 4, 1), datetime.date(2025, 6, 30))
    """
    year, number = quarter.split("-Q")
    return quarter_bounds(int(year), int(number))


def quarters_between(date_from: datetime.date, date_to: datetime.date) -> list[str]:
    """Every ``YYYY-Qn`` a period touches.

    >>> quarters_between(datetime.date(2024, 12, 15), datetime.date(2025, 4, 1))
    ['2024-Q4', '2025-Q1', '2025-Q2']
    """
    quarters = []
    day = datetime.date(date_from.year, date_from.month, 1)
    while day <= date_to:
        quarter = quarter_of(day)
        if quarter not in quarters:
            quarters.append(quarter)
        day = datetime.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
    return quarters


#: gold marts reconciled with Odoo; a quarter whose rows in any of them change is reconciled
RECONCILED_MARTS = ("fin_vat_2550m", "fin_ewt_payee_atc", "fin_sawt", "fin_slsp_sales", "fin_slsp_purchases")


def _quarter_hashes(
    conn: psycopg2.extensions.connection, schema: str, table: str
) -> dict[tuple[int, str], str] | None:
    with conn.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", (sql.Identifier(schema, table).as_string(cur),))
        row = cur.fetchone()
        if not row or row[0] is None:
            return None
        cur.execute(
            sql.SQL(
                "SELECT company_id, quarter, md5(string_agg(t::text, '|' ORDER BY t::text))"
                " FROM {} t GROUP BY company_id, quarter"
            ).format(sql.Identifier(schema, table))
        )
        return {(int(company), str(quarter)): str(digest) for company, quarter, digest in cur.fetchall()}


def changed_marts(
    conn: psycopg2.extensions.connection, staged: FinanceSchemas, published: FinanceSchemas
) -> dict[tuple[int, str], frozenset[str]]:
    """``{(company_id, quarter): reconciled marts whose rows changed}``: where staged gold
    differs from the published gold (every staged quarter and mart when a mart is not
    published yet). A mart whose rows of a quarter are unchanged was reconciled, for that
    quarter, when it was published."""
    changed: dict[tuple[int, str], set[str]] = {}
    for table in RECONCILED_MARTS:
        new = _quarter_hashes(conn, staged.gold, table) or {}
        old = _quarter_hashes(conn, published.gold, table)
        keys = set(new) if old is None else {k for k in set(new) | set(old) if new.get(k) != old.get(k)}
        for key in keys:
            changed.setdefault(key, set()).add(table)
    return {key: frozenset(tables) for key, tables in changed.items()}


def changed_quarters(
    conn: psycopg2.extensions.connection, staged: FinanceSchemas, published: FinanceSchemas
) -> set[tuple[int, str]]:
    """``(company_id, quarter)`` whose staged gold differs from the published gold in any
    reconciled mart (all staged quarters when nothing is published yet): the periods a run
    must reconcile. A quarter whose gold is unchanged was reconciled when it was published."""
    return set(changed_marts(conn, staged, published))


def _pairs(rows: list[dict[str, Any]], key: Sequence[str]) -> dict[Hashable, tuple[Decimal, Decimal]]:
    result: dict[Hashable, tuple[Decimal, Decimal]] = {}
    for row in rows:
        result[tuple(row[k] for k in key)] = (Decimal(row["base"]), Decimal(row["tax"]))
    return result


def gold_vat(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, companies: Sequence[int], quarter: str
) -> dict[Hashable, Decimal]:
    """Every gold 2550M line of a quarter, totals included:
    ``{(company_id, YYYY-MM, line_code, column): amount}``, column ``tax_base``/``balance``."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT company_id, to_char(period_month, 'YYYY-MM') AS month, line_code, tax_base, vat"
            " FROM {} WHERE quarter = %s AND company_id = ANY(%s)"
        ).format(sql.Identifier(schemas.gold, "fin_vat_2550m")),
        (quarter, list(companies)),
    )
    result: dict[Hashable, Decimal] = {}
    for row in rows:
        key = (int(row["company_id"]), row["month"], row["line_code"])
        result[(*key, "tax_base")] = Decimal(row["tax_base"])
        result[(*key, "balance")] = Decimal(row["vat"])
    return result


def gold_line_codes(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> set[str]:
    """The 2550Q lines gold carries: the marts' own line set and any line present in gold."""
    rows = fetch_dicts(
        conn,
        sql.SQL("SELECT DISTINCT line_code FROM {}").format(sql.Identifier(schemas.gold, "fin_vat_2550m")),
    )
    return (
        {line.code for line in VAT_TAG_LINES.values()} | set(VAT_AGGREGATES) | {r["line_code"] for r in rows}
    )


def _gold_withholding(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    table: str,
    key: tuple[str, str, str, str, str],
    *,
    companies: Sequence[int],
    quarter: str,
) -> dict[Hashable, tuple[Decimal, Decimal]]:
    """``{key: (income_payment, tax_withheld)}`` of a withholding mart, summed per key."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT {key}, sum(income_payment) AS base, sum(tax_withheld) AS tax FROM {table}"
            " WHERE quarter = %s AND company_id = ANY(%s) GROUP BY 1, 2, 3, 4, 5"
        ).format(
            key=sql.SQL(", ").join(
                sql.SQL("to_char(period_month, 'YYYY-MM') AS month")
                if column == "month"
                else sql.Identifier(column)
                for column in key
            ),
            table=sql.Identifier(schemas.gold, table),
        ),
        (quarter, list(companies)),
    )
    return _pairs(rows, key)


def gold_ewt(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, companies: Sequence[int], quarter: str
) -> dict[Hashable, tuple[Decimal, Decimal]]:
    """Gold withholding on purchases: ``{(company_id, YYYY-MM, tin, branch, atc): (base, tax)}``."""
    key = ("company_id", "month", "payee_tin", "payee_branch_code", "atc")
    return _gold_withholding(conn, schemas, "fin_ewt_payee_atc", key, companies=companies, quarter=quarter)


def gold_sawt(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, companies: Sequence[int], quarter: str
) -> dict[Hashable, tuple[Decimal, Decimal]]:
    """Gold SAWT: ``{(company_id, quarter, tin, branch, atc): (income_payment, tax_withheld)}``."""
    key = ("company_id", "quarter", "payor_tin", "payor_branch_code", "atc")
    return _gold_withholding(conn, schemas, "fin_sawt", key, companies=companies, quarter=quarter)


SLSP_COLUMNS = {
    "sales": ("customer", ("exempt_sales", "zero_rated_sales", "taxable_sales", "output_tax")),
    "purchases": (
        "supplier",
        ("exempt_purchases", "zero_rated_purchases", "services", "capital_goods", "other_goods", "input_tax"),
    ),
}


def gold_slsp(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, companies: Sequence[int], quarter: str
) -> dict[Hashable, Decimal]:
    """Gold SLSP: ``{(list, company_id, quarter, tin, branch, column): amount}``."""
    result: dict[Hashable, Decimal] = {}
    for name, (party, columns) in SLSP_COLUMNS.items():
        rows = fetch_dicts(
            conn,
            sql.SQL(
                "SELECT company_id, quarter, {tin}, {branch}, {sums} FROM {table}"
                " WHERE quarter = %s AND company_id = ANY(%s) GROUP BY 1, 2, 3, 4"
            ).format(
                tin=sql.Identifier(f"{party}_tin"),
                branch=sql.Identifier(f"{party}_branch_code"),
                sums=sql.SQL(", ").join(
                    sql.SQL("sum({c}) AS {c}").format(c=sql.Identifier(c)) for c in columns
                ),
                table=sql.Identifier(schemas.gold, f"fin_slsp_{name}"),
            ),
            (quarter, list(companies)),
        )
        for row in rows:
            for column in columns:
                if row[column]:
                    key = (name, int(row["company_id"]), row["quarter"], row[f"{party}_tin"],
                           row[f"{party}_branch_code"], column)  # fmt: skip
                    result[key] = Decimal(row[column])
    return result
