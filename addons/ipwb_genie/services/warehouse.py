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
import time

from ipwb.llm.catalog import Catalog
from ipwb.llm.catalog_export import catalog_data
from ipwb.warehouse.execute import execute
from ipwb.warehouse.introspect import introspect_warehouse
from ipwb.warehouse.pool import process_pool

from .gateway import Catalogs

#: rows kept on a conversation message (the grid shows them; the editor re-runs for more)
STORED_ROWS = 200


def records_catalog_data(env, connection):
    """Catalog data from the workbench catalog (``ipwb.table`` / ``ipwb.column``) as the
    current user sees it, so restricted tables stay hidden from who may not see them; None
    when the warehouse was never scanned."""
    tables = env["ipwb.table"].search([("connection_id", "=", connection.id)])
    if not tables:
        return None
    known = set(tables.mapped("full_name"))
    data = []
    for table in tables:
        columns, fks = [], []
        for column in table.column_ids.sorted("ordinal"):
            columns.append(
                {
                    "name": column.name,
                    "type": column.data_type or "text",
                    "description": column.description or column.comment or "",
                }
            )
            for ref in column.fk_refs or []:
                if len(ref) == 3 and f"{ref[0]}.{ref[1]}" in known:
                    fks.append(
                        {
                            "columns": [column.name],
                            "references": f"{ref[0]}.{ref[1]}",
                            "ref_columns": [ref[2]],
                        }
                    )
        data.append(
            {
                "schema": table.schema_name,
                "name": table.name,
                "description": table.description or table.comment or "",
                "columns": columns,
                "foreign_keys": fks,
            }
        )
    return {"tables": data}


def catalog_for(env, connection):
    """The NL→SQL catalog of ``connection`` for the current user (cached a few minutes per
    worker and per set of groups, which decide the restricted tables one sees)."""

    def build():
        data = records_catalog_data(env, connection)
        if data is None:
            data = catalog_data(introspect_warehouse(connection._warehouse_config()))
        return Catalog.from_data(data)

    key = (env.cr.dbname, connection.id, tuple(sorted(env.user.groups_id.ids)))
    return Catalogs.get(key, build)


def jsonable(value):
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def read_only_executor(env, connection, results, params=None):
    """An NL→SQL executor; ``results[sql]`` receives (columns, rows, truncated, ms).
    Runs as the current user's warehouse role (what they may read, nothing more)."""
    config = connection._user_warehouse_config(env.user)
    generation = connection._pool_generation()

    def run(sql):
        started = time.perf_counter()
        result = execute(
            config,
            sql,
            params,
            timeout_s=float(connection.statement_timeout),
            max_rows=connection.max_rows,
            pool=process_pool(),
            pool_generation=generation,
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
