"""Streaming export of a full query result to CSV or XLSX.

The browser never renders an export: rows go straight into a writer on a file-like object
(an Odoo attachment stream, a file, an HTTP response). CSV is written by PostgreSQL itself
(``COPY (query) TO STDOUT``, streamed by libpq a row at a time: about psql's ``\\copy``
speed); XLSX rows come from a server-side cursor in batches into xlsxwriter's
``constant_memory`` mode, which flushes each row to a temporary file as the next begins.
Memory stays bounded by a row (CSV) or a batch (XLSX), whatever the result's size.

Exports run under the same guard as :func:`ipwb.warehouse.execute.execute`, always
read-only, and only for queries (neither a server cursor nor COPY can hold EXPLAIN or SHOW),
as the role of the connection given (the user's SQL role in the editor). A cap
(default 1,000,000 rows) bounds the file; ``truncated`` says when rows were left out.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import io
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import IO, Any, Protocol

import psycopg2
import xlsxwriter
from psycopg2 import sql as psql
from psycopg2.extensions import encodings as _PY_ENCODINGS

from ipwb.errors import ConfigurationError, QueryRefused
from ipwb.sql.classify import StatementKind
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.execute import prepare
from ipwb.warehouse.guard import (
    ColumnInfo,
    GuardedSession,
    describe_columns,
    guarded_session,
    translate_error,
)
from ipwb.warehouse.pool import ConnectionPool

DEFAULT_EXPORT_MAX_ROWS = 1_000_000
#: an XLSX sheet holds 1,048,576 rows, one of them the header
XLSX_MAX_ROWS = 1_048_575
#: seconds per server round trip (each FETCH of a batch) of an export
DEFAULT_EXPORT_TIMEOUT_S = 300.0
DEFAULT_BATCH_ROWS = 5000
#: Excel stores integers as doubles: beyond this they lose digits, so they go as text
_EXACT_INT_LIMIT = 2**53
_XLSX_MAX_STRING = 32767


@dataclasses.dataclass(frozen=True)
class ExportResult:
    format: str
    columns: tuple[ColumnInfo, ...]
    rows: int
    truncated: bool
    duration_ms: float
    backend_pid: int


class _Sink(Protocol):
    def header(self, columns: Sequence[ColumnInfo]) -> None: ...
    def rows(self, rows: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


def _exportable(
    sql: str, params: Mapping[str, object] | None, *, strict: bool, max_rows: int, batch_rows: int
) -> tuple[str, Any]:
    """``(bound SQL, values)`` of an export; bad bounds and anything but a query are refused."""
    if max_rows <= 0 or batch_rows <= 0:
        raise ConfigurationError(f"max_rows and batch_rows must be positive, not {max_rows!r}/{batch_rows!r}")
    classification, bound_sql, values = prepare(sql, params, strict=strict)
    if classification.kind != StatementKind.QUERY:
        what = classification.kind.value
        raise QueryRefused(f"Only queries (SELECT, VALUES, WITH … SELECT) can be exported; this is {what}")
    return bound_sql, values


def _read_only_session(
    config: WarehouseConfig,
    timeout_s: float,
    on_backend_pid: Callable[[int], None] | None,
    pool: ConnectionPool | None,
    pool_generation: str,
) -> AbstractContextManager[GuardedSession]:
    """The guarded READ ONLY session an export runs in (kept in ``pool`` when given)."""
    return guarded_session(
        config,
        read_only=True,
        timeout_s=timeout_s,
        on_backend_pid=on_backend_pid,
        pool=pool,
        pool_generation=pool_generation,
    )


def export_csv(
    config: WarehouseConfig,
    sql: str,
    out: IO[str],
    params: Mapping[str, object] | None = None,
    *,
    max_rows: int = DEFAULT_EXPORT_MAX_ROWS,
    timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    strict: bool = False,
    header: bool = True,
    on_backend_pid: Callable[[int], None] | None = None,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
) -> ExportResult:
    """Write the result as CSV (RFC 4180 quoting, header row) to the text stream ``out``.

    Open ``out`` with ``newline=""`` when it is a file. PostgreSQL writes the CSV itself
    (``COPY (query) TO STDOUT``, the guarded read-only transaction, the query classified
    first and wrapped as a subquery with the row cap): values as PostgreSQL shows them as
    text (no spreadsheet-formula neutralisation: the file is data), ``timeout_s`` bounds the
    whole export (one statement), ``batch_rows`` is not used (libpq streams row by row).
    With ``pool`` the session is taken from and given back to it (:mod:`ipwb.warehouse.pool`).
    """
    bound_sql, values = _exportable(sql, params, strict=strict, max_rows=max_rows, batch_rows=batch_rows)
    with _read_only_session(config, timeout_s, on_backend_pid, pool, pool_generation) as session:
        started = time.perf_counter()
        try:
            columns, written, truncated = _copy_csv(
                session.connection, bound_sql, values, out, max_rows=max_rows, header=header
            )
        except psycopg2.Error as exc:
            raise translate_error(exc, session) from None
        duration_ms = (time.perf_counter() - started) * 1000.0
    return ExportResult("csv", columns, written, truncated, duration_ms, session.backend_pid)


class _CappedRecords(io.TextIOBase):
    """The text stream ``COPY … TO STDOUT`` writes into: psycopg2 writes one record per call
    (libpq hands COPY data over a row at a time), so records are counted without parsing
    CSV; those past ``limit`` are dropped and mark the export truncated."""

    def __init__(self, out: IO[str], limit: int) -> None:
        super().__init__()
        self._out = out
        self._limit = limit
        self.records = 0
        self.truncated = False

    def write(self, data: str) -> int:
        if self.records >= self._limit:
            self.truncated = True
            return len(data)
        self.records += 1
        return self._out.write(data)


def _copy_csv(
    conn: Any, bound_sql: str, values: Mapping[str, object], out: IO[str], *, max_rows: int, header: bool
) -> tuple[tuple[ColumnInfo, ...], int, bool]:
    """The query's rows as CSV by the server itself (``COPY (…) TO STDOUT``), at most
    ``max_rows`` (one more is asked for, to know whether the cap cut the result)."""
    with conn.cursor() as cur:
        query = cur.mogrify(bound_sql, dict(values)).decode(_PY_ENCODINGS.get(conn.encoding, "utf-8"))
        # one statement (classified): a trailing ";" would end the subquery early
        query = query.rstrip().rstrip(";")
        wrapped = psql.SQL("SELECT * FROM ({}\n) AS ipwb_export").format(psql.SQL(query))
        cur.execute(psql.SQL("{} LIMIT 0").format(wrapped))
        columns = describe_columns(conn, cur.description)
        sink = _CappedRecords(out, max_rows + (1 if header else 0))
        copy = psql.SQL("COPY ({} LIMIT {}) TO STDOUT WITH (FORMAT csv{})").format(
            wrapped, psql.Literal(max_rows + 1), psql.SQL(", HEADER") if header else psql.SQL("")
        )
        cur.copy_expert(copy, sink)
    return tuple(columns), sink.records - (1 if header else 0), sink.truncated


def export_xlsx(
    config: WarehouseConfig,
    sql: str,
    out: IO[bytes],
    params: Mapping[str, object] | None = None,
    *,
    max_rows: int = DEFAULT_EXPORT_MAX_ROWS,
    timeout_s: float = DEFAULT_EXPORT_TIMEOUT_S,
    batch_rows: int = DEFAULT_BATCH_ROWS,
    strict: bool = False,
    sheet_name: str = "Result",
    on_backend_pid: Callable[[int], None] | None = None,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
) -> ExportResult:
    """Write the result as one XLSX sheet to the binary stream ``out``.

    Strings are never turned into formulas or links; numbers, dates and booleans keep
    their type; integers too large for Excel and other values are written as text.
    """
    if max_rows > XLSX_MAX_ROWS:
        raise ConfigurationError(f"An XLSX sheet holds at most {XLSX_MAX_ROWS} rows, not {max_rows}")
    sink = _XlsxSink(out, sheet_name)
    return _export(
        "xlsx",
        sink,
        config,
        sql=sql,
        params=params,
        max_rows=max_rows,
        timeout_s=timeout_s,
        batch_rows=batch_rows,
        strict=strict,
        on_backend_pid=on_backend_pid,
        pool=pool,
        pool_generation=pool_generation,
    )


def _export(
    kind: str,
    sink: _Sink,
    config: WarehouseConfig,
    *,
    sql: str,
    params: Mapping[str, object] | None,
    max_rows: int,
    timeout_s: float,
    batch_rows: int,
    strict: bool,
    on_backend_pid: Callable[[int], None] | None,
    pool: ConnectionPool | None,
    pool_generation: str,
) -> ExportResult:
    bound_sql, values = _exportable(sql, params, strict=strict, max_rows=max_rows, batch_rows=batch_rows)
    written, truncated = 0, False
    with _read_only_session(config, timeout_s, on_backend_pid, pool, pool_generation) as session:
        started = time.perf_counter()
        try:
            with session.connection.cursor(name=f"ipwb_export_{uuid.uuid4().hex[:12]}") as cur:
                cur.execute(bound_sql, values)
                batch = cur.fetchmany(min(batch_rows, max_rows))
                columns = describe_columns(session.connection, cur.description)
                sink.header(columns)
                while batch:
                    sink.rows(batch)
                    written += len(batch)
                    if written >= max_rows:
                        truncated = bool(cur.fetchmany(1))
                        break
                    batch = cur.fetchmany(min(batch_rows, max_rows - written))
        except psycopg2.Error as exc:
            raise translate_error(exc, session) from None
        finally:
            sink.close()
        duration_ms = (time.perf_counter() - started) * 1000.0
    return ExportResult(kind, columns, written, truncated, duration_ms, session.backend_pid)


class _XlsxSink:
    def __init__(self, out: IO[bytes], sheet_name: str) -> None:
        self._book = xlsxwriter.Workbook(
            out,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
                "remove_timezone": True,
                "nan_inf_to_errors": True,
            },
        )
        self._sheet = self._book.add_worksheet(sheet_name[:31])
        self._bold = self._book.add_format({"bold": True})
        self._formats = {
            datetime.datetime: self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
            datetime.date: self._book.add_format({"num_format": "yyyy-mm-dd"}),
            datetime.time: self._book.add_format({"num_format": "hh:mm:ss"}),
        }
        self._row = 0
        self._closed = False

    def header(self, columns: Sequence[ColumnInfo]) -> None:
        self._sheet.write_row(0, 0, [column.name for column in columns], self._bold)
        self._row = 1

    def rows(self, rows: Sequence[Sequence[Any]]) -> None:
        for row in rows:
            for col, value in enumerate(row):
                self._cell(self._row, col, value)
            self._row += 1

    def _cell(self, row: int, col: int, value: Any) -> None:
        sheet = self._sheet
        if value is None:
            return
        if isinstance(value, bool):
            sheet.write_boolean(row, col, value)
        elif isinstance(value, int) and abs(value) < _EXACT_INT_LIMIT:
            sheet.write_number(row, col, value)
        elif isinstance(value, (float, decimal.Decimal)) and _exact_enough(float(value)):
            sheet.write_number(row, col, float(value))
        elif isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
            sheet.write_datetime(row, col, value, self._formats.get(type(value)))
        else:
            sheet.write_string(row, col, _text(value)[:_XLSX_MAX_STRING])

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._book.close()


def _exact_enough(number: float) -> bool:
    """Finite and small enough for Excel's doubles to keep its integer part."""
    return math.isfinite(number) and abs(number) < _EXACT_INT_LIMIT


def _text(value: Any) -> Any:
    """CSV/XLSX text for values ``str()`` renders badly; others pass through."""
    if isinstance(value, memoryview | bytes):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        return ""
    return value if isinstance(value, str) else str(value)
