# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline runs and the cron worker that executes them.

Execution model (never inside a web request):

* "Run now", a schedule or a backfill creates *queued* runs and triggers the worker cron
  ``ipwb_pipeline.ir_cron_pipeline_worker``.
* A worker claims one queued run with ``UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED
  LIMIT 1)`` in a READ COMMITTED transaction and commits the claim at once: two workers
  never get the same run.
* The run advances through :class:`ipwb.dag.Scheduler` (parallelism 1 per run): a step is
  marked running and committed, executed, and its outcome committed — so a crash loses at
  most the step in flight. Retries wait their backoff in the worker when short, otherwise
  the run is re-queued with ``not_before`` and the cron is triggered for that time.
* While a run executes, a heartbeat thread refreshes ``heartbeat`` on its own cursor. A
  run still "running" whose heartbeat is older than ``ipwb_pipeline.stale_after_seconds``
  belonged to a worker that died: the next worker pass fails it, or re-queues it from the
  interrupted step while ``attempt`` < ``ipwb_pipeline.max_run_attempts``.
"""

import json
import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone

import psycopg2.errors

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ipwb.dag import Graph, Node, RetryPolicy, Scheduler, StepState
from ipwb.errors import IpwbError
from ipwb.integrations.webhook import post_chat_message
from ipwb.pipeline.budget import check_budget

_logger = logging.getLogger(__name__)

RUN_STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("succeeded", "Succeeded"),
    ("failed", "Failed"),
    ("cancelled", "Cancelled"),
]
DEFAULTS = {
    "ipwb_pipeline.stale_after_seconds": 600,
    "ipwb_pipeline.heartbeat_seconds": 15,
    "ipwb_pipeline.max_run_attempts": 1,
    "ipwb_pipeline.inline_wait_seconds": 10,
    "ipwb_pipeline.worker_time_budget_seconds": 540,
}


def _autocommit():
    """False inside tests (Odoo forbids commits there; savepoints give the same isolation)."""
    return not getattr(threading.current_thread(), "testing", False)


def _epoch(value):
    return value.replace(tzinfo=timezone.utc).timestamp() if value else None


def _from_epoch(value):
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None) if value else False


class _Heartbeat(threading.Thread):
    """Refreshes a running run's heartbeat from its own cursor until stopped.

    ``lock`` is held by the worker around its own writes to the run row, so the two never
    race (Odoo's REPEATABLE READ would turn such a race into a serialization failure).
    """

    def __init__(self, registry, run_id, interval):
        super().__init__(name=f"ipwb-heartbeat-{run_id}", daemon=True)
        self.registry = registry
        self.run_id = run_id
        self.interval = interval
        self.lock = threading.Lock()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(self.interval):
            try:
                with self.lock, self.registry.cursor() as cr:
                    cr.execute(
                        SQL(
                            "UPDATE ipwb_pipeline_run SET heartbeat = now() AT TIME ZONE 'UTC' "
                            "WHERE id = %s AND state = 'running'",
                            self.run_id,
                        )
                    )
            except Exception:  # pylint: disable=broad-except
                _logger.warning("heartbeat of pipeline run %s failed", self.run_id, exc_info=True)

    def stop(self):
        self._stop_event.set()
        if self.is_alive():
            self.join(timeout=5)


class _NoHeartbeat:
    """Stand-in in test mode (a test cursor must not be shared with a thread)."""

    def __init__(self):
        self.lock = threading.Lock()

    def start(self):
        return None

    def stop(self):
        return None


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
    step_run_ids = fields.One2many("ipwb.pipeline.step.run", "run_id", string="Steps", readonly=True)
    log = fields.Text(readonly=True)
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

    @api.model_create_multi
    def create(self, vals_list):
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

    def _append_log(self, message):
        stamp = fields.Datetime.now().strftime("%Y-%m-%d %H:%M:%S")
        for run in self:
            run.log = (run.log or "") + f"{stamp} {message}\n"

    def _trigger_worker(self, at=None):
        cron = self.env.ref("ipwb_pipeline.ir_cron_pipeline_worker", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger(at=at)

    # -- user actions --------------------------------------------------------------------------
    def action_cancel(self):
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
        for run in self:
            if run.state != "failed":
                raise UserError(self.env._("Only a failed run can be re-run from its failed steps."))
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

    # -- the worker ------------------------------------------------------------------------------
    @api.model
    def _cron_process_runs(self, max_runs=None):
        """Worker cron: recover stale runs, then execute queued runs until none is left."""
        self._recover_stale_runs()
        deadline = time.monotonic() + self._param("ipwb_pipeline.worker_time_budget_seconds")
        done = 0
        while time.monotonic() < deadline and (max_runs is None or done < max_runs):
            run = self._claim_next()
            if not run:
                break
            run._execute()
            done += 1
        return done

    @api.model
    def _commit(self):
        """The worker commits per step by design (crash safety, visibility to the canvas)."""
        if _autocommit():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _begin_read_committed(self):
        """End the current transaction; the next one sees every commit (claims, recovery)."""
        self.env.flush_all()
        if _autocommit():
            self.env.cr.commit()  # pylint: disable=invalid-commit
            self.env.cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))

    @api.model
    def _claim_next(self):
        worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
        for _attempt in range(5):
            self._begin_read_committed()
            try:
                self.env.cr.execute(
                    SQL(
                        """
                        UPDATE ipwb_pipeline_run
                           SET state = 'running',
                               worker = %(worker)s,
                               heartbeat = now() AT TIME ZONE 'UTC',
                               date_start = COALESCE(date_start, now() AT TIME ZONE 'UTC'),
                               not_before = NULL
                         WHERE id = (
                               SELECT id FROM ipwb_pipeline_run
                                WHERE state = 'queued'
                                  AND (not_before IS NULL OR not_before <= now() AT TIME ZONE 'UTC')
                                ORDER BY id
                                  FOR UPDATE SKIP LOCKED
                                LIMIT 1)
                        RETURNING id
                        """,
                        worker=worker,
                    )
                )
                row = self.env.cr.fetchone()
                self._commit()
            except psycopg2.errors.SerializationFailure:
                if not _autocommit():
                    raise
                self.env.cr.rollback()
                continue
            self.env.invalidate_all()
            return self.browse(row[0]) if row else self.browse()
        return self.browse()

    @api.model
    def _recover_stale_runs(self):
        """Finish (or retry) runs whose worker stopped sending heartbeats."""
        stale_after = self._param("ipwb_pipeline.stale_after_seconds")
        max_attempts = int(self._param("ipwb_pipeline.max_run_attempts"))
        self._begin_read_committed()
        self.env.cr.execute(
            SQL(
                """
                SELECT id FROM ipwb_pipeline_run
                 WHERE state = 'running'
                   AND COALESCE(heartbeat, date_start, create_date)
                       < (now() AT TIME ZONE 'UTC') - make_interval(secs => %s)
                 ORDER BY id
                   FOR UPDATE SKIP LOCKED
                """,
                stale_after,
            )
        )
        ids = [row[0] for row in self.env.cr.fetchall()]
        failed = self.browse()
        for run in self.browse(ids):
            lost = run.step_run_ids.filtered(lambda s: s.state == "running")
            reason = self.env._(
                "worker %(worker)s stopped responding (no heartbeat for %(seconds)s s)",
                worker=run.worker or "?",
                seconds=int(stale_after),
            )
            lost.write({"state": "failed", "error": reason, "date_end": fields.Datetime.now()})
            if run.attempt < max_attempts:
                scheduler = run._scheduler()
                reset = scheduler.rerun_from([s.step_name for s in lost]) if lost else ()
                run.step_run_ids.filtered(lambda s, r=reset: s.step_name in r).write(
                    {"state": "pending", "attempt": 0, "not_before": False}
                )
                run.write({"state": "queued", "attempt": run.attempt + 1, "worker": False})
                run._append_log(self.env._("%s; retrying the run", reason))
            else:
                run.step_run_ids.filtered(lambda s: s.state in ("pending", "retrying")).write(
                    {"state": "skipped", "error": self.env._("run failed")}
                )
                run._finish("failed", reason)
                failed |= run
        self._commit()
        if ids:
            _logger.warning("recovered %s stale pipeline run(s): %s", len(ids), ids)
            self._trigger_worker()
        for run in failed:
            run._send_chat_alert()
        return self.browse(ids)

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
        self.ensure_one()
        if self.env.registry.in_test_mode() or not _autocommit():
            heartbeat = _NoHeartbeat()
        else:
            heartbeat = _Heartbeat(self.env.registry, self.id, self._param("ipwb_pipeline.heartbeat_seconds"))
        heartbeat.start()
        try:
            self._execute_steps(heartbeat.lock)
        finally:
            heartbeat.stop()

    def _commit_run(self, lock, values=None, log=None):
        """Write the run row and commit, never racing the heartbeat thread."""
        with lock:
            self._commit()
            if values:
                self.write(values)
            if log:
                self._append_log(log)
            self._commit()

    def _execute_steps(self, lock):  # noqa: PLR0912 (one loop, every outcome explicit)
        scheduler = self._scheduler()
        by_name = {s.step_name: s for s in self.step_run_ids}
        for name, step_run in by_name.items():
            if not step_run.enabled and scheduler.status(name).state in (
                StepState.PENDING,
                StepState.RETRYING,
            ):
                scheduler.skip(name, self.env._("step disabled"))
        self._sync_states(scheduler, by_name)
        self._commit_run(
            lock, {"heartbeat": fields.Datetime.now()}, self.env._("run started by %s", self.worker)
        )
        params = self._params_dict()
        inline_wait = self._param("ipwb_pipeline.inline_wait_seconds")
        while True:
            if self.cancel_requested:
                for name in scheduler.graph:
                    if scheduler.status(name).state in (StepState.PENDING, StepState.RETRYING):
                        scheduler.skip(name, self.env._("run cancelled"))
                self._sync_states(scheduler, by_name)
                self._finish("cancelled", self.env._("cancelled on request"), lock=lock)
                return
            ready = scheduler.ready(time.time())
            if ready:
                name = ready[0]
                blocked = self._budget_blocks()
                if blocked:
                    for other in scheduler.graph:
                        if scheduler.status(other).state in (StepState.PENDING, StepState.RETRYING):
                            scheduler.skip(other, blocked)
                    self._sync_states(scheduler, by_name)
                    self._finish("failed", blocked, lock=lock)
                    return
                self._run_one_step(scheduler, by_name[name], params, lock)
                by_name[name].invalidate_recordset()
                continue
            if scheduler.is_finished():
                break
            wake = scheduler.next_wakeup()
            if wake is None:
                break
            wait = wake - time.time()
            if wait <= inline_wait:
                time.sleep(max(wait, 0))
                continue
            # long backoff: give the worker back, come back at the retry time
            at = _from_epoch(wake)
            self._commit_run(
                lock,
                {"state": "queued", "not_before": at, "worker": False},
                self.env._("waiting for a retry until %s", at),
            )
            self._trigger_worker(at=at)
            self._commit()
            return
        if scheduler.succeeded() or all(
            scheduler.status(n).state in (StepState.SUCCEEDED, StepState.SKIPPED)
            and (scheduler.status(n).state is StepState.SUCCEEDED or not by_name[n].enabled)
            for n in scheduler.graph
        ):
            self._finish("succeeded", lock=lock)
        else:
            failed = [n for n in scheduler.graph if scheduler.status(n).state is StepState.FAILED]
            reason = "; ".join(f"{n}: {scheduler.status(n).reason}" for n in failed) or self.env._(
                "steps skipped"
            )
            self._finish("failed", reason, lock=lock)

    def _run_one_step(self, scheduler, step_run, params, lock):
        started = time.time()
        status = scheduler.start(step_run.step_name, started)
        step_run._store_status(status)
        step_run.write({"date_start": fields.Datetime.now(), "date_end": False, "error": False})
        self._commit_run(
            lock,
            {"heartbeat": fields.Datetime.now()},
            self.env._(
                "step %(step)s: attempt %(attempt)s", step=step_run.step_name, attempt=status.attempts
            ),
        )
        try:
            with self.env.cr.savepoint():
                outcome = step_run._execute_kind(params)
        except Exception as exc:  # pylint: disable=broad-except
            # the savepoint rolled back whatever the step wrote; its "running" state was committed
            self.env.invalidate_all(flush=False)
            message = str(exc) or exc.__class__.__name__
            if not isinstance(exc, (IpwbError, UserError)):
                _logger.info("pipeline step %s failed", step_run.step_name, exc_info=True)
            elapsed = time.time() - started
            new = scheduler.fail(step_run.step_name, time.time(), message)
            step_run._store_status(new)
            step_run.write(
                {
                    "date_end": fields.Datetime.now(),
                    "duration": elapsed,
                    "error": message,
                    "log": (step_run.log or "") + (getattr(exc, "log", "") or ""),
                }
            )
            step_run._record_cost(elapsed)
            self._sync_states(scheduler, {s.step_name: s for s in self.step_run_ids})
            verb = self.env._("will retry") if new.state is StepState.RETRYING else self.env._("failed")
            self._commit_run(
                lock, {"heartbeat": fields.Datetime.now()}, f"step {step_run.step_name} {verb}: {message}"
            )
            return
        elapsed = time.time() - started
        new = scheduler.succeed(step_run.step_name, time.time())
        step_run._store_status(new)
        step_run.write(
            {
                "date_end": fields.Datetime.now(),
                "duration": elapsed,
                "rows_affected": outcome.get("rows_affected", 0),
                "log": outcome.get("log", ""),
                "response": outcome.get("response", False),
            }
        )
        step_run._record_cost(elapsed, llm_usd=outcome.get("llm_usd", 0.0))
        self._commit_run(
            lock,
            {"heartbeat": fields.Datetime.now()},
            self.env._(
                "step %(step)s succeeded in %(seconds).2f s", step=step_run.step_name, seconds=elapsed
            ),
        )
        if outcome.get("after_commit"):
            outcome["after_commit"]()

    def _sync_states(self, scheduler, by_name):
        for name, status in scheduler.snapshot().items():
            step_run = by_name[name]
            if step_run.state != status.state.value or step_run.attempt != status.attempts:
                step_run._store_status(status)
                if status.state is StepState.SKIPPED and status.reason:
                    step_run.error = status.reason

    def _budget_blocks(self):
        """The reason to stop before the next step when a blocking budget is exhausted."""
        self.ensure_one()
        pipeline = self.pipeline_id
        spent = sum(
            self.env["ipwb.cost.entry"]
            .sudo()
            .search([("pipeline_run_id", "=", self.id)])
            .mapped("amount_usd")
        )
        decision = check_budget(spent, pipeline.budget_per_run, pipeline.budget_mode)
        if decision.exceeded and not self.budget_exceeded:
            self.budget_exceeded = True
            pipeline.message_post(
                body=self.env._("Run %(run)s: %(message)s", run=self.display_name, message=decision.message)
            )
        return decision.message if decision.block else ""

    def _finish(self, state, error=None, lock=None):
        self.ensure_one()
        now = fields.Datetime.now()
        entries = self.env["ipwb.cost.entry"].sudo().search([("pipeline_run_id", "=", self.id)])
        values = {
            "state": state,
            "date_end": now,
            "duration": (now - self.date_start).total_seconds() if self.date_start else 0.0,
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
            post_chat_message(url, text, timeout_s=5, **extra)
        except IpwbError as exc:
            self._append_log(self.env._("failure alert not delivered: %s", exc))
            self._commit()
            return False
        return True

    # -- canvas API --------------------------------------------------------------------------------
    @api.model
    def canvas_status(self, pipeline_id):
        """Latest run of a pipeline with its step states (polled by the canvas)."""
        run = self.search([("pipeline_id", "=", pipeline_id)], order="id desc", limit=1)
        if not run:
            return {"run": False, "steps": {}}
        return {
            "run": {"id": run.id, "name": run.name, "state": run.state, "error": run.error or ""},
            "steps": {
                s.step_name: {
                    "state": s.state,
                    "attempt": s.attempt,
                    "duration": s.duration,
                    "rows": s.rows_affected,
                    "error": s.error or "",
                    "log": (s.log or "")[-4000:],
                }
                for s in run.step_run_ids
            },
        }
