# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The pipeline list's run statistics: the same figures as before, in a fixed number of queries
whatever the number of pipelines (issue #20: two searches per row before)."""

from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestRunStats(PipelineCase):
    def _runs(self, pipeline, *states_and_ages):
        now = fields.Datetime.now()
        return self.Run.sudo().create(
            [
                {"pipeline_id": pipeline.id, "state": state, "date_end": now - timedelta(days=age)}
                for state, age in states_and_ages
            ]
        )

    def test_last_run_and_success_rate_of_many_pipelines_at_once(self):
        pipelines = [self.make_pipeline([("one", "sql", {"sql": "SELECT 1"}, [])]) for _ in range(6)]
        mixed, old_only, _never, failing, *others = pipelines
        self._runs(mixed, ("succeeded", 1), ("failed", 2), ("succeeded", 3), ("succeeded", 10))
        last_mixed = self._runs(mixed, ("cancelled", 0))
        self._runs(old_only, ("succeeded", 30))
        self._runs(failing, ("failed", 0))
        for pipeline in others:
            self._runs(pipeline, ("succeeded", 1))
        records = self.Pipeline.browse([p.id for p in pipelines])
        self.env.invalidate_all()
        fields_shown = ["last_run_state", "success_rate_7d", "run_count_7d", "last_run_id"]
        # three queries for every pipeline's figures (the pipelines' own row is already read)
        records.fetch(["name"])
        with self.assertQueryCount(3):
            records.fetch(fields_shown)
        self.assertEqual(
            [(p.last_run_state, p.success_rate_7d, p.run_count_7d) for p in records],
            [
                ("cancelled", 66.7, 3),  # 2 of 3, shown with one decimal
                ("succeeded", 0.0, 0),
                (False, 0.0, 0),
                ("failed", 0.0, 1),
                ("succeeded", 100.0, 1),
                ("succeeded", 100.0, 1),
            ],
        )
        self.assertEqual(records[0].last_run_id, last_mixed)
        self.assertFalse(records[2].last_run_id)
