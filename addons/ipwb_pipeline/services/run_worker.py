# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The cron worker that executes ``ipwb.pipeline.run`` records.

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
* Each step executes with the rights of the pipeline's owner (``with_user(owner)``, never
  sudo: ACLs, record rules and field groups apply to what the step does through the ORM);
  the worker's own bookkeeping (step states, logs, costs, commits) stays in the cron's
  environment. A pipeline whose owner cannot run it (none, archived, share, OdooBot) fails
  the run before its first step, with the reason.
* While a run executes, a heartbeat thread refreshes ``heartbeat`` on its own cursor. A
  run still "running" whose heartbeat is older than ``ipwb_pipeline.stale_after_seconds``
  belonged to a worker that died: the next worker pass fails it, or re-queues it from the
  interrupted step while ``attempt`` < ``ipwb_pipeline.max_run_attempts``.

The functions take the run model or a run record; the model keeps thin methods of the same
names (``_claim_next``, ``_recover_stale_runs``, …) that delegate here, and the functions
call back through those methods so that inheriting addons can still override each one.
"""

import logging
import os
import socket
import threading
import time
from datetime import datetime, timezone

import psycopg2.errors
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED, ISOLATION_LEVEL_REPEATABLE_READ

from odoo import fields
from odoo.exceptions import UserError
from odoo.tools import SQL

from ipwb.dag import StepState
from ipwb.errors import IpwbError

from .run_recovery import connection_lost, cursor_alive, recover_stale_runs  # noqa: F401 (API)

_logger = logging.getLogger(__name__)


def _autocommit():
    """False inside tests (Odoo forbids commits there; savepoints give the same isolation)."""
    return not getattr(threading.current_thread(), "testing", False)


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


# -- the worker loop and its transactions ----------------------------------------------------
def process_runs(Run, max_runs=None):
    """Recover stale runs, then execute queued runs until none is left (or the time budget)."""
    Run._recover_stale_runs()
    deadline = time.monotonic() + Run._param("ipwb_pipeline.worker_time_budget_seconds")
    done = 0
    while time.monotonic() < deadline and (max_runs is None or done < max_runs):
        run = Run._claim_next()
        if not run:
            break
        run._execute()
        done += 1
    return done


def commit(env):
    """The worker commits per step by design (crash safety, visibility to the canvas)."""
    if _autocommit():
        env.cr.commit()  # pylint: disable=invalid-commit


def begin_read_committed(env):
    """End the current transaction; the next one sees every commit (claims, recovery)."""
    env.flush_all()
    if _autocommit():
        env.cr.commit()  # pylint: disable=invalid-commit
        env.cr.execute(SQL("SET TRANSACTION ISOLATION LEVEL READ COMMITTED"))


def claim_next(Run):
    """Claim the oldest claimable queued run (FOR UPDATE SKIP LOCKED) and commit the claim."""
    worker = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"
    for _attempt in range(5):
        Run._begin_read_committed()
        try:
            Run.env.cr.execute(
                SQL(
                    """
                    UPDATE ipwb_pipeline_run
                       SET state = 'running',
                           worker = %(worker)s,
                           heartbeat = now() AT TIME ZONE 'UTC',
                           date_start = COALESCE(date_start, now() AT TIME ZONE 'UTC'),
                           not_before = NULL
                     WHERE id = (
                           SELECT r.id FROM ipwb_pipeline_run r
                            WHERE r.state = 'queued'
                              AND (r.not_before IS NULL OR r.not_before <= now() AT TIME ZONE 'UTC')
                              AND (r.concurrency = 'parallel' OR NOT EXISTS (
                                   SELECT 1 FROM ipwb_pipeline_run o
                                    WHERE o.pipeline_id = r.pipeline_id AND o.state = 'running'
                                      AND o.concurrency <> 'parallel'))
                            ORDER BY r.id
                              FOR UPDATE SKIP LOCKED
                            LIMIT 1)
                    RETURNING id
                    """,
                    worker=worker,
                ),
                log_exceptions=False,
            )
            row = Run.env.cr.fetchone()
            Run._commit()
        except (psycopg2.errors.SerializationFailure, psycopg2.errors.UniqueViolation):
            # UniqueViolation: another worker claimed a run of the same one-at-a-time pipeline
            # at the same instant (index ipwb_pipeline_run_one_running); the next pass skips it
            if not _autocommit():
                raise
            Run.env.cr.rollback()
            continue
        Run.env.invalidate_all()
        return Run.browse(row[0]) if row else Run.browse()
    return Run.browse()


def commit_run(run, lock, values=None, log=None):
    """Write the run row and commit (one commit: the run's transactions are READ COMMITTED,
    see :func:`execute`, so the heartbeat thread's update can never make it fail); the
    heartbeat and the log line go in one UPDATE (see ``_append_log``)."""
    values = dict(values or {})
    beat = values.pop("heartbeat", None)
    with lock:
        if values:
            run.write(values)
        if log or beat:
            run._append_log(log or "", heartbeat=bool(beat))
        run._commit()


# -- executing one claimed run ---------------------------------------------------------------
def execute(run):
    """Execute a claimed run step by step (one commit per step), its heartbeat running."""
    run.ensure_one()
    if run.env.registry.in_test_mode() or not _autocommit():
        heartbeat = _NoHeartbeat()
    else:
        heartbeat = _Heartbeat(run.env.registry, run.id, run._param("ipwb_pipeline.heartbeat_seconds"))
    heartbeat.start()
    isolated = _read_committed(run.env.cr)
    try:
        run._execute_steps(heartbeat.lock)
    except (psycopg2.OperationalError, psycopg2.InterfaceError) as exc:
        if not _autocommit() or (not run.env.cr._closed and cursor_alive(run.env.cr)):
            raise
        heartbeat.stop()
        connection_lost(run, exc)
        raise
    finally:
        heartbeat.stop()
        if isolated:
            _repeatable_read(run.env.cr)


def _read_committed(cr):
    """Run the worker's own transactions READ COMMITTED while it executes a run.

    Its writes to the run row then wait for the heartbeat thread's (row lock) instead of
    failing on them, which REPEATABLE READ would do: so each bookkeeping point is one commit,
    not a commit to refresh the snapshot plus one for the writes. Odoo resets every new
    cursor to REPEATABLE READ; :func:`_repeatable_read` restores this one afterwards."""
    if not _autocommit():
        return False
    commit_env_cr(cr)
    cr._cnx.set_isolation_level(ISOLATION_LEVEL_READ_COMMITTED)
    return True


def _repeatable_read(cr):
    try:
        if not cr._closed and not cr._cnx.closed:
            commit_env_cr(cr)
            cr._cnx.set_isolation_level(ISOLATION_LEVEL_REPEATABLE_READ)
    except psycopg2.Error:
        _logger.warning("could not restore the worker's isolation level", exc_info=True)


def commit_env_cr(cr):
    cr.commit()  # pylint: disable=invalid-commit


def _skip_waiting(scheduler, reason):
    for name in scheduler.graph:
        if scheduler.status(name).state in (StepState.PENDING, StepState.RETRYING):
            scheduler.skip(name, reason)


def _runner_or_fail(run, scheduler, by_name, lock):
    """The pipeline owner the steps run as; None (the run failed with the reason) when the
    owner cannot run it (none, archived, share, OdooBot)."""
    try:
        owner = run.pipeline_id._run_user()
    except UserError as exc:
        _skip_waiting(scheduler, str(exc))
        run._sync_states(scheduler, by_name)
        run._finish("failed", str(exc), lock=lock)
        return None
    run._commit_run(lock, log=run.env._("steps run with the rights of %s", owner.login))
    return owner


def execute_steps(run, lock):
    """Advance the run's scheduler until it finishes, is cancelled, blocked or must wait."""
    env = run.env
    scheduler = run._scheduler()
    by_name = {s.step_name: s for s in run.step_run_ids}
    for name, step_run in by_name.items():
        if not step_run.enabled and scheduler.status(name).state in (
            StepState.PENDING,
            StepState.RETRYING,
        ):
            scheduler.skip(name, env._("step disabled"))
    run._sync_states(scheduler, by_name)
    run._commit_run(lock, {"heartbeat": fields.Datetime.now()}, env._("run started by %s", run.worker))
    owner = _runner_or_fail(run, scheduler, by_name, lock)
    if not owner:
        return
    # resolved once per run, not per step (round trips): the owner checked above, and the
    # warehouse price of a compute second
    rate = env["ipwb.cost.price"].sudo()._rate_per_second("warehouse")
    run = run.with_context(ipwb_run_owner_id=owner.id, ipwb_warehouse_rate=rate)
    by_name = {name: step_run.with_env(run.env) for name, step_run in by_name.items()}
    params = run._params_dict()
    inline_wait = run._param("ipwb_pipeline.inline_wait_seconds")
    while True:
        if run.cancel_requested:
            _skip_waiting(scheduler, env._("run cancelled"))
            run._sync_states(scheduler, by_name)
            run._finish("cancelled", env._("cancelled on request"), lock=lock)
            return
        ready = scheduler.ready(time.time())
        if ready:
            name = ready[0]
            blocked = run._budget_blocks()
            if blocked:
                _skip_waiting(scheduler, blocked)
                run._sync_states(scheduler, by_name)
                run._finish("failed", blocked, lock=lock)
                return
            run._run_one_step(scheduler, by_name[name], params, lock)
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
        run._commit_run(
            lock,
            {"state": "queued", "not_before": at, "worker": False},
            env._("waiting for a retry until %s", at),
        )
        run._trigger_worker(at=at)
        run._commit()
        return
    if scheduler.succeeded() or all(
        scheduler.status(n).state in (StepState.SUCCEEDED, StepState.SKIPPED)
        and (scheduler.status(n).state is StepState.SUCCEEDED or not by_name[n].enabled)
        for n in scheduler.graph
    ):
        run._finish("succeeded", lock=lock)
    else:
        failed = [n for n in scheduler.graph if scheduler.status(n).state is StepState.FAILED]
        reason = "; ".join(f"{n}: {scheduler.status(n).reason}" for n in failed) or env._("steps skipped")
        run._finish("failed", reason, lock=lock)


def run_one_step(run, scheduler, step_run, params, lock):
    """Run one step in a savepoint; its start and its outcome are each committed."""
    env = run.env
    started = time.time()
    status = scheduler.start(step_run.step_name, started)
    step_run._store_status(status)
    step_run.write({"date_start": fields.Datetime.now(), "date_end": False, "error": False})
    run._commit_run(
        lock,
        {"heartbeat": fields.Datetime.now()},
        env._("step %(step)s: attempt %(attempt)s", step=step_run.step_name, attempt=status.attempts),
    )
    try:
        with env.cr.savepoint():
            # the owner's rights, never the worker's (superuser): see the module docstring
            owner_id = env.context.get("ipwb_run_owner_id")
            owner = env["res.users"].browse(owner_id) if owner_id else run.pipeline_id._run_user()
            outcome = step_run.with_user(owner)._execute_kind(params)
    except Exception as exc:  # pylint: disable=broad-except
        # the savepoint rolled back whatever the step wrote; its "running" state was committed
        env.invalidate_all(flush=False)
        message = str(exc) or exc.__class__.__name__
        if not isinstance(exc, (IpwbError, UserError)):
            _logger.info("pipeline step %s failed", step_run.step_name, exc_info=True)
        log = getattr(exc, "log", "") or ""
        _record_failure(run, scheduler, step_run, started=started, message=message, log=log, lock=lock)
        return
    if outcome.get("failed"):
        # a step that reports its failure (instead of raising) keeps what it wrote:
        # a quality gate's failing results are the evidence Guardian's gates read
        _record_failure(
            run,
            scheduler,
            step_run,
            started=started,
            message=outcome["failed"],
            log=outcome.get("log", ""),
            lock=lock,
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
    run._commit_run(
        lock,
        {"heartbeat": fields.Datetime.now()},
        env._("step %(step)s succeeded in %(seconds).2f s", step=step_run.step_name, seconds=elapsed),
    )
    if outcome.get("after_commit"):
        outcome["after_commit"]()


def _record_failure(run, scheduler, step_run, *, started, message, log, lock):
    """Mark a step attempt failed (or retrying), with its error and log, and commit."""
    env = run.env
    elapsed = time.time() - started
    new = scheduler.fail(step_run.step_name, time.time(), message)
    step_run._store_status(new)
    step_run.write(
        {
            "date_end": fields.Datetime.now(),
            "duration": elapsed,
            "error": message,
            "log": (step_run.log or "") + log,
        }
    )
    step_run._record_cost(elapsed)
    run._sync_states(scheduler, {s.step_name: s for s in run.step_run_ids})
    verb = env._("will retry") if new.state is StepState.RETRYING else env._("failed")
    message_line = f"step {step_run.step_name} {verb}: {message}"
    run._commit_run(lock, {"heartbeat": fields.Datetime.now()}, message_line)


def sync_states(scheduler, by_name):
    """Copy the scheduler's step states onto the step-run records that differ."""
    for name, status in scheduler.snapshot().items():
        step_run = by_name[name]
        if step_run.state != status.state.value or step_run.attempt != status.attempts:
            step_run._store_status(status)
            if status.state is StepState.SKIPPED and status.reason:
                step_run.error = status.reason
