# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The editor's schema browser: paged catalog reads, search, and the catalog's rights."""

from odoo.addons.ipwb_catalog.tests.rpc_fuzz import assert_refused

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .test_rpc_fuzz import ENTRIES

USER = "ipwb_catalog.group_ipwb_user"


@tagged("post_install", "-at_install")
class TestSqlBrowser(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        Table = cls.env["ipwb.table"].with_context(active_test=False)
        Table.search([("connection_id", "=", cls.connection.id)]).unlink()
        cls.outsider = new_test_user(cls.env, "ipwb_brw_outsider", groups=USER)
        cls.member = new_test_user(cls.env, "ipwb_brw_member", groups=USER)
        cls.team = cls.env["res.groups"].create({"name": "Payroll team", "users": [(4, cls.member.id)]})
        # created as the scanner does (superuser): 7 open gold tables, one restricted gold
        # table, a silver table, and a schema holding only a restricted table
        names = [f"brw_t{i:02d}" for i in range(7)]
        cls.tables = Table.create(
            [{"connection_id": cls.connection.id, "schema_name": "gold", "name": n} for n in names]
            + [
                {
                    "connection_id": cls.connection.id,
                    "schema_name": "silver",
                    "name": "brw_orders",
                    "kind": "view",
                }
            ]
        )
        cls.payroll = Table.create(
            {
                "connection_id": cls.connection.id,
                "schema_name": "gold",
                "name": "brw_payroll",
                "restricted": True,
                "team_id": cls.team.id,
            }
        )
        cls.hr = Table.create(
            {
                "connection_id": cls.connection.id,
                "schema_name": "hr_secret",
                "name": "brw_salaries",
                "restricted": True,
                "team_id": cls.team.id,
            }
        )
        Column = cls.env["ipwb.column"]
        cls.columns = Column.create(
            [
                {"table_id": cls.tables[0].id, "name": "brw_day", "data_type": "date", "ordinal": 2},
                {
                    "table_id": cls.tables[0].id,
                    "name": "brw_id",
                    "data_type": "integer",
                    "ordinal": 1,
                    "is_primary_key": True,
                },
                {
                    "table_id": cls.tables[0].id,
                    "name": "brw_amount",
                    "data_type": "numeric(12,2)",
                    "ordinal": 3,
                },
            ]
        )
        Column.create(
            {"table_id": cls.payroll.id, "name": "brw_salary", "data_type": "numeric", "ordinal": 1}
        )
        Column.create({"table_id": cls.hr.id, "name": "brw_salary_hr", "data_type": "numeric", "ordinal": 1})

    def browser(self, user):
        return self.env["ipwb.sql.browser"].with_user(user)

    def test_schemas_count_only_what_the_user_may_read(self):
        outsider = self.browser(self.outsider).browse_schemas(self.connection.id)
        member = self.browser(self.member).browse_schemas(self.connection.id)
        self.assertEqual(
            outsider["schemas"], [{"name": "gold", "table_count": 7}, {"name": "silver", "table_count": 1}]
        )
        self.assertEqual(
            member["schemas"],
            [
                {"name": "gold", "table_count": 8},
                {"name": "hr_secret", "table_count": 1},
                {"name": "silver", "table_count": 1},
            ],
        )
        self.assertTrue(outsider["scanned"])
        self.assertFalse(outsider["more"])

    def test_schema_pages(self):
        browser = self.browser(self.member)
        first = browser.browse_schemas(self.connection.id, 0, 2)
        second = browser.browse_schemas(self.connection.id, 2, 2)
        self.assertEqual([s["name"] for s in first["schemas"]], ["gold", "hr_secret"])
        self.assertEqual((first["more"], second["more"]), (True, False))
        self.assertEqual([s["name"] for s in second["schemas"]], ["silver"])

    def test_tables_are_paged_and_restricted_ones_hidden(self):
        browser = self.browser(self.outsider)
        pages, offset = [], 0
        while True:
            page = browser.browse_tables(self.connection.id, "gold", offset, 3)
            self.assertLessEqual(len(page["tables"]), 3)
            pages.append(page)
            offset += len(page["tables"])
            if not page["more"]:
                break
        names = [t["name"] for page in pages for t in page["tables"]]
        self.assertEqual(names, [f"brw_t{i:02d}" for i in range(7)])
        self.assertEqual(len(pages), 3)
        member = self.browser(self.member).browse_tables(self.connection.id, "gold", 0, 100)
        payroll = [t for t in member["tables"] if t["name"] == "brw_payroll"]
        self.assertEqual(payroll[0]["restricted"], True)
        self.assertEqual(
            self.browser(self.outsider).browse_tables(self.connection.id, "hr_secret")["tables"], []
        )
        silver = browser.browse_tables(self.connection.id, "silver")["tables"]
        self.assertEqual(
            [(t["schema"], t["name"], t["kind"]) for t in silver], [("silver", "brw_orders", "view")]
        )

    def test_columns_in_table_order_with_types(self):
        page = self.browser(self.outsider).browse_columns(self.connection.id, self.tables[0].id)
        self.assertEqual(
            [(c["name"], c["type"], c["primary_key"]) for c in page["columns"]],
            [("brw_id", "integer", True), ("brw_day", "date", False), ("brw_amount", "numeric(12,2)", False)],
        )
        first = self.browser(self.outsider).browse_columns(self.connection.id, self.tables[0].id, 0, 2)
        self.assertEqual((len(first["columns"]), first["more"]), (2, True))

    def test_columns_of_a_restricted_table_are_refused_to_outsiders(self):
        with self.assertRaises(UserError):
            self.browser(self.outsider).browse_columns(self.connection.id, self.payroll.id)
        member = self.browser(self.member).browse_columns(self.connection.id, self.payroll.id)
        self.assertEqual([c["name"] for c in member["columns"]], ["brw_salary"])

    def test_search_finds_tables_and_columns_the_user_may_read(self):
        outsider = self.browser(self.outsider).browse_search(self.connection.id, "BRW_")
        self.assertNotIn("brw_payroll", [t["name"] for t in outsider["tables"]])
        self.assertNotIn("brw_salaries", [t["name"] for t in outsider["tables"]])
        self.assertEqual(sorted(c["name"] for c in outsider["columns"]), ["brw_amount", "brw_day", "brw_id"])
        member = self.browser(self.member).browse_search(self.connection.id, "salary")
        self.assertEqual(
            [(c["name"], c["table"]) for c in member["columns"]],
            [("brw_salary", "gold.brw_payroll"), ("brw_salary_hr", "hr_secret.brw_salaries")],
        )
        self.assertEqual(
            self.browser(self.outsider).browse_search(self.connection.id, "salary")["columns"], []
        )
        limited = self.browser(self.outsider).browse_search(self.connection.id, "brw_t0", 4)
        self.assertEqual((len(limited["tables"]), limited["more_tables"]), (4, True))
        empty = self.browser(self.outsider).browse_search(self.connection.id, "  ")
        self.assertEqual((empty["tables"], empty["columns"]), ([], []))

    def test_unscanned_connection_says_so(self):
        self.env["ipwb.table"].search([("connection_id", "=", self.connection.id)]).unlink()
        self.connection.sudo().last_scan_date = False
        result = self.browser(self.outsider).browse_schemas(self.connection.id)
        self.assertEqual((result["scanned"], result["schemas"]), (False, []))

    def test_hostile_arguments_are_refused(self):
        def entry(method):
            return next(e for e in ENTRIES if (e.model, e.method) == ("ipwb.sql.browser", method))

        conn = self.connection.id
        for limit in (0, -1, 501, 10**12, 1.5, "10", [3], True):
            with self.subTest(limit=limit):
                assert_refused(
                    self,
                    entry("browse_tables"),
                    self.outsider,
                    connection_id=conn,
                    schema="gold",
                    limit=limit,
                )
        for offset in (-1, 2**31, 0.5, "0"):
            assert_refused(self, entry("browse_schemas"), self.outsider, connection_id=conn, offset=offset)
        for schema in ("", None, 42, ["gold"], "g\x00", "x" * 600):
            with self.subTest(schema=str(schema)[:20]):
                assert_refused(self, entry("browse_tables"), self.outsider, connection_id=conn, schema=schema)
        for table_id in (None, 0, -5, 2**40, "1", 1.0, [self.tables[0].id], self.payroll.id, 2**31 - 1):
            with self.subTest(table_id=table_id):
                assert_refused(
                    self, entry("browse_columns"), self.outsider, connection_id=conn, table_id=table_id
                )
        for query in (42, {"q": 1}, "a\x00", "x" * 600):
            assert_refused(self, entry("browse_search"), self.outsider, connection_id=conn, query=query)
        for connection_id in (2**40, -1, "abc", 2.5):
            assert_refused(self, entry("browse_schemas"), self.outsider, connection_id=connection_id)
        # a table of another connection is not reachable through this one
        other = self.env["ipwb.connection"].search([("id", "!=", conn)], limit=1)
        if other:
            assert_refused(
                self,
                entry("browse_columns"),
                self.outsider,
                connection_id=other.id,
                table_id=self.tables[0].id,
            )

    def test_outsiders_of_the_workbench_may_not_browse(self):
        stranger = new_test_user(self.env, "ipwb_brw_stranger", groups="base.group_user")
        with self.assertRaises(UserError):  # AccessError is a UserError
            self.browser(stranger).browse_schemas(self.connection.id)
