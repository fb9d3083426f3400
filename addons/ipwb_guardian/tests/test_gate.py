# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Promotion gate on catalog tables: blocked, then allowed once requirements are met or waived."""

import datetime

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestGate(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(cls.env, "grd_gate_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.architect = new_test_user(cls.env, "grd_gate_arch", groups="ipwb_catalog.group_ipwb_architect")
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def _table(self, name, layer="gold"):
        return (
            self.env["ipwb.table"]
            .sudo()
            .create({"name": name, "schema_name": layer, "connection_id": self.connection.id, "layer": layer})
        )

    def test_gold_table_blocked_then_promoted_once_requirements_met(self):
        table = self._table("gold_grd_sales")
        action = table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "draft")
        gate = table.guardian_gate_id
        self.assertEqual(action["res_model"], "ipwb.guardian.gate")
        self.assertEqual(action["res_id"], gate.id)
        self.assertEqual(gate.status, "blocked")
        self.assertEqual(
            gate.reasons.splitlines(),
            ["no owner", "no SLO declared", "no tests", "no documented upstream lineage"],
        )
        # an architect sets owner and SLO; an engineer adds a test; lineage is documented
        table.with_user(self.architect).write({"owner_id": self.engineer.id, "slo_freshness_hours": 24})
        with self.assertRaises(AccessError):
            table.with_user(self.engineer).write({"slo_freshness_hours": 1})
        check = (
            self.env["ipwb.dq.check"]
            .with_user(self.engineer)
            .create(
                {
                    "name": "date set",
                    "table_ref": "gold.gold_grd_sales",
                    "column_name": "sale_date",
                    "check_type": "not_null",
                }
            )
        )
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "draft")
        self.assertEqual(
            table.guardian_gate_id.reasons.splitlines(),
            ["test 'date set' has not run yet", "no documented upstream lineage"],
        )
        self.env["ipwb.lineage.edge"].sudo().create(
            {
                "edge_type": "table",
                "source_table": "silver.silver_sales",
                "target_table": "gold.gold_grd_sales",
            }
        )
        # a non-blocking check counts as a test but its outcome does not gate (runs: test_gate_outcomes)
        check.blocking = False
        self.assertIs(table.with_user(self.engineer).action_promote(), True)
        self.assertEqual(table.promotion_state, "production")
        self.assertEqual(table.guardian_gate_id.status, "passed")
        self.assertFalse(table.guardian_gate_id.reasons)

    def test_silver_tables_are_not_gated(self):
        table = self._table("silver_grd_free", layer="silver")
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "production")

    def test_architect_waiver_lets_a_blocked_table_through_until_it_expires(self):
        table = self._table("gold_grd_waived")
        Waiver = self.env["ipwb.guardian.waiver"]
        with self.assertRaises(AccessError):
            Waiver.with_user(self.engineer).create(
                {"target": "gold.gold_grd_waived", "reason": "quarter close", "expiry": fields.Date.today()}
            )
        with self.assertRaises(ValidationError):
            Waiver.with_user(self.architect).create(
                {"target": "gold.gold_grd_waived", "reason": "late", "expiry": datetime.date(2000, 1, 1)}
            )
        with self.assertRaises(ValidationError):
            Waiver.with_user(self.architect).create(
                {"target": "gold", "reason": "bad target", "expiry": fields.Date.today()}
            )
        waiver = Waiver.with_user(self.architect).create(
            {
                "target": "gold.gold_grd_waived",
                "reason": "BIR deadline: tests follow next sprint",
                "expiry": fields.Date.today() + datetime.timedelta(days=7),
            }
        )
        self.assertEqual(waiver.granted_by, self.architect)
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "production")
        gate = table.guardian_gate_id
        self.assertEqual((gate.status, gate.waiver_id), ("waived", waiver))
        self.assertIn("no tests", gate.reasons)
        # expired: the gate blocks again
        waiver.with_context(ipwb_allow_past_expiry=True).sudo().expiry = (
            fields.Date.today() - datetime.timedelta(days=1)
        )
        self.assertFalse(waiver.is_valid)
        verdict = self.env["ipwb.guardian.gate"].check_target("gold.gold_grd_waived")
        self.assertEqual(verdict["status"], "blocked")

    def test_gate_is_reusable_with_explicit_facts(self):
        Gate = self.env["ipwb.guardian.gate"]
        verdict = Gate.check_target(
            "gold.gold_elsewhere", {"owner": "ana", "slo": "24 h", "tests": 3, "lineage": 2}
        )
        self.assertEqual((verdict["status"], verdict["reasons"]), ("passed", []))
        verdict = Gate.check_target("gold.gold_elsewhere", {"owner": "ana", "tests": 0})
        self.assertEqual(
            verdict["reasons"], ["no SLO declared", "no tests", "no documented upstream lineage"]
        )

    def test_only_engineers_promote_and_only_architects_demote(self):
        table = self._table("silver_grd_roles", layer="silver")
        viewer = new_test_user(self.env, "grd_gate_user", groups="ipwb_catalog.group_ipwb_user")
        with self.assertRaises(AccessError):
            table.with_user(viewer).action_promote()
        table.with_user(self.engineer).action_promote()
        with self.assertRaises(AccessError):
            table.with_user(self.engineer).action_demote()
        table.with_user(self.architect).action_demote()
        self.assertEqual(table.promotion_state, "draft")
