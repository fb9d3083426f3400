# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The cron worker executing ``ipwb.agent.run`` records, never inside a web request.

* Starting a run or deciding on an approval *queues* the run and triggers the cron
  ``ipwb_genie.ir_cron_agent_worker``; a worker claims it with ``UPDATE … WHERE id =
  (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`` and commits the claim, so two workers never
  drive the same run.
* The graph streams its node updates; each becomes an ``ipwb.agent.step`` committed at once
  (live status in the UI). Checkpoints go to the Postgres checkpointer, so the worker that
  resumes a run after an approval need not be the one that paused it.
* A run still running past ``ipwb_genie.agent_run_timeout_minutes`` belonged to a worker
  that died or hung: the next pass finishes it as failed. Checkpoints of finished runs are
  deleted after ``ipwb_genie.agent_checkpoint_retention_days`` (the steps stay on the run).
"""

import contextlib
import logging
import threading

from odoo import fields
from odoo.tools import SQL

from ipwb.llm.agents import FINAL_STATES

from .agent_runtime import store

_logger = logging.getLogger(__name__)

PARAM_TIMEOUT = "ipwb_genie.agent_run_timeout_minutes"
PARAM_RETENTION = "ipwb_genie.agent_checkpoint_retention_days"
DEFAULT_TIMEOUT_MINUTES = 30
DEFAULT_RETENTION_DAYS = 7


def autocommit():
    """False inside tests (Odoo forbids commits there; the test transaction isolates)."""
    return not getattr(threading.current_thread(), "testing", False)


def commit(env):
    env.flush_all()
    if autocommit():
        env.cr.commit()  # pylint: disable=invalid-commit


def _param(env, key, default):
    try:
        value = int(env["ir.config_parameter"].sudo().get_param(key) or default)
    except ValueError:
        value = default
    return max(value, 1)


def claim_next(Run):
    env = Run.env
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            UPDATE ipwb_agent_run
               SET state = 'running', date_start = now() AT TIME ZONE 'UTC'
             WHERE id = (
                   SELECT id FROM ipwb_agent_run
                    WHERE state = 'queued'
                    ORDER BY id
                      FOR UPDATE SKIP LOCKED
                    LIMIT 1)
            RETURNING id
            """
        )
    )
    row = env.cr.fetchone()
    env.invalidate_all()
    run = Run.browse(row[0]) if row else Run.browse()
    run._notify_progress()
    commit(env)
    return run


def fail_stuck_runs(Run):
    """Finish runs that made no progress within the timeout as failed, with the reason."""
    env = Run.env
    minutes = _param(env, PARAM_TIMEOUT, DEFAULT_TIMEOUT_MINUTES)
    env.flush_all()
    env.cr.execute(
        SQL(
            """
            SELECT id FROM ipwb_agent_run
             WHERE state = 'running'
               AND COALESCE(date_start, create_date) < (now() AT TIME ZONE 'UTC') - make_interval(mins => %s)
               FOR UPDATE SKIP LOCKED
            """,
            minutes,
        )
    )
    stuck = Run.browse([row[0] for row in env.cr.fetchall()])
    for run in stuck:
        run.write(
            {
                "state": "failed",
                "error": env._(
                    "Stopped: the run made no progress for %s minutes (its worker stopped).", minutes
                ),
                "date_end": fields.Datetime.now(),
            }
        )
    stuck._notify_progress()
    commit(env)
    return stuck


def purge_checkpoints(Run):
    """Delete the checkpoints of runs finished longer ago than the retention period."""
    env = Run.env
    days = _param(env, PARAM_RETENTION, DEFAULT_RETENTION_DAYS)
    limit = fields.Datetime.subtract(fields.Datetime.now(), days=days)
    runs = Run.search(
        [
            ("state", "in", sorted(FINAL_STATES)),
            ("thread_id", "!=", False),
            ("checkpoint_deleted", "=", False),
            ("date_end", "<", limit),
        ],
        limit=200,
    )
    checkpoints = store(env)
    for run in runs:
        checkpoints.delete_thread(run.thread_id)
        run.checkpoint_deleted = True
    commit(env)
    return runs


def process_runs(Run, max_runs=20):
    """One worker pass: stuck runs, then queued runs one by one, then retention."""
    fail_stuck_runs(Run)
    done = Run.browse()
    for _index in range(max_runs):
        run = claim_next(Run)
        if not run:
            break
        env = Run.env
        # steps are committed as they stream; in tests (no commits) a savepoint stands in,
        # so that a bug in one run rolls back only that run's writes
        guard = contextlib.nullcontext() if autocommit() else env.cr.savepoint()
        try:
            with guard:
                run._execute()
        except Exception as exc:
            _logger.exception("agent run %s failed", run.id)
            if autocommit():
                env.cr.rollback()
            env.invalidate_all()
            run.write(
                {
                    "state": "failed",
                    "error": env._("Internal error: %s", exc),
                    "date_end": fields.Datetime.now(),
                }
            )
            run._notify_progress()
        commit(Run.env)
        done |= run
    purge_checkpoints(Run)
    return done
