# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The SQL editor's schema browser: schemas › tables › columns, one page per request.

Every answer is one bounded query on the metadata catalog (``ipwb.table``/``ipwb.column``),
read as the user: the catalog's record rules hide restricted tables and their columns
from people outside the table's team, and a schema shows only the tables its reader may
see. Nothing is loaded before a node is expanded, so a warehouse of 100k tables costs the
browser what one page of it costs.
"""

from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, models
from odoo.exceptions import UserError

#: the largest page any browser request may ask for
BROWSER_MAX_LIMIT = 500
BROWSER_DEFAULT_LIMIT = 100


class IpwbSqlBrowser(models.AbstractModel):
    _name = "ipwb.sql.browser"
    _description = "Workbench SQL Editor Schema Browser"

    # ------------------------------------------------------------------ arguments
    def _page(self, offset, limit):
        offset = rpc_args.whole_number(
            self.env, offset, self.env._("The offset"), 0, rpc_args.INT4_MAX, default=0
        )
        limit = rpc_args.whole_number(
            self.env, limit, self.env._("The limit"), 1, BROWSER_MAX_LIMIT, default=BROWSER_DEFAULT_LIMIT
        )
        return offset, limit

    def _connection(self, connection_id):
        return self.env["ipwb.sql.service"]._get_connection(connection_id)

    def _visible_table(self, connection, table_id):
        table_id = rpc_args.record_id(self.env, table_id, self.env._("The table"), required=True)
        # search (not browse): the record rules decide, and a hidden table looks missing
        table = self.env["ipwb.table"].search(
            [("id", "=", table_id), ("connection_id", "=", connection.id)], limit=1
        )
        if not table:
            raise UserError(self.env._("This table does not exist or you may not see it."))
        return table

    # ------------------------------------------------------------------ RPCs
    @api.model
    def browse_schemas(self, connection_id=None, offset=0, limit=BROWSER_DEFAULT_LIMIT):
        """Schemas holding tables the user may see, with how many: ``{"scanned", "schemas":
        [{"name", "table_count"}], "more"}``. ``scanned`` is False while the catalog does not
        describe the connection yet (the browser then says to scan it)."""
        connection = self._connection(connection_id)
        offset, limit = self._page(offset, limit)
        Table = self.env["ipwb.table"]
        domain = [("connection_id", "=", connection.id)]
        groups = Table._read_group(
            domain, ["schema_name"], ["__count"], offset=offset, limit=limit + 1, order="schema_name"
        )
        schemas = [{"name": name, "table_count": count} for name, count in groups[:limit]]
        scanned = bool(schemas) or offset > 0 or bool(connection.last_scan_date)
        return {"scanned": scanned, "schemas": schemas, "more": len(groups) > limit}

    @api.model
    def browse_tables(self, connection_id=None, schema="", offset=0, limit=BROWSER_DEFAULT_LIMIT):
        """One page of a schema's tables the user may see, by name."""
        connection = self._connection(connection_id)
        schema = rpc_args.text(self.env, schema, self.env._("The schema"), rpc_args.MAX_NAME, required=True)
        offset, limit = self._page(offset, limit)
        tables = self.env["ipwb.table"].search_fetch(
            [("connection_id", "=", connection.id), ("schema_name", "=", schema)],
            ["name", "schema_name", "kind", "restricted"],
            offset=offset,
            limit=limit + 1,
            order="name, id",
        )
        return {
            "tables": [self._table_row(t) for t in tables[:limit]],
            "more": len(tables) > limit,
        }

    @api.model
    def browse_columns(self, connection_id=None, table_id=None, offset=0, limit=BROWSER_MAX_LIMIT):
        """One page of a visible table's columns, in the table's order, with their types."""
        connection = self._connection(connection_id)
        table = self._visible_table(connection, table_id)
        offset, limit = self._page(offset, limit)
        columns = self.env["ipwb.column"].search_fetch(
            [("table_id", "=", table.id)],
            ["name", "data_type", "is_primary_key"],
            offset=offset,
            limit=limit + 1,
            order="ordinal, id",
        )
        return {
            "columns": [self._column_row(c) for c in columns[:limit]],
            "more": len(columns) > limit,
        }

    @api.model
    def browse_search(self, connection_id=None, query="", limit=50):
        """Tables whose name, and columns whose name, contain ``query`` (case-insensitive),
        each list cut at ``limit``; an empty query finds nothing."""
        connection = self._connection(connection_id)
        query = rpc_args.text(self.env, query, self.env._("The search"), rpc_args.MAX_NAME).strip()
        _offset, limit = self._page(0, limit)
        if not query:
            return {"tables": [], "columns": [], "more_tables": False, "more_columns": False}
        tables = self.env["ipwb.table"].search_fetch(
            [("connection_id", "=", connection.id), ("full_name", "ilike", query)],
            ["name", "schema_name", "kind", "restricted"],
            limit=limit + 1,
            order="full_name, id",
        )
        columns = self.env["ipwb.column"].search_fetch(
            [("connection_id", "=", connection.id), ("name", "ilike", query)],
            ["name", "data_type", "is_primary_key", "table_id"],
            limit=limit + 1,
            order="name, id",
        )
        return {
            "tables": [self._table_row(t) for t in tables[:limit]],
            "columns": [
                dict(self._column_row(c), table=c.table_id.full_name, table_id=c.table_id.id)
                for c in columns[:limit]
            ],
            "more_tables": len(tables) > limit,
            "more_columns": len(columns) > limit,
        }

    # ------------------------------------------------------------------ rows
    @staticmethod
    def _table_row(table):
        return {
            "id": table.id,
            "schema": table.schema_name,
            "name": table.name,
            "kind": table.kind,
            "restricted": table.restricted,
        }

    @staticmethod
    def _column_row(column):
        return {
            "id": column.id,
            "name": column.name,
            "type": column.data_type or "",
            "primary_key": column.is_primary_key,
        }
