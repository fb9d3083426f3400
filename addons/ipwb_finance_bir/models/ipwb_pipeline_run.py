# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from .ipwb_finance_run import PIPELINE_CODE


class IpwbPipelineRun(models.Model):
    """A run of the finance pipeline gets its finance record (loaded, reconciled,
    published) when it is queued, so that even a run failing at its first step has one."""

    _inherit = "ipwb.pipeline.run"

    finance_run_ids = fields.One2many("ipwb.finance.run", "pipeline_run_id", string="Finance Detail")

    @api.model_create_multi
    def create(self, vals_list):
        runs = super().create(vals_list)
        finance = runs.filtered(lambda run: run.pipeline_id.code == PIPELINE_CODE)
        if finance:
            self.env["ipwb.finance.run"].sudo().create([{"pipeline_run_id": run.id} for run in finance])
        return runs
