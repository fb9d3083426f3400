# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The restricted-table lookup behind every SQL run (which login role a user's SQL runs
as) is cached per worker, and every change it depends on is seen at once: a table's
restriction, team, name or connection; a restricted table created or deleted; a user
joining a team; a team deleted."""

from odoo.addons.ipwb_catalog import warehouse_grants

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .test_sql_grants import GrantsFixture


@tagged("post_install", "-at_install")
class TestGrantsCache(GrantsFixture, TransactionCase):
    def _keys(self, user):
        return warehouse_grants.user_team_keys(self.connection, user)

    def _policy(self):
        return warehouse_grants.restricted_policy(self.connection).get(("gold", "ipwb_test_grants_payroll"))

    def test_lookup_is_cached_and_costs_no_query(self):
        a = f"g{self.team_a.id}"
        self.assertEqual(self._keys(self.ann), {a})
        self.assertEqual(self._keys(self.ben), frozenset())
        self.env.flush_all()
        with self.assertQueryCount(0):
            self.assertEqual(self._keys(self.ann), {a})
            self.assertEqual(self._keys(self.ben), frozenset())
            self.assertEqual(self._policy(), {"admin", a})

    def test_every_change_is_seen_at_once(self):
        a, b = f"g{self.team_a.id}", f"g{self.team_b.id}"
        self.assertEqual((self._keys(self.ann), self._keys(self.ben)), ({a}, frozenset()))
        # the table moves to team B
        self.table.with_user(self.architect).write({"team_id": self.team_b.id})
        self.assertEqual((self._keys(self.ann), self._keys(self.ben)), (frozenset(), {b}))
        # ann joins team B
        self.ann.sudo().groups_id += self.team_b
        self.assertEqual(self._keys(self.ann), {b})
        # a rename is seen by the grant sync's policy
        self.table.sudo().write({"name": "ipwb_test_grants_payroll_renamed"})
        self.assertIsNone(self._policy())
        self.table.sudo().write({"name": "ipwb_test_grants_payroll"})
        self.assertEqual(self._policy(), {"admin", b})
        # the team is deleted: the table is left to administrators only
        team_c = self.env["res.groups"].create({"name": "IPWB test short-lived team"})
        self.table.with_user(self.architect).write({"team_id": team_c.id})
        self.assertEqual(self._policy(), {"admin", f"g{team_c.id}"})
        team_c.unlink()
        self.assertEqual(self._policy(), {"admin"})
        self.assertEqual(self._keys(self.ann), frozenset())
        # a restricted table created, then deleted
        other = (
            self.env["ipwb.table"]
            .sudo()
            .create(
                {
                    "connection_id": self.connection.id,
                    "schema_name": "gold",
                    "name": "ipwb_test_grants_other",
                    "restricted": True,
                    "team_id": self.team_a.id,
                }
            )
        )
        self.assertEqual(self._keys(self.ann), {a})
        other.unlink()
        self.assertEqual(self._keys(self.ann), frozenset())
        self.table.sudo().write({"team_id": self.team_a.id})
        # unrestricted: nobody's team set mentions it
        admin = new_test_user(self.env, "ipwb_grants_cache_admin", groups="ipwb_catalog.group_ipwb_admin")
        self.assertEqual(self._keys(admin), {"admin", a})
        self.table.sudo().write({"restricted": False})
        self.assertEqual(self._keys(admin), {"admin"})
