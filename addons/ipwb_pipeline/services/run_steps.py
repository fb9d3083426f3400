# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The step loop of a claimed run: one transaction, hence one commit, per step.

A step's bookkeeping is written in the transaction that starts the next one: the previous
step's outcome (state, duration, log, cost entry), the run's log lines and heartbeat, and the
next step marked *running* are committed together, right before the next step's body runs.
So a crash still loses at most the step in flight (its outcome and its body's Odoo writes are
rolled back together; recovery re-queues the run from that step), and no body ever starts
before the run shows its step running. The worker commits before anything that waits (an
inline retry backoff, a re-queue, the end of the run), so no transaction stays open while
nothing runs.

Before each step the run's cancel flag and what it has spent so far (the budget) are read
from the database, where another transaction (Cancel) may have set them, in the message that
writes the previous step's outcome and this step's start (:class:`.run_books.Books`: one
message and one COMMIT a step; a start the flags refuse is rolled back to a savepoint).
"""

import logging
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timezone

from odoo import fields
from odoo.exceptions import UserError

from ipwb.dag import StepState
from ipwb.errors import ConfigurationError, IpwbError
from ipwb.pipeline.budget import check_budget, compute_cost

from .run_books import Books, RunFlags, run_flags  # noqa: F401 (API)

_logger = logging.getLogger(__name__)


def _skip_waiting(scheduler, reason):
    for name in scheduler.graph:
        if scheduler.status(name).state in (StepState.PENDING, StepState.RETRYING):
            scheduler.skip(name, reason)


def _stop(run, scheduler, by_name, books, *, state, reason):
    """Skip what has not run and end the run in ``state`` with ``reason``."""
    _skip_waiting(scheduler, reason)
    run._sync_states(scheduler, by_name)
    books.finish(state, reason)


def _runner_or_fail(run, scheduler, by_name, books):
    """The pipeline owner the steps run as; None (the run failed with the reason) when the
    owner cannot run it (none, archived, share, OdooBot)."""
    try:
        owner = run.pipeline_id._run_user()
    except UserError as exc:
        _stop(run, scheduler, by_name, books, state="failed", reason=str(exc))
        return None
    books.log(run.env._("steps run with the rights of %s", owner.login))
    return owner


def _prepare(run, books):
    """(run as its owner's worker, scheduler, step runs by name), or None when the run
    failed before its first step (see :func:`_runner_or_fail`)."""
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
    books.log(env._("run started by %s", run.worker))
    owner = _runner_or_fail(run, scheduler, by_name, books)
    if not owner:
        return None
    # resolved once per run, not per step (round trips): the owner checked above, and the
    # warehouse price of a compute second
    rate = env["ipwb.cost.price"].sudo()._rate_per_second("warehouse")
    books.names = {step_run.id: name for name, step_run in by_name.items()}
    books.cost_values = run._cost_entry_values()
    books.pipeline_id = run.pipeline_id.id
    run = books.run = run.with_context(
        ipwb_run_owner_id=owner.id, ipwb_warehouse_rate=rate, ipwb_pipeline_run_id=run.id
    )
    # each step run prefetches itself only: after a commit, reading one step must not
    # fetch every step of the run again
    by_name = {name: step_run.with_env(run.env).with_prefetch() for name, step_run in by_name.items()}
    return run, scheduler, by_name


def execute_steps(run, lock):
    """Advance the run's scheduler until it finishes, is cancelled, blocked or must wait."""
    env = run.env
    books = Books(run, lock)
    prepared = _prepare(run, books)
    if not prepared:
        return
    run, scheduler, by_name = prepared
    params = run._params_dict()
    inline_wait = run._param("ipwb_pipeline.inline_wait_seconds")
    while True:
        ready = scheduler.ready(time.time())
        if ready:
            # the flags are read in the message that starts the step (see run_one_step)
            flags = run._run_one_step(scheduler, by_name[ready[0]], params, books)
            if flags is None:
                continue
            # not started: cancelled, or a blocking budget is spent
            if flags.cancelled:
                _stop(run, scheduler, by_name, books, state="cancelled", reason=env._("cancelled on request"))
                return
            reason = run._budget_blocks(flags) or _budget_decision(flags).message
            _stop(run, scheduler, by_name, books, state="failed", reason=reason)
            return
        flags = books.send_with_flags()
        if flags.cancelled:
            _stop(run, scheduler, by_name, books, state="cancelled", reason=env._("cancelled on request"))
            return
        if scheduler.is_finished():
            break
        wake = scheduler.next_wakeup()
        if wake is None:
            break
        wait = wake - time.time()
        if wait <= inline_wait:
            books.commit()
            time.sleep(max(wait, 0))
            continue
        # long backoff: give the worker back, come back at the retry time
        at = _from_epoch(wake)
        books.log(env._("waiting for a retry until %s", at))
        books.commit({"state": "queued", "not_before": at, "worker": False})
        run._trigger_worker(at=at)
        run._commit()
        return
    if scheduler.succeeded() or all(
        scheduler.status(n).state in (StepState.SUCCEEDED, StepState.SKIPPED)
        and (scheduler.status(n).state is StepState.SUCCEEDED or not by_name[n].enabled)
        for n in scheduler.graph
    ):
        books.finish("succeeded")
    else:
        failed = [n for n in scheduler.graph if scheduler.status(n).state is StepState.FAILED]
        reason = "; ".join(f"{n}: {scheduler.status(n).reason}" for n in failed) or env._("steps skipped")
        books.finish("failed", reason)


def _from_epoch(value):
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None) if value else False


