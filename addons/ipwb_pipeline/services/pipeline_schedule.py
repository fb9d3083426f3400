# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline schedules: one ``ir.cron`` owned by each scheduled pipeline.

The cron is active only while the pipeline is in production; its body queues a run when a
fire time of the schedule passed. Backfills queue one parameterised run per period. The
pipeline model keeps ``_sync_cron``, ``_cron_scheduled_run`` and ``action_backfill`` as thin
methods delegating here.
"""

import json

from odoo import fields
from odoo.exceptions import UserError

from ipwb.dag import expand_backfill
from ipwb.errors import IpwbError
from ipwb.pipeline.schedule import is_due, next_fire, plan_cron

from .pipeline_rights import runner_problem


def sync_cron(pipelines):
    """Create/update/archive each pipeline's schedule cron (active only in production)."""
    env = pipelines.env
    Cron = env["ir.cron"].sudo()
    model = env["ir.model"]._get_id(pipelines._name)
    now = fields.Datetime.now()
    for pipeline in pipelines.sudo():
        # the schedule cron runs as the owner, never as root: no valid owner, no schedule
        if not pipeline.schedule or runner_problem(pipeline):
            if pipeline.cron_id:
                pipeline.cron_id.active = False
            continue
        plan = plan_cron(pipeline.schedule, now)
        values = {
            "name": f"Pipeline: {pipeline.name} ({pipeline.schedule})",
            "model_id": model,
            "state": "code",
            "code": f"model._cron_scheduled_run({pipeline.id})",
            "interval_number": plan.interval_number,
            "interval_type": plan.interval_type,
            "user_id": pipeline.owner_id.id,
            "active": pipeline.active and pipeline.state == "production",
        }
        if pipeline.cron_id:
            if (
                pipeline.cron_id.interval_number != plan.interval_number
                or pipeline.cron_id.interval_type != plan.interval_type
                or not pipeline.cron_id.active
            ):
                values["nextcall"] = plan.nextcall
            pipeline.cron_id.write(values)
        else:
            values["nextcall"] = plan.nextcall
            pipeline.cron_id = Cron.create(values)
        if values["active"] and not plan.exact:
            pipeline.cron_id._trigger(at=plan.nextcall)


def scheduled_run(Pipeline, pipeline_id):
    """Body of a pipeline's schedule cron: queue a run when a fire time passed."""
    pipeline = Pipeline.browse(pipeline_id).exists()
    if not pipeline or pipeline.state != "production" or not pipeline.schedule:
        return
    now = fields.Datetime.now()
    if not is_due(pipeline.schedule, pipeline.last_scheduled_at or None, now):
        return
    pipeline.last_scheduled_at = now
    try:
        pipeline._enqueue("schedule")
    except UserError as exc:
        # a refuse pipeline still busy: this fire time is skipped, and said so on the pipeline
        pipeline.message_post(body=str(exc))
    plan = plan_cron(pipeline.schedule, now)
    if not plan.exact and pipeline.cron_id:
        pipeline.cron_id._trigger(at=next_fire(pipeline.schedule, now))


def backfill(pipeline, start, end, granularity="day"):
    """Queue one parameterised run per period of [start, end] (whole days/weeks/months)."""
    pipeline.ensure_one()
    pipeline._check_runnable()
    pipeline.check_access("write")
    env = pipeline.env
    try:
        periods = expand_backfill(
            start, end, granularity, extra={k: str(v) for k, v in pipeline._default_params().items()}
        )
    except IpwbError as exc:
        raise UserError(env._("Backfill of %(name)s: %(error)s", name=pipeline.name, error=exc)) from None
    # run records are written by the system only; a refuse pipeline takes one period at a time
    runs = (
        env["ipwb.pipeline.run"]
        .sudo()
        ._create_guarded(
            [
                {
                    "pipeline_id": pipeline.id,
                    "trigger": "backfill",
                    "params": json.dumps(params, sort_keys=True),
                    "requested_by_id": env.user.id,
                }
                for params in periods
            ]
        )
    )
    runs._trigger_worker()
    return runs
