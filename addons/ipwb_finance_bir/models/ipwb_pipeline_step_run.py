# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_pipeline.models.step_kinds import register_step_executor

from odoo import fields, models

from ipwb.finance import odoo_source

from ..services import odoo_extract
from .ipwb_pipeline_step import KIND

register_step_executor(odoo_source.KIND, "_run_step_odoo_extract")


class IpwbPipelineStepRun(models.Model):
    _inherit = "ipwb.pipeline.step.run"

    kind = fields.Selection(selection_add=KIND, ondelete={odoo_source.KIND: "cascade"})

    def _run_step_odoo_extract(self, config, params):
        """The selected fields of an Odoo model into bronze (scaffolded domains)."""
        return odoo_extract.run(self, config)
