# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import PipelineCase, RecordingServer


@tagged("post_install", "-at_install")
class TestRuns(PipelineCase):
    def test_sql_steps_run_in_the_warehouse_with_rows_logs_and_cost(self):
        pipeline = self.make_pipeline(
            [
                (
                    "create",
                    "sql",
                    {"sql": f"CREATE TABLE {self.table} (id int, day date)", "targets": [self.table]},
                    [],
                ),
                (
                    "load",
                    "sql",
                    {
                        "sql": f"INSERT INTO {self.table} "
                        "SELECT g, %(start_date)s::date FROM generate_series(1, 3) g",
                        "targets": [self.table],
                    },
                    ["create"],
                ),
                ("check", "sql", {"sql": f"SELECT count(*) FROM {self.table}"}, ["load"]),
            ],
            params_json='[{"name": "start_date", "type": "date", "default": "2024-01-01"}]',
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        steps = self.steps_of(run)
        self.assertEqual({s.state for s in steps.values()}, {"succeeded"})
        self.assertEqual(steps["load"].rows_affected, 3)
        self.assertTrue(run.date_start and run.date_end and run.duration >= 0)
        self.assertEqual(
            self.wh(f"SELECT count(*), min(day)::text FROM {self.table}", fetch=True), [(3, "2024-01-01")]
        )
        self.assertIn("step load succeeded", run.log)
        self.assertEqual(len(run.cost_entry_ids), 3)
        self.assertEqual(set(run.cost_entry_ids.mapped("source")), {"pipeline"})
        self.assertAlmostEqual(run.cost_usd, sum(run.cost_entry_ids.mapped("amount_usd")), places=6)
        self.assertEqual(pipeline.success_rate_7d, 100.0)

    def test_retries_then_downstream_skip_and_failure_alerts(self):
        chat = RecordingServer()
        self.addCleanup(chat.close)
        self.env["ir.config_parameter"].set_param("ipwb_pipeline.alert_webhook_url", chat.url + "/hooks/abc")
        pipeline = self.make_pipeline(
            [
                ("broken", "sql", {"sql": "SELECT 1 / 0"}, [], {"retries": 2, "retry_backoff_s": 0}),
                ("after_broken", "sql", {"sql": "SELECT 1"}, ["broken"]),
                ("independent", "sql", {"sql": "SELECT 2"}, []),
            ],
            alert_channel="#data-alerts",
        )
        run = self.run_now(pipeline)
        steps = self.steps_of(run)
        self.assertEqual(run.state, "failed")
        self.assertEqual(steps["broken"].state, "failed")
        self.assertEqual(steps["broken"].attempt, 3, "two retries after the first attempt")
        self.assertIn("division by zero", steps["broken"].error)
        self.assertEqual(steps["after_broken"].state, "skipped")
        self.assertIn("upstream broken failed", steps["after_broken"].error)
        self.assertEqual(steps["independent"].state, "succeeded")
        self.assertIn("broken", run.error)
        activity = pipeline.activity_ids
        self.assertEqual(activity.user_id, pipeline.owner_id)
        self.assertIn(run.name, activity.summary)
        self.assertEqual(len(chat.requests), 1)
        self.assertEqual(chat.requests[0]["path"], "/hooks/abc")
        self.assertIn(run.name, chat.requests[0]["json"]["text"])
        self.assertEqual(chat.requests[0]["json"]["channel"], "data-alerts")
        self.assertEqual(pipeline.success_rate_7d, 0.0)

    def test_partial_rerun_from_the_failed_step(self):
        pipeline = self.make_pipeline(
            [
                ("first", "sql", {"sql": "SELECT 1"}, []),
                (
                    "needs_table",
                    "sql",
                    {"sql": f"INSERT INTO {self.table} VALUES (1)", "targets": [self.table]},
                    ["first"],
                ),
                ("last", "sql", {"sql": "SELECT 3"}, ["needs_table"]),
            ]
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "failed")
        self.assertEqual(self.steps_of(run)["last"].state, "skipped")
        self.wh(f"CREATE TABLE {self.table} (id int)")
        run.action_rerun_failed()
        self.assertEqual(run.state, "queued")
        self.Run._cron_process_runs()
        steps = self.steps_of(run)
        self.assertEqual(run.state, "succeeded", run.log)
        self.assertEqual(steps["first"].attempt, 1, "succeeded upstream steps are not run again")
        self.assertEqual(steps["needs_table"].state, "succeeded")
        self.assertEqual(steps["last"].state, "succeeded")

    def test_long_backoff_requeues_the_run(self):
        pipeline = self.make_pipeline(
            [("flaky", "sql", {"sql": "SELECT 1 / 0"}, [], {"retries": 1, "retry_backoff_s": 300})]
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "queued")
        self.assertTrue(run.not_before > fields.Datetime.now() + timedelta(seconds=200))
        self.assertEqual(self.steps_of(run)["flaky"].state, "retrying")
        self.assertEqual(self.Run._cron_process_runs(), 0, "not claimable before its retry time")

    def test_stale_running_run_is_failed_or_retried(self):
        pipeline = self.make_pipeline(
            [("a", "sql", {"sql": "SELECT 1"}, []), ("b", "sql", {"sql": "SELECT 2"}, ["a"])],
            concurrency="parallel",  # two runs of it running at once (what a queue pipeline refuses)
        )
        pipeline.action_validate()
        runs = self.Run.create([{"pipeline_id": pipeline.id}, {"pipeline_id": pipeline.id}])
        for run in runs:
            self.steps_of(run)["a"].write({"state": "running", "attempt": 1})
        old = fields.Datetime.now() - timedelta(hours=1)
        self.env.cr.execute(
            SQL(
                "UPDATE ipwb_pipeline_run SET state = 'running', heartbeat = %s, worker = 'dead:1' "
                "WHERE id IN %s",
                old,
                tuple(runs.ids),
            )
        )
        self.env.cr.execute(
            SQL("UPDATE ipwb_pipeline_run SET heartbeat = now() AT TIME ZONE 'UTC' WHERE id = %s", runs[1].id)
        )
        self.env.invalidate_all()
        self.env["ir.config_parameter"].set_param("ipwb_pipeline.max_run_attempts", "1")
        self.Run._recover_stale_runs()
        first = runs[0]
        self.assertEqual(first.state, "failed")
        self.assertIn("stopped responding", first.error)
        self.assertEqual(self.steps_of(first)["a"].state, "failed")
        self.assertEqual(self.steps_of(first)["b"].state, "skipped")
        # allow one retry: the second stale run is re-queued from the interrupted step
        self.env["ir.config_parameter"].set_param("ipwb_pipeline.max_run_attempts", "2")
        self.env.cr.execute(SQL("UPDATE ipwb_pipeline_run SET heartbeat = %s WHERE id = %s", old, runs[1].id))
        self.env.invalidate_all()
        self.Run._recover_stale_runs()
        second = runs[1]
        self.assertEqual(second.state, "queued")
        self.assertEqual(second.attempt, 2)
        self.assertEqual(self.steps_of(second)["a"].state, "pending")
        self.Run._cron_process_runs()
        self.assertEqual(second.state, "succeeded", second.log)

    def test_fresh_heartbeat_is_not_stale(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        pipeline.action_validate()
        run = self.Run.create({"pipeline_id": pipeline.id})
        self.env.cr.execute(
            SQL(
                "UPDATE ipwb_pipeline_run SET state = 'running', heartbeat = now() AT TIME ZONE 'UTC' "
                "WHERE id = %s",
                run.id,
            )
        )
        self.env.invalidate_all()
        self.assertFalse(self.Run._recover_stale_runs())
        self.assertEqual(run.state, "running")

    def test_webhook_step_posts_and_stores_the_response(self):
        hook = RecordingServer(body='{"received": "yes"}')
        self.addCleanup(hook.close)
        self.allow_outbound(hook.url)
        pipeline = self.make_pipeline(
            [
                ("prepare", "sql", {"sql": "SELECT 1"}, []),
                (
                    "notify",
                    "n8n_webhook",
                    {"url": hook.url + "/webhook/ready", "payload": {"table": "gold.x"}, "timeout_s": 5},
                    ["prepare"],
                ),
            ]
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        notify = self.steps_of(run)["notify"]
        self.assertEqual(notify.response, '{"received": "yes"}')
        body = hook.requests[0]["json"]
        self.assertEqual((body["run_id"], body["step"], body["table"]), (run.id, "notify", "gold.x"))

    def test_webhook_error_fails_the_step(self):
        hook = RecordingServer(status=404, body="no such webhook")
        self.addCleanup(hook.close)
        self.allow_outbound(hook.url)
        pipeline = self.make_pipeline([("notify", "n8n_webhook", {"url": hook.url + "/webhook/x"}, [])])
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "failed")
        self.assertIn("HTTP 404", self.steps_of(run)["notify"].error)

    def test_quality_gate_blocking_check_fails_the_run(self):
        self.wh(f"CREATE TABLE {self.table} (id int); INSERT INTO {self.table} VALUES (1), (NULL)")
        self.env["ipwb.dq.check"].create(
            {
                "name": "id_not_null",
                "table_ref": self.table,
                "column_name": "id",
                "check_type": "not_null",
                "blocking": True,
            }
        )
        pipeline = self.make_pipeline(
            [
                ("gate", "quality_gate", {"table": self.table, "checks": ["not_null"]}, []),
                ("publish", "sql", {"sql": "SELECT 1"}, ["gate"]),
            ]
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "failed")
        gate = self.steps_of(run)["gate"]
        self.assertIn("id_not_null", gate.error)
        self.assertIn("FAIL id_not_null", gate.log)
        self.assertEqual(self.steps_of(run)["publish"].state, "skipped")
        # the failing result is kept as evidence (Guardian's promotion gate reads stored results)
        results = self.env["ipwb.dq.result"].search([("check_id.name", "=", "id_not_null")])
        self.assertEqual(results.mapped("status"), ["fail"])
        # fixed data: the gate passes
        self.wh(f"DELETE FROM {self.table} WHERE id IS NULL")
        run.action_rerun_failed()
        self.Run._cron_process_runs()
        self.assertEqual(run.state, "succeeded", run.log)

    def test_server_action_step(self):
        action = self.env["ir.actions.server"].create(
            {
                "name": "ipwb test action",
                "model_id": self.env["ir.model"]._get_id("ipwb.pipeline.run"),
                "state": "code",
                "code": "record.pipeline_id.message_post(body='hello from run %s' % record.id)",
            }
        )
        self.env["ir.model.data"].create(
            {
                "module": "ipwb_test",
                "name": "pipeline_action",
                "model": "ir.actions.server",
                "res_id": action.id,
            }
        )
        pipeline = self.make_pipeline([("act", "server_action", {"action": "ipwb_test.pipeline_action"}, [])])
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        self.assertIn(f"hello from run {run.id}", pipeline.message_ids.mapped("body")[0])

    def test_blocking_budget_stops_the_run(self):
        self.env.ref("ipwb_cost.price_warehouse_compute").price_per_second = 1000.0
        pipeline = self.make_pipeline(
            [
                ("slow", "sql", {"sql": "SELECT pg_sleep(0.05)"}, []),
                ("next", "sql", {"sql": "SELECT 1"}, ["slow"]),
            ],
            budget_per_run=1.0,
            budget_mode="block",
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.budget_exceeded)
        self.assertIn("blocked", run.error)
        self.assertEqual(self.steps_of(run)["next"].state, "skipped")
        self.assertGreater(run.cost_usd, 1.0)

    def test_warn_budget_lets_the_run_finish(self):
        self.env.ref("ipwb_cost.price_warehouse_compute").price_per_second = 1000.0
        pipeline = self.make_pipeline(
            [
                ("slow", "sql", {"sql": "SELECT pg_sleep(0.05)"}, []),
                ("next", "sql", {"sql": "SELECT 1"}, ["slow"]),
            ],
            budget_per_run=1.0,
            budget_mode="warn",
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded")
        self.assertTrue(run.budget_exceeded)
        self.assertTrue(any("over budget" in body for body in pipeline.message_ids.mapped("body")))

    def test_backfill_queues_one_run_per_period(self):
        pipeline = self.make_pipeline(
            [("a", "sql", {"sql": "SELECT %(start_date)s::date, %(end_date)s::date"}, [])]
        )
        pipeline.action_validate()
        runs = pipeline.action_backfill("2024-01-30", "2024-02-01", "day")
        self.assertEqual(runs.mapped("state"), ["queued"] * 3)
        self.assertEqual(
            sorted(r._params_dict()["start_date"] for r in runs), ["2024-01-30", "2024-01-31", "2024-02-01"]
        )
        self.assertEqual(self.Run._cron_process_runs(), 3)
        self.assertEqual(set(runs.mapped("state")), {"succeeded"})
        with self.assertRaises(UserError):
            pipeline.action_backfill("2024-02-01", "2024-01-01")

    def test_draft_pipelines_do_not_run_and_cancel(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        with self.assertRaises(UserError):
            pipeline.action_run_now()
        pipeline.action_validate()
        pipeline.action_run_now()
        run = pipeline.run_ids
        run.action_cancel()
        self.assertEqual(run.state, "cancelled")
        self.assertEqual(self.Run._cron_process_runs(), 0)

    def test_canvas_status(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        self.assertEqual(self.Run.canvas_status(pipeline.id), {"run": False, "steps": {}})
        run = self.run_now(pipeline)
        status = self.Run.canvas_status(pipeline.id)
        self.assertEqual(status["run"]["id"], run.id)
        self.assertEqual(status["steps"]["a"]["state"], "succeeded")
