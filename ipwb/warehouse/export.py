"""Streaming export of a full query result to CSV or XLSX.

The browser never renders an export: rows go from a server-side cursor, in batches,
straight into a writer on a file-like object (an Odoo attachment stream, a file, an HTTP
response). Memory stays bounded by one batch — XLSX uses xlsxwriter's
``constant_memory`` mode, which flushes each row to a temporary file as the next begins.

Exports run under the same guard as :func:`ipwb.warehouse.execute.execute`, always
read-only, and only for queries (a server cursor cannot hold EXPLAIN or SHOW). A cap
(default 1,000,000 rows) bounds the file; ``truncated`` says when rows were left out.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import decimal
import json
import math
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, Protocol

import psycopg2
import xlsxwriter

from ipwb.errors import ConfigurationError, QueryRefused
from ipwb.sql.classify import StatementKind
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.execute import prepare
from ipwb.warehouse.guard import ColumnInfo, describe_columns, guarded_session, translate_error

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


#: types a CSV export takes as PostgreSQL's own text (no Python object per value): numeric,
#: date, time, timestamp, timestamptz, interval, timetz — parsing them into Decimal or datetime
#: only to print them again was most of an export's time
_RAW_TEXT_OIDS = (1700, 1082, 1083, 1114, 1184, 1186, 1266)
_RAW_TEXT = psycopg2.extensions.new_type(_RAW_TEXT_OIDS, "IPWB_RAW_TEXT", lambda value, _cur: value)
#: types whose values the csv module writes as they come (str, int, float, bool, None):
#: text, varchar, char, name, int2/4/8, oid, float4/8, bool, uuid, and the raw-text ones
_PLAIN_OIDS = frozenset({25, 1043, 1042, 19, 21, 23, 20, 26, 700, 701, 16, 2950, *_RAW_TEXT_OIDS})


class _Sink(Protocol):
    raw_text: bool
    plain: bool

    def header(self, columns: Sequence[ColumnInfo]) -> None: ...
    def rows(self, rows: Sequence[Sequence[Any]]) -> None: ...
    def close(self) -> None: ...


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
) -> ExportResult:
    """Write the result as CSV (RFC 4180 quoting, header row) to the text stream ``out``.

    Open ``out`` with ``newline=""`` when it is a file. Values are written as PostgreSQL
    shows them as text (no spreadsheet-formula neutralisation: the file is data); numbers,
    dates and times come straight from the server's text, never through Python objects.
    """
    return _export(
        "csv",
        _CsvSink(out, header),
        config,
        sql=sql,
        params=params,
        max_rows=max_rows,
        timeout_s=timeout_s,
        batch_rows=batch_rows,
        strict=strict,
        on_backend_pid=on_backend_pid,
    )


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
) -> ExportResult:
    if max_rows <= 0 or batch_rows <= 0:
        raise ConfigurationError(f"max_rows and batch_rows must be positive, not {max_rows!r}/{batch_rows!r}")
    classification, bound_sql, values = prepare(sql, params, strict=strict)
    if classification.kind != StatementKind.QUERY:
        what = classification.kind.value
        raise QueryRefused(f"Only queries (SELECT, VALUES, WITH … SELECT) can be exported; this is {what}")
    written, truncated = 0, False
    with guarded_session(
        config, read_only=True, timeout_s=timeout_s, on_backend_pid=on_backend_pid
    ) as session:
        started = time.perf_counter()
        try:
            with session.connection.cursor(name=f"ipwb_export_{uuid.uuid4().hex[:12]}") as cur:
                if sink.raw_text:
                    psycopg2.extensions.register_type(_RAW_TEXT, cur)
                cur.execute(bound_sql, values)
                batch = cur.fetchmany(min(batch_rows, max_rows))
                columns = describe_columns(session.connection, cur.description)
                sink.header(columns)
                sink.plain = all(d.type_code in _PLAIN_OIDS for d in cur.description or ())
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


class _CsvSink:
    raw_text = True

    def __init__(self, out: IO[str], header: bool) -> None:
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._header = header
        #: every column of a type the csv module writes as it comes (see _PLAIN_OIDS)
        self.plain = False

    def header(self, columns: Sequence[ColumnInfo]) -> None:
        if self._header:
            self._writer.writerow([column.name for column in columns])

    def rows(self, rows: Sequence[Sequence[Any]]) -> None:
        if self.plain:
            self._writer.writerows(rows)  # None is written as the empty field, as _text does
        else:
            self._writer.writerows([[_text(value) for value in row] for row in rows])

    def close(self) -> None:
        return None


class _XlsxSink:
    #: XLSX keeps numbers, dates and booleans typed: values come as Python objects
    raw_text = False
    plain = False

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
