# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The lineage store: table→table and column→column edges with recursive traversal in SQL.

Edges are keyed by names (``schema.table`` and column names, as :mod:`ipwb.sql.lineage`
produces them), so lineage of tables outside the catalog is kept too; ``*_table_id`` /
``*_column_id`` link to catalog records when they exist. Traversal follows the semantics of
:class:`ipwb.sql.lineage_graph.LineageGraph` (filter edges hit a whole table, and a whole
table hit feeds everything read from it).
"""

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ipwb.errors import IpwbError
from ipwb.integrations.neo4j_lineage import Neo4jLineageMirror
from ipwb.sql.lineage import ColumnEdge, TableEdge

from .. import rpc_args
from ..lineage_graph_payload import MAX_KNOWN, PAGE, LineageGraphPayload

SOURCES = [
    ("pipeline_step", "Pipeline step"),
    ("dbt", "dbt"),
    ("query_history", "Query history"),
    ("manual", "Manual"),
    ("view", "View definition"),
]
EDGE_KINDS = [("direct", "Direct"), ("derived", "Derived"), ("aggregate", "Aggregate"), ("filter", "Filter")]
#: traversal depth when none is given (cycles are cut by the depth limit)
MAX_DEPTH = 50


class IpwbLineageEdge(models.Model):
    _name = "ipwb.lineage.edge"
    _description = "Lineage Edge"
    _order = "source_table, source_column, target_table, target_column, id"

    edge_type = fields.Selection([("table", "Table"), ("column", "Column")], required=True, default="table")
    connection_id = fields.Many2one("ipwb.connection", string="Warehouse", ondelete="cascade", index=True)
    source_table = fields.Char(required=True, index=True, trim=False)
    source_column = fields.Char(trim=False)
    target_table = fields.Char(required=True, index=True, trim=False)
    target_column = fields.Char(
        trim=False, help="Empty for a filter edge: the column decides which rows arrive."
    )
    kind = fields.Selection(EDGE_KINDS)
    source = fields.Selection(SOURCES, required=True, default="manual", index=True)
    source_ref = fields.Char(
        string="Source Reference", index=True, help="e.g. pipeline step, dbt model, view."
    )
    source_table_id = fields.Many2one(
        "ipwb.table", string="Source Table Record", ondelete="set null", index=True
    )
    target_table_id = fields.Many2one(
        "ipwb.table", string="Target Table Record", ondelete="set null", index=True
    )
    source_column_id = fields.Many2one(
        "ipwb.column", string="Source Column Record", ondelete="set null", index=True
    )
    target_column_id = fields.Many2one(
        "ipwb.column", string="Target Column Record", ondelete="set null", index=True
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS ipwb_lineage_edge_key_uniq ON ipwb_lineage_edge "
                "(edge_type, source_table, COALESCE(source_column, ''), target_table, "
                "COALESCE(target_column, ''), COALESCE(kind, ''), source, COALESCE(source_ref, ''), "
                "COALESCE(connection_id, 0))"
            )
        )
        # serves ipwb.table._refresh_usage_count (query-history reads per table and date)
        self.env.cr.execute(
            SQL(
                "CREATE INDEX IF NOT EXISTS ipwb_lineage_edge_usage_idx ON ipwb_lineage_edge "
                "(source_table_id, create_date) INCLUDE (source_ref) WHERE source = 'query_history'"
            )
        )

    @api.depends("source_table", "source_column", "target_table", "target_column")
    def _compute_display_name(self):
        for edge in self:
            src = ".".join(filter(None, [edge.source_table, edge.source_column]))
            dst = ".".join(filter(None, [edge.target_table, edge.target_column]))
            edge.display_name = f"{src} → {dst}"

    # --- recording ------------------------------------------------------------------------
    @staticmethod
    def _edge_key(vals):
        return (
            vals["edge_type"],
            vals["source_table"],
            vals.get("source_column") or "",
            vals["target_table"],
            vals.get("target_column") or "",
            vals.get("kind") or "",
        )

    @api.model
    def _record_lineage(self, result, source, ref, connection=None, replace=True):
        """Upsert the edges of an engine :class:`~ipwb.sql.lineage.LineageResult`.

        Idempotent: recording the same result twice writes nothing the second time. With
        ``replace`` the edges previously recorded for ``(source, ref, connection)`` that are not
        in ``result`` any more are removed (a changed view or step replaces its lineage).
        Returns ``{"created": n, "removed": n, "kept": n}``.
        """
        if source not in dict(SOURCES):
            raise UserError(self.env._("Unknown lineage source %s.", source))
        wanted = {}
        for edge in result.tables:
            vals = {"edge_type": "table", "source_table": edge.source, "target_table": edge.target}
            wanted[self._edge_key(vals)] = vals
        for edge in result.columns:
            vals = {
                "edge_type": "column",
                "source_table": edge.source_table,
                "source_column": edge.source_column,
                "target_table": edge.target_table,
                "target_column": edge.target_column or False,
                "kind": edge.kind,
            }
            wanted[self._edge_key(vals)] = vals
        domain = [("source", "=", source), ("source_ref", "=", ref or False)]
        domain.append(("connection_id", "=", connection.id if connection else False))
        existing = self.sudo().search(domain)
        by_key = {}
        for edge in existing:
            key = self._edge_key(
                {
                    "edge_type": edge.edge_type,
                    "source_table": edge.source_table,
                    "source_column": edge.source_column,
                    "target_table": edge.target_table,
                    "target_column": edge.target_column,
                    "kind": edge.kind,
                }
            )
            by_key[key] = edge
        missing = [vals for key, vals in wanted.items() if key not in by_key]
        stale = self.browse([edge.id for key, edge in by_key.items() if key not in wanted])
        for vals in missing:
            vals.update(
                source=source, source_ref=ref or False, connection_id=connection.id if connection else False
            )
        created = self.sudo().create(missing) if missing else self.browse()
        created._link_catalog()
        used = (created | stale).sudo().source_table_id if source == "query_history" else None
        if replace and stale:
            stale.sudo().unlink()
        if used:
            self.env["ipwb.table"]._refresh_usage_count(used.ids)
        return {"created": len(created), "removed": len(stale) if replace else 0, "kept": len(by_key)}

    def _link_catalog(self):
        """Point edges at the catalog tables/columns their names denote (same warehouse)."""
        if not self:
            return
        self.env["ipwb.table"].flush_model(["full_name", "active", "connection_id"])
        self.env["ipwb.column"].flush_model(["name", "active", "table_id"])
        self.flush_recordset()
        cr = self.env.cr
        for side in ("source", "target"):
            cr.execute(
                SQL(
                    """UPDATE ipwb_lineage_edge e
                          SET %(table_fk)s = t.id
                         FROM ipwb_table t
                        WHERE e.id IN %(ids)s AND %(table_fk)s IS NULL AND t.active
                          AND t.full_name = %(table_name)s
                          AND (e.connection_id IS NULL OR t.connection_id = e.connection_id)""",
                    table_fk=SQL.identifier(f"{side}_table_id"),
                    table_name=SQL.identifier("e", f"{side}_table"),
                    ids=tuple(self.ids),
                )
            )
            cr.execute(
                SQL(
                    """UPDATE ipwb_lineage_edge e
                          SET %(column_fk)s = c.id
                         FROM ipwb_column c
                        WHERE e.id IN %(ids)s AND %(column_fk)s IS NULL AND c.active
                          AND c.table_id = %(table_fk)s AND c.name = %(column_name)s""",
                    column_fk=SQL.identifier(f"{side}_column_id"),
                    table_fk=SQL.identifier("e", f"{side}_table_id"),
                    column_name=SQL.identifier("e", f"{side}_column"),
                    ids=tuple(self.ids),
                )
            )
        self.invalidate_recordset(
            ["source_table_id", "target_table_id", "source_column_id", "target_column_id"]
        )

    @api.model
    def _relink_connection(self, connection):
        """After a scan: link edges whose tables/columns are now in the catalog."""
        unlinked = self.sudo().search(
            [
                ("connection_id", "in", [connection.id, False]),
                "|",
                "|",
                ("source_table_id", "=", False),
                ("target_table_id", "=", False),
                "|",
                "&",
                ("source_column", "!=", False),
                ("source_column_id", "=", False),
                "&",
                ("target_column", "!=", False),
                ("target_column_id", "=", False),
            ]
        )
        unlinked._link_catalog()

    # --- traversal --------------------------------------------------------------------------
    @api.model
    def _depth(self, depth):
        if depth is None or depth is False:
            return MAX_DEPTH
        depth = rpc_args.whole_number(self.env, depth, self.env._("The lineage depth"), 1, rpc_args.INT4_MAX)
        return min(depth, MAX_DEPTH)

    @api.model
    def _traverse_tables(self, table, direction="downstream", depth=None):
        """``{table name: distance}`` of the tables up- or downstream of ``table`` (recursive CTE)."""
        if direction not in ("upstream", "downstream"):
            raise UserError(self.env._("Direction must be upstream or downstream."))
        near, far = (
            ("source_table", "target_table")
            if direction == "downstream"
            else ("target_table", "source_table")
        )
        self.env.cr.execute(
            SQL(
                """WITH RECURSIVE edges AS (
                       SELECT DISTINCT %(near)s AS near, %(far)s AS far
                         FROM ipwb_lineage_edge WHERE source_table <> target_table
                   ), walk(node, distance) AS (
                       SELECT %(start)s::varchar, 0
                       UNION
                       SELECT e.far, w.distance + 1
                         FROM walk w JOIN edges e ON e.near = w.node
                        WHERE w.distance < %(depth)s
                   )
                   SELECT node, min(distance) FROM walk
                    WHERE node <> %(start)s GROUP BY node ORDER BY 2, 1""",
                near=SQL.identifier(near),
                far=SQL.identifier(far),
                start=table,
                depth=self._depth(depth),
            )
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _impact(self, table, column, depth=None):
        """What depends on ``table.column``: ``(columns {(t, c): d}, tables {t: d}, edge ids)``.

        Same rules as :meth:`ipwb.sql.lineage_graph.LineageGraph.impact`: column edges are
        followed; a filter edge hits its whole target table, whose every outgoing column edge
        is then followed.
        """
        self.env.cr.execute(
            SQL(
                """WITH RECURSIVE walk(tbl, col, distance, edge_id) AS (
                       SELECT %(table)s::varchar, %(column)s::varchar, 0, NULL::integer
                       UNION
                       SELECT e.target_table, e.target_column, w.distance + 1, e.id
                         FROM walk w
                         JOIN ipwb_lineage_edge e
                           ON e.edge_type = 'column' AND e.source_table = w.tbl
                          AND (w.col IS NULL OR e.source_column = w.col)
                        WHERE w.distance < %(depth)s
                   )
                   SELECT tbl, col, distance, edge_id FROM walk WHERE distance > 0""",
                table=table,
                column=column,
                depth=self._depth(depth),
            )
        )
        columns, tables, edge_ids = {}, {}, set()
        for tbl, col, distance, edge_id in self.env.cr.fetchall():
            edge_ids.add(edge_id)
            if (tbl, col) == (table, column):
                continue
            if col is not None:
                columns[(tbl, col)] = min(distance, columns.get((tbl, col), distance))
            tables[tbl] = min(distance, tables.get(tbl, distance))
        return columns, tables, self.browse(sorted(edge_ids))

    @api.model
    def _impact_action(self, column):
        columns, tables, edges = self._impact(column.table_id.full_name, column.name)
        name = self.env._(
            "Impact of dropping %(column)s: %(columns)s column(s) in %(tables)s table(s)",
            column=column.display_name,
            columns=len(columns),
            tables=len(tables),
        )
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "ipwb.lineage.edge",
            "view_mode": "list,form",
            "domain": [("id", "in", edges.ids)],
            "context": {"create": False},
            "help": self.env._(
                "<p>Nothing downstream of %s is known: dropping it breaks no recorded lineage.</p>"
            )
            % column.display_name,
        }

    # --- graph view data (bounded payloads, see lineage_graph_payload) -------------------------
    @api.model
    def lineage_graph_data(self, table_names, depth=1, known=None):
        """Nodes and edges around ``table_names`` (``depth`` steps up and down) for the graph view.

        Each node tells how many direct neighbours it has each way; at most ``PAGE`` neighbours
        per node and direction are returned, the rest are reported in ``more`` (loaded with
        :meth:`lineage_graph_expand`). Restricted tables are shown as names, without details.
        """
        payload = LineageGraphPayload(self)
        names = payload.names(table_names, PAGE, "start")
        known = payload.names(known or [], MAX_KNOWN, "known")
        return payload.graph(names, min(self._depth(depth), 3), known=known)

    @api.model
    def lineage_graph_expand(self, table_name, direction, offset=0, known=None):
        """The next page of ``table_name``'s neighbours in ``direction`` (a "+k more" node)."""
        payload = LineageGraphPayload(self)
        (name,) = payload.names([table_name], 1, "table")
        offset = payload.offset(offset)
        known = payload.names(known or [], MAX_KNOWN, "known")
        return payload.graph([name], 1, (payload.direction(direction),), offset, known)

    @api.model
    def lineage_graph_columns(self, table_name):
        """Columns of a table and its column→column edges, for expanding a graph node."""
        payload = LineageGraphPayload(self)
        (name,) = payload.names([table_name], 1, "table")
        return payload.columns(name)

    @api.model
    def lineage_graph_impact(self, table_name, column_name):
        """Downstream columns/tables of one column, for highlighting it in the graph."""
        payload = LineageGraphPayload(self)
        (name,) = payload.names([table_name], 1, "table")
        (column,) = payload.names([column_name], 1, "column")
        return payload.impact(name, column)

    # --- optional Neo4j mirror ----------------------------------------------------------------
    @api.model
    def _mirror_to_neo4j(self):
        """Push every edge to Neo4j when ``ipwb_catalog.neo4j_uri`` is set; a clean no-op otherwise."""
        params = self.env["ir.config_parameter"].sudo()
        mirror = Neo4jLineageMirror(
            params.get_param("ipwb_catalog.neo4j_uri") or None,
            user=params.get_param("ipwb_catalog.neo4j_user") or "neo4j",
            password=params.get_param("ipwb_catalog.neo4j_password") or "",
        )
        if not mirror.enabled:
            return mirror.push([], [])
        edges = self.sudo().search([("id", "!=", False)])
        tables = {
            TableEdge(e.source_table, e.target_table) for e in edges if e.source_table != e.target_table
        }
        columns = [
            ColumnEdge(
                e.source_table, e.source_column, e.target_table, e.target_column or None, e.kind or "direct"
            )
            for e in edges
            if e.edge_type == "column"
        ]
        try:
            return mirror.push(sorted(tables), columns, origin=self.env.cr.dbname)
        except IpwbError as exc:
            raise UserError(self.env._("Neo4j lineage mirror: %s", exc)) from None
