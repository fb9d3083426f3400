# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ..services import demo_data


@tagged("post_install", "-at_install")
class TestDemoData(TransactionCase):
    def test_generate_once_deterministically(self):
        message = demo_data.generate(self.env, seed=7, year=2024, invoices_per_month=1, bills_per_month=1)
        self.assertIn("24 invoices and bills for 2024", message)
        company = self.env.ref(demo_data.COMPANY_XMLID)
        self.assertEqual(company.account_fiscal_country_id.code, "PH")
        moves = self.env["account.move"].search([("company_id", "=", company.id), ("state", "=", "posted")])
        self.assertLessEqual({"out_invoice", "in_invoice", "entry"}, set(moves.mapped("move_type")))
        bills = moves.filtered(lambda m: m.move_type == "in_invoice")
        self.assertTrue(all(bill.invoice_line_ids.tax_ids.filtered("l10n_ph_atc") for bill in bills))
        partners = moves.partner_id.filtered(lambda p: p.ref and p.ref.startswith("DEMO-"))
        self.assertTrue(partners and all(p.vat and p.branch_code for p in partners))
        self.assertTrue(self.env["hr.expense"].search_count([("company_id", "=", company.id)]))
        # idempotent: nothing is generated twice
        count = len(moves)
        self.assertIn("already", demo_data.generate(self.env, seed=7, year=2024))
        self.assertEqual(
            self.env["account.move"].search_count(
                [("company_id", "=", company.id), ("state", "=", "posted")]
            ),
            count,
        )

    def test_only_administrators_generate(self):
        user = new_test_user(self.env, "ipwb_fin_demo", groups="ipwb_finance_bir.group_ipwb_finance_manager")
        with self.assertRaises(UserError):
            self.env["ipwb.finance.run"].with_user(user).action_generate_demo_data()

    def test_demo_menu_action_for_administrators(self):
        action = self.env.ref("ipwb_finance_bir.ipwb_finance_demo_server_action")
        self.assertEqual(action.groups_id, self.env.ref("base.group_system"))
        result = action.with_context(active_model="ipwb.finance.run").run()
        self.assertEqual(result["tag"], "display_notification")
        self.assertIn("InsightPulse Demo PH", result["params"]["message"])
