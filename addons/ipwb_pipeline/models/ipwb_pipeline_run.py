# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline runs: a snapshot of the pipeline's steps, their states, logs and costs.

Runs never execute inside a web request: the worker cron claims and executes them, each
step with the rights of the pipeline's owner (never the superuser's). Run records are
written by the system only: users read them; the actions (Run now, Cancel, Re-run failed,
Backfill) check the caller's rights, then write with sudo. The
worker machinery (SKIP LOCKED claims, heartbeat thread, stale-run recovery, the step loop
and its per-step commits) lives in :mod:`..services.run_worker`; the methods below of the
same names delegate to it and stay the extension points.
"""

import json
from datetime import datetime, timezone

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ipwb.dag import Graph, Node, RetryPolicy, Scheduler
from ipwb.errors import IpwbError
from ipwb.integrations.webhook import post_chat_message
from ipwb.pipeline.budget import check_budget

from ..services import run_canvas, run_steps, run_worker

RUN_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
CONCURRENCY_POLICIES = [
    ("queue", "Queue (one at a time)"),
    ("refuse", "Refuse while one is active"),
    ("parallel", "Parallel"),
]
DEFAULTS = {
    "ipwb_pipeline.stale_after_seconds": 600,
    "ipwb_pipeline.heartbeat_seconds": 15,
    "ipwb_pipeline.max_run_attempts": 1,
    "ipwb_pipeline.inline_wait_seconds": 10,
    "ipwb_pipeline.worker_time_budget_seconds": 540,
}


class IpwbPipelineRun(models.Model):
    _name = "ipwb.pipeline.run"
    _description = "Pipeline Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    pipeline_id = fields.Many2one("ipwb.pipeline", required=True, ondelete="cascade", index=True)
    pipeline_owner_id = fields.Many2one(related="pipeline_id.owner_id", string="Owner", store=True)
    domain_name = fields.Char(related="pipeline_id.domain_name", store=True)
    state = fields.Selection(RUN_STATES, default="queued", required=True, index=True, readonly=True)
    trigger = fields.Selection(
        [("manual", "Run now"), ("schedule", "Schedule"), ("backfill", "Backfill"), ("rerun", "Re-run")],
        default="manual",
        required=True,
        readonly=True,
    )
    params = fields.Text(default="{}", readonly=True, help="Run parameters (JSON), e.g. a backfill period.")
    requested_by_id = fields.Many2one("res.users", default=lambda self: self.env.user, readonly=True)
    date_start = fields.Datetime(string="Started", readonly=True)
    date_end = fields.Datetime(string="Finished", readonly=True)
    duration = fields.Float(string="Duration (s)", digits=(16, 3), readonly=True, aggregator="avg")
    heartbeat = fields.Datetime(readonly=True)
    not_before = fields.Datetime(readonly=True, help="A re-queued run waits for a step's retry backoff.")
    worker = fields.Char(readonly=True)
    attempt = fields.Integer(
        default=1, readonly=True, help="Incremented when a run lost by its worker is retried."
    )
    cancel_requested = fields.Boolean(readonly=True)
    concurrency = fields.Selection(
        CONCURRENCY_POLICIES,
        string="Concurrent Runs",
        default="queue",
        required=True,
        readonly=True,
        help="The pipeline's concurrency policy when the run was created (enforced by indexes).",
    )
    step_run_ids = fields.One2many("ipwb.pipeline.step.run", "run_id", string="Steps", readonly=True)
    # not prefetched: the worker reads the run row after each commit, never its (growing) log
    log = fields.Text(readonly=True, prefetch=False)
    error = fields.Text(readonly=True)
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6), readonly=True, aggregator="sum")
    budget_exceeded = fields.Boolean(readonly=True)
    cost_entry_ids = fields.One2many(
        "ipwb.cost.entry", "pipeline_run_id", string="Cost Entries", readonly=True
    )
    rows_affected = fields.Integer(compute="_compute_rows_affected")
    is_success = fields.Integer(compute="_compute_is_success", store=True, aggregator="avg")

    @api.depends("pipeline_id.code")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.pipeline_id.code or '?'} #{run.id or 'new'}"

    @api.depends("state")
    def _compute_is_success(self):
        for run in self:
            run.is_success = 100 if run.state == "succeeded" else 0

    def _compute_rows_affected(self):
        for run in self:
            run.rows_affected = sum(run.step_run_ids.mapped("rows_affected"))

    def init(self):
        # the guarantees behind the concurrency policies, held by PostgreSQL itself so that two
        # triggers or two workers at once cannot both win: one running run per queue/refuse
        # pipeline, one queued-or-running run per refuse pipeline
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS ipwb_pipeline_run_one_running "
                "ON ipwb_pipeline_run (pipeline_id) "
                "WHERE state = 'running' AND concurrency IN ('queue', 'refuse')"
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE UNIQUE INDEX IF NOT EXISTS ipwb_pipeline_run_one_active "
                "ON ipwb_pipeline_run (pipeline_id) "
                "WHERE state IN ('queued', 'running') AND concurrency = 'refuse'"
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        pipelines = self.env["ipwb.pipeline"].sudo()
        for vals in vals_list:
            if "concurrency" not in vals and vals.get("pipeline_id"):
                vals["concurrency"] = pipelines.browse(vals["pipeline_id"]).concurrency or "queue"
        runs = super().create(vals_list)
        for run in runs:
            run.name = f"{run.pipeline_id.code} #{run.id}"
            run._create_step_runs()
        return runs

    def _create_step_runs(self):
        self.ensure_one()
        StepRun = self.env["ipwb.pipeline.step.run"]
        values = []
        for step in self.pipeline_id.step_ids.sorted(lambda s: (s.sequence, s.id)):
            values.append(
                {
                    "run_id": self.id,
                    "step_id": step.id,
                    "step_name": step.name,
                    "kind": step.kind,
                    "sequence": step.sequence,
                    "config": step.config,
                    "depends_json": json.dumps(step._ordered_deps()),
                    "enabled": step.enabled,
                    "retries": step.retries,
                    "retry_backoff_s": step.retry_backoff_s,
                    "timeout_s": step.timeout_s,
                }
            )
        StepRun.create(values)

    @api.model
    def _refused_message(self, pipeline):
        return self.env._(
            "Pipeline %s already has a run queued or running, and its concurrency policy refuses "
            "a second one: wait for it to finish or cancel it.",
            pipeline.display_name,
        )

    @api.model
    def _create_guarded(self, vals_list):
        """Create runs, refusing a second active run of a pipeline whose policy is *refuse*.

        The check below gives the clear message; the unique index ``ipwb_pipeline_run_one_active``
        settles two triggers at once (the second insert waits for the first commit, then fails)."""
        if isinstance(vals_list, dict):
            vals_list = [vals_list]
        pipelines = self.env["ipwb.pipeline"].sudo().browse({v["pipeline_id"] for v in vals_list})
        for pipeline in pipelines.filtered(lambda p: p.concurrency == "refuse"):
            wanted = sum(1 for v in vals_list if v["pipeline_id"] == pipeline.id)
            active = self.sudo().search_count(
                [("pipeline_id", "=", pipeline.id), ("state", "in", ("queued", "running"))]
            )
            if wanted + active > 1:
                raise UserError(self._refused_message(pipeline))
        try:
            with self.env.cr.savepoint():
                runs = self.create(vals_list)
                self.env.flush_all()
        except psycopg2.errors.UniqueViolation:
            raise UserError(self._refused_message(pipelines[:1])) from None
        return runs

    # -- helpers ---------------------------------------------------------------------------------
    @api.model
    def _param(self, key):
        value = self.env["ir.config_parameter"].sudo().get_param(key)
        try:
            return float(value) if value not in (None, False, "") else float(DEFAULTS[key])
        except ValueError:
            return float(DEFAULTS[key])

    def _params_dict(self):
        self.ensure_one()
        try:
            value = json.loads(self.params or "{}")
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}

    def _append_log(self, message, heartbeat=False):
        """Append stamped lines in one UPDATE (the log is never read back: a long run's log
        would otherwise travel twice per step); ``message`` is a line or a list of lines;
        ``heartbeat`` refreshes the heartbeat in the same statement."""
        if not self:
            return
        self.flush_recordset(["log", "heartbeat"])
        stamp = fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        messages = [message] if isinstance(message, str) else list(message or ())
        text = "".join(f"{stamp} {line}\n" for line in messages if line)
        self.env.cr.execute(
            SQL(
                "UPDATE ipwb_pipeline_run SET log = COALESCE(log, '') || %s, %s "
                "write_date = now() AT TIME ZONE 'UTC', write_uid = %s WHERE id IN %s",
                text,
                SQL("heartbeat = now() AT TIME ZONE 'UTC',") if heartbeat else SQL(),
                self.env.uid,
                tuple(self.ids),
            )
        )
        self.invalidate_recordset(["log", "heartbeat", "write_date", "write_uid"])

    def _cost_entry_values(self):
        """What every cost entry of the run's steps shares (the step appends its name)."""
        self.ensure_one()
        return {
            "description": self.name,
            "user_id": (self.requested_by_id or self.pipeline_id.owner_id).id,
            "domain_name": self.pipeline_id.domain_name,
            "pipeline_run_id": self.id,
        }

    def _trigger_worker(self, at=None):
        cron = self.env.ref("ipwb_pipeline.ir_cron_pipeline_worker", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    # -- user actions --------------------------------------------------------------------------
    def _check_operator(self):
        """Run records are written by the system: the actions below check that the caller may
        operate the runs' pipelines (write access on them: Data Engineers, administrators),
        then write with sudo. Returns the runs in sudo."""
        self.check_access("read")
        if not self.mapped("pipeline_id").has_access("write"):
            raise AccessError(self.env._("Only Data Engineers may cancel or re-run pipeline runs."))
        return self.sudo()

    def action_cancel(self):
        runs = self._check_operator()
        runs._cancel()

    def _cancel(self):
        for run in self:
            if run.state == "queued":
                run.write({"state": "cancelled", "date_end": fields.Datetime.now()})
                run.step_run_ids.filtered(lambda s: s.state in ("pending", "retrying")).write(
                    {"state": "skipped", "error": self.env._("run cancelled")}
                )
            elif run.state == "running":
                run.cancel_requested = True
            else:
                raise UserError(self.env._("Run %s has already finished.", run.display_name))

    def action_rerun_failed(self):
        """Partial re-run: failed steps and everything downstream run again, the rest is kept."""
        return self._check_operator()._rerun_failed()

    def _rerun_failed(self):
        for run in self:
            if run.state != "failed":
                raise UserError(self.env._("Only a failed run can be re-run from its failed steps."))
            if run.concurrency == "refuse" and self.search_count(
                [("pipeline_id", "=", run.pipeline_id.id), ("state", "in", ("queued", "running"))]
            ):
                raise UserError(self._refused_message(run.pipeline_id))
            scheduler = run._scheduler()
            try:
                reset = scheduler.rerun_failed()
            except IpwbError as exc:
                raise UserError(
                    self.env._("Cannot re-run %(run)s: %(error)s", run=run.display_name, error=exc)
                ) from None
            by_name = {s.step_name: s for s in run.step_run_ids}
            for name in reset:
                by_name[name].write(
                    {
                        "state": "pending",
                        "attempt": 0,
                        "error": False,
                        "not_before": False,
                        "date_start": False,
                        "date_end": False,
                    }
                )
            run.write(
                {
                    "state": "queued",
                    "trigger": "rerun",
                    "error": False,
                    "date_end": False,
                    "cancel_requested": False,
                }
            )
            run._append_log(self.env._("re-run from %s", ", ".join(reset)))
        self._trigger_worker()
        return True

    # -- the worker (see services/run_worker.py) ---------------------------------------------
    @api.model
    def _cron_process_runs(self, max_runs=None):
        """Worker cron: recover stale runs, then execute queued runs until none is left."""
        return run_worker.process_runs(self, max_runs)

    @api.model
    def _commit(self):
        """The worker commits per step by design (crash safety, visibility to the canvas)."""
        run_worker.commit(self.env)

    @api.model
    def _begin_read_committed(self):
        """End the current transaction; the next one sees every commit (claims, recovery)."""
        run_worker.begin_read_committed(self.env)

    @api.model
    def _claim_next(self):
        return run_worker.claim_next(self)

    @api.model
    def _recover_stale_runs(self):
        """Finish (or retry) runs whose worker stopped sending heartbeats."""
        return run_worker.recover_stale_runs(self)

    def _scheduler(self):
        """An engine Scheduler over this run's step snapshot, restored from its states."""
        self.ensure_one()
        steps = self.step_run_ids.sorted(lambda s: (s.sequence, s.id))
        graph = Graph(Node(s.step_name, tuple(json.loads(s.depends_json or "[]")), s.enabled) for s in steps)
        policies = {
            s.step_name: RetryPolicy(
                max_retries=s.retries, backoff_s=s.retry_backoff_s, timeout_s=s.timeout_s
            )
            for s in steps
        }
        states = {s.step_name: s._engine_status() for s in steps}
        return Scheduler(graph, parallelism=1, policies=policies, states=states)

    def _execute(self):
        """Execute a claimed run step by step (one commit per step)."""
        run_worker.execute(self)

    def _commit_run(self, lock, values=None, log=None):
        """Write the run row and commit, never racing the heartbeat thread."""
        run_worker.commit_run(self, lock, values, log)

    def _execute_steps(self, lock):
        run_steps.execute_steps(self, lock)

    def _run_one_step(self, scheduler, step_run, params, books):
        """Run one ready step; the run's flags when it was not started (cancelled, budget)."""
        return run_steps.run_one_step(self, scheduler, step_run, params, books)

    def _sync_states(self, scheduler, by_name):
        run_steps.sync_states(scheduler, by_name)

    def _budget_blocks(self, flags=None):
        """The reason to stop before the next step when a blocking budget is exhausted;
        ``flags``: the run's spend and budget when the caller has read them (``run_flags``)."""
        self.ensure_one()
        # summed in SQL: reading every entry back would make each step O(steps so far)
        flags = flags or run_steps.run_flags(self)
        decision = check_budget(flags.spent, flags.budget_per_run, flags.budget_mode)
        if decision.exceeded and not flags.budget_exceeded:
            self.budget_exceeded = True
            self.pipeline_id.message_post(
                body=self.env._("Run %(run)s: %(message)s", run=self.display_name, message=decision.message)
            )
        return decision.message if decision.block else ""

    def _finish(self, state, error=None, lock=None):
        self.ensure_one()
        # to the microsecond (the claim stores date_start so): a whole-second end would skew a
        # short run's duration by up to a second
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        entries = self.env["ipwb.cost.entry"].sudo().search([("pipeline_run_id", "=", self.id)])
        values = {
            "state": state,
            "date_end": now,
            "duration": max((now - self.date_start).total_seconds(), 0.0) if self.date_start else 0.0,
            "cost_usd": sum(entries.mapped("amount_usd")),
            "error": error or False,
            "not_before": False,
        }
        message = self.env._("run %(state)s", state=state) + (f": {error}" if error else "")
        if lock is None:
            self.write(values)
            self._append_log(message)
        else:
            self._commit_run(lock, values, message)
        if state == "failed":
            self.pipeline_id.sudo()._alert_failure(self)
            if lock is not None:
                self._commit()
                self._send_chat_alert()

    def _send_chat_alert(self):
        """POST the failure to the Mattermost-compatible webhook, after the commit."""
        self.ensure_one()
        url = self.env["ir.config_parameter"].sudo().get_param("ipwb_pipeline.alert_webhook_url")
        if not url:
            return False
        channel = self.pipeline_id.alert_channel
        text = self.env._(
            "Pipeline run %(run)s failed: %(error)s", run=self.display_name, error=(self.error or "")[:500]
        )
        extra = {"channel": channel.lstrip("#")} if channel else {}
        try:
            policy = self.env["ipwb.outbound.policy"]._ipwb_policy()
            post_chat_message(url, text, policy=policy, timeout_s=5, **extra)
        except (IpwbError, UserError) as exc:
            self._append_log(self.env._("failure alert not delivered: %s", exc))
            self._commit()
            return False
        return True

    # -- canvas API --------------------------------------------------------------------------------
    @api.model
    def canvas_status(self, pipeline_id):
        """Latest run of a pipeline with its step states (polled by the canvas)."""
        return run_canvas.canvas_status(self, pipeline_id)
