# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import tagged

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestLayerGate(PipelineCase):
    """One quality gate over a layer's tables (``tables``), run as one Guardian batch."""

    def setUp(self):
        super().setUp()
        self.other = f"{self.table}_b"
        self.addCleanup(self.wh, f"DROP TABLE IF EXISTS {self.other}")
        self.wh(f"CREATE TABLE {self.table} (id int, code text); INSERT INTO {self.table} VALUES (1, 'a')")
        self.wh(f"CREATE TABLE {self.other} (id int); INSERT INTO {self.other} VALUES (1), (NULL)")
        Check = self.env["ipwb.dq.check"]
        self.checks = Check.create(
            [
                {"name": "a_id", "table_ref": self.table, "column_name": "id", "check_type": "not_null"},
                {"name": "a_code", "table_ref": self.table, "column_name": "code", "check_type": "unique"},
                {"name": "b_id", "table_ref": self.other, "column_name": "id", "check_type": "not_null"},
            ]
        )

    def _gate(self, **config):
        pipeline = self.make_pipeline(
            [
                ("gate", "quality_gate", {"tables": [self.table, self.other], **config}, []),
                ("publish", "sql", {"sql": "SELECT 1"}, ["gate"]),
            ]
        )
        run = self.run_now(pipeline)
        return run, self.steps_of(run)

    def test_failing_check_in_a_layer_gate_blocks_and_is_named(self):
        run, steps = self._gate(blocking=True)
        self.assertEqual(run.state, "failed")
        gate = steps["gate"]
        self.assertEqual(gate.state, "failed")
        # the failing check and its table are named; the passing ones are not blamed
        self.assertIn(f"b_id ({self.other})", gate.error)
        self.assertNotIn("a_id", gate.error)
        self.assertIn(f"{self.other}: FAIL b_id (not_null)", gate.log)
        self.assertIn(f"{self.table}: PASS a_id (not_null)", gate.log)
        self.assertIn(f"{self.table}: PASS a_code (unique)", gate.log)
        self.assertEqual(steps["publish"].state, "skipped", "a blocking gate stops publication")
        # every check of the batch has its own stored result
        Result = self.env["ipwb.dq.result"]
        statuses = {r.check_id.name: r.status for r in Result.search([("check_id", "in", self.checks.ids)])}
        self.assertEqual(statuses, {"a_id": "pass", "a_code": "pass", "b_id": "fail"})
        # one scorecard refresh for the gate: one new table card per table
        cards = self.env["ipwb.dq.scorecard"].search(
            [("scope", "=", "table"), ("name", "in", [self.table, self.other])]
        )
        self.assertEqual(sorted(cards.mapped("name")), sorted([self.table, self.other]))

    def test_non_blocking_layer_gate_reports_and_lets_the_run_finish(self):
        run, steps = self._gate(blocking=False)
        self.assertEqual(run.state, "succeeded", run.log)
        self.assertIn(f"{self.other}: FAIL b_id", steps["gate"].log)
        self.assertEqual(steps["publish"].state, "succeeded")

    def test_table_without_a_check_is_refused_by_name(self):
        self.checks.filtered(lambda c: c.table_ref == self.other).unlink()
        run, steps = self._gate()
        self.assertEqual(run.state, "failed")
        self.assertIn(f"no Guardian check is declared on {self.other}", steps["gate"].error)
        self.assertEqual(steps["publish"].state, "skipped")
