# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the run worker costs per step, counted rather than timed (issue #20 §4): one commit
per step, and a bounded number of SQL statements per step (the no-op step's own included).

The figures are marginal (a longer chain minus a shorter one), so what a run costs once
(claim, scheduler, owner, finish) cancels out; a change that adds round trips to every
step fails here instead of only showing in ``ipwb bench pipeline``."""

from unittest.mock import patch

from ..services import run_worker
from .common import PipelineCase

NOOP = {"action": "ipwb_pipeline.noop"}
#: statements per added no-op step in test mode, the step body's own included: 5 (one
#: message of the worker: the previous step's outcome and cost entry, a savepoint, this step's
#: start, the run's log and heartbeat and the read of the run's flags; then the body's
#: savepoint, its re-read of the step row the worker wrote in SQL, the action's existence
#: check and the release). Tests do not commit, so Odoo's cache is not emptied between steps as
#: in production (7.3 there, the body's re-reads included; 12.9 before the bookkeeping was
#: batched, 8 in test mode). One more round trip per step fails.
MAX_STATEMENTS_PER_STEP = 5.5


class TestWorkerStatements(PipelineCase):
    def _chain(self, steps):
        names = [f"s{i}" for i in range(steps)]
        return self.make_pipeline(
            [(name, "server_action", NOOP, names[i - 1 : i]) for i, name in enumerate(names)]
        )

    def _execute_counted(self, pipeline):
        """(statements, worker commits) of one pass of the worker over ``pipeline``'s run."""
        pipeline.action_validate()
        pipeline.action_run_now()
        self.env.flush_all()
        commits = []
        real_commit = run_worker.commit

        def counted_commit(env):
            commits.append(env.cr)
            return real_commit(env)

        cr = self.env.cr
        before = cr.sql_log_count
        with patch.object(run_worker, "commit", counted_commit):
            self.Run._cron_process_runs(max_runs=1)
            self.env.flush_all()
        statements = cr.sql_log_count - before
        run = self.Run.search([("pipeline_id", "=", pipeline.id)], limit=1)
        self.assertEqual(run.state, "succeeded", run.log)
        return statements, len(commits)

    def test_one_commit_and_a_bounded_number_of_statements_per_step(self):
        # warm Odoo's caches (server action, access rules) on a first run
        self._execute_counted(self._chain(2))
        short_statements, short_commits = self._execute_counted(self._chain(3))
        long_statements, long_commits = self._execute_counted(self._chain(9))
        self.assertEqual(long_commits - short_commits, 6, "one commit per step")
        per_step = (long_statements - short_statements) / 6
        self.assertLessEqual(per_step, MAX_STATEMENTS_PER_STEP, f"{per_step:.1f} statements per step")

    def test_every_step_is_committed_running_before_its_body(self):
        """The body of step n sees, committed, step n running and step n-1's outcome."""
        pipeline = self._chain(3)
        pipeline.action_validate()
        pipeline.action_run_now()
        self.env.flush_all()
        seen = []
        real_commit = run_worker.commit
        StepRun = type(self.env["ipwb.pipeline.step.run"])
        real_execute = StepRun._execute_kind

        def counted_commit(env):
            seen.append("commit")
            return real_commit(env)

        def execute_kind(step_run, params):
            seen.append(step_run.step_name)
            return real_execute(step_run, params)

        with (
            patch.object(run_worker, "commit", counted_commit),
            patch.object(StepRun, "_execute_kind", execute_kind),
        ):
            self.Run._cron_process_runs(max_runs=1)
        # before: recovery and claim; then one commit before each body (its start, with the
        # previous step's outcome) and one at the end (the last outcome with the run's)
        first = seen.index("s0")
        self.assertEqual(seen[first - 1 :], ["commit", "s0", "commit", "s1", "commit", "s2", "commit"])

    def test_a_cancel_written_outside_the_worker_stops_the_run_before_the_next_step(self):
        """The cancel flag is read from the database before each step, not from the worker's
        cache: here the first step sets it with plain SQL, as another transaction would."""
        action = self.env["ir.actions.server"].create(
            {
                "name": "ipwb test cancel",
                "model_id": self.env["ir.model"]._get_id("ipwb.pipeline.run"),
                "state": "code",
                "code": "env.cr.execute("
                "'UPDATE ipwb_pipeline_run SET cancel_requested = true WHERE id = %s', [record.id])",
            }
        )
        self.env["ir.model.data"].create(
            {
                "module": "ipwb_test",
                "name": "cancel_action",
                "model": "ir.actions.server",
                "res_id": action.id,
            }
        )
        pipeline = self.make_pipeline(
            [
                ("cancel", "server_action", {"action": "ipwb_test.cancel_action"}, []),
                ("after", "server_action", NOOP, ["cancel"]),
            ]
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "cancelled", run.log)
        steps = self.steps_of(run)
        self.assertEqual((steps["cancel"].state, steps["after"].state), ("succeeded", "skipped"))
        self.assertIn("cancelled on request", run.log)

    def test_the_rows_written_in_sql_match_what_the_orm_would_write(self):
        """The worker writes step rows and cost entries in plain SQL: each field as the ORM
        would have it, the stored related pipeline included."""
        pipeline = self._chain(2)
        pipeline.write({"domain_name": "ipwb_test_domain"})
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        run.invalidate_recordset()
        entries = run.cost_entry_ids
        self.assertEqual(len(entries), 2)
        for name, step in self.steps_of(run).items():
            entry = entries.filtered(lambda e, s=step: e.res_id == s.id)
            self.assertEqual(len(entry), 1, name)
            self.assertEqual(step.state, "succeeded")
            self.assertEqual(step.attempt, 1)
            self.assertTrue(step.date_start and step.date_end and step.date_start <= step.date_end)
            self.assertGreater(step.duration, 0)
            self.assertIn("ran", step.log)
            self.assertFalse(step.error)
            self.assertAlmostEqual(step.cost_usd, entry.amount_usd, places=6)
            self.assertEqual(
                (entry.res_model, entry.source, entry.model_name, entry.description),
                ("ipwb.pipeline.step.run", "pipeline", "warehouse", f"{run.name} / {name}"),
            )
            self.assertEqual((entry.pipeline_run_id, entry.pipeline_id), (run, pipeline))
            self.assertEqual(entry.user_id, run.requested_by_id)
            self.assertEqual(entry.domain_name, "ipwb_test_domain")
            self.assertAlmostEqual(entry.compute_seconds, step.duration, places=3)
            self.assertTrue(entry.date and entry.create_date and entry.create_uid)
        self.assertAlmostEqual(run.cost_usd, sum(entries.mapped("amount_usd")), places=6)
        self.assertIn("step s1 succeeded", run.log)
