# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

#: scorecard dimensions passed to the model
DIMENSIONS = ("completeness", "uniqueness", "consistency", "validity", "timeliness")


class IpwbDqScorecard(models.Model):
    _inherit = "ipwb.dq.scorecard"

    genie_insight = fields.Text(string="Genie Insight", readonly=True, copy=False)

    def _genie_scorecard(self):
        """The scorecard as the engine's DQ insight takes it, with its latest check results."""
        self.ensure_one()
        field = "table_ref" if self.scope == "table" else "domain"
        results = self._latest_results([(field, "=", self.name)])
        return {
            "scorecard": self.name,
            "scope": self.scope,
            "overall": self.overall,
            "previous_overall": self.previous_overall,
            **{dim: self[dim] for dim in DIMENSIONS},
            "checks": [
                {
                    "name": result.check_id.name,
                    "table": result.table_ref,
                    "type": result.check_type,
                    "dimension": result.dimension,
                    "status": result.status,
                    "failed_rows": result.failed_rows,
                    "total_rows": result.total_rows,
                    "message": result.message or "",
                }
                for result in results
            ],
        }

    def action_genie_insight(self):
        self.ensure_one()
        self.check_access("read")
        # failures come back as text (not raised), so the traces of the calls are kept
        self.sudo().genie_insight = self.env["ipwb.genie.dq.insight"].summarise(self._genie_scorecard())
        return True
