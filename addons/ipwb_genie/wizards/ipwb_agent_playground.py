# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbAgentPlayground(models.TransientModel):
    """The "Test agent" playground: send one message, then look at the run (steps, calls, approvals)."""

    _name = "ipwb.agent.playground"
    _description = "Genie Agent Playground"

    agent_id = fields.Many2one("ipwb.agent", required=True, ondelete="cascade")
    message = fields.Text(required=True)

    def action_run(self):
        self.ensure_one()
        run = self.agent_id.run_agent(self.message, playground=True)
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.agent.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
