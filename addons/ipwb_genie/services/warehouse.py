# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What NL→SQL and SQL tools need from a warehouse: its catalog and a read-only executor.

The catalog comes from the workbench's own metadata (``ipwb.table`` / ``ipwb.column``,
when the catalog addon provides them and they describe this warehouse) and otherwise
from a live introspection of the warehouse, converted to the engine's catalog shape.
Execution always goes through the engine's guarded executor: classification first, then a
READ ONLY transaction under the connection's statement timeout and row cap.
"""

import datetime
import decimal
import json
import logging
import time

from ipwb.llm.catalog import Catalog
from ipwb.warehouse.execute import execute
from ipwb.warehouse.introspect import introspect_warehouse

from .gateway import Catalogs

_logger = logging.getLogger(__name__)

#: rows kept on a conversation message (the grid shows them; the editor re-runs for more)
STORED_ROWS = 200


def snapshot_to_catalog_data(snapshot):
    """Convert an introspection :class:`Snapshot` into ``Catalog.from_data`` input."""
    known = {f"{t.schema}.{t.name}" for t in snapshot.tables()}
    tables = []
    for table in snapshot.tables():
        fks = [
            {
                "columns": list(fk.columns),
                "references": f"{fk.ref_schema}.{fk.ref_table}",
                "ref_columns": list(fk.ref_columns),
            }
            for fk in table.foreign_keys
            if f"{fk.ref_schema}.{fk.ref_table}" in known
        ]
        tables.append(
            {
                "schema": table.schema,
                "name": table.name,
                "description": table.comment or "",
                "columns": [
                    {"name": c.name, "type": c.data_type, "description": c.comment or ""}
                    for c in table.columns
                ],
                "foreign_keys": fks,
            }
        )
    return {"tables": tables}


def _records_catalog_data(env, connection):
    """Catalog data from ``ipwb.table`` records, or None when they are absent or unusable."""
    if "ipwb.table" not in env:
        return None
    Table = env["ipwb.table"].sudo()
    fields_ = Table._fields
    domain = [("connection_id", "=", connection.id)] if "connection_id" in fields_ else []
    tables = []
    for table in Table.search(domain):
        schema = ""
        if "schema_name" in fields_:
            schema = table.schema_name
        elif "schema_id" in fields_:
            schema = table.schema_id.name
        columns = table.column_ids if "column_ids" in fields_ else []
        if not schema or not table.name:
            return None
        cols = []
        for column in columns:
            col_type = getattr(column, "data_type", "") or getattr(column, "type_name", "") or "text"
            cols.append({"name": column.name, "type": col_type, "description": column.description or ""})
        tables.append(
            {
                "schema": schema,
                "name": table.name,
                "description": getattr(table, "description", "") or "",
                "columns": cols,
            }
        )
    return {"tables": tables} if tables else None


def catalog_for(env, connection):
    """The NL→SQL catalog of ``connection`` (cached a few minutes per worker)."""

    def build():
        data = None
        try:
            data = _records_catalog_data(env, connection)
        except Exception:  # another addon's metadata model changed shape: introspect instead
            _logger.warning("Genie: catalog records unusable, introspecting the warehouse", exc_info=True)
        if data is None:
            data = snapshot_to_catalog_data(introspect_warehouse(connection._warehouse_config()))
        return Catalog.from_data(data)

    return Catalogs.get((env.cr.dbname, connection.id), build)


def jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value) if value == value.to_integral_value() or abs(value) < 1e15 else str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def read_only_executor(env, connection, results, params=None):
    """An NL→SQL executor; ``results[sql]`` receives (columns, rows, truncated, ms)."""
    config = connection._warehouse_config()

    def run(sql):
        started = time.perf_counter()
        result = execute(
            config,
            sql,
            params,
            timeout_s=float(connection.statement_timeout),
            max_rows=connection.max_rows,
        )
        rows = [[jsonable(v) for v in row] for row in result.rows]
        results[sql] = (
            list(result.column_names),
            rows,
            result.truncated,
            (time.perf_counter() - started) * 1000,
        )
        return result.column_names, result.rows

    return run


def record_history(env, connection, sql, status, *, rows=0, duration_ms=0.0, error=""):
    """Keep the statement in the SQL editor's query history (as superuser, like the editor)."""
    env["ipwb.query.history"].sudo().create(
        {
            "user_id": env.uid,
            "connection_id": connection.id,
            "statement": sql,
            "status": status,
            "row_count": rows,
            "duration_ms": duration_ms,
            "error": error or False,
        }
    )
