"""Guarded execution of one user statement (the SQL editor's "Run").

:func:`execute` classifies first — a refusal raises
:class:`~ipwb.sql.classify.StatementRefused` and nothing reaches the server — then runs
the statement in a guarded transaction (:mod:`ipwb.warehouse.guard`): its own
connection, ``READ ONLY`` unless writes are explicitly allowed, a transaction-local
``statement_timeout``, the backend pid reported for cancellation.

Queries are read through a server-side cursor: ``MOVE`` skips ``offset`` rows and one
``FETCH`` of ``max_rows + 1`` tells whether the page is truncated, so a huge result
never crosses the network for a 1,000-row grid.

Writes (``allow_write=True``) are the caller's decision: the Odoo side lets only a Data
Engineer run them, after a second person approved the exact statement. They still run
one statement in its own transaction under the timeout, and forbidden constructs
(file/program access, dblink, role changes, transaction control …) stay refused.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import psycopg2

from ipwb.errors import ConfigurationError
from ipwb.sql import statement_cache
from ipwb.sql.classify import Classification, StatementKind
from ipwb.sql.params import bind_converted
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.guard import (
    DEFAULT_TIMEOUT_S,
    ColumnInfo,
    GuardedSession,
    cancel,
    describe_columns,
    guarded_session,
    translate_error,
)
from ipwb.warehouse.pool import ConnectionPool

#: rows shown in the editor's grid unless the caller asks for another page size
DEFAULT_MAX_ROWS = 1000
#: hard ceiling for one page, whatever the caller asks
MAX_PAGE_ROWS = 100_000


@dataclasses.dataclass(frozen=True)
class QueryResult:
    """One page of a result, and what the server said about the statement.

    ``rowcount`` is the number of rows in ``rows`` for a query, the number of rows
    affected for a write. ``truncated`` means more rows exist after this page.
    """

    columns: tuple[ColumnInfo, ...]
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    offset: int
    max_rows: int
    rowcount: int
    status: str
    duration_ms: float
    backend_pid: int
    classification: Classification

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def next_offset(self) -> int | None:
        """``offset`` of the next page, or ``None`` on the last page."""
        return self.offset + len(self.rows) if self.truncated else None


def prepare(
    sql: str, params: Mapping[str, object] | None = None, *, allow_write: bool = False, strict: bool = False
) -> tuple[Classification, str, dict[str, object]]:
    """Classify ``sql`` (placeholders neutralised) and bind its parameters; raise
    :class:`~ipwb.sql.classify.StatementRefused` or :class:`~ipwb.errors.ParameterError`.
    Pure: the Odoo side can call it to explain a refusal without a connection."""
    converted = statement_cache.converted(sql)
    classification = statement_cache.classified(converted.checkable, strict=strict)
    classification.check(allow_write=allow_write)
    bound_sql, values = bind_converted(converted, params)
    return classification, bound_sql, values


def execute(
    config: WarehouseConfig,
    sql: str,
    params: Mapping[str, object] | None = None,
    *,
    allow_write: bool = False,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = DEFAULT_MAX_ROWS,
    offset: int = 0,
    strict: bool = False,
    on_backend_pid: Callable[[int], None] | None = None,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
    on_session_end: Callable[[], None] | None = None,
) -> QueryResult:
    """Run one statement under guard and return one page of its result.

    ``on_backend_pid`` is called with the server process id before the statement
    starts (store it to offer a Cancel button calling :func:`cancel`). With ``pool`` the
    connection is taken from and given back to it (see :mod:`ipwb.warehouse.pool`);
    ``on_session_end`` runs before the connection is given back (forget the pid there).
    """
    if not 0 < max_rows <= MAX_PAGE_ROWS:
        raise ConfigurationError(f"max_rows must be between 1 and {MAX_PAGE_ROWS}, not {max_rows!r}")
    if offset < 0:
        raise ConfigurationError(f"offset must not be negative, not {offset!r}")
    classification, bound_sql, values = prepare(sql, params, allow_write=allow_write, strict=strict)
    with guarded_session(
        config,
        read_only=not allow_write,
        timeout_s=timeout_s,
        on_backend_pid=on_backend_pid,
        pool=pool,
        pool_generation=pool_generation,
        on_session_end=on_session_end,
    ) as session:
        started = time.perf_counter()
        try:
            if classification.kind == StatementKind.QUERY and classification.is_read_only:
                page = _query_page(session, bound_sql, values, offset, max_rows)
            else:
                page = _statement_page(session, bound_sql, values, offset, max_rows)
        except psycopg2.Error as exc:
            raise translate_error(
                exc, session, submitted=sql if not values else None, sent=_sent(exc)
            ) from None
        duration_ms = (time.perf_counter() - started) * 1000.0
        columns = describe_columns(session.connection, page.description)
    return QueryResult(
        columns=columns,
        rows=page.rows,
        truncated=page.truncated,
        offset=offset,
        max_rows=max_rows,
        rowcount=page.rowcount,
        status=page.status,
        duration_ms=duration_ms,
        backend_pid=session.backend_pid,
        classification=classification,
    )


@dataclasses.dataclass(frozen=True)
class _Page:
    description: Any
    rows: tuple[tuple[Any, ...], ...]
    truncated: bool
    rowcount: int
    status: str


def _query_page(
    session: GuardedSession, sql: str, values: dict[str, object], offset: int, max_rows: int
) -> _Page:
    with session.connection.cursor(name=f"ipwb_{uuid.uuid4().hex[:12]}") as cur:
        cur.execute(sql, values)
        if offset:
            cur.scroll(offset)
        fetched = cur.fetchmany(max_rows + 1)
        description = cur.description
    rows = tuple(tuple(row) for row in fetched[:max_rows])
    return _Page(description, rows, len(fetched) > max_rows, len(rows), f"SELECT {len(rows)}")


def _statement_page(
    session: GuardedSession, sql: str, values: dict[str, object], offset: int, max_rows: int
) -> _Page:
    with session.connection.cursor() as cur:
        cur.execute(sql, values)
        status = str(cur.statusmessage or "")
        if cur.description is None:
            return _Page(None, (), False, max(cur.rowcount, 0), status)
        all_rows = cur.fetchall()  # EXPLAIN/SHOW/RETURNING: the server already sent them
        description = cur.description
        affected = cur.rowcount
    page = all_rows[offset : offset + max_rows + 1]
    rows = tuple(tuple(row) for row in page[:max_rows])
    is_write = not session.read_only and not status.startswith(("SELECT", "EXPLAIN", "SHOW"))
    return _Page(description, rows, len(page) > max_rows, affected if is_write else len(rows), status)


def _sent(exc: psycopg2.Error) -> str | None:
    query = getattr(getattr(exc, "cursor", None), "query", None)
    if isinstance(query, bytes):
        return query.decode("utf-8", "replace")
    return query if isinstance(query, str) else None


__all__ = ["DEFAULT_MAX_ROWS", "ColumnInfo", "QueryResult", "cancel", "execute", "prepare"]
