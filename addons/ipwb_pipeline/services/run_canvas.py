# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""What the pipeline canvas polls: the latest run of a pipeline and its step states."""

from odoo.addons.ipwb_catalog import rpc_args


def canvas_status(Run, pipeline_id):
    """Latest run of a pipeline with its step states (``Run``: the run model, caller's rights)."""
    pipeline_id = rpc_args.record_id(Run.env, pipeline_id, Run.env._("The pipeline"), required=True)
    run = Run.search([("pipeline_id", "=", pipeline_id)], order="id desc", limit=1)
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
