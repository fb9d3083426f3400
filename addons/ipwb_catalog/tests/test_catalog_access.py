# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestCatalogAccess(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        group = "ipwb_catalog.group_ipwb_"
        cls.user = new_test_user(cls.env, "cat_user", groups=group + "user")
        cls.bi = new_test_user(cls.env, "cat_bi", groups=group + "bi_engineer")
        cls.de = new_test_user(cls.env, "cat_de", groups=group + "data_engineer")
        cls.architect = new_test_user(cls.env, "cat_arch", groups=group + "architect")
        cls.admin = new_test_user(cls.env, "cat_admin", groups=group + "admin")
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        # the scanner creates catalog records as superuser; so does this fixture
        cls.table = cls.env["ipwb.table"].create(
            {"connection_id": cls.connection.id, "schema_name": "gold", "name": "acl_sales", "layer": "gold"}
        )
        cls.column = cls.env["ipwb.column"].create({"table_id": cls.table.id, "name": "amount", "attnum": 1})
        cls.team = cls.env["res.groups"].create({"name": "Finance domain team", "users": [(4, cls.bi.id)]})
        cls.secret = cls.env["ipwb.table"].create(
            {
                "connection_id": cls.connection.id,
                "schema_name": "gold",
                "name": "acl_payroll",
                "restricted": True,
                "team_id": cls.team.id,
            }
        )
        cls.secret_column = cls.env["ipwb.column"].create({"table_id": cls.secret.id, "name": "salary"})

    def test_user_reads_but_cannot_write(self):
        table = self.table.with_user(self.user)
        self.assertEqual(table.full_name, "gold.acl_sales")
        self.assertEqual(self.column.with_user(self.user).name, "amount")
        with self.assertRaises(AccessError):
            table.write({"description": "nope"})
        with self.assertRaises(AccessError):
            self.column.with_user(self.user).write({"description": "nope"})

    def test_engineers_document_but_do_not_govern(self):
        for engineer in (self.bi, self.de):
            tag = self.env["ipwb.tag"].with_user(engineer).create({"name": f"tag-{engineer.login}"})
            self.table.with_user(engineer).write({"description": "Sales by day", "tag_ids": [(4, tag.id)]})
            self.column.with_user(engineer).write({"description": "Gross, PHP"})
            for vals in ({"owner_id": engineer.id}, {"slo_freshness_hours": 2}, {"restricted": True}):
                with self.assertRaisesRegex(AccessError, "Architects"):
                    self.table.with_user(engineer).write(vals)
            with self.assertRaisesRegex(AccessError, "Architects"):
                self.column.with_user(engineer).write({"is_pii": True})
        self.assertEqual(self.table.description, "Sales by day")
        self.assertFalse(self.table.owner_id)

    def test_architect_governs(self):
        self.assertFalse(self.table.with_user(self.bi).can_govern)
        self.assertTrue(self.table.with_user(self.architect).can_govern)
        self.table.with_user(self.architect).write(
            {
                "owner_id": self.bi.id,
                "team_id": self.team.id,
                "slo_freshness_hours": 24,
                "slo_completeness_pct": 99.5,
            }
        )
        self.column.with_user(self.architect).write({"is_pii": True})
        self.assertEqual(self.table.owner_id, self.bi)
        self.assertTrue(self.column.is_pii)

    def test_scanned_fields_are_read_only_for_everyone_but_the_scanner(self):
        for user in (self.bi, self.architect, self.admin):
            with self.assertRaisesRegex(AccessError, "scan"):
                self.table.with_user(user).write({"name": "renamed"})
            with self.assertRaisesRegex(AccessError, "scan"):
                self.column.with_user(user).write({"data_type": "text"})
            with self.assertRaises(AccessError):
                self.env["ipwb.table"].with_user(user).create(
                    {"connection_id": self.connection.id, "schema_name": "x", "name": "y"}
                )

    def test_restricted_table_visible_to_its_team_and_admins_only(self):
        Table = self.env["ipwb.table"]
        Column = self.env["ipwb.column"]
        domain = [("name", "in", ("acl_sales", "acl_payroll"))]
        self.assertEqual(Table.with_user(self.user).search(domain), self.table)
        self.assertEqual(Table.with_user(self.de).search(domain), self.table)
        self.assertEqual(Table.with_user(self.bi).search(domain), self.table | self.secret)
        self.assertEqual(Table.with_user(self.admin).search(domain), self.table | self.secret)
        self.assertFalse(Column.with_user(self.user).search([("id", "=", self.secret_column.id)]))
        self.assertTrue(Column.with_user(self.bi).search([("id", "=", self.secret_column.id)]))
        with self.assertRaises(AccessError):
            self.secret.with_user(self.user).read(["name"])

    def test_only_admins_manage_connections_and_scanning_needs_engineers(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.architect).write({"name": "x"})
        with self.assertRaises(AccessError):
            self.connection.with_user(self.bi)._scan_catalog()

    def test_lineage_edges(self):
        Edge = self.env["ipwb.lineage.edge"]
        with self.assertRaises(AccessError):
            Edge.with_user(self.user).create({"source_table": "a", "target_table": "b"})
        edge = Edge.with_user(self.de).create({"source_table": "a", "target_table": "b", "source": "manual"})
        self.assertEqual(edge.with_user(self.user).display_name, "a → b")

    def test_neo4j_settings_are_admin_only(self):
        settings = self.env["res.config.settings"]
        self.assertEqual(settings._fields["ipwb_neo4j_password"].groups, "base.group_system")
        with self.assertRaises(AccessError):
            self.env["ir.config_parameter"].with_user(self.admin).get_param("ipwb_catalog.neo4j_password")
