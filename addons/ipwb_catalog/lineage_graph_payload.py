# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Bounded payloads for the lineage graph client action.

The graph view never loads a whole lineage: it asks for a node's neighbours one *page* at a
time (``PAGE`` per direction), and every payload is capped (``MAX_NODES``, ``MAX_EDGES``,
``MAX_COLUMNS``), so a hub table with thousands of neighbours costs the same as a small one.
What is left out is reported as ``more`` entries (node, direction, offset, hidden count) that
the client draws as "+k more" nodes and loads on demand.
"""

from odoo.exceptions import UserError
from odoo.tools import SQL

from . import rpc_args

#: neighbours per node and direction in one payload
PAGE = 25
#: nodes / table edges / columns / column edges per payload
MAX_NODES = 250
MAX_EDGES = 1500
MAX_COLUMNS = 200
MAX_COLUMN_EDGES = 1500
#: names the client may pass as "already shown"
MAX_KNOWN = 5000
#: names one request may carry at all (more is refused, not cut)
MAX_NAMES = 4 * MAX_KNOWN
LAYER_NAMES = ("bronze", "silver", "gold", "platinum")
DIRECTIONS = {"upstream": ("target_table", "source_table"), "downstream": ("source_table", "target_table")}


class LineageGraphPayload:
    """Builds the JSON the OWL lineage graph reads (see ``ipwb.lineage.edge.lineage_graph_*``)."""

    def __init__(self, edge_model):
        edge_model.browse().check_access("read")  # the queries below are raw SQL
        self.model = edge_model
        self.env = edge_model.env
        self.cr = edge_model.env.cr

    def _hidden_tables(self, names):
        """Catalog tables among ``names`` the user may not see (restricted to another team):
        their names stay in the graph, their columns do not."""
        names = list(set(names))
        if not names:
            return set()
        tables = self.env["ipwb.table"]
        existing = set(tables.sudo().search([("full_name", "in", names)]).mapped("full_name"))
        return existing - set(tables.search([("full_name", "in", names)]).mapped("full_name"))

    # --- input checks ---------------------------------------------------------------------
    def names(self, values, limit, what):
        if not isinstance(values, list | tuple) or not all(isinstance(v, str) and v for v in values):
            raise UserError(self.env._("The lineage graph expects a list of table names (%s).", what))
        label = self.env._("The lineage graph's names (%s)", what)
        values = rpc_args.text_list(self.env, values, label, MAX_NAMES, rpc_args.MAX_NAME)
        return list(dict.fromkeys(values))[:limit]

    def direction(self, direction):
        if not isinstance(direction, str) or direction not in DIRECTIONS:
            raise UserError(self.env._("Direction must be upstream or downstream."))
        return direction

    def offset(self, offset):
        return rpc_args.whole_number(
            self.env, offset, self.env._("The lineage page offset"), 0, rpc_args.INT4_MAX, default=0
        )

    # --- queries -----------------------------------------------------------------------------
    def _page(self, names, direction, offset, limit):
        """``{name: ([neighbours offset..offset+limit], total)}`` in ``direction``, by name."""
        near, far = DIRECTIONS[direction]
        self.cr.execute(
            SQL(
                """SELECT near, far, total FROM (
                       SELECT near, far, row_number() OVER (PARTITION BY near ORDER BY far) AS n,
                              count(*) OVER (PARTITION BY near) AS total
                         FROM (SELECT DISTINCT %(near)s AS near, %(far)s AS far FROM ipwb_lineage_edge
                                WHERE %(near)s IN %(names)s AND source_table <> target_table) d
                   ) x WHERE n > %(offset)s AND n <= %(offset)s + %(limit)s ORDER BY near, n""",
                near=SQL.identifier(near),
                far=SQL.identifier(far),
                names=tuple(names),
                offset=offset,
                limit=limit,
            )
        )
        pages = {}
        for name, neighbour, total in self.cr.fetchall():
            pages.setdefault(name, ([], total))[0].append(neighbour)
        return pages

    def _counts(self, names):
        """``{name: (distinct upstream tables, distinct downstream tables)}``."""
        counts = {name: [0, 0] for name in names}
        for index, (near, far) in enumerate(
            (("target_table", "source_table"), ("source_table", "target_table"))
        ):
            self.cr.execute(
                SQL(
                    """SELECT %(near)s, count(DISTINCT %(far)s) FROM ipwb_lineage_edge
                        WHERE %(near)s IN %(names)s AND source_table <> target_table GROUP BY 1""",
                    near=SQL.identifier(near),
                    far=SQL.identifier(far),
                    names=tuple(names),
                )
            )
            for name, count in self.cr.fetchall():
                counts[name][index] = count
        return counts

    def _edges(self, new, shown):
        """Table edges touching ``new`` whose other end is in ``shown`` (capped)."""
        self.cr.execute(
            SQL(
                """SELECT DISTINCT source_table, target_table FROM ipwb_lineage_edge
                    WHERE source_table <> target_table
                      AND ((source_table IN %(new)s AND target_table IN %(shown)s)
                        OR (target_table IN %(new)s AND source_table IN %(shown)s))
                    ORDER BY 1, 2 LIMIT %(limit)s""",
                new=tuple(new),
                shown=tuple(shown),
                limit=MAX_EDGES,
            )
        )
        return [{"source": s, "target": t} for s, t in self.cr.fetchall()]

    def _nodes(self, names):
        counts = self._counts(names)
        by_name = {t.full_name: t for t in self.env["ipwb.table"].search([("full_name", "in", names)])}
        nodes = []
        for name in names:
            table = by_name.get(name)
            schema = name.split(".", 1)[0] if "." in name else ""
            layer = (table.layer if table else False) or (schema if schema in LAYER_NAMES else "other")
            nodes.append(
                {
                    "id": name,
                    "name": name,
                    "table_id": table.id if table else False,
                    "layer": layer,
                    "kind": table.kind if table else False,
                    "upstream": counts[name][0],
                    "downstream": counts[name][1],
                }
            )
        return nodes

    # --- payloads ------------------------------------------------------------------------------
    def graph(self, starts, depth=1, directions=("upstream", "downstream"), offset=0, known=()):
        """Nodes within ``depth`` steps of ``starts`` (``PAGE`` neighbours per node and direction).

        ``offset`` pages the neighbours of the starts (the "+k more" of a node); ``known`` are
        names the client already shows: they are not returned again, but edges to them are.
        """
        known = set(known)
        added = {}  # name -> None, in discovery order
        for start in starts:
            if start not in known:
                added[start] = None
        more = []
        frontier = {direction: list(starts) for direction in directions}
        for step in range(depth):
            for direction in directions:
                names = frontier[direction]
                frontier[direction] = []
                if not names:
                    continue
                skip = offset if step == 0 else 0
                for name, (neighbours, total) in sorted(self._page(names, direction, skip, PAGE).items()):
                    shown = skip
                    for neighbour in neighbours:
                        if neighbour not in added and neighbour not in known:
                            if len(added) >= MAX_NODES:
                                break
                            added[neighbour] = None
                            frontier[direction].append(neighbour)
                        shown += 1
                    if total > shown:
                        more.append(
                            {"node": name, "direction": direction, "offset": shown, "hidden": total - shown}
                        )
        new = list(added)
        if not new:
            return {"nodes": [], "edges": [], "more": more}
        edges = self._edges(new, new + list(known))
        return {"nodes": self._nodes(new), "edges": edges, "more": more}

    def columns(self, table):
        """Columns of ``table`` (catalog columns by position, then lineage-only names) and the
        column edges touching it, both capped."""
        catalog = self.env["ipwb.column"].search(
            [("table_id.full_name", "=", table)], order="table_id, ordinal, id", limit=MAX_COLUMNS + 1
        )
        columns = {c.name: {"name": c.name, "type": c.data_type or "", "pii": c.is_pii} for c in catalog}
        self.cr.execute(
            SQL(
                """SELECT source_table, source_column, target_table, target_column, kind
                     FROM ipwb_lineage_edge
                    WHERE edge_type = 'column' AND (source_table = %(t)s OR target_table = %(t)s)
                    GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4 NULLS FIRST, 5 LIMIT %(limit)s""",
                t=table,
                limit=MAX_COLUMN_EDGES + 1,
            )
        )
        rows = self.cr.fetchall()
        truncated = len(rows) > MAX_COLUMN_EDGES
        hidden = self._hidden_tables([table] + [r[0] for r in rows] + [r[2] for r in rows])
        if table in hidden:
            return {"table": table, "columns": [], "hidden_columns": 0, "edges": [], "truncated": False}
        rows = [r for r in rows if r[0] not in hidden and r[2] not in hidden]
        edges = []
        for src, src_col, dst, dst_col, kind in rows[:MAX_COLUMN_EDGES]:
            edges.append(
                {
                    "source": src,
                    "source_column": src_col,
                    "target": dst,
                    "target_column": dst_col,
                    "kind": kind,
                }
            )
            for tbl, col in ((src, src_col), (dst, dst_col)):
                if tbl == table and col and col not in columns:
                    columns[col] = {"name": col, "type": "", "pii": False}
        listed = list(columns.values())
        return {
            "table": table,
            "columns": listed[:MAX_COLUMNS],
            "hidden_columns": max(0, len(listed) - MAX_COLUMNS),
            "edges": edges,
            "truncated": truncated,
        }

    def impact(self, table, column):
        """Downstream columns and tables of ``table.column`` (capped), for highlighting."""
        if table in self._hidden_tables([table]):
            columns, tables = {}, {}
        else:
            columns, tables, _edges = self.model._impact(table, column)
            hidden = self._hidden_tables([t for t, _c in columns])
            columns = {key: d for key, d in columns.items() if key[0] not in hidden}
        ordered = sorted(columns.items(), key=lambda item: (item[1], item[0]))
        return {
            "columns": [[t, c, d] for (t, c), d in ordered[:MAX_COLUMN_EDGES]],
            "tables": sorted(tables)[:MAX_COLUMN_EDGES],
            "column_count": len(columns),
            "table_count": len(tables),
        }
