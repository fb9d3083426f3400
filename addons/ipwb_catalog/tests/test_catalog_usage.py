# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.sql.lineage import extract_lineage

from ..catalog_search import EXACT, FUZZY, MAX_USAGE_BOOST, PREFIX, usage_boost
from .common import WarehouseSchema


@tagged("post_install", "-at_install")
class TestCatalogUsageBoost(TransactionCase):
    """Query-history lineage boosts a table inside its ranking tier, never across tiers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.wh = WarehouseSchema("ipwb_use")
        cls.addClassCleanup(cls.wh.drop)
        cls.wh.execute(
            "CREATE TABLE {schema}.orders_daily (id int, amount numeric);"
            "CREATE TABLE {schema}.orders_weekly (id int, amount numeric);"
            "CREATE TABLE {schema}.orderz (id int)"
        )
        cls.connection._scan_catalog(schemas=[cls.wh.name])
        tables = cls.env["ipwb.table"].search([("schema_name", "=", cls.wh.name)])
        cls.t = {t.name: t for t in tables}

    def run_query(self, history_id, table):
        """What the SQL editor records for a successful query (history entry ``history_id``)."""
        lineage = extract_lineage(
            f"SELECT id, amount FROM {self.wh.name}.{table} WHERE amount > 0",
            query_target=f"query_history.{history_id}",
        )
        self.env["ipwb.lineage.edge"]._record_lineage(
            lineage, "query_history", str(history_id), connection=self.connection, replace=False
        )

    def search(self, query):
        result = self.env["ipwb.table"].search_catalog(query, {}, 50)
        return [hit for hit in result["results"] if hit["schema"] == self.wh.name]

    def test_used_table_ranks_first_within_tier(self):
        hits = self.search("orders")
        self.assertEqual([h["name"] for h in hits[:2]], ["orders_daily", "orders_weekly"])
        # two queries read orders_weekly (each records table and column edges; re-recording is a no-op)
        for history_id in (9001, 9002, 9002):
            self.run_query(history_id, "orders_weekly")
        self.run_query(9003, "orders_daily")
        self.assertEqual(self.t["orders_weekly"].usage_count, 2)
        self.assertEqual(self.t["orders_daily"].usage_count, 1)
        hits = self.search("orders")
        self.assertEqual([h["name"] for h in hits[:2]], ["orders_weekly", "orders_daily"])
        self.assertEqual([h["match"] for h in hits[:2]], ["prefix", "prefix"])
        self.assertEqual([h["score"] for h in hits[:2]], [PREFIX + usage_boost(2), PREFIX + usage_boost(1)])
        self.assertEqual(hits[0]["usage"], 2)

    def test_usage_ages_out_after_90_days(self):
        self.run_query(9101, "orders_weekly")
        self.assertEqual(self.t["orders_weekly"].usage_count, 1)
        self.env["ipwb.lineage.edge"].flush_model()
        self.env.cr.execute(
            "UPDATE ipwb_lineage_edge SET create_date = create_date - interval '91 days'"
            " WHERE source = 'query_history' AND source_ref = '9101'"
        )
        self.env["ipwb.connection"]._cron_scan_catalog()
        self.assertEqual(self.t["orders_weekly"].usage_count, 0)

    def test_usage_never_lifts_fuzzy_over_prefix(self):
        fuzzy = self.t["orderz"]
        self.run_query(9201, "orderz")
        fuzzy.write({"layer": "gold", "owner_id": self.env.user.id})
        self.env["ipwb.table"].flush_model()
        self.env.cr.execute("UPDATE ipwb_table SET usage_count = 1000000000 WHERE id = %s", [fuzzy.id])
        self.env["ipwb.table"].invalidate_model(["usage_count"])
        hits = self.search("orders")
        names = [h["name"] for h in hits]
        self.assertEqual(hits[names.index("orderz")]["match"], "fuzzy")
        self.assertLess(names.index("orders_daily"), names.index("orderz"))
        self.assertLess(names.index("orders_weekly"), names.index("orderz"))
        self.assertLess(hits[names.index("orderz")]["score"], FUZZY + 99 + 40 + MAX_USAGE_BOOST + 0.01)

    def test_sql_boost_matches_the_rule(self):
        table = self.t["orders_daily"]
        for usage in (1, 3, 4, 7, 8, 2**18 - 1, 2**18, 2**31 - 1):
            with self.subTest(usage=usage):
                self.env["ipwb.table"].flush_model()
                self.env.cr.execute("UPDATE ipwb_table SET usage_count = %s WHERE id = %s", [usage, table.id])
                self.env["ipwb.table"].invalidate_model(["usage_count"])
                hit = next(h for h in self.search("orders_daily") if h["name"] == "orders_daily")
                self.assertEqual(hit["score"], EXACT + usage_boost(usage))
