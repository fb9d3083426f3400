# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The overview counts only what the user may read: record rules and access rights apply,
nothing is computed as superuser for them."""

import datetime

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import DOMAIN, OverviewSeed


@tagged("post_install", "-at_install")
class TestOverviewAccess(OverviewSeed, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._seed()

    def _tiles(self, user, **kwargs):
        data = self.env["ipwb.overview"].with_user(user).get_overview(**kwargs)
        return {tile["key"]: tile for tile in data["tiles"]}

    def test_restricted_tables_count_only_for_their_team(self):
        outside = self._tiles(self.viewer, days=30, domain_name=DOMAIN)
        inside = self._tiles(self.engineer, days=30, domain_name=DOMAIN)
        self.assertEqual(outside["tables_cataloged"]["value"], 4)  # the restricted table is not theirs
        self.assertEqual(inside["tables_cataloged"]["value"], 5)
        Table = self.env["ipwb.table"]
        for user, tiles in ((self.viewer, outside), (self.engineer, inside)):
            self.assertEqual(
                tiles["tables_cataloged"]["value"],
                Table.with_user(user).search_count([("domain", "=", DOMAIN)]),
            )
        self.assertEqual(
            outside["gold_ready"]["detail"], "1 of 2 gold tables have owner, SLO, tests and lineage"
        )
        # the team filter offers only teams of tables the user can see
        teams = self.env["ipwb.overview"].with_user(self.viewer).get_overview(days=7)["filters"]["teams"]
        self.assertNotIn(self.team.id, [team["id"] for team in teams])

    def test_costs_of_others_are_not_counted(self):
        engineer = self._tiles(self.engineer, days=30, domain_name=DOMAIN)
        self.assertAlmostEqual(engineer["cost_per_user"]["value"], 15.0)  # own entries only
        self.assertEqual(engineer["cost_per_user"]["detail"], "15.00 USD over 1 users")
        architect_view = self._tiles(self.env.ref("base.user_admin"), days=30, domain_name=DOMAIN)
        self.assertAlmostEqual(architect_view["cost_per_user"]["value"], 10.0)

    def test_login_log_needs_settings_rights(self):
        self.env["res.users.log"].with_user(self.viewer).sudo().create({})
        viewer = self._tiles(self.viewer, days=7)
        self.assertEqual(viewer["active_users"]["status"], "hidden")
        self.assertIsNone(viewer["active_users"]["value"])
        self.assertEqual(viewer["active_users"]["link"], {})
        admin = self._tiles(self.env.ref("base.user_admin"), days=7)
        self.assertGreaterEqual(admin["active_users"]["value"], 1)

    def test_traces_of_others_hidden_from_plain_users(self):
        self.env["ipwb.llm.trace"].sudo().create(
            {"user_id": self.orchestrator.id, "feature": "ovw", "latency_ms": 5}
        )
        viewer = self._tiles(self.viewer, days=7)
        orchestrator = self._tiles(self.orchestrator, days=7)
        Trace = self.env["ipwb.llm.trace"]
        since = datetime.datetime.combine(self.now.date() - datetime.timedelta(days=6), datetime.time())
        for user, tiles in ((self.viewer, viewer), (self.orchestrator, orchestrator)):
            count = Trace.with_user(user).search_count([("create_date", ">=", since)])
            self.assertAlmostEqual(tiles["ai_queries"]["value"], count / 7)
        self.assertLess(viewer["ai_queries"]["value"], orchestrator["ai_queries"]["value"])

    def test_users_without_workbench_group_are_refused(self):
        with self.assertRaises(AccessError):
            self.env["ipwb.overview"].with_user(self.outsider).get_overview(days=7)
