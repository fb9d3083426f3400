# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models


class IpwbLlmTrace(models.Model):
    """One attempt of one gateway call (or a refusal / cache hit), as the engine recorded it.

    Written by the gateway's Odoo sink as superuser, never edited: users read their own
    traces, AI Orchestrators and administrators read everyone's.
    """

    _name = "ipwb.llm.trace"
    _description = "Genie LLM Trace"
    _order = "create_date desc, id desc"
    _rec_name = "call_id"

    call_id = fields.Char(string="Call", index=True, readonly=True)
    attempt = fields.Integer(readonly=True)
    user_id = fields.Many2one("res.users", string="User", index=True, readonly=True)
    feature = fields.Char(index=True, readonly=True)
    model_name = fields.Char(string="Model", readonly=True)
    litellm_model = fields.Char(string="Model Identifier", readonly=True)
    prompt = fields.Text(readonly=True)
    response = fields.Text(readonly=True)
    tokens_in = fields.Integer(readonly=True)
    tokens_out = fields.Integer(readonly=True)
    latency_ms = fields.Float(string="Latency (ms)", digits=(16, 1), readonly=True)
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6), readonly=True)
    cost_source = fields.Char(readonly=True)
    error = fields.Text(readonly=True)
    error_kind = fields.Char(readonly=True)
    state = fields.Selection(
        [("ok", "OK"), ("cached", "Cached"), ("refused", "Refused"), ("error", "Error")],
        compute="_compute_state",
        store=True,
    )
    cached = fields.Boolean(readonly=True)
    session = fields.Char(readonly=True)
    agent_run_id = fields.Many2one("ipwb.agent.run", string="Agent Run", ondelete="cascade", index=True)
    res_model = fields.Char(string="Related Model", readonly=True)
    res_id = fields.Many2oneReference(string="Related Record", model_field="res_model", readonly=True)

    @api.depends("error", "error_kind", "cached")
    def _compute_state(self):
        for trace in self:
            if trace.cached:
                trace.state = "cached"
            elif (trace.error_kind or "").startswith("refused"):
                trace.state = "refused"
            else:
                trace.state = "error" if trace.error else "ok"

    def action_open_related(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": self.res_model,
            "res_id": self.res_id,
            "view_mode": "form",
        }
