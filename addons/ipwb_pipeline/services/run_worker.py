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
  marked running and committed, executed, and its outcome committed with the next step's
  start (:mod:`.run_steps`: one commit per step) — so a crash loses at most the step in
  flight. Retries wait their backoff in the worker when short, otherwise
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

import psycopg2.errors
from psycopg2.extensions import ISOLATION_LEVEL_READ_COMMITTED, ISOLATION_LEVEL_REPEATABLE_READ

from odoo.tools import SQL

from .run_recovery import connection_lost, cursor_alive, recover_stale_runs  # noqa: F401 (API)
from .run_steps import execute_steps, run_one_step, sync_states  # noqa: F401 (API)

_logger = logging.getLogger(__name__)


def _autocommit():
    """False inside tests (Odoo forbids commits there; savepoints give the same isolation)."""
    return not getattr(threading.current_thread(), "testing", False)


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
    heartbeat and the log lines (``log``: a line or a list of lines) go in one UPDATE (see
    ``_append_log``)."""
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
