"""Validate model-written SQL against the catalog before anyone runs it.

Models invent columns and tables. Catching that statically gives the repair loop a precise
error to send back ("unknown column silver.invoices.total_vat") instead of a database
error after a round-trip, and refuses anything that is not a single read-only query. The
guarded executor still enforces read-only at run time; this check is about correctness
and a clear message, not the last line of defence.
"""

from __future__ import annotations

import dataclasses
import difflib

import sqlglot
from sqlglot import exp
from sqlglot.errors import OptimizeError, ParseError, SqlglotError
from sqlglot.optimizer.qualify import qualify
from sqlglot.schema import MappingSchema

from ipwb.errors import IpwbError
from ipwb.llm.catalog import Catalog

#: node types that write, change the schema, or lock rows
_FORBIDDEN_NODES: tuple[type[exp.Expression], ...] = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.TruncateTable,
    exp.Into,
    exp.Lock,
)
#: functions with side effects or server access (exact names, lower-case)
_FORBIDDEN_FUNCTIONS = frozenset(
    {
        "pg_sleep",
        "pg_terminate_backend",
        "pg_cancel_backend",
        "pg_reload_conf",
        "set_config",
        "pg_read_file",
        "pg_read_binary_file",
        "pg_ls_dir",
        "lo_import",
        "lo_export",
        "dblink",
        "dblink_exec",
        "pg_advisory_lock",
        "nextval",
        "setval",
    }
)


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
    problems = _read_only_problems(statement)
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
    """``schema.table`` names a query reads (CTE names excluded); for recall@k of gold SQL."""
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
    try:
        statements = [s for s in sqlglot.parse(sql, read=dialect) if s is not None]
    except ParseError as exc:
        errors = exc.errors[:1]
        detail = errors[0]["description"] if errors else str(exc).splitlines()[0]
        raise InvalidSql([f"syntax error: {detail}"]) from None
    if len(statements) != 1:
        raise InvalidSql([f"expected exactly one SQL statement, got {len(statements)}"])
    return statements[0]


def _read_only_problems(statement: exp.Expr) -> list[str]:
    if not isinstance(statement, exp.Query):
        return [f"only a read-only SELECT query is allowed, got {statement.key.upper()}"]
    problems = []
    node = statement.find(*_FORBIDDEN_NODES)
    if node is not None:
        problems.append(f"only a read-only SELECT query is allowed; found {node.key.upper()}")
    for func in statement.find_all(exp.Anonymous, exp.Func):
        name = (func.name if isinstance(func, exp.Anonymous) else func.sql_name()).lower()
        if name in _FORBIDDEN_FUNCTIONS:
            problems.append(f"function {name}() is not allowed in a read-only query")
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
