# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Guardian in the browser (headless Chromium): run a failing check on a gold table with a
planted defect, read its sample rows and scorecard, see promotion blocked with its reason;
an Architect grants a waiver from the gate and promotes the table."""

import uuid

from odoo.addons.ipwb_catalog.tests.common import WarehouseSchema
from odoo.addons.ipwb_catalog.tests.screenshots import screenshot_at_end

from odoo.tests import HttpCase, new_test_user, tagged


@tagged("post_install", "-at_install")
class TestGuardianTour(HttpCase):
    def test_check_scorecard_gate_and_waiver(self):
        name = f"gold_tour_{uuid.uuid4().hex[:8]}"
        ref = f"gold.{name}"
        wh = WarehouseSchema("ipwb_grdt")  # its connection writes into gold as the owner
        self.addCleanup(wh.drop)
        self.addCleanup(wh.execute, f"DROP TABLE IF EXISTS gold.{name}")
        wh.execute(
            f"CREATE TABLE gold.{name} (id int, email text);"
            f"INSERT INTO gold.{name} VALUES (1, 'a@x.ph'), (2, NULL), (3, 'c@x.ph'), (4, NULL)"
        )
        engineer = new_test_user(
            self.env, "grd_tour_de", groups="base.group_user,ipwb_catalog.group_ipwb_data_engineer"
        )
        architect = new_test_user(
            self.env,
            "grd_tour_arch",
            groups="base.group_user,ipwb_catalog.group_ipwb_data_engineer,ipwb_catalog.group_ipwb_architect",
        )
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        table = (
            self.env["ipwb.table"]
            .sudo()
            .create(
                {
                    "name": name,
                    "schema_name": "gold",
                    "layer": "gold",
                    "connection_id": connection.id,
                    "owner_id": engineer.id,
                    "slo_freshness_hours": 24,
                }
            )
        )
        self.env["ipwb.lineage.edge"].sudo().create(
            {"edge_type": "table", "source_table": "silver.silver_customers", "target_table": ref}
        )
        check = self.env["ipwb.dq.check"].create(
            {
                "name": "tour email set",
                "table_ref": ref,
                "column_name": "email",
                "check_type": "not_null",
                "connection_id": connection.id,
            }
        )
        self.start_tour("/odoo", "ipwb_guardian_engineer_tour", login=engineer.login, timeout=120)
        self.assertEqual(check.last_status, "fail")
        self.assertEqual(table.promotion_state, "draft")
        self.assertEqual(table.guardian_gate_id.status, "blocked")

        self.start_tour(f"/odoo/ipwb.table/{table.id}", "ipwb_guardian_architect_tour", login=architect.login)
        waiver = self.env["ipwb.guardian.waiver"].search([("target", "=", ref)])
        self.assertEqual(waiver.granted_by, architect)
        self.assertIn("e-mail backfill", waiver.reason)
        table.invalidate_recordset()
        self.assertEqual(table.promotion_state, "production")
        self.assertEqual(
            (table.guardian_gate_id.status, table.guardian_gate_id.waiver_id), ("waived", waiver)
        )


@tagged("post_install", "-at_install")
class TestScorecardsTour(HttpCase):
    browser_size = "1440x900"

    def test_scorecards_read_at_a_glance(self):
        Card = self.env["ipwb.dq.scorecard"]
        dims = ("completeness", "uniqueness", "consistency", "validity", "timeliness")
        history = []
        for day, score in enumerate((70.0, 80.0, 90.0), 1):
            history.append(score)
            Card.search([("name", "=", "gold.tour_sales"), ("is_latest", "=", True)]).is_latest = False
            Card.create(
                {
                    "name": "gold.tour_sales",
                    "scope": "table",
                    "date": f"2026-01-0{day} 00:00:00",
                    "overall": score,
                    **dict.fromkeys(dims, score),
                    "checks_count": 4,
                    "failed_count": 1,
                    "is_latest": True,
                    "domain_name": "sales_tour",
                    "score_history": list(history),
                }
            )
        Card.create(
            {
                "name": "sales_tour",
                "scope": "domain",
                "overall": 90.0,
                "is_latest": True,
                "domain_name": "sales_tour",
            }
        )
        with screenshot_at_end("quality_scorecards"):
            self.start_tour(
                "/odoo/action-ipwb_guardian.ipwb_dq_scorecard_action",
                "ipwb_guardian_scorecards_tour",
                login="admin",
                timeout=90,
            )

    def test_empty_states_tell_what_to_do(self):
        self.env["ipwb.dq.result"].search([]).unlink()
        with screenshot_at_end("empty_state_check_results"):
            self.start_tour(
                "/odoo/action-ipwb_guardian.ipwb_dq_result_action",
                "ipwb_guardian_empty_state_tour",
                login="admin",
                timeout=60,
            )
