"""Why a generated query is wrong: structural comparison with the reference, via sqlglot.

The evaluation's verdict is execution accuracy (same rows); this module only names the
failure so a user sees *what* a model gets wrong, and it reads the parsed queries, never
their text: tables are compared as sets of qualified names (a ``bi`` view and the gold
table it exposes count as the same table), filters as sets of normalised WHERE/HAVING
conjuncts (qualifiers dropped, so ``v.atc = 'WC158'`` equals ``atc = 'WC158'``).
"""

from __future__ import annotations

import datetime
import decimal
import enum
from collections import Counter
from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ipwb.llm.catalog import Catalog
from ipwb.llm.nl2sql import QueryResult

#: decimal places numbers are rounded to before comparing results (1.50 == 1.5,
#: 0.33333 == 0.3333); the reference and the model both compute from the same rows, so a
#: difference beyond that is a different answer, not float noise
NUMERIC_PLACES = 4


class Reason(str, enum.Enum):
    """Outcome of one question (``correct`` and ``refused_ok`` count as right)."""

    CORRECT = "correct"
    REFUSED_OK = "refused as expected"
    REFUSED = "refused"
    HALLUCINATED_TABLE = "hallucinated table"
    HALLUCINATED_COLUMN = "hallucinated column"
    WRONG_TABLE = "wrong table"
    WRONG_FILTER = "wrong filter"
    RESULT_MISMATCH = "result mismatch"
    ERROR = "error"
    ANSWERED = "answered instead of refusing"
    REFERENCE_FAILED = "reference failed"

    @property
    def right(self) -> bool:
        return self in (Reason.CORRECT, Reason.REFUSED_OK)


def parse(sql: str, dialect: str = "postgres") -> exp.Expr | None:
    """The single statement of ``sql``, or None when it is not one parseable statement."""
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except SqlglotError:
        return None
    return statements[0] if len(statements) == 1 else None


def read_tables(statement: exp.Expr) -> set[str]:
    """Names the statement reads (``schema.table`` or bare ``table``), CTEs excluded."""
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    names: set[str] = set()
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # table function
        name, schema = table.name.lower(), table.db.lower()
        if not schema and name in ctes:
            continue
        names.add(f"{schema}.{name}" if schema else name)
    return names


def canonical_tables(names: set[str], catalog: Catalog | None, equivalent: Mapping[str, str]) -> set[str]:
    """Qualify bare names through the catalog and map views to the table they expose."""
    out = set()
    for name in names:
        qualified = name
        if "." not in name and catalog is not None:
            found = catalog.by_name(name)
            qualified = found[0].qualified if len(found) == 1 else name
        out.add(equivalent.get(qualified, qualified))
    return out


def filters(statement: exp.Expr, dialect: str = "postgres") -> Counter[str]:
    """WHERE and HAVING conjuncts of every SELECT in the statement, qualifiers dropped."""
    found: Counter[str] = Counter()
    for select in statement.find_all(exp.Select):
        for clause in ("where", "having"):
            node = select.args.get(clause)
            if node is None:
                continue
            for conjunct in node.this.flatten() if isinstance(node.this, exp.And) else [node.this]:
                copy = conjunct.copy()
                for column in copy.find_all(exp.Column):
                    column.set("table", None)
                found[copy.sql(dialect=dialect, normalize=True)] += 1
    return found


def invalid_reason(sql: str, catalog: Catalog, dialect: str = "postgres") -> tuple[Reason, str]:
    """Why SQL that failed validation failed: an invented table or column, or no usable query."""
    statement = parse(sql, dialect)
    if statement is None or not isinstance(statement, exp.Query):
        return Reason.REFUSED, "no read-only query came back"
    unknown = sorted(
        name
        for name in read_tables(statement)
        if (catalog.get(name) if "." in name else (catalog.by_name(name) or None)) is None
    )
    if unknown:
        return Reason.HALLUCINATED_TABLE, ", ".join(unknown)
    try:
        qualify(
            statement.copy(),
            schema=MappingSchema(dict(catalog.mapping_schema()), dialect=dialect),
            dialect=dialect,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        return Reason.HALLUCINATED_COLUMN, str(exc).splitlines()[0]
    except SqlglotError:
        pass
    return Reason.REFUSED, "the query was refused by the read-only guard"


def mismatch_reason(
    reference: str,
    generated: str,
    catalog: Catalog | None,
    equivalent: Mapping[str, str],
    dialect: str = "postgres",
) -> tuple[Reason, str]:
    """Name the difference between two valid queries whose results differ."""
    ref, gen = parse(reference, dialect), parse(generated, dialect)
    if ref is None or gen is None:
        return Reason.RESULT_MISMATCH, ""
    ref_tables = canonical_tables(read_tables(ref), catalog, equivalent)
    gen_tables = canonical_tables(read_tables(gen), catalog, equivalent)
    if ref_tables != gen_tables:
        return Reason.WRONG_TABLE, (
            f"read {', '.join(sorted(gen_tables)) or '-'}; expected {', '.join(sorted(ref_tables))}"
        )
    ref_filters, gen_filters = filters(ref, dialect), filters(gen, dialect)
    if ref_filters != gen_filters:
        missing = sorted((ref_filters - gen_filters).elements())
        extra = sorted((gen_filters - ref_filters).elements())
        parts = [
            f"missing {'; '.join(missing)}" if missing else "",
            f"extra {'; '.join(extra)}" if extra else "",
        ]
        return Reason.WRONG_FILTER, ", ".join(p for p in parts if p)
    return Reason.RESULT_MISMATCH, "same tables and filters, different columns, grouping or rows"


def has_top_level_order(sql: str, dialect: str = "postgres") -> bool:
    """True when the outermost query sorts its rows (then row order is part of the answer)."""
    statement = parse(sql, dialect)
    return isinstance(statement, exp.Query) and statement.args.get("order") is not None


def results_match(gold: QueryResult, predicted: QueryResult, *, ordered: bool = False) -> bool:
    """Same number of columns and the same rows (as a multiset unless ``ordered``); column
    names do not matter (a model may alias differently)."""
    gold_cols, gold_rows = gold
    pred_cols, pred_rows = predicted
    if len(gold_cols) != len(pred_cols):
        return False
    left = [_normalise_row(r) for r in gold_rows]
    right = [_normalise_row(r) for r in pred_rows]
    if ordered:
        return left == right
    return Counter(left) == Counter(right)


def _normalise_row(row: Sequence[Any]) -> tuple[Hashable, ...]:
    return tuple(_normalise_value(v) for v in row)


def _normalise_value(value: Any) -> Hashable:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(decimal.Decimal(str(value)), NUMERIC_PLACES).normalize()
    if isinstance(value, (datetime.date, datetime.datetime, str, bytes)):
        return value
    return str(value)
