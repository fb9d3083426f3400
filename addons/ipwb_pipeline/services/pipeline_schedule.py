# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline schedules: one ``ir.cron`` owned by each scheduled pipeline.

The cron is active only while the pipeline is in production; its body queues a run when a
fire time of the schedule passed. The pipeline model keeps ``_sync_cron`` and
``_cron_scheduled_run`` as thin methods delegating here.
"""

from odoo import fields

from ipwb.pipeline.schedule import is_due, next_fire, plan_cron


def sync_cron(pipelines):
    """Create/update/archive each pipeline's schedule cron (active only in production)."""
    env = pipelines.env
    Cron = env["ir.cron"].sudo()
    model = env["ir.model"]._get_id(pipelines._name)
    now = fields.Datetime.now()
    for pipeline in pipelines.sudo():
        if not pipeline.schedule:
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
            "user_id": (pipeline.owner_id or env.ref("base.user_root")).id,
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
    pipeline._enqueue("schedule")
    plan = plan_cron(pipeline.schedule, now)
    if not plan.exact and pipeline.cron_id:
        pipeline.cron_id._trigger(at=next_fire(pipeline.schedule, now))
