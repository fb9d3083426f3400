# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import socket

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.sql.lineage import ColumnEdge, LineageResult, extract_lineage
from ipwb.sql.lineage_graph import LineageGraph
from ipwb.testing.bolt_peer import BoltPeer

from .common import WarehouseSchema

PIPELINE = """
INSERT INTO silver.orders (id, customer_id, amount)
SELECT o.id, o.customer_id, o.amount FROM bronze.raw_orders o WHERE o.status = 'ok';
INSERT INTO gold.revenue (customer_id, total)
SELECT customer_id, sum(amount) FROM silver.orders GROUP BY customer_id;
INSERT INTO platinum.kpi (top_total) SELECT max(total) FROM gold.revenue;
"""


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestLineageStore(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Edge = cls.env["ipwb.lineage.edge"]
        cls.result = extract_lineage(PIPELINE)
        cls.Edge._record_lineage(cls.result, "pipeline_step", "demo:step1")

    def test_record_is_idempotent_and_replaces(self):
        count = self.Edge.search_count([("source_ref", "=", "demo:step1")])
        self.assertEqual(count, len(self.result.tables) + len(self.result.columns))
        again = self.Edge._record_lineage(self.result, "pipeline_step", "demo:step1")
        self.assertEqual((again["created"], again["removed"]), (0, 0))
        smaller = extract_lineage("INSERT INTO gold.revenue (total) SELECT sum(amount) FROM silver.orders")
        changed = self.Edge._record_lineage(smaller, "pipeline_step", "demo:step1")
        self.assertGreater(changed["removed"], 0)
        self.assertEqual(
            self.Edge.search_count([("source_ref", "=", "demo:step1")]),
            len(smaller.tables) + len(smaller.columns),
        )
        with self.assertRaises(UserError):
            self.Edge._record_lineage(smaller, "carrier_pigeon", "x")

    def test_traversal_agrees_with_engine_graph(self):
        graph = LineageGraph.from_result(self.result)
        for table in ("bronze.raw_orders", "silver.orders", "gold.revenue", "platinum.kpi"):
            for depth in (1, 2, None):
                self.assertEqual(
                    self.Edge._traverse_tables(table, "downstream", depth),
                    graph.downstream_tables(table, depth),
                )
                self.assertEqual(
                    self.Edge._traverse_tables(table, "upstream", depth), graph.upstream_tables(table, depth)
                )
        with self.assertRaises(UserError):
            self.Edge._traverse_tables("gold.revenue", "sideways")
        with self.assertRaises(UserError):
            self.Edge._traverse_tables("gold.revenue", "upstream", 0)

    def test_impact_agrees_with_engine_graph(self):
        graph = LineageGraph.from_result(self.result)
        for table, column in (
            ("bronze.raw_orders", "amount"),
            ("bronze.raw_orders", "status"),
            ("silver.orders", "id"),
        ):
            expected = graph.impact(table, column)
            columns, tables, _edges = self.Edge._impact(table, column)
            self.assertEqual(columns, expected.columns, (table, column))
            self.assertEqual(tables, expected.tables, (table, column))
        # a filter column hits the whole target table, so everything downstream of it
        _columns, tables, _edges = self.Edge._impact("bronze.raw_orders", "status")
        self.assertEqual(set(tables), {"silver.orders", "gold.revenue", "platinum.kpi"})

    def test_cycles_terminate(self):
        cyclic = LineageResult(
            columns=(ColumnEdge("s.a", "x", "s.b", "x"), ColumnEdge("s.b", "x", "s.a", "x")),
        )
        self.Edge._record_lineage(cyclic, "manual", "cycle")
        self.assertEqual(self.Edge._traverse_tables("s.a", "downstream"), {"s.b": 1})
        columns, _tables, _edges = self.Edge._impact("s.a", "x")
        self.assertEqual(columns, {("s.b", "x"): 1})

    def test_graph_data_for_the_client(self):
        data = self.Edge.lineage_graph_data(["silver.orders"], 1)
        names = {node["name"] for node in data["nodes"]}
        self.assertEqual(names, {"bronze.raw_orders", "silver.orders", "gold.revenue"})
        node = next(n for n in data["nodes"] if n["name"] == "gold.revenue")
        self.assertEqual((node["upstream"], node["downstream"]), (1, 1))
        self.assertIn({"source": "silver.orders", "target": "gold.revenue"}, data["edges"])

    def test_neo4j_mirror_is_a_clean_no_op_without_uri(self):
        report = self.Edge._mirror_to_neo4j()
        self.assertTrue(report.skipped)
        self.assertIn("not configured", report.message)

    def test_neo4j_unreachable_is_a_clear_error(self):
        self.env["ir.config_parameter"].set_param(
            "ipwb_catalog.neo4j_uri", f"bolt://127.0.0.1:{_closed_port()}"
        )
        self.env["ir.config_parameter"].set_param("ipwb_catalog.neo4j_password", "not-logged")
        with self.assertRaisesRegex(UserError, "Neo4j") as caught:
            self.Edge._mirror_to_neo4j()
        self.assertNotIn("not-logged", str(caught.exception))

    def test_neo4j_mirror_through_a_bolt_peer(self):
        params = self.env["ir.config_parameter"]
        with BoltPeer(password="peer-pw-5d1e") as peer:
            params.set_param("ipwb_catalog.neo4j_uri", peer.uri)
            params.set_param("ipwb_catalog.neo4j_password", "peer-pw-5d1e")
            report = self.Edge._mirror_to_neo4j()
            self.assertFalse(report.skipped)
            self.assertTrue(peer.transactions[-1].explicit)
            self.assertEqual(report.statements, len(peer.transactions[-1].runs))
            feeds = {(key[1][1], key[2][1]) for key in peer.graph.rels if key[0] == "FEEDS"}
            self.assertLessEqual({(e.source, e.target) for e in self.result.tables}, feeds)
            origins = {props["origin"] for props in peer.graph.rels.values() if props}
            self.assertEqual(origins, {self.env.cr.dbname})
            params.set_param("ipwb_catalog.neo4j_password", "bad-pw-82c0")
            with self.assertRaisesRegex(UserError, "unauthorized") as caught:
                self.Edge._mirror_to_neo4j()
            self.assertNotIn("bad-pw-82c0", str(caught.exception))


@tagged("post_install", "-at_install")
class TestImpactAction(TransactionCase):
    def test_impact_action_on_a_scanned_column(self):
        wh = WarehouseSchema("ipwb_lin")
        self.addCleanup(wh.drop)
        wh.execute(
            "CREATE TABLE {schema}.src (id int, amount numeric, flag bool);"
            "CREATE VIEW {schema}.v1 AS SELECT id, amount * 2 AS doubled FROM {schema}.src WHERE flag;"
            "CREATE VIEW {schema}.v2 AS SELECT doubled FROM {schema}.v1"
        )
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        connection._scan_catalog(schemas=[wh.name])
        src = self.env["ipwb.table"].search([("full_name", "=", f"{wh.name}.src")])
        amount = src.column_ids.filtered(lambda c: c.name == "amount")
        action = amount.action_impact()
        self.assertEqual(action["res_model"], "ipwb.lineage.edge")
        self.assertIn("2 column(s) in 2 table(s)", action["name"])
        edges = self.env["ipwb.lineage.edge"].browse(action["domain"][0][2])
        self.assertEqual(set(edges.mapped("target_table")), {f"{wh.name}.v1", f"{wh.name}.v2"})
        flag = src.column_ids.filtered(lambda c: c.name == "flag")
        self.assertIn("in 2 table(s)", flag.action_impact()["name"])
        graph = src.action_open_lineage()
        self.assertEqual((graph["tag"], graph["params"]["table_id"]), ("ipwb_catalog.lineage_graph", src.id))
