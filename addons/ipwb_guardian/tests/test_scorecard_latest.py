# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Scorecards scored before the at-a-glance fields existed get them on upgrade (``init``)."""

from odoo.tests import tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestScorecardLatest(TransactionCase):
    def test_upgrade_flags_the_latest_card_with_its_history_and_domain(self):
        self.env["ipwb.dq.check"].create(
            {
                "name": "id set",
                "table_ref": "silver.upg_orders",
                "column_name": "id",
                "check_type": "not_null",
                "domain": "upg_sales",
            }
        )
        Card = self.env["ipwb.dq.scorecard"]
        old = Card.create(
            [
                {
                    "name": "silver.upg_orders",
                    "scope": "table",
                    "date": f"2026-02-0{d} 00:00:00",
                    "overall": s,
                }
                for d, s in ((1, 60.0), (2, 75.0), (3, 50.0))
            ]
            + [{"name": "upg_sales", "scope": "domain", "date": "2026-02-03 00:00:00", "overall": 55.0}]
        )
        Card.flush_model()
        Card.init()
        Card.invalidate_model()
        latest = old.filtered("is_latest")
        self.assertEqual(latest.mapped("name"), ["silver.upg_orders", "upg_sales"])
        table = latest.filtered(lambda c: c.scope == "table")
        self.assertEqual(table.overall, 50.0)
        self.assertEqual(table.score_history, [60.0, 75.0, 50.0])
        self.assertEqual(table.domain_name, "upg_sales", "a table's domain comes from its checks")
        self.assertEqual(latest.filtered(lambda c: c.scope == "domain").domain_name, "upg_sales")
        # idempotent: a second upgrade changes nothing
        Card.init()
        Card.invalidate_model()
        self.assertEqual(old.filtered("is_latest"), latest)

    def test_refresh_keeps_one_latest_card_per_table(self):
        Card = self.env["ipwb.dq.scorecard"]
        first = Card.create({"name": "gold.upg_x", "scope": "table", "overall": 10.0, "is_latest": True})
        Card.search([("name", "=", "gold.upg_x"), ("is_latest", "=", True)]).write({"is_latest": False})
        second = Card.create({"name": "gold.upg_x", "scope": "table", "overall": 20.0, "is_latest": True})
        Card.flush_model()
        Card.init()  # nothing to do: a latest card exists
        Card.invalidate_model()
        self.assertEqual((first.is_latest, second.is_latest), (False, True))
