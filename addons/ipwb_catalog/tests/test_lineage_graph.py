# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.sql.lineage import ColumnEdge, LineageResult, TableEdge

from .. import lineage_graph_payload
from ..lineage_graph_payload import MAX_EDGES, MAX_NODES, PAGE
from .lineage_fixture import HUB, KPIS, MARTS, SOURCES, TABLE_COUNT, TABLE_EDGES, build_big_lineage, mart


@tagged("post_install", "-at_install")
class TestLineageGraphPayload(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.hub = build_big_lineage(cls.env)
        cls.Edge = cls.env["ipwb.lineage.edge"]

    def test_fixture_size(self):
        edges = self.Edge.search([("source_ref", "=", "lineage-graph-fixture"), ("edge_type", "=", "table")])
        self.assertEqual(len(edges), TABLE_EDGES)
        self.assertGreaterEqual(TABLE_EDGES, 600)
        names = set(edges.mapped("source_table")) | set(edges.mapped("target_table"))
        self.assertEqual(len(names), TABLE_COUNT)
        self.assertGreaterEqual(TABLE_COUNT, 500)

    def test_first_page_and_more_counts(self):
        data = self.Edge.lineage_graph_data([HUB], 1)
        self.assertEqual(len(data["nodes"]), 1 + 2 * PAGE)
        self.assertEqual(len(data["edges"]), 2 * PAGE)
        hub = next(n for n in data["nodes"] if n["id"] == HUB)
        self.assertEqual((hub["upstream"], hub["downstream"], hub["layer"]), (SOURCES, MARTS, "silver"))
        self.assertEqual(hub["table_id"], self.hub.id)
        layers = {n["layer"] for n in data["nodes"]}
        self.assertEqual(layers, {"bronze", "silver", "gold"})  # lanes from the schema names
        self.assertCountEqual(
            data["more"],
            [
                {"node": HUB, "direction": "upstream", "offset": PAGE, "hidden": SOURCES - PAGE},
                {"node": HUB, "direction": "downstream", "offset": PAGE, "hidden": MARTS - PAGE},
            ],
        )

    def test_expand_pages_through_all_neighbours(self):
        data = self.Edge.lineage_graph_data([HUB], 1)
        known = [n["id"] for n in data["nodes"]]
        offset, seen = PAGE, {n["id"] for n in data["nodes"] if n["layer"] == "gold"}
        while True:
            page = self.Edge.lineage_graph_expand(HUB, "downstream", offset, known)
            new = [n["id"] for n in page["nodes"]]
            self.assertLessEqual(len(new), PAGE)
            self.assertFalse(seen & set(new), "a page repeats no table")
            self.assertEqual({(e["source"], e["target"]) for e in page["edges"]}, {(HUB, n) for n in new})
            seen |= set(new)
            known += new
            if not page["more"]:
                break
            (more,) = page["more"]
            self.assertEqual(more["hidden"], MARTS - len(seen))
            offset = more["offset"]
        self.assertEqual(seen, {mart(i) for i in range(MARTS)})
        # expanding a shown mart brings its KPI and links it to what is shown already
        page = self.Edge.lineage_graph_data([mart(7)], 1, known)
        self.assertEqual([n["id"] for n in page["nodes"]], [f"platinum.lgt_kpi_{7 % KPIS:03d}"])
        kpi_feeds = {(mart(i), "platinum.lgt_kpi_007") for i in range(7, MARTS, KPIS)}
        self.assertEqual({(e["source"], e["target"]) for e in page["edges"]}, kpi_feeds)

    def test_payload_is_bounded(self):
        data = self.Edge.lineage_graph_data([HUB], 3)
        self.assertLessEqual(len(data["nodes"]), MAX_NODES)
        self.assertLessEqual(len(data["edges"]), MAX_EDGES)
        self.assertLess(len(json.dumps(data)), 64 * 1024)
        known = [f"gold.unknown_{i}" for i in range(20000)]  # a huge "known" list is cut
        self.assertLess(len(json.dumps(self.Edge.lineage_graph_expand(HUB, "upstream", 0, known))), 64 * 1024)
        with patch.object(lineage_graph_payload, "MAX_NODES", 40):
            data = self.Edge.lineage_graph_data([HUB], 2)
        self.assertEqual(len(data["nodes"]), 40)
        # what the cap cut off is still reachable: the hub's marts continue at the cut
        more = {(m["node"], m["direction"]): m for m in data["more"]}
        shown_marts = sum(1 for n in data["nodes"] if n["layer"] == "gold")
        self.assertEqual(more[(HUB, "downstream")]["offset"], shown_marts)
        self.assertEqual(more[(HUB, "downstream")]["hidden"], MARTS - shown_marts)
        self.assertEqual(more[(mart(0), "downstream")]["hidden"], 1)

    def test_columns_and_column_edges(self):
        data = self.Edge.lineage_graph_columns(HUB)
        self.assertEqual([c["name"] for c in data["columns"]], ["id", "customer", "amount"])
        self.assertEqual(data["columns"][2]["type"], "numeric(12,2)")
        self.assertEqual(len(data["edges"]), SOURCES + 1 + 2 * MARTS)
        self.assertFalse(data["truncated"])
        self.assertIn(
            {
                "source": "bronze.lgt_src_000",
                "source_column": "status",
                "target": HUB,
                "target_column": None,
                "kind": "filter",
            },
            data["edges"],
        )
        lineage_only = self.Edge.lineage_graph_columns(mart(3))
        self.assertEqual({c["name"] for c in lineage_only["columns"]}, {"total", "customer"})
        with patch.object(lineage_graph_payload, "MAX_COLUMN_EDGES", 10):
            capped = self.Edge.lineage_graph_columns(HUB)
        self.assertEqual((len(capped["edges"]), capped["truncated"]), (10, True))

    def test_column_impact(self):
        data = self.Edge.lineage_graph_impact(HUB, "amount")
        self.assertEqual((data["column_count"], data["table_count"]), (MARTS + KPIS, MARTS + KPIS))
        self.assertIn([mart(0), "total", 1], data["columns"])
        self.assertIn(["platinum.lgt_kpi_000", "value", 2], data["columns"])

    def test_bad_input_is_a_clear_error(self):
        with self.assertRaisesRegex(UserError, "upstream or downstream"):
            self.Edge.lineage_graph_expand(HUB, "sideways")
        with self.assertRaisesRegex(UserError, "offset must be a whole number between 0 and"):
            self.Edge.lineage_graph_expand(HUB, "upstream", -1)
        with self.assertRaisesRegex(UserError, "list of table names"):
            self.Edge.lineage_graph_data(HUB)
        with self.assertRaisesRegex(UserError, "list of table names"):
            self.Edge.lineage_graph_data([HUB], 1, [1, 2])
        with self.assertRaisesRegex(UserError, "list of table names"):
            self.Edge.lineage_graph_columns("")
        self.assertEqual(self.Edge.lineage_graph_data(["nowhere.none"], 1)["edges"], [])


@tagged("post_install", "-at_install")
class TestLineageGraphTour(HttpCase):
    def test_lineage_graph_tour_at_500_tables(self):
        hub = build_big_lineage(self.env)
        self.start_tour(f"/odoo/ipwb.table/{hub.id}", "ipwb_catalog_lineage_graph_tour", login="admin")


@tagged("post_install", "-at_install")
class TestLineageGraphAccess(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "lgt_user", groups="ipwb_catalog.group_ipwb_user")
        cls.member = new_test_user(cls.env, "lgt_member", groups="ipwb_catalog.group_ipwb_user")
        team = cls.env["res.groups"].create({"name": "Payroll team", "users": [(4, cls.member.id)]})
        connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.env["ipwb.table"].create(
            {
                "connection_id": connection.id,
                "schema_name": "gold",
                "name": "lgt_payroll",
                "restricted": True,
                "team_id": team.id,
            }
        )
        result = LineageResult(
            tables=(TableEdge("silver.lgt_staff", "gold.lgt_payroll"),),
            columns=(ColumnEdge("silver.lgt_staff", "salary", "gold.lgt_payroll", "salary"),),
        )
        cls.env["ipwb.lineage.edge"]._record_lineage(result, "manual", "lgt-acl")

    def test_restricted_columns_stay_hidden(self):
        Edge = self.env["ipwb.lineage.edge"]
        graph = Edge.with_user(self.user).lineage_graph_data(["silver.lgt_staff"], 1)
        payroll = next(n for n in graph["nodes"] if n["id"] == "gold.lgt_payroll")
        self.assertFalse(payroll["table_id"])  # the name is shown, not the record
        self.assertEqual(Edge.with_user(self.user).lineage_graph_columns("gold.lgt_payroll")["columns"], [])
        self.assertEqual(Edge.with_user(self.user).lineage_graph_columns("silver.lgt_staff")["edges"], [])
        impact = Edge.with_user(self.user).lineage_graph_impact("silver.lgt_staff", "salary")
        self.assertEqual((impact["columns"], impact["tables"]), ([], ["gold.lgt_payroll"]))
        # the team sees everything
        member = Edge.with_user(self.member)
        self.assertEqual(
            [c["name"] for c in member.lineage_graph_columns("gold.lgt_payroll")["columns"]], ["salary"]
        )
        self.assertEqual(member.lineage_graph_impact("silver.lgt_staff", "salary")["column_count"], 1)

    def test_users_without_workbench_access_get_nothing(self):
        outsider = new_test_user(self.env, "lgt_outsider", groups="base.group_user")
        with self.assertRaises(AccessError):
            self.env["ipwb.lineage.edge"].with_user(outsider).lineage_graph_data(["silver.lgt_staff"], 1)
