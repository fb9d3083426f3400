# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import contextlib
import re
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.sql_db import Cursor
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import SQL

from .. import catalog_scanner
from .common import WarehouseSchema

WRITES = re.compile(
    r"^\s*(INSERT|UPDATE|DELETE)\b[^;]*\bipwb_(table|column|schema|lineage_edge)\b", re.I | re.S
)


@contextlib.contextmanager
def recorded_queries(env):
    """Record (not alter) every statement the Odoo cursor runs."""
    queries = []
    execute = Cursor.execute

    def recording(cursor, query, params=None, log_exceptions=None):
        queries.append(query.code if isinstance(query, SQL) else str(query))
        return execute(cursor, query, params, log_exceptions)

    env.flush_all()
    with patch.object(Cursor, "execute", recording):
        yield queries
        env.flush_all()


@tagged("post_install", "-at_install")
class TestCatalogScan(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def setUp(self):
        super().setUp()
        self.wh = WarehouseSchema()
        self.addCleanup(self.wh.drop)

    def scan(self):
        return self.connection._scan_catalog(schemas=[self.wh.name])

    def table(self, name, active=True):
        return (
            self.env["ipwb.table"]
            .with_context(active_test=False)
            .search(
                [
                    ("connection_id", "=", self.connection.id),
                    ("schema_name", "=", self.wh.name),
                    ("name", "=", name),
                    ("active", "=", active),
                ]
            )
        )

    def column(self, table, name):
        return table.with_context(active_test=False).column_ids.filtered(lambda c: c.name == name)

    def test_scan_mirrors_tables_columns_keys_and_comments(self):
        self.wh.execute(
            "CREATE TABLE {schema}.customer (id bigint PRIMARY KEY, email text NOT NULL DEFAULT 'x@y');"
            "COMMENT ON TABLE {schema}.customer IS 'Customers from the CRM';"
            "COMMENT ON COLUMN {schema}.customer.email IS 'Work address';"
            "CREATE TABLE {schema}.orders (id serial PRIMARY KEY,"
            " customer_id bigint REFERENCES {schema}.customer(id), amount numeric(12,2));"
            "CREATE VIEW {schema}.big_orders AS"
            " SELECT o.id, o.amount FROM {schema}.orders o WHERE o.amount > 100"
        )
        summary = self.scan()
        self.assertEqual(summary["tables_created"], 3)
        self.assertEqual(summary["schemas_created"], 1)
        customer = self.table("customer")
        self.assertEqual(customer.comment, "Customers from the CRM")
        self.assertFalse(customer.description, "the user description is separate from the DB comment")
        self.assertEqual(customer.kind, "table")
        self.assertEqual(customer.full_name, f"{self.wh.name}.customer")
        email = self.column(customer, "email")
        self.assertEqual((email.data_type, email.nullable, email.comment), ("text", False, "Work address"))
        self.assertEqual(email.default_value, "'x@y'::text")
        self.assertEqual(email.ordinal, 2)
        self.assertTrue(self.column(customer, "id").is_primary_key)
        orders = self.table("orders")
        self.assertEqual(self.column(orders, "customer_id").fk_reference, f"{self.wh.name}.customer.id")
        self.assertEqual(self.column(orders, "amount").data_type, "numeric(12,2)")
        view = self.table("big_orders")
        self.assertEqual(view.kind, "view")
        self.assertIn("amount", view.view_definition)
        schema = self.env["ipwb.schema"].search([("name", "=", self.wh.name)])
        self.assertEqual(schema.db_owner, "ipwb_wh_owner")
        self.assertEqual(schema.table_count, 3)
        # the scan also recorded the view's lineage
        edges = self.env["ipwb.lineage.edge"].search([("target_table", "=", view.full_name)])
        self.assertIn(orders.full_name, edges.mapped("source_table"))
        amount_edge = edges.filtered(lambda e: e.source_column == "amount" and e.target_column == "amount")
        self.assertEqual(amount_edge.source, "view")
        self.assertEqual(amount_edge.source_table_id, orders)
        self.assertEqual(amount_edge.target_column_id, self.column(view, "amount"))

    def test_first_scan_creates_in_chunks(self):
        """A large first scan creates tables chunk by chunk (flushed, uncached): same result."""
        self.wh.execute(
            ";".join(f"CREATE TABLE {{schema}}.t{i} (id int PRIMARY KEY, v{i} text)" for i in range(5))
        )
        with patch.object(catalog_scanner, "CREATE_CHUNK", 2):
            summary = self.scan()
        self.assertEqual(summary["tables_created"], 5)
        for i in range(5):
            table = self.table(f"t{i}")
            self.assertEqual(table.column_ids.mapped("name"), ["id", f"v{i}"])
        self.assertEqual(self.scan()["tables_created"], 0)

    def test_large_scan_analyzes_the_catalog(self):
        self.wh.execute("CREATE TABLE {schema}.a (id int); CREATE TABLE {schema}.b (id int)")
        with patch.object(catalog_scanner, "ANALYZE_AFTER", 2), recorded_queries(self.env) as queries:
            self.scan()
        self.assertIn("ANALYZE ipwb_table, ipwb_column", queries)
        self.assertTrue(any("gin_clean_pending_list" in query for query in queries))
        self.wh.execute("DROP TABLE {schema}.a")
        with patch.object(catalog_scanner, "ANALYZE_AFTER", 2), recorded_queries(self.env) as queries:
            self.scan()  # one table archived: below the threshold
        self.assertNotIn("ANALYZE ipwb_table, ipwb_column", queries)

    def test_second_scan_writes_nothing(self):
        self.wh.execute(
            "CREATE TABLE {schema}.t (id int PRIMARY KEY, note text);"
            "CREATE VIEW {schema}.v AS SELECT id FROM {schema}.t"
        )
        self.scan()
        with recorded_queries(self.env) as queries:
            summary = self.scan()
        self.assertFalse(any(summary[k] for k in summary if not k.startswith("lineage_kept")), summary)
        writes = [q for q in queries if WRITES.search(str(q))]
        self.assertEqual(writes, [], "an unchanged warehouse is scanned without a single write")

    def test_drop_archives_and_recreate_reactivates(self):
        self.wh.execute("CREATE TABLE {schema}.sales (id int, amt numeric, region text)")
        self.scan()
        sales = self.table("sales")
        sales.write({"description": "Daily sales", "owner_id": self.env.user.id})
        self.column(sales, "amt").write({"description": "Gross amount"})

        self.wh.execute("DROP TABLE {schema}.sales")
        summary = self.scan()
        self.assertEqual(summary["tables_archived"], 1)
        self.assertFalse(sales.active, "a dropped table is archived, not deleted")
        self.assertEqual(sales.description, "Daily sales")
        self.assertFalse(self.env["ipwb.table"].search([("id", "=", sales.id)]))

        self.wh.execute("CREATE TABLE {schema}.sales (id int, amt numeric, country text)")
        summary = self.scan()
        self.assertEqual(summary["tables_reactivated"], 1)
        self.assertEqual(summary["tables_created"], 0)
        self.assertTrue(sales.active, "the re-created table is matched again")
        self.assertEqual((sales.description, sales.owner_id), ("Daily sales", self.env.user))
        self.assertEqual(self.column(sales, "amt").description, "Gross amount")
        self.assertFalse(self.column(sales, "region").active)
        self.assertTrue(self.column(sales, "country").active)
        self.assertEqual(len(self.table("sales")), 1)

    def test_columns_leave_and_return_with_their_table(self):
        self.wh.execute("CREATE TABLE {schema}.churn (id int, amount numeric, memo text)")
        self.wh.execute("CREATE TABLE {schema}.stays (id int, amount numeric)")
        self.scan()
        churn, stays = self.table("churn"), self.table("stays")
        self.column(churn, "amount").write({"description": "Kept while archived"})

        self.wh.execute("DROP TABLE {schema}.churn")
        self.scan()
        columns = churn.with_context(active_test=False).column_ids
        self.assertEqual(columns.mapped("active"), [False, False, False], "archived with their table")
        self.assertTrue(all(stays.column_ids.mapped("active")), "other tables' columns untouched")
        self.assertFalse(
            self.env["ipwb.column"].search([("table_id", "=", churn.id)]),
            "an archived table's columns are not found",
        )

        # back without memo: the columns still there return, memo stays archived
        self.wh.execute("CREATE TABLE {schema}.churn (id int, amount numeric)")
        self.scan()
        self.assertTrue(churn.active)
        self.assertTrue(self.column(churn, "id").active)
        self.assertTrue(self.column(churn, "amount").active)
        self.assertEqual(self.column(churn, "amount").description, "Kept while archived")
        self.assertFalse(self.column(churn, "memo").active, "dropped while archived: stays archived")

    def test_column_rename_keeps_description(self):
        self.wh.execute("CREATE TABLE {schema}.ledger (id int, amt numeric)")
        self.scan()
        ledger = self.table("ledger")
        amt = self.column(ledger, "amt")
        amt.write({"description": "Signed amount in PHP"})
        self.wh.execute("ALTER TABLE {schema}.ledger RENAME COLUMN amt TO amount")
        summary = self.scan()
        self.assertEqual(summary["columns_renamed"], 1)
        self.assertEqual(amt.name, "amount")
        self.assertEqual(amt.description, "Signed amount in PHP")
        self.assertTrue(amt.active)

    def test_table_rename_and_schema_drop(self):
        self.wh.execute("CREATE TABLE {schema}.old_name (id int)")
        self.scan()
        table = self.table("old_name")
        table.write({"description": "kept"})
        self.wh.execute("ALTER TABLE {schema}.old_name RENAME TO new_name")
        self.scan()
        self.assertEqual((table.name, table.description, table.active), ("new_name", "kept", True))
        self.wh.execute("DROP SCHEMA {schema} CASCADE")
        self.wh.execute("CREATE SCHEMA {schema}")
        self.scan()
        self.assertFalse(table.active)

    def test_layers_from_schema_names(self):
        # a full scan of the warehouse sees the medallion schemas setup created
        self.connection._scan_catalog()
        schemas = self.env["ipwb.schema"].search([("connection_id", "=", self.connection.id)])
        layers = {s.name: s.layer for s in schemas}
        self.assertEqual(layers.get("gold"), "gold")
        self.assertEqual(layers.get("bronze"), "bronze")
        self.assertFalse(layers.get(self.wh.name))
        self.assertTrue(self.connection.last_scan_date)

    def test_cron_and_button_share_the_scan(self):
        self.wh.execute("CREATE TABLE {schema}.cron_t (id int)")
        broken = self.env["ipwb.connection"].create(
            {"name": "A broken warehouse", "dbname": "nowhere_db", "port": 1, "username": "x"}
        )
        self.env["ipwb.connection"]._cron_scan_catalog()  # one failing warehouse stops no other
        self.assertTrue(self.table("cron_t"))
        self.assertFalse(broken.last_scan_date)
        action = self.connection.action_scan()
        self.assertEqual(action["params"]["type"], "success")
        cron = self.env.ref("ipwb_catalog.cron_scan_catalog")
        self.assertEqual(cron.code.strip(), "model._cron_scan_catalog()")

    def test_unreachable_warehouse_is_a_clear_error_and_changes_nothing(self):
        broken = self.env["ipwb.connection"].create(
            {"name": "Broken", "dbname": "nowhere_db", "host": "127.0.0.1", "port": 1, "username": "x"}
        )
        with self.assertRaisesRegex(UserError, "Broken"):
            broken._scan_catalog()
        self.assertFalse(broken.table_ids)

    def test_plain_user_cannot_scan(self):
        user = new_test_user(self.env, "ipwb_scan_user", groups="ipwb_catalog.group_ipwb_user")
        with self.assertRaises(AccessError):
            self.connection.with_user(user)._scan_catalog()

    def test_view_lineage_is_qualified_for_schemas_on_the_search_path(self):
        # the warehouse roles have the medallion schemas on their search_path, where
        # pg_get_viewdef would drop the schema of every relation it names
        suffix = self.wh.name.rsplit("_", 1)[1]
        table, view = f"ipwb_src_{suffix}", f"ipwb_view_{suffix}"
        self.wh.execute(f"CREATE TABLE bronze.{table} (id int, amount numeric)")
        self.addCleanup(self.wh.execute, f"DROP TABLE IF EXISTS bronze.{table} CASCADE")
        self.wh.execute(f"CREATE VIEW silver.{view} AS SELECT id, amount FROM bronze.{table}")
        self.connection._scan_catalog(schemas=["bronze", "silver"])
        edges = self.env["ipwb.lineage.edge"].search([("target_table", "=", f"silver.{view}")])
        self.assertEqual(set(edges.mapped("source_table")), {f"bronze.{table}"})
        self.assertTrue(all(edges.mapped("source_table_id")))
        self.assertEqual(edges.target_table_id.layer, "silver")
