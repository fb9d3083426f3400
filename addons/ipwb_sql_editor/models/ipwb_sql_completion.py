# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Names for the SQL editor's completion: schemas, tables, and columns of the tables a
statement references (lazily: never the columns of the whole warehouse).

Names come from the metadata catalog (``ipwb.table``/``ipwb.column``) once a scan filled it
for the connection, else from the warehouse's ``pg_catalog`` read through the engine as the
connection's role; the client does not know which.
"""

from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.warehouse.execute import MAX_PAGE_ROWS, execute
from ipwb.warehouse.pool import process_pool

from .sql_completion import COLUMNS_SQL, TABLES_SQL, referenced_tables

#: tables listed for completion at most (a warehouse with more is cut, alphabetically)
COMPLETION_MAX_TABLES = 50_000
COMPLETION_TIMEOUT_S = 10.0
#: tables whose columns one completion request asks for at most
COMPLETION_MAX_COLUMN_TABLES = 50
#: catalog table kinds as pg_class.relkind letters (what the warehouse path returns)
_CATALOG_KINDS = {
    "table": "r",
    "partitioned_table": "p",
    "view": "v",
    "materialized_view": "m",
    "foreign_table": "f",
}


class IpwbSqlCompletion(models.AbstractModel):
    _name = "ipwb.sql.completion"
    _description = "Workbench SQL Editor Completion"

    @api.model
    def completion_tables(self, connection_id=None):
        """Schemas and tables the completion offers (names only: cheap with 20k tables).

        ``source`` says where they come from: the metadata catalog when it describes this
        connection (see :meth:`_catalog_completion_tables`), else the warehouse's
        ``pg_catalog`` read through the engine as the connection's role."""
        connection = self.env["ipwb.sql.service"]._get_connection(connection_id)
        catalog = self._catalog_completion_tables(connection)
        if catalog is not None:
            return catalog
        result = self._introspect(connection, TABLES_SQL, {}, COMPLETION_MAX_TABLES)
        tables = [[schema, name, kind] for schema, name, kind in result]
        return {
            "source": "warehouse",
            "schemas": sorted({schema for schema, _name, _kind in tables}),
            "tables": tables,
        }

    @api.model
    def completion_columns(self, connection_id=None, sql="", tables=None):
        """Columns of the tables ``sql`` references (or of ``tables``, "schema.name" or
        "name"): fetched lazily per statement, never for the whole warehouse."""
        connection = self.env["ipwb.sql.service"]._get_connection(connection_id)
        sql = rpc_args.sql_text(self.env, sql)
        tables = rpc_args.text_list(self.env, tables, self.env._("The tables"), 1000, rpc_args.MAX_NAME)
        wanted = list(dict.fromkeys(tables or referenced_tables(sql)))[:COMPLETION_MAX_COLUMN_TABLES]
        if not wanted:
            return {"columns": {}}
        catalog = self._catalog_completion_columns(connection, wanted)
        if catalog is not None:
            return {"columns": catalog}
        qualified = [name for name in wanted if "." in name]
        bare = [name for name in wanted if "." not in name]
        rows = self._introspect(
            connection, COLUMNS_SQL, {"qualified": qualified, "bare": bare}, MAX_PAGE_ROWS
        )
        columns = {}
        for schema, table, column, type_name in rows:
            for key in (f"{schema}.{table}", table):
                if key in wanted:
                    columns.setdefault(key, []).append([column, type_name])
        return {"columns": columns}

    def _introspect(self, connection, sql, params, max_rows):
        try:
            result = execute(
                connection._warehouse_config(),
                sql,
                params,
                timeout_s=min(float(connection.statement_timeout), COMPLETION_TIMEOUT_S),
                max_rows=max_rows,
                pool=process_pool(),
                pool_generation=connection._pool_generation(),
            )
        except IpwbError as exc:
            raise UserError(self.env._("Could not read the warehouse structure: %s", exc)) from None
        return result.rows

    def _catalog_completion_tables(self, connection):
        """Completions from the metadata catalog (``ipwb.table``) once a scan filled it for
        ``connection``; ``None`` means "ask the warehouse". Read as the user: restricted
        tables hidden by the catalog's rules stay hidden."""
        Table = self.env["ipwb.table"]
        domain = [("connection_id", "=", connection.id)]
        if not Table.search_count(domain, limit=1):
            return None
        rows = Table.search_fetch(domain, ["schema_name", "name", "kind"], limit=COMPLETION_MAX_TABLES)
        tables = [[t.schema_name, t.name, _CATALOG_KINDS.get(t.kind, "r")] for t in rows]
        return {"source": "catalog", "schemas": sorted({t[0] for t in tables}), "tables": tables}

    def _catalog_completion_columns(self, connection, tables):
        """Columns from the catalog (``ipwb.column``) when it describes ``connection``."""
        if not self.env["ipwb.table"].search_count([("connection_id", "=", connection.id)], limit=1):
            return None
        qualified = [name for name in tables if "." in name]
        bare = [name for name in tables if "." not in name]
        columns = self.env["ipwb.column"].search_fetch(
            [
                ("connection_id", "=", connection.id),
                "|",
                ("table_id.full_name", "in", qualified),
                ("table_id.name", "in", bare),
            ],
            ["name", "data_type", "table_id"],
        )
        result = {}
        for column in columns:
            table = column.table_id
            for key in (table.full_name, table.name):
                if key in tables:
                    result.setdefault(key, []).append([column.name, column.data_type or ""])
        return result
