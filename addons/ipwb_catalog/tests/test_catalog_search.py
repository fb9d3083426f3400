# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import itertools
from unittest.mock import patch

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .. import catalog_search
from ..catalog_search import (
    COLUMN_EXACT,
    COLUMN_FUZZY,
    COLUMN_PREFIX,
    COLUMN_SUBSTRING,
    EXACT,
    FUZZY,
    MAX_BOOST,
    PREFIX,
    SUBSTRING,
    TEXT,
)
from .common import WarehouseSchema

HOSTILE = [
    "%",
    "_",
    "%%__",
    "\\",
    "\\%",
    "'",
    "''; DROP TABLE ipwb_table; --",
    '"',
    "a'b\"c\\d%e_f",
    "x" * 10_000,
    "ç€ 表 🚀",
    "\x00nul",
    "   ",
    "(.*)[a-z]+$",
    "%s %(name)s {}",
]


@tagged("post_install", "-at_install")
class TestCatalogSearch(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.wh = WarehouseSchema("ipwb_srch")
        cls.addClassCleanup(cls.wh.drop)
        cls.wh.execute(
            "CREATE TABLE {schema}.customer (id int PRIMARY KEY, email text);"
            "CREATE TABLE {schema}.customer_address (id int, customer_id int, city text);"
            "CREATE TABLE {schema}.invoice (id int, total numeric, customer_ref int);"
            "CREATE TABLE {schema}.payments_100pct (id int, paid_at timestamptz);"
            "CREATE TABLE {schema}.kustomer (id int);"
            "CREATE TABLE {schema}.ledger (id int, vat_amount numeric)"
        )
        cls.connection._scan_catalog(schemas=[cls.wh.name])
        Table = cls.env["ipwb.table"]
        cls.t = {t.name: t for t in Table.search([("schema_name", "=", cls.wh.name)])}
        cls.tag = cls.env["ipwb.tag"].create({"name": "finance-critical"})
        cls.t["ledger"].write(
            {"tag_ids": [(6, 0, cls.tag.ids)], "description": "General ledger of the company"}
        )
        cls.t["invoice"].write({"layer": "gold", "domain": "finance"})

    def search(self, query, facets=None, limit=50, env=None):
        result = (env or self.env)["ipwb.table"].search_catalog(query, facets or {}, limit)
        return [hit for hit in result["results"] if hit["schema"] == self.wh.name], result

    def names(self, query, **kwargs):
        return [hit["name"] for hit in self.search(query, **kwargs)[0]]

    def test_exact_beats_prefix_beats_fuzzy(self):
        hits, _result = self.search("customer")
        names = [h["name"] for h in hits]
        self.assertEqual(names[0], "customer")
        self.assertEqual(hits[0]["match"], "exact")
        self.assertLess(names.index("customer_address"), names.index("kustomer"))
        self.assertEqual(hits[names.index("customer_address")]["match"], "prefix")

    def test_fuzzy_finds_typos(self):
        hits, _result = self.search("custmer")
        customer = next(h for h in hits if h["name"] == "customer")
        self.assertEqual(customer["match"], "fuzzy")

    def test_column_hit_shown_inline(self):
        hits, _result = self.search("vat_amount")
        self.assertEqual(hits[0]["name"], "ledger")
        self.assertEqual(hits[0]["column"]["name"], "vat_amount")
        self.assertEqual(hits[0]["column"]["data_type"], "numeric")
        self.assertTrue(hits[0]["column"]["best"])
        self.assertEqual(hits[0]["match"], "column")

    def test_description_and_tag_hits(self):
        self.assertIn("ledger", self.names("general ledger of"))
        self.assertIn("ledger", self.names("finance-crit"))

    def test_gold_and_owned_boosts(self):
        # "customer" appears in invoice.customer_ref and customer_address.customer_id (column prefix tier)
        before = self.names("customer_")
        self.assertLess(before.index("customer_address"), before.index("invoice"))
        self.t["invoice"].write({"layer": "gold", "owner_id": self.env.user.id})
        self.t["customer_address"].write({"layer": "silver"})
        hits, _r = self.search("customer_")
        scores = {h["name"]: h["score"] for h in hits}
        self.assertEqual(scores["invoice"] - scores["customer_address"], COLUMN_PREFIX + 40 - PREFIX)

    def test_boosts_never_cross_tiers(self):
        """A text hit on a gold, owned, much-used table stays below a weak fuzzy name hit."""
        invoice = self.t["invoice"]
        invoice.write({"description": "Ledgr export", "owner_id": self.env.user.id, "layer": "gold"})
        self.env["ipwb.table"].flush_model()
        self.env.cr.execute("UPDATE ipwb_table SET usage_count = 1000000 WHERE id = %s", [invoice.id])
        self.env["ipwb.table"].invalidate_model(["usage_count"])
        hits, _result = self.search("ledgr")
        by_name = {h["name"]: h for h in hits}
        self.assertEqual(by_name["ledger"]["match"], "fuzzy")
        self.assertEqual(by_name["invoice"]["match"], "text")
        self.assertGreater(by_name["ledger"]["score"], by_name["invoice"]["score"])
        floors = [EXACT, COLUMN_EXACT, PREFIX, COLUMN_PREFIX, SUBSTRING, COLUMN_SUBSTRING, FUZZY + 99]
        for higher, lower in itertools.pairwise(floors):
            self.assertLess(lower + MAX_BOOST, higher)
        self.assertLess(TEXT + MAX_BOOST, COLUMN_FUZZY)

    def test_crowded_tier_keeps_exact_and_boosted_hits(self):
        """Each candidate subquery is LIMITed; exact and boosted hits have their own."""
        self.t["invoice"].write({"layer": "gold"})
        for table in self.t.values():
            table.write({"domain": self.wh.name})
        facets = {"domain": self.wh.name}
        with patch.object(catalog_search, "CANDIDATES", 1):
            # every table has an exact column "id": one sampled, plus the gold one
            hits, result = self.search("id", facets=facets)
            self.assertEqual(hits[0]["name"], "invoice")
            self.assertEqual(hits[0]["column"]["name"], "id")
            self.assertLessEqual(result["total"], 2)
            self.assertTrue(result["more"], "a candidate limit was reached")
            # "customer" is an exact name, a prefix of customer_address and in two columns
            self.assertEqual(self.names("customer", facets=facets)[0], "customer")

    def test_fuzzy_and_text_searched_only_below_a_page_of_name_hits(self):
        # "customer": exact customer, prefix customer_address, columns customer_id/customer_ref
        hits, full = self.search("customer", limit=50)
        self.assertIn("kustomer", [h["name"] for h in hits])
        hits, page = self.search("customer", limit=2)
        self.assertNotIn("kustomer", [h["name"] for h in hits])
        self.assertLess(page["total"], full["total"], "the fuzzy kustomer is not even searched")
        self.assertEqual((page["more"], full["more"]), (True, False))

    def test_empty_query_lists_boosted_then_by_name(self):
        for table in self.t.values():
            table.write({"domain": self.wh.name})
        self.t["ledger"].write({"owner_id": self.env.user.id})
        names = self.names("", facets={"domain": self.wh.name})
        self.assertEqual(names[:2], ["invoice", "ledger"])  # gold, owned: +20 each, then by name
        self.assertEqual(names[2:], ["customer", "customer_address", "kustomer", "payments_100pct"])

    def test_facets_count_and_filter(self):
        _hits, result = self.search("")
        layers = {entry[0]: entry[2] for entry in result["facets"]["layer"]}
        self.assertGreaterEqual(layers.get("gold", 0), 1)
        self.assertIn(self.tag.id, [entry[0] for entry in result["facets"]["tag_ids"]])
        self.assertEqual(self.names("", facets={"layer": ["gold"]}), ["invoice"])
        self.assertEqual(self.names("", facets={"tag_ids": [self.tag.id]}), ["ledger"])
        self.assertEqual(self.names("", facets={"domain": "finance"}), ["invoice"])
        with self.assertRaises(UserError):
            self.search("", facets={"password": ["x"]})
        with self.assertRaises(UserError):
            self.search("", facets={"owner_id": ["1 OR 1=1"]})

    def test_hostile_strings_are_literal_and_safe(self):
        for query in HOSTILE:
            with self.subTest(query=query[:30]):
                _hits, result = self.search(query)
                self.assertLessEqual(len(result["query"]), 200)
        # wildcards are literal: "%" and "_" match only names containing them
        self.assertEqual(self.names("100pct"), ["payments_100pct"])
        self.assertNotIn("customer", self.names("%"))
        self.assertIn("payments_100pct", self.names("s_1"))
        self.assertNotIn("kustomer", self.names("k%"))
        self.assertTrue(self.env["ipwb.table"].search_count([]), "the catalog survived")
        with self.assertRaises(UserError):
            self.env["ipwb.table"].search_catalog(["not", "text"])

    def test_archived_tables_not_found(self):
        self.t["kustomer"].sudo().write({"active": False})
        self.assertNotIn("kustomer", self.names("kustomer"))

    def test_restricted_table_hidden_from_other_teams(self):
        team = self.env["res.groups"].create({"name": "Finance team"})
        self.t["ledger"].write({"restricted": True, "team_id": team.id})
        outsider = new_test_user(self.env, "ipwb_outsider", groups="ipwb_catalog.group_ipwb_user")
        member = new_test_user(self.env, "ipwb_member", groups="ipwb_catalog.group_ipwb_user")
        team.users = [(4, member.id)]
        self.assertNotIn("ledger", self.names("ledger", env=self.env(user=outsider)))
        self.assertNotIn("ledger", self.names("vat_amount", env=self.env(user=outsider)))
        self.assertIn("ledger", self.names("ledger", env=self.env(user=member)))

    def test_trigram_indexes_cover_active_rows_only(self):
        """Archived tables and columns are outside the search's indexes (churn, issue #20)."""
        self.env.cr.execute(
            """SELECT i.indrelid::regclass::text, a.attname, pg_get_expr(i.indpred, i.indrelid)
                 FROM pg_index i
                 JOIN pg_opclass o ON o.oid = i.indclass[0]
                 JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                WHERE o.opcname = 'gin_trgm_ops'
                  AND i.indrelid IN ('ipwb_table'::regclass, 'ipwb_column'::regclass)"""
        )
        rows = self.env.cr.fetchall()
        self.assertEqual(
            {(table, column) for table, column, _predicate in rows},
            {
                ("ipwb_table", "name"),
                ("ipwb_table", "full_name"),
                ("ipwb_table", "comment"),
                ("ipwb_table", "description"),
                ("ipwb_column", "name"),
                ("ipwb_column", "comment"),
                ("ipwb_column", "description"),
            },
        )
        self.assertEqual(len(rows), 7, "one index per column (the full ones are dropped)")
        self.assertEqual({predicate for _table, _column, predicate in rows}, {"active"})
        self.env.cr.execute(
            "SELECT pg_get_expr(i.indpred, i.indrelid) FROM pg_index i"
            " JOIN pg_class c ON c.oid = i.indexrelid WHERE c.relname = 'ipwb_table_active_id_index'"
        )
        self.assertEqual(self.env.cr.fetchall(), [("active",)], "visible tables are read from active rows")