def _commits():
    """False inside tests, where Odoo forbids commits (as ``run_worker._autocommit``)."""
    return not getattr(threading.current_thread(), "testing", False)


@contextmanager
def _body_scope(env):
    """What a failing step body's writes are rolled back to. The step's start was committed
    just before the body, so the transaction holds the body's writes only: rolling it back
    is the savepoint, without the SAVEPOINT and RELEASE round trips of every step. Tests
    (no commits) use a real savepoint. The body's writes are flushed inside the scope, so a
    constraint they break fails the step, not the worker."""
    if not _commits():
        with env.cr.savepoint():
            yield
        return
    try:
        yield
        env.flush_all()
    except Exception:
        env.cr.rollback()
        raise


def _budget_decision(flags):
    return check_budget(flags.spent, flags.budget_per_run, flags.budget_mode)


def run_one_step(run, scheduler, step_run, params, books):
    """Mark the step running and commit (with the previous step's outcome), then run its body
    in a savepoint; its outcome is committed with the next step's start (or the run's end).

    The run's flags are read in the same message as the step's start, after a savepoint: when
    the run is cancelled or its blocking budget spent, the start is rolled back to it (the
    previous outcome stays) and the flags are returned, the step not run; None otherwise."""
    env = run.env
    name = books.names.get(step_run.id) or step_run.step_name
    previous = scheduler.status(name)
    status = scheduler.start(name, time.time())
    books.mark()
    books.write_step(
        step_run,
        dict(step_run._status_values(status), date_start=fields.Datetime.now(), date_end=False, error=False),
    )
    books.log(env._("step %(step)s: attempt %(attempt)s", step=name, attempt=status.attempts))
    with books.lock:
        flags = books.send_start()
        go = not flags.cancelled and not _budget_decision(flags).block and not run._budget_blocks(flags)
        if go:
            books.committed_start()
    if not go:
        books.undo()
        scheduler.unstart(name, previous)
        return flags
    # the step's duration is its body's: the worker's bookkeeping is not the step's cost
    started = time.time()
    try:
        with _body_scope(env):
            # the owner's rights, never the worker's (superuser): see run_worker's docstring
            owner_id = env.context.get("ipwb_run_owner_id")
            owner = env["res.users"].browse(owner_id) if owner_id else run.pipeline_id._run_user()
            outcome = step_run.with_user(owner)._execute_kind(params)
    except Exception as exc:  # pylint: disable=broad-except
        # whatever the step wrote was rolled back; its "running" state was committed
        env.invalidate_all(flush=False)
        message = str(exc) or exc.__class__.__name__
        if not isinstance(exc, (IpwbError, UserError)):
            _logger.info("pipeline step %s failed", name, exc_info=True)
        log = getattr(exc, "log", "") or ""
        _record_failure(run, scheduler, step_run, started=started, message=message, log=log, books=books)
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
            books=books,
        )
        return
    elapsed = time.time() - started
    new = scheduler.succeed(name, time.time())
    values = dict(
        step_run._status_values(new),
        date_end=fields.Datetime.now(),
        duration=elapsed,
        rows_affected=outcome.get("rows_affected", 0),
        log=outcome.get("log", ""),
        response=outcome.get("response", False),
    )
    _write_outcome(step_run, values, elapsed, outcome.get("llm_usd", 0.0), books=books, name=name)
    books.log(env._("step %(step)s succeeded in %(seconds).2f s", step=name, seconds=elapsed))
    if outcome.get("after_commit"):
        books.after_commit.append(outcome["after_commit"])


