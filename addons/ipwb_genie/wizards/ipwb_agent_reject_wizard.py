# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbAgentRejectWizard(models.TransientModel):
    """Reject a pending agent call with a reason the agent's model is told."""

    _name = "ipwb.agent.reject.wizard"
    _description = "Genie: Reject an Agent Call"

    run_id = fields.Many2one("ipwb.agent.run", required=True, ondelete="cascade")
    reason = fields.Text(required=True)

    def action_reject(self):
        self.ensure_one()
        self.run_id._decide(False, self.reason)
        return {"type": "ir.actions.act_window_close"}
