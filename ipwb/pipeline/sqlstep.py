"""Run a pipeline SQL step in the warehouse.

Unlike the SQL editor (one read-only statement per request, :mod:`ipwb.warehouse.execute`),
a pipeline step is a *script* run by the warehouse **writer** role (the owner of the
bronze/silver/gold/platinum schemas) in one transaction: every statement commits together
or not at all, under a transaction-local ``statement_timeout``. Run parameters (backfill
``start_date``/``end_date`` …) are bound by psycopg2 as ``%(name)s`` placeholders, never
pasted into the text.

Before anything is sent, the script is checked against the step's declared ``targets``
(:func:`ipwb.sql.write_scope.check_write_scope`): a write outside them, or a statement a
pipeline may not run (schemas, roles, grants, functions …), refuses the whole step with
:class:`~ipwb.sql.write_scope.WriteScopeRefused` and nothing runs.

The table lineage of the script (``INSERT … SELECT``, ``CREATE TABLE … AS`` …) is extracted
with :func:`ipwb.sql.lineage.extract_lineage`; a script sqlglot cannot follow still runs,
the reason is returned in :attr:`SqlStepResult.lineage_issues`.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field

import psycopg2
import psycopg2.errors

from ipwb.errors import IpwbError, ParameterError, QueryTimeout, WarehouseError
from ipwb.sql.lineage import DEFAULT_QUERY_TARGET, LineageResult, TableEdge, extract_lineage
from ipwb.sql.split import split_statements
from ipwb.sql.write_scope import ensure_write_scope
from ipwb.warehouse.connection import WarehouseConfig, connect

_PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@dataclass(frozen=True)
class SqlStepResult:
    rows_affected: int
    statements: int
    duration_s: float
    lineage: tuple[TableEdge, ...] = ()
    lineage_issues: tuple[str, ...] = ()
    log: tuple[str, ...] = field(default_factory=tuple)
    #: the full engine result (table and column edges) for the catalog's lineage store
    lineage_result: LineageResult | None = None


def placeholders(sql: str) -> list[str]:
    """Parameter names the script uses, in order of first use.

    >>> placeholders("select %(start_date)s, %(end_date)s, %(start_date)s")
    ['start_date', 'end_date']
    """
    return list(dict.fromkeys(_PLACEHOLDER.findall(sql)))


def script_lineage(sql: str) -> tuple[LineageResult | None, tuple[str, ...]]:
    """Lineage of a step script (placeholders read as NULL, bare SELECTs dropped); never raises.

    >>> result, _ = script_lineage("insert into gold.t select * from silver.s where d >= %(start)s")
    >>> result.tables
    (TableEdge(source='silver.s', target='gold.t'),)
    """
    try:
        result = extract_lineage(_PLACEHOLDER.sub("NULL", sql))
    except IpwbError as exc:
        return None, (str(exc),)
    kept = LineageResult(
        tables=tuple(e for e in result.tables if e.target != DEFAULT_QUERY_TARGET),
        columns=tuple(e for e in result.columns if e.target_table != DEFAULT_QUERY_TARGET),
        issues=result.issues,
    )
    return kept, tuple(issue.message for issue in result.issues if issue.kind != "no_data_flow")


def _statements(sql: str) -> list[str]:
    try:
        texts = [statement.text for statement in split_statements(sql)]
    except IpwbError:
        texts = [sql]  # let the server report the syntax error with its own position
    return texts or [sql]


def run_sql_step(
    config: WarehouseConfig,
    sql: str,
    params: Mapping[str, object] | None = None,
    *,
    targets: Collection[str],
    timeout_s: float = 3600,
    on_backend_pid: Callable[[int], None] | None = None,
) -> SqlStepResult:
    """Execute ``sql`` in one transaction; return rows affected, timing and lineage.

    ``targets`` are the tables (``schema.table``) the step declares it writes; the script is
    refused with :class:`~ipwb.sql.write_scope.WriteScopeRefused` before connecting if it
    writes anything else or runs a statement a pipeline step may not run.
    Raises :class:`ParameterError` for a placeholder without a value,
    :class:`QueryTimeout` past ``timeout_s`` and :class:`WarehouseError` for any other
    server error (the transaction is rolled back: nothing of the step remains).
    """
    ensure_write_scope(sql, targets)
    wanted = placeholders(sql)
    values = dict(params or {})
    missing = [name for name in wanted if name not in values]
    if missing:
        raise ParameterError(f"no value for parameter(s) {', '.join(missing)} of the SQL step")
    bound = {name: values[name] for name in wanted}
    started = time.perf_counter()
    rows = 0
    log: list[str] = []
    texts = _statements(sql)
    conn = connect(config)
    try:
        with conn.cursor() as cursor:
            timeout = f"{int(timeout_s * 1000)}ms"
            cursor.execute("SELECT set_config('statement_timeout', %s, true)", (timeout,))
            cursor.execute("SELECT pg_backend_pid()")
            row = cursor.fetchone()
            if on_backend_pid is not None and row is not None:
                on_backend_pid(int(row[0]))
            for index, text in enumerate(texts, 1):
                try:
                    if _PLACEHOLDER.search(text):
                        cursor.execute(text, bound)
                    else:
                        cursor.execute(text)
                except psycopg2.errors.QueryCanceled:
                    raise QueryTimeout(
                        f"statement {index} of {len(texts)} ran past the step timeout of {timeout_s:g} s"
                    ) from None
                except psycopg2.Error as exc:
                    detail = (exc.pgerror or str(exc)).strip().splitlines()[0]
                    raise WarehouseError(f"statement {index} of {len(texts)} failed: {detail}") from None
                if cursor.description is None and cursor.rowcount > 0:
                    rows += cursor.rowcount
                log.append(f"statement {index}: {cursor.statusmessage}")
        conn.commit()
    finally:
        conn.close()
    lineage, issues = script_lineage(sql)
    edges = lineage.tables if lineage is not None else ()
    return SqlStepResult(rows, len(texts), time.perf_counter() - started, edges, issues, tuple(log), lineage)
