# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.sql.lineage import extract_lineage

from ..catalog_scanner import CatalogScanner
from .common import WarehouseSchema


@tagged("post_install", "-at_install")
class TestCatalogChurn(TransactionCase):
    """A dropped table leaves the search with its columns, lineage and usage, and comes back whole.

    Issue #20: after 100k tables were dropped, their columns stayed searchable candidates.
    The table here is boosted every way the search knows (gold, owned, used by queries), so
    each of the search's candidate subqueries (name tiers, text, boosted tables and boosted
    columns, the empty-query listing) would bring it back if it ignored ``active``.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def setUp(self):
        super().setUp()
        self.wh = WarehouseSchema("ipwb_churn")
        self.addCleanup(self.wh.drop)
        self.ddl = "CREATE TABLE {schema}.zqx_ledger (id int, zqx_settlement_ref text, amount numeric)"
        self.wh.execute(self.ddl)
        self.wh.execute("CREATE TABLE {schema}.zqx_stays (id int, zqx_settlement_ref text)")
        self.scan()
        tables = self.env["ipwb.table"].search([("schema_name", "=", self.wh.name)])
        self.t = {t.name: t for t in tables}
        ledger = self.t["zqx_ledger"]
        ledger.write({"layer": "gold", "owner_id": self.env.uid, "description": "Zqx settlement book"})
        self.ref = ledger.column_ids.filtered(lambda c: c.name == "zqx_settlement_ref")
        self.ref.write({"description": "Bank settlement reference"})
        lineage = extract_lineage(
            f"SELECT id, zqx_settlement_ref FROM {self.wh.name}.zqx_ledger",
            query_target="query_history.7301",
        )
        self.env["ipwb.lineage.edge"]._record_lineage(
            lineage, "query_history", "7301", connection=self.connection, replace=False
        )

    def scan(self):
        return self.connection._scan_catalog(schemas=[self.wh.name])

    def hits(self, query):
        result = self.env["ipwb.table"].search_catalog(query, {}, 200)
        return {hit["name"]: hit for hit in result["results"] if hit["schema"] == self.wh.name}

    def edges(self, table):
        return self.env["ipwb.lineage.edge"].search([("source_table_id", "=", table.id)])

    def test_dropped_table_leaves_search_and_returns_with_the_same_records(self):
        ledger = self.t["zqx_ledger"]
        self.assertEqual(ledger.usage_count, 1)
        edges = self.edges(ledger)
        self.assertTrue(edges.filtered("source_column_id"), "column lineage points at the column")
        before = self.hits("zqx_settlement_ref")["zqx_ledger"]
        self.assertEqual(before["column"]["id"], self.ref.id)
        self.assertIn("zqx_ledger", self.hits("settlement"))
        self.assertIn("zqx_ledger", self.hits(""))

        self.wh.execute("DROP TABLE {schema}.zqx_ledger")
        self.scan()
        self.assertFalse(ledger.active)
        self.assertFalse(self.ref.active, "archived with its table")
        # exact column name, column description, table description, boosted table and column
        # candidates, the empty-query listing: none brings the archived table or its column back
        for query in ("zqx_settlement_ref", "zqx_settlement", "settlement reference", "settlement", ""):
            self.assertNotIn("zqx_ledger", self.hits(query), query)
        for query in ("zqx_settlement_ref", "zqx_settlement", "settlement"):
            self.assertIn("zqx_stays", self.hits(query), f"{query!r}: the table still there is found")
        archived_columns = self.env["ipwb.column"].search(
            [("name", "=", "zqx_settlement_ref"), ("table_id", "=", ledger.id)]
        )
        self.assertFalse(archived_columns)
        # the lineage is kept (for the table's return), not relinked to anything else
        self.assertEqual(self.edges(ledger), edges)

        self.wh.execute(self.ddl)
        summary = self.scan()
        self.assertEqual((summary["tables_reactivated"], summary["tables_created"]), (1, 0))
        back = self.hits("zqx_settlement_ref")["zqx_ledger"]
        self.assertEqual(back["id"], ledger.id, "the same table record")
        self.assertEqual(back["column"]["id"], self.ref.id, "the same column record")
        self.assertEqual(back["column"]["description"], "Bank settlement reference")
        self.assertEqual(back["score"], before["score"], "its boosts (gold, owner, usage) come back too")
        self.assertEqual((back["usage"], back["description"]), (1, "Zqx settlement book"))
        self.assertEqual(self.edges(ledger), edges, "with its lineage")
        self.assertIn("zqx_ledger", self.hits("settlement reference"))
        self.assertIn("zqx_ledger", self.hits(""))

    def test_scan_reads_columns_of_archived_tables_only_when_they_may_return(self):
        """A catalog where many tables came and went keeps their columns archived: a rescan
        must not read them all (a million of them ran a worker out of memory) unless the
        warehouse shows a table of that name or oid again."""
        ledger = self.t["zqx_ledger"]
        self.wh.execute("DROP TABLE {schema}.zqx_ledger")
        self.scan()
        self.assertFalse(ledger.active)

        def known_ledger():
            scanner = CatalogScanner(self.connection)
            snapshot = self.connection._introspect([self.wh.name])
            tables, _schemas = scanner.load(snapshot)
            return next(t for t in tables if t.key == (self.wh.name, "zqx_ledger")), scanner

        archived, scanner = known_ledger()
        self.assertFalse(archived.active)
        self.assertEqual(archived.columns, (), "its columns are not read while it stays gone")
        self.assertFalse([key for key in scanner.column_ids if key[0] == ledger.id])

        self.wh.execute(self.ddl)
        returning, scanner = known_ledger()
        self.assertIn("zqx_settlement_ref", {c.name for c in returning.columns}, "read when it comes back")
        self.assertEqual(self.scan()["tables_reactivated"], 1)
        self.assertTrue(self.ref.active, "and its column reactivated, not recreated")
