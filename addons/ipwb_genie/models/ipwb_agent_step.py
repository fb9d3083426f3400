# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import fields, models


class IpwbAgentStep(models.Model):
    """One step of an agent run (model turn, tool call, approval, end), with the records
    the tool touched and the LLM calls behind it."""

    _name = "ipwb.agent.step"
    _description = "Genie Agent Step"
    _order = "run_id, index, id"

    run_id = fields.Many2one("ipwb.agent.run", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one(related="run_id.user_id", store=True, index=True)
    index = fields.Integer()
    kind = fields.Selection(
        [
            ("model", "Model turn"),
            ("tool", "Tool call"),
            ("tool_error", "Tool error"),
            ("approval_wait", "Waiting for approval"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("final", "Final answer"),
            ("refused", "Refused (budget)"),
            ("step_limit", "Step limit"),
            ("failed", "Failed"),
        ],
        required=True,
    )
    tool = fields.Char()
    arguments = fields.Text()
    output = fields.Text()
    error = fields.Text()
    call_ids = fields.Char(string="LLM Call Ids")
    touched = fields.Text(string="Touched Records (JSON)")
    touched_display = fields.Text(string="Touched Records", compute="_compute_touched_display")
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6))
    trace_ids = fields.Many2many("ipwb.llm.trace", string="LLM Calls", compute="_compute_trace_ids")

    def _touched_pairs(self):
        self.ensure_one()
        try:
            return [(str(model), int(res_id)) for model, res_id in json.loads(self.touched or "[]")]
        except (ValueError, TypeError):
            return []

    def _compute_touched_display(self):
        for step in self:
            lines = []
            for model, res_id in step._touched_pairs():
                record = self.env[model].browse(res_id) if model in self.env else None
                label = record.exists().display_name if record is not None and record.exists() else "?"
                lines.append(f"{model},{res_id}: {label}")
            step.touched_display = "\n".join(lines)

    def _compute_trace_ids(self):
        Trace = self.env["ipwb.llm.trace"]
        for step in self:
            ids = (step.call_ids or "").split()
            step.trace_ids = Trace.search([("call_id", "in", ids)]) if ids else Trace
