# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models


class IpwbCostEntry(models.Model):
    _inherit = "ipwb.cost.entry"

    @api.model_create_multi
    def create(self, vals_list):
        entries = super().create(vals_list)
        self.env["ipwb.metadata.publisher"]._schedule()
        return entries
