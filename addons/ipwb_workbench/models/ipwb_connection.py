# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models


class IpwbConnection(models.Model):
    _inherit = "ipwb.connection"

    def _scan_catalog(self, schemas=None):
        summary = super()._scan_catalog(schemas)
        self.env["ipwb.metadata.publisher"]._schedule()
        return summary
