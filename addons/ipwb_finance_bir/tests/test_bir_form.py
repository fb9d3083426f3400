# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestBirForms(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.finance = new_test_user(cls.env, "ipwb_fin", groups="ipwb_finance_bir.group_ipwb_finance_manager")
        cls.user = new_test_user(cls.env, "ipwb_fin_user", groups="ipwb_catalog.group_ipwb_user")

    def test_reference_forms_loaded(self):
        codes = set(self.env["ipwb.bir.form"].search([]).mapped("code"))
        self.assertTrue({"2550Q", "1601-EQ", "QAP", "SAWT", "SLSP", "2307"} <= codes, codes)
        self.assertEqual(self.env.ref("ipwb_finance_bir.bir_form_2550q").frequency, "quarterly")

    def test_finance_manager_role(self):
        self.assertTrue(self.finance.has_group("ipwb_catalog.group_ipwb_user"))
        self.assertTrue(self.finance.has_group("account.group_account_readonly"))
        self.env["ipwb.bir.form"].with_user(self.finance).create(
            {"code": "1702Q", "name": "Quarterly Income Tax Return", "frequency": "quarterly", "kind": "vat"}
        )
        with self.assertRaises(AccessError):
            self.env["ipwb.bir.form"].with_user(self.user).create(
                {"code": "X", "name": "X", "frequency": "annual", "kind": "vat"}
            )

    def test_finance_menu_only_for_finance(self):
        menu = self.env.ref("ipwb_finance_bir.menu_ipwb_finance")
        visible_to_finance = self.env["ir.ui.menu"].with_user(self.finance).search([("id", "=", menu.id)])
        visible_to_user = self.env["ir.ui.menu"].with_user(self.user).search([("id", "=", menu.id)])
        self.assertEqual(visible_to_finance, menu)
        self.assertFalse(visible_to_user)

    def test_display_name_shows_code(self):
        self.assertEqual(self.env.ref("ipwb_finance_bir.bir_form_sawt").display_name.split(" - ")[0], "SAWT")
