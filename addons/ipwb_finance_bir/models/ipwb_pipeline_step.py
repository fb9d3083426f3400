# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

from ipwb.finance import odoo_source

#: the step kind scaffolded domains start with (executed by ipwb.pipeline.step.run)
KIND = [(odoo_source.KIND, "Odoo extraction (to bronze)")]


class IpwbPipelineStep(models.Model):
    _inherit = "ipwb.pipeline.step"

    kind = fields.Selection(selection_add=KIND, ondelete={odoo_source.KIND: "cascade"})
