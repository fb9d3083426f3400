"""One aggregate scan for all single-column measures of a table.

Each check's own measure (:func:`ipwb.guardian.checks.generate`) scans its table once, so a
table with twenty checks is read twenty times. The checks whose measure is a plain aggregate
over the table's rows — ``not_null``, ``accepted_values``, ``freshness``, ``volume`` and
``unique`` — are folded here into one ``SELECT agg1, agg2, … FROM table``: one scan, three
output columns per check, in the order of the checks.

``unique`` is the one measure that is not an aggregate (it counts the rows of duplicated
values, a ``GROUP BY``). In the batch it is ``count(c) - count(DISTINCT c)``: zero means no
duplicates, which is the common case and exact; anything else only says "some", and the
runner then runs the check's own measure for the exact count (a failing unique check costs
the extra scan its sample query needs anyway). ``count(DISTINCT)`` sorts the column; a column
PostgreSQL already keeps unique (a valid, non-partial single-column unique index or primary
key) cannot hold duplicates, so its check needs no sort: ``failed`` is 0 by construction.

The statement is written for the per-row cost (what a scan of millions of rows pays): PostgreSQL
computes identical aggregates once, so a not-null check and a unique-indexed column's non-NULL
count share one ``count(*) FILTER (WHERE c IS NULL)``, and accepted values are a ``NOT IN`` list
long enough to be hashed (:func:`ipwb.guardian.checks.accepted_list`).

Relationships and custom SQL read other tables and stay one query per check.
"""

from __future__ import annotations

from collections.abc import Sequence

from psycopg2 import sql

from ipwb.guardian.checks import CheckSpec, not_accepted

BATCHABLE: frozenset[str] = frozenset({"not_null", "unique", "accepted_values", "freshness", "volume"})
#: output columns each check takes in the batched row: total, failed, observed
WIDTH = 3


def batchable(check: CheckSpec) -> bool:
    """Whether the check's measure can share the table's aggregate scan."""
    return check.check_type in BATCHABLE


def _nulls(c: sql.Composable) -> sql.Composable:
    return sql.SQL("count(*) FILTER (WHERE {c} IS NULL)").format(c=c)


def _non_null(c: sql.Composable) -> sql.Composable:
    """``count(c)``, spelled so that PostgreSQL shares its aggregate with the column's
    ``not_null`` check (identical aggregates are computed once per row, not twice)."""
    return sql.SQL("count(*) - {n}").format(n=_nulls(c))


def _age(c: sql.Composable) -> sql.Composable:
    return sql.SQL("extract(epoch FROM (now() - max(CAST({c} AS timestamptz)))) / 3600.0").format(c=c)


#: single-column unique indexes (primary keys included) of a table: their columns cannot repeat
UNIQUE_COLUMNS_SQL = """
SELECT a.attname FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
WHERE i.indrelid = to_regclass(%s) AND i.indisunique AND i.indisvalid AND i.indnkeyatts = 1
  AND i.indpred IS NULL AND i.indexprs IS NULL
"""


def aggregates(check: CheckSpec, *, unique_indexed: bool = False) -> list[sql.Composable]:
    """The check's (total, failed, observed) as aggregate expressions over its table's rows.

    The same values as the check's own measure, except ``unique``'s "failed", which is the
    number of surplus rows of duplicated values (0 exactly when the check passes).

    >>> [a.as_string(None) for a in aggregates(CheckSpec("n", "gold.t", "volume"))]
    ['1', '0', 'count(*)']
    """
    kind = check.check_type
    c = sql.Identifier(check.column) if check.column else sql.SQL("NULL")
    if kind == "not_null":
        return [
            sql.SQL("count(*)"),
            _nulls(c),
            sql.SQL("NULL"),
        ]
    if kind == "accepted_values":
        return [
            sql.SQL("count(*)"),
            sql.SQL("count(*) FILTER (WHERE {bad})").format(bad=not_accepted(c, check.params["values"])),
            sql.SQL("NULL"),
        ]
    if kind == "freshness":
        slo = sql.Literal(float(check.params["max_age_hours"]))
        return [
            sql.SQL("1"),
            sql.SQL("CASE WHEN max({c}) IS NULL OR {age} > {slo} THEN 1 ELSE 0 END").format(
                c=c, age=_age(c), slo=slo
            ),
            _age(c),
        ]
    if kind == "volume":
        return [sql.SQL("1"), sql.SQL("0"), sql.SQL("count(*)")]
    if kind == "unique" and unique_indexed:
        # non-NULL rows as not_null counts them: one aggregate for both checks of the column
        return [_non_null(c), sql.SQL("0"), sql.SQL("NULL")]
    if kind == "unique":
        return [
            sql.SQL("count({c})").format(c=c),
            sql.SQL("count({c}) - count(DISTINCT {c})").format(c=c),
            sql.SQL("NULL"),
        ]
    raise ValueError(f"a {kind} check reads other tables: it cannot share its table's scan")


def batch_measure(
    checks: Sequence[CheckSpec], unique_columns: frozenset[str] = frozenset()
) -> sql.Composable:
    """One ``SELECT`` of every check's aggregates over their common table (rendered with a
    connection, which quotes the identifiers and literals)."""
    if not checks:
        raise ValueError("no checks to batch")
    tables = {c.table for c in checks}
    if len(tables) != 1:
        raise ValueError(f"checks of one table only, not {sorted(tables)}")
    expressions = [
        expression
        for check in checks
        for expression in aggregates(check, unique_indexed=check.column in unique_columns)
    ]
    schema, table = checks[0].schema_table
    return sql.SQL("SELECT {e} FROM {t}").format(
        e=sql.SQL(", ").join(expressions), t=sql.Identifier(schema, table)
    )


def split_row(checks: Sequence[CheckSpec], row: Sequence[object]) -> list[tuple[object, object, object]]:
    """The batched row cut into each check's (total, failed, observed), in check order.

    >>> split_row([CheckSpec("v", "gold.t", "volume")], (1, 0, 42))
    [(1, 0, 42)]
    """
    if len(row) != WIDTH * len(checks):
        raise ValueError(f"{len(row)} value(s) for {len(checks)} check(s)")
    return [(row[i], row[i + 1], row[i + 2]) for i in range(0, len(row), WIDTH)]


def groups(checks: Sequence[CheckSpec]) -> list[list[int]]:
    """Indexes of the batchable checks, grouped per table (two or more checks per group),
    in the order the tables first appear."""
    by_table: dict[str, list[int]] = {}
    for index, check in enumerate(checks):
        if batchable(check):
            by_table.setdefault(check.table, []).append(index)
    return [indexes for indexes in by_table.values() if len(indexes) > 1]


__all__ = [
    "BATCHABLE",
    "UNIQUE_COLUMNS_SQL",
    "aggregates",
    "batch_measure",
    "batchable",
    "groups",
    "split_row",
]
