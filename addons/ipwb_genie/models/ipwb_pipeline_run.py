# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbPipelineRun(models.Model):
    _inherit = "ipwb.pipeline.run"

    agent_call_key = fields.Char(
        readonly=True,
        copy=False,
        index=True,
        help="Agent run thread and tool call that queued this run: a retried or resumed agent "
        "step finds this run instead of starting another.",
    )

    _sql_constraints = [
        ("agent_call_key_unique", "unique(agent_call_key)", "An agent tool call starts one pipeline run."),
    ]
