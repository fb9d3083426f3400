# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Concurrency policies of a pipeline (issue #20): queue, refuse, parallel.

Two triggers or two workers at once are covered by the integration tier
(tests/integration/test_pipeline_concurrency.py, two real processes); these tests cover the
rules and the refusals inside one transaction."""

from datetime import date

import psycopg2

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL, mute_logger

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestConcurrency(PipelineCase):
    def _pipeline(self, policy):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])], concurrency=policy)
        pipeline.action_validate()
        return pipeline

    def _set_running(self, run):
        self.env.cr.execute(
            SQL(
                "UPDATE ipwb_pipeline_run SET state = 'running', heartbeat = now() AT TIME ZONE 'UTC' "
                "WHERE id = %s",
                run.id,
            )
        )
        self.env.invalidate_all()

    def test_new_pipelines_queue_and_runs_keep_their_policy(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        self.assertEqual(pipeline.concurrency, "queue")
        pipeline.action_validate()
        pipeline.action_run_now()
        self.assertEqual(pipeline.run_ids.concurrency, "queue")

    def test_refuse_rejects_a_second_trigger_and_changes_nothing(self):
        pipeline = self._pipeline("refuse")
        pipeline.action_run_now()
        with self.assertRaisesRegex(UserError, "concurrency policy refuses"):
            pipeline.action_run_now()
        self.assertEqual(len(pipeline.run_ids), 1)
        # once the first run finished, the pipeline runs again
        self.Run._cron_process_runs()
        self.assertEqual(pipeline.run_ids.state, "succeeded")
        pipeline.action_run_now()
        self.assertEqual(len(pipeline.run_ids), 2)

    def test_refuse_backfill_of_several_periods_is_refused(self):
        pipeline = self._pipeline("refuse")
        with self.assertRaisesRegex(UserError, "concurrency policy refuses"):
            pipeline.action_backfill(date(2024, 1, 1), date(2024, 1, 3))
        self.assertFalse(pipeline.run_ids)

    def test_refuse_rerun_while_another_run_is_active_is_refused(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1 / 0"}, [])], concurrency="refuse")
        pipeline.action_validate()
        pipeline.action_run_now()
        self.Run._cron_process_runs()
        failed = pipeline.run_ids
        self.assertEqual(failed.state, "failed")
        pipeline.action_run_now()
        with self.assertRaisesRegex(UserError, "concurrency policy refuses"):
            failed.action_rerun_failed()
        self.assertEqual(failed.state, "failed")

    def test_index_holds_when_the_check_is_bypassed(self):
        """The unique index, not only the check, keeps a refuse pipeline to one active run."""
        pipeline = self._pipeline("refuse")
        pipeline.action_run_now()
        with (
            self.assertRaises(psycopg2.errors.UniqueViolation),
            mute_logger("odoo.sql_db"),
            self.env.cr.savepoint(),
        ):
            self.Run.create({"pipeline_id": pipeline.id})
            self.env.flush_all()

    def test_queue_claims_one_run_at_a_time(self):
        pipeline = self._pipeline("queue")
        pipeline.action_run_now()
        pipeline.action_run_now()
        first, second = pipeline.run_ids.sorted("id")
        self._set_running(first)
        self.assertFalse(self.Run._claim_next(), "the second run waits while the first is running")
        self.assertEqual(second.state, "queued")
        self.env.cr.execute(SQL("UPDATE ipwb_pipeline_run SET state = 'succeeded' WHERE id = %s", first.id))
        self.env.invalidate_all()
        self.assertEqual(self.Run._claim_next(), second)

    def test_parallel_claims_runs_of_one_pipeline_together(self):
        pipeline = self._pipeline("parallel")
        pipeline.action_run_now()
        pipeline.action_run_now()
        first, second = pipeline.run_ids.sorted("id")
        self._set_running(first)
        self.assertEqual(self.Run._claim_next(), second)

    def test_refused_schedule_fire_is_noted_on_the_pipeline(self):
        pipeline = self._pipeline("refuse")
        pipeline.action_run_now()
        pipeline.sudo().write({"schedule": "every 15 min", "state": "production"})
        self.Pipeline._cron_scheduled_run(pipeline.id)
        self.assertEqual(len(pipeline.run_ids), 1)
        self.assertIn("concurrency policy refuses", pipeline.message_ids[0].body)
