"""Validate model-written SQL against the catalog before anyone runs it.

Models invent columns and tables. Catching that statically gives the repair loop a precise
error to send back ("unknown column silver.invoices.total_vat") instead of a database
error after a round-trip, and refuses anything that is not a single read-only query. The
guarded executor still enforces read-only at run time; this check is about correctness
and a clear message, not the last line of defence.

It has no rules of its own about what is read-only: the SQL guard
(:func:`ipwb.sql.classify.classify`, with its deny list :mod:`ipwb.sql.functions`) decides,
and the query is parsed in the guard's canonical form (:mod:`ipwb.sql.canonical`), so
names are the ones PostgreSQL will resolve (``U&"\\0073et_config"`` is ``set_config``).
"""

from __future__ import annotations

import dataclasses
import difflib

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ipwb.errors import IpwbError, SqlSyntaxError
from ipwb.llm.catalog import Catalog
from ipwb.sql.canonical import canonicalize
from ipwb.sql.classify import classify
from ipwb.sql.reasons import StatementKind

#: the guard lets these through (the statement timeout bounds them), a generated query
#: has no reason to call them: they only wait
_WAITS = frozenset({"pg_sleep", "pg_sleep_for", "pg_sleep_until"})


class InvalidSql(IpwbError):
    """Generated SQL does not parse, is not a single read-only query, or names unknown objects."""

    exit_code = 3

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = list(problems)


@dataclasses.dataclass(frozen=True)
class CheckedSql:
    sql: str
    #: qualified catalog tables the query reads
    tables: tuple[str, ...]


def check_sql(sql: str, catalog: Catalog, dialect: str = "postgres") -> CheckedSql:
    """Return the query and the tables it reads, or raise :class:`InvalidSql`."""
    statement = _single_statement(sql, dialect)
    problems = _read_only_problems(sql)
    if problems:
        raise InvalidSql(problems)
    tables, problems = _resolve_tables(statement, catalog)
    if problems:
        raise InvalidSql(problems)
    mapping: dict[str, object] = dict(catalog.mapping_schema())
    schema = MappingSchema(mapping, dialect=dialect)
    try:
        qualify(
            statement.copy(),
            schema=schema,
            dialect=dialect,
            validate_qualify_columns=True,
            quote_identifiers=False,
        )
    except OptimizeError as exc:
        raise InvalidSql([_column_problem(str(exc), tables, catalog)]) from None
    except SqlglotError as exc:
        raise InvalidSql([f"cannot resolve the query: {exc}"]) from None
    return CheckedSql(sql.strip().rstrip(";").strip(), tuple(sorted(tables)))


def referenced_tables(sql: str, dialect: str = "postgres") -> set[str]:
    """``schema.table`` names a query reads (CTE names excluded, names as PostgreSQL reads
    them); for recall@k of gold SQL."""
    statement = _single_statement(sql, dialect)
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    names: set[str] = set()
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue
        if not table.db and table.name.lower() in ctes:
            continue
        names.add(f"{table.db}.{table.name}".lower() if table.db else table.name.lower())
    return names


def _single_statement(sql: str, dialect: str) -> exp.Expr:
    """The one statement of ``sql``, parsed in the guard's canonical form."""
    try:
        text = canonicalize(sql).text
    except SqlSyntaxError as exc:
        raise InvalidSql([f"syntax error: {exc}"]) from None
    try:
        statements = [s for s in sqlglot.parse(text, read=dialect) if s is not None]
    except ParseError as exc:
        errors = exc.errors[:1]
        detail = errors[0]["description"] if errors else str(exc).splitlines()[0]
        raise InvalidSql([f"syntax error: {detail}"]) from None
    if len(statements) != 1:
        raise InvalidSql([f"expected exactly one SQL statement, got {len(statements)}"])
    return statements[0]


def _read_only_problems(sql: str) -> list[str]:
    """What the SQL guard refuses in ``sql`` (read-only mode), plus calls that only wait."""
    classification = classify(sql)
    problems = [
        f"only a read-only SELECT query is allowed: {reason.message} [{reason.code.value}]"
        for reason in classification.reasons
    ]
    if classification.kind != StatementKind.QUERY and not problems:
        problems.append(f"only a read-only SELECT query is allowed, got {classification.kind.value.upper()}")
    called = {name for statement in classification.statements for name in statement.functions}
    problems += [f"function {name}() is not allowed in a generated query" for name in sorted(called & _WAITS)]
    return problems


def _resolve_tables(statement: exp.Expr, catalog: Catalog) -> tuple[set[str], list[str]]:
    """Check every table exists; qualify unqualified ones in place (like a search_path)."""
    ctes = {cte.alias_or_name.lower() for cte in statement.find_all(exp.CTE)}
    found: set[str] = set()
    problems: list[str] = []
    for table in statement.find_all(exp.Table):
        if not isinstance(table.this, exp.Identifier):
            continue  # table-valued function (generate_series, unnest)
        name, schema = table.name.lower(), table.db.lower()
        if not schema and name in ctes:
            continue
        if schema:
            match = catalog.get(f"{schema}.{name}")
            if match is None:
                problems.append(f"unknown table {schema}.{name}{_suggest(name, catalog)}")
                continue
        else:
            candidates = catalog.by_name(name)
            if len(candidates) != 1:
                problems.append(
                    f"unknown table {name}{_suggest(name, catalog)}"
                    if not candidates
                    else f"table {name} is ambiguous: qualify it as one of "
                    + ", ".join(c.qualified for c in candidates)
                )
                continue
            match = candidates[0]
            table.set("db", exp.to_identifier(match.schema))
        found.add(match.qualified)
    return found, problems


def _suggest(name: str, catalog: Catalog) -> str:
    names = sorted({t.name for t in catalog.tables})
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    return f" (did you mean {', '.join(close)}?)" if close else ""


def _column_problem(message: str, tables: set[str], catalog: Catalog) -> str:
    """Turn sqlglot's message into one that lists the columns the model may use."""
    first = message.splitlines()[0]
    available = []
    for name in sorted(tables):
        table = catalog.get(name)
        if table is not None:
            available.append(f"{name}({', '.join(c.name for c in table.columns)})")
    return f"{first}. Available columns: {'; '.join(available)}" if available else first
