# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestQueryHistory(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = new_test_user(cls.env, "ipwb_qh_alice", groups="ipwb_catalog.group_ipwb_user")
        cls.bob = new_test_user(cls.env, "ipwb_qh_bob", groups="ipwb_catalog.group_ipwb_user")
        cls.admin = new_test_user(cls.env, "ipwb_qh_admin", groups="ipwb_catalog.group_ipwb_admin")
        History = cls.env["ipwb.query.history"]
        cls.alice_query = History.create(
            {
                "user_id": cls.alice.id,
                "statement": "SELECT 1\nFROM gold.vat",
                "status": "success",
                "row_count": 1,
            }
        )
        cls.bob_query = History.create(
            {
                "user_id": cls.bob.id,
                "statement": "DELETE FROM gold.vat",
                "status": "refused",
                "error": "read-only",
            }
        )

    def test_history_is_private_to_its_user(self):
        visible = self.env["ipwb.query.history"].with_user(self.alice).search([])
        self.assertIn(self.alice_query, visible)
        self.assertNotIn(self.bob_query, visible)

    def test_administrator_sees_all_history(self):
        visible = self.env["ipwb.query.history"].with_user(self.admin).search([])
        self.assertTrue(self.alice_query | self.bob_query <= visible)

    def test_history_cannot_be_rewritten(self):
        with self.assertRaises(AccessError):
            self.alice_query.with_user(self.alice).write({"statement": "SELECT 2"})
        with self.assertRaises(AccessError):
            self.alice_query.with_user(self.admin).write({"status": "error"})

    def test_summary_is_the_first_line(self):
        self.assertEqual(self.alice_query.summary, "SELECT 1")
