# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models


class IpwbCostEntry(models.Model):
    _inherit = "ipwb.cost.entry"

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        # inside a pipeline run's worker (one entry a step), the run's end schedules the
        # publication (ipwb_pipeline_run.py): no trigger lookup per step
        if not self.env.context.get("ipwb_pipeline_run_id"):
            self.env["ipwb.metadata.publisher"]._schedule()
        return entries