def _record_failure(run, scheduler, step_run, *, started, message, log, books):
    """Mark a step attempt failed (or retrying), with its error and log (committed with what
    comes next: a retry's start, the wait for it, or the run's end)."""
    env = run.env
    name = books.names.get(step_run.id) or step_run.step_name
    elapsed = time.time() - started
    new = scheduler.fail(name, time.time(), message)
    values = dict(
        step_run._status_values(new),
        date_end=fields.Datetime.now(),
        duration=elapsed,
        error=message,
        log=(step_run.log or "") + log,
    )
    _write_outcome(step_run, values, elapsed, 0.0, books=books, name=name)
    # the other steps' states are compared with the database's: send the outcome first
    books.send()
    run._sync_states(scheduler, {s.step_name: s for s in run.step_run_ids})
    verb = env._("will retry") if new.state is StepState.RETRYING else env._("failed")
    books.log(f"step {name} {verb}: {message}")


def _write_outcome(step_run, values, elapsed, llm_usd, *, books, name):
    """Queue the step's outcome and its priced cost entry (sent with the next flags read).

    Priced as ``ipwb.pipeline.step.run._record_cost`` does, in plain SQL (see
    :mod:`.run_books`); without the run-wide values (an overriding ``_prepare``), that
    method records it through the ORM."""
    if books.cost_values is None:
        step_run.write(values)
        step_run._record_cost(elapsed, llm_usd=llm_usd)
        return
    rate = step_run.env.context.get("ipwb_warehouse_rate")
    if rate is None:
        rate = step_run.env["ipwb.cost.price"].sudo()._rate_per_second("warehouse")
    seconds = max(elapsed, 0.0)
    try:
        amount = compute_cost(seconds, rate, llm_usd)
    except ConfigurationError:
        amount = 0.0
    books.write_step(step_run, dict(values, cost_usd=amount))
    books.add_cost(
        dict(
            books.cost_values,
            description=f"{books.cost_values['description']} / {name}",
            source="pipeline",
            model_name="warehouse",
            compute_seconds=seconds,
            amount_usd=amount,
            res_model=step_run._name,
            res_id=step_run.id,
            pipeline_id=books.pipeline_id,
        )
    )


def sync_states(scheduler, by_name):
    """Copy the scheduler's step states onto the step-run records that differ."""
    for name, status in scheduler.snapshot().items():
        step_run = by_name[name]
        if step_run.state != status.state.value or step_run.attempt != status.attempts:
            step_run._store_status(status)
            if status.state is StepState.SKIPPED and status.reason:
                step_run.error = status.reason
