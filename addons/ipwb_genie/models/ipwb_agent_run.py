# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.llm.agent import AgentRun, AgentRunner, AgentSpec

from ..services.gateway import OdooSink, build_gateway

STATES = [
    ("running", "Running"),
    ("waiting_approval", "Waiting for approval"),
    ("done", "Done"),
    ("step_limit", "Step limit reached"),
    ("refused", "Refused (budget)"),
    ("failed", "Failed"),
]


class IpwbAgentRun(models.Model):
    """One run of an agent; its whole engine state is kept so a run waiting for an
    approval can be resumed by another user, in another request."""

    _name = "ipwb.agent.run"
    _description = "Genie Agent Run"
    _inherit = ["mail.thread"]
    _order = "create_date desc, id desc"

    name = fields.Char(compute="_compute_name")
    agent_id = fields.Many2one("ipwb.agent", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one(
        "res.users", string="Requested by", required=True, default=lambda self: self.env.user, index=True
    )
    message = fields.Text(required=True)
    state = fields.Selection(STATES, default="running", required=True, tracking=True, index=True)
    answer = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    pending_tool = fields.Char(readonly=True)
    pending_arguments = fields.Text(readonly=True)
    run_data = fields.Json(readonly=True, copy=False, help="The engine's AgentRun, to resume it.")
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6), readonly=True)
    approver_id = fields.Many2one("res.users", string="Decided by", readonly=True, tracking=True)
    is_playground = fields.Boolean(string="Test Run", readonly=True)
    step_ids = fields.One2many("ipwb.agent.step", "run_id", string="Steps")
    trace_ids = fields.One2many("ipwb.llm.trace", "agent_run_id", string="LLM Calls")
    can_decide = fields.Boolean(compute="_compute_can_decide")

    @api.depends("agent_id.name")
    def _compute_name(self):
        for run in self:
            run.name = f"{run.agent_id.name} #{run.id or '-'}"

    @api.depends_context("uid")
    @api.depends("state", "user_id", "agent_id.approver_group_id")
    def _compute_can_decide(self):
        for run in self:
            run.can_decide = (
                run.state == "waiting_approval"
                and run.user_id != self.env.user
                and run.agent_id.approver_group_id in self.env.user.groups_id
            )

    # -- engine glue ------------------------------------------------------------------------
    def _runner(self, sink_env):
        """The engine runner with the requester's tools; steps and calls go to the sink."""
        self.ensure_one()
        agent = self.agent_id.sudo()
        requester_env = self.env(user=self.user_id.id, su=False)
        tools = {tool.name: tool for tool in agent.tool_ids}
        spec = AgentSpec(
            name=agent.name,
            system_prompt=agent.system_prompt,
            tools=tuple(tool._tool_spec() for tool in tools.values()),
            model=None,
            max_steps=agent.max_steps,
        )
        sink = OdooSink(sink_env, link=self, run=self.sudo())
        gateway = build_gateway(sink_env, sink)
        if agent.model_id:
            spec = AgentSpec(
                spec.name, spec.system_prompt, spec.tools, self._model_name(gateway), spec.max_steps
            )
        budget = gateway.new_session(f"agent-run-{self.id}")
        budget.spent = self.cost_usd

        def handler(tool_spec, arguments):
            return tools[tool_spec.name]._run_tool(requester_env, arguments)

        groups = [str(group.id) for group in self.user_id.groups_id]
        return AgentRunner(spec, gateway, handler, user_groups=groups, budget=budget)

    def _model_name(self, gateway):
        """The gateway entry of the agent's model (None: it is archived, use the chain)."""
        wanted = self.agent_id.sudo().model_id
        names = {wanted.name, f"{wanted.name} #{wanted.id}"}
        return next((e.name for e in gateway.config.models if e.name in names), None)

    def _store(self, engine_run):
        pending = engine_run.pending
        self.sudo().write(
            {
                "state": engine_run.status if engine_run.status in dict(STATES) else "failed",
                "answer": engine_run.answer or False,
                "error": engine_run.error or False,
                "run_data": engine_run.to_dict(),
                "cost_usd": engine_run.cost_usd,
                "pending_tool": pending["name"] if pending else False,
                "pending_arguments": json.dumps(pending["arguments"], indent=1) if pending else False,
            }
        )

    def _start(self):
        self.ensure_one()
        requester_env = self.env(user=self.user_id.id, su=False)
        runner = self._runner(requester_env)
        try:
            engine_run = runner.start(self.message, user=self.user_id.login, run_id=str(self.id))
        except IpwbError as exc:
            self.sudo().write({"state": "failed", "error": str(exc)})
            return
        self._store(engine_run)

    def _decide(self, approved, reason=""):
        self.ensure_one()
        if self.state != "waiting_approval":
            raise UserError(self.env._("Run %s is not waiting for an approval.", self.name))
        if self.user_id == self.env.user:
            raise AccessError(self.env._("You cannot approve or reject the calls of your own agent run."))
        if self.agent_id.sudo().approver_group_id not in self.env.user.groups_id:
            raise AccessError(
                self.env._(
                    "Only users of %s can decide on this run.", self.agent_id.sudo().approver_group_id.name
                )
            )
        self.env["ipwb.llm.model"]._get_gateway_models()
        run = self.sudo()
        run.approver_id = self.env.user
        # the rest of the run acts for the requester: their tools, their traces
        runner = run._runner(self.env(user=self.user_id.id, su=False))
        try:
            engine_run = runner.resume(
                AgentRun.from_dict(run.run_data),
                approved=approved,
                approver=self.env.user.login,
                reason=reason,
            )
        except IpwbError as exc:
            run.write({"state": "failed", "error": str(exc)})
            return True
        run._store(engine_run)
        return True

    def action_approve(self):
        return self._decide(True)

    def action_reject(self):
        """Reject at once (reason from the context), or ask for a reason in a dialog."""
        reason = self.env.context.get("ipwb_reject_reason")
        if reason:
            return self._decide(False, reason)
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reject the call"),
            "res_model": "ipwb.agent.reject.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_run_id": self.id},
        }
