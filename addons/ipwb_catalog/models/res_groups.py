# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import models


class ResGroups(models.Model):
    _inherit = "res.groups"

    def unlink(self):
        # a deleted team leaves its tables without a team (ON DELETE SET NULL, behind the
        # ORM): the cached restricted-table lookup (ipwb.table._restricted_rows) must follow
        teams = (
            self.env["ipwb.table"]
            .sudo()
            .with_context(active_test=False)
            .search_count([("team_id", "in", self.ids)], limit=1)
        )
        result = super().unlink()
        if teams:
            self.env.registry.clear_cache()
        return result
