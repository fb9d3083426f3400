# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestCostLedger(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.alice = new_test_user(cls.env, "ipwb_alice", groups="ipwb_catalog.group_ipwb_user")
        cls.bob = new_test_user(cls.env, "ipwb_bob", groups="ipwb_catalog.group_ipwb_user")
        cls.architect = new_test_user(cls.env, "ipwb_arch", groups="ipwb_catalog.group_ipwb_architect")
        Entry = cls.env["ipwb.cost.entry"]
        cls.alice_entry = Entry.create({"source": "llm", "amount_usd": 0.0125, "user_id": cls.alice.id})
        cls.bob_entry = Entry.create({"source": "pipeline", "amount_usd": 1.5, "user_id": cls.bob.id})

    def test_users_see_only_their_own_costs(self):
        visible = self.env["ipwb.cost.entry"].with_user(self.alice).search([])
        self.assertIn(self.alice_entry, visible)
        self.assertNotIn(self.bob_entry, visible)

    def test_architect_sees_every_cost(self):
        visible = self.env["ipwb.cost.entry"].with_user(self.architect).search([])
        self.assertIn(self.alice_entry, visible)
        self.assertIn(self.bob_entry, visible)

    def test_users_cannot_forge_entries(self):
        with self.assertRaises(AccessError):
            self.env["ipwb.cost.entry"].with_user(self.alice).create({"source": "llm", "amount_usd": 0})
        with self.assertRaises(AccessError):
            self.alice_entry.with_user(self.alice).write({"amount_usd": 0})

    def test_negative_amounts_refused(self):
        with self.assertRaises(ValidationError):
            self.env["ipwb.cost.entry"].create({"source": "warehouse", "amount_usd": -1})

    def test_monthly_totals_per_user(self):
        groups = self.env["ipwb.cost.entry"].read_group(
            [("id", "in", (self.alice_entry | self.bob_entry).ids)], ["amount_usd:sum"], ["user_id"]
        )
        totals = {group["user_id"][0]: group["amount_usd"] for group in groups}
        self.assertAlmostEqual(totals[self.alice.id], 0.0125)
        self.assertAlmostEqual(totals[self.bob.id], 1.5)
