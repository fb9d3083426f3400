# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbCostEntry(models.Model):
    """Cost entries know the pipeline run that caused them (step compute, LLM calls)."""

    _inherit = "ipwb.cost.entry"

    pipeline_run_id = fields.Many2one(
        "ipwb.pipeline.run", string="Pipeline Run", index=True, ondelete="set null"
    )
    # computed at insert (precompute): no second UPDATE per entry (the worker writes one a step)
    pipeline_id = fields.Many2one(
        related="pipeline_run_id.pipeline_id", string="Pipeline", store=True, precompute=True
    )
