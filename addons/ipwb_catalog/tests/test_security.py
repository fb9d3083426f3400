# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

WORKBENCH_GROUPS = (
    "group_ipwb_user",
    "group_ipwb_bi_engineer",
    "group_ipwb_data_engineer",
    "group_ipwb_ai_orchestrator",
    "group_ipwb_architect",
    "group_ipwb_admin",
)


@tagged("post_install", "-at_install")
class TestWorkbenchSecurity(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_user", groups="ipwb_catalog.group_ipwb_user")
        cls.engineer = new_test_user(cls.env, "ipwb_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.admin = new_test_user(cls.env, "ipwb_admin", groups="ipwb_catalog.group_ipwb_admin")
        cls.connection = cls.env["ipwb.connection"].create(
            {"name": "Secret wh", "dbname": "somewhere", "username": "reader", "password": "s3cret"}
        )

    def test_groups_live_in_workbench_category(self):
        category = self.env.ref("ipwb_catalog.module_category_ipwb")
        for xmlid in WORKBENCH_GROUPS:
            self.assertEqual(self.env.ref(f"ipwb_catalog.{xmlid}").category_id, category, xmlid)

    def test_administrator_implies_every_role(self):
        implied = self.env.ref("ipwb_catalog.group_ipwb_admin").trans_implied_ids
        for xmlid in WORKBENCH_GROUPS[:-1]:
            self.assertIn(self.env.ref(f"ipwb_catalog.{xmlid}"), implied, xmlid)
        self.assertTrue(self.env.ref("base.user_admin").has_group("ipwb_catalog.group_ipwb_admin"))

    def test_user_reads_connections_but_not_secrets(self):
        as_user = self.connection.with_user(self.user)
        self.assertEqual(as_user.name, "Secret wh")
        with self.assertRaises(AccessError):
            as_user.read(["password"])
        with self.assertRaises(AccessError):
            self.env["ipwb.connection"].with_user(self.engineer).create({"name": "x", "dbname": "y"})
        with self.assertRaises(AccessError):
            as_user.write({"name": "renamed"})

    def test_admin_manages_connections_and_secrets(self):
        as_admin = self.connection.with_user(self.admin)
        self.assertEqual(as_admin.read(["password"])[0]["password"], "s3cret")
        as_admin.write({"password": "rotated"})
        self.assertEqual(self.connection.password, "rotated")

    def test_every_workbench_model_has_access_rules(self):
        models = self.env["ir.model"].search([("model", "=like", "ipwb.%")])
        self.assertTrue(models)
        for model in models:
            if model.transient or self.env[model.model]._abstract:
                continue  # wizards and services (abstract models) hold no records
            rules = self.env["ir.model.access"].search([("model_id", "=", model.id)])
            self.assertTrue(rules, f"{model.model} has no access rules")

    def test_menu_sections_exist(self):
        # every section exists, even the ones hidden until another addon fills them
        root = self.env.ref("ipwb_catalog.menu_ipwb_root")
        menus = self.env["ir.ui.menu"].with_context(**{"ir.ui.menu.full_list": True})
        names = set(menus.search([("parent_id", "=", root.id)]).mapped("name"))
        self.assertTrue(
            {"Catalog", "SQL", "Pipelines", "Quality", "Genie", "Costs", "Configuration"} <= names, names
        )
