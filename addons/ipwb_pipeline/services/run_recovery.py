# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Runs lost by their worker: a stale heartbeat (the worker died), or the worker's own
database connection gone mid-run (PostgreSQL restarted). Either way the interrupted step
fails with the reason and the run is queued again from it while ``attempt`` is below
``ipwb_pipeline.max_run_attempts``, else failed (and the chat alert sent). Never left
"running"; what the interrupted step wrote was rolled back with its transaction.
"""

import logging
import time

import psycopg2

from odoo import SUPERUSER_ID, api, fields
from odoo.tools import SQL

_logger = logging.getLogger(__name__)


def recover_stale_runs(Run):
    """Finish (or retry) runs whose worker stopped sending heartbeats."""
    env = Run.env
    stale_after = Run._param("ipwb_pipeline.stale_after_seconds")
    max_attempts = int(Run._param("ipwb_pipeline.max_run_attempts"))
    Run._begin_read_committed()
    env.cr.execute(
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
    ids = [row[0] for row in env.cr.fetchall()]
    failed = Run.browse()
    for run in Run.browse(ids):
        reason = env._(
            "worker %(worker)s stopped responding (no heartbeat for %(seconds)s s)",
            worker=run.worker or "?",
            seconds=int(stale_after),
        )
        if not fail_or_retry(run, reason, max_attempts):
            failed |= run
    Run._commit()
    if ids:
        _logger.warning("recovered %s stale pipeline run(s): %s", len(ids), ids)
        Run._trigger_worker()
    for run in failed:
        run._send_chat_alert()
    return Run.browse(ids)


def fail_or_retry(run, reason, max_attempts):
    """A run lost by its worker: its running step fails with ``reason``; the run is queued
    again from that step while ``attempt`` < ``max_attempts`` (True), else failed (False)."""
    env = run.env
    lost = run.step_run_ids.filtered(lambda s: s.state == "running")
    lost.write({"state": "failed", "error": reason, "date_end": fields.Datetime.now()})
    if run.attempt < max_attempts:
        scheduler = run._scheduler()
        reset = scheduler.rerun_from([s.step_name for s in lost]) if lost else ()
        run.step_run_ids.filtered(lambda s, r=reset: s.step_name in r).write(
            {"state": "pending", "attempt": 0, "not_before": False}
        )
        run.write({"state": "queued", "attempt": run.attempt + 1, "worker": False})
        run._append_log(env._("%s; retrying the run", reason))
        return True
    run.step_run_ids.filtered(lambda s: s.state in ("pending", "retrying")).write(
        {"state": "skipped", "error": env._("run failed")}
    )
    run._finish("failed", reason)
    return False


def connection_lost(run, exc):
    """The worker's own database connection died mid-run (PostgreSQL restarted or
    unreachable): record that on a new connection — failed and retried per
    ``max_run_attempts`` — as soon as PostgreSQL answers again, instead of leaving the run
    "running" until its heartbeat goes stale. Gives up after ~60 s (stale recovery remains)."""
    registry, run_id, context = run.env.registry, run.id, dict(run.env.context)
    detail = (str(exc).strip().splitlines() or [exc.__class__.__name__])[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with registry.cursor() as cr:
                env = api.Environment(cr, SUPERUSER_ID, context)
                Run = env["ipwb.pipeline.run"]
                lost = Run.browse(run_id).exists()
                if not lost or lost.state != "running":
                    return
                reason = env._("the connection to PostgreSQL was lost during the run (%s)", detail)
                retried = fail_or_retry(lost, reason, int(Run._param("ipwb_pipeline.max_run_attempts")))
                cr.commit()  # pylint: disable=invalid-commit
                if retried:
                    Run._trigger_worker()
                    cr.commit()  # pylint: disable=invalid-commit
                else:
                    lost._send_chat_alert()
                _logger.warning("pipeline run %s: %s", run_id, reason)
                return
        except (psycopg2.OperationalError, psycopg2.InterfaceError):
            time.sleep(1)


def cursor_alive(cr):
    """Whether the worker's own connection still answers (a step's warehouse connection
    may have failed alone, with the Odoo database still up)."""
    try:
        cr.execute(SQL("SELECT 1"), log_exceptions=False)
    except (psycopg2.OperationalError, psycopg2.InterfaceError):
        return False
    except psycopg2.Error:
        return True  # e.g. an aborted transaction: the connection itself answers
    return True
