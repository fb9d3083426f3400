# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models


class IpwbPipelineRun(models.Model):
    _inherit = "ipwb.pipeline.run"

    def _finish(self, state, error=None, lock=None):
        result = super()._finish(state, error=error, lock=lock)
        self.env["ipwb.metadata.publisher"]._schedule()
        return result
