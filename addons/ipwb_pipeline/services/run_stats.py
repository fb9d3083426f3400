# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Run statistics of many pipelines at once, for the pipeline list (issue #20).

Three queries whatever the number of pipelines (two searches per row before); the user's record
rules on runs apply (``_read_group``).
"""

from datetime import timedelta

from odoo import fields

#: the window of the success rate
WINDOW_DAYS = 7


def run_stats(pipelines):
    """``({pipeline id: last run id}, {pipeline id: {state: finished runs in the window}})``;
    the last runs' states are fetched too (the list shows them)."""
    Run = pipelines.env["ipwb.pipeline.run"]
    ids = [pipeline_id for pipeline_id in pipelines.ids if pipeline_id]
    if not ids:
        return {}, {}
    last_ids = {
        pipeline.id: last_id
        for pipeline, last_id in Run._read_group([("pipeline_id", "in", ids)], ["pipeline_id"], ["id:max"])
    }
    since = fields.Datetime.now() - timedelta(days=WINDOW_DAYS)
    finished = {}
    for pipeline, state, count in Run._read_group(
        [("pipeline_id", "in", ids), ("state", "in", ("succeeded", "failed")), ("date_end", ">=", since)],
        ["pipeline_id", "state"],
        ["__count"],
    ):
        finished.setdefault(pipeline.id, {})[state] = count
    Run.browse(list(last_ids.values())).fetch(["state"])
    return last_ids, finished
