# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.llm.agents import FINAL_STATES, AgentRunner, AgentSpec
from ipwb.llm.agents.custom import load_graph_factory
from ipwb.llm.records import BaseSink

from ..services import agent_runtime, agent_worker
from ..services.gateway import OdooSink, build_gateway

STATES = [
    ("queued", "Queued"),
    ("running", "Running"),
    ("waiting_approval", "Waiting for approval"),
    ("done", "Done"),
    ("step_limit", "Step limit reached"),
    ("refused", "Refused (budget)"),
    ("failed", "Failed"),
]


#: bus notification type of a run's progress (a step, a new state); see static/src/agent_run_live
PROGRESS = "ipwb.agent.run/progress"


class CommitSink(BaseSink):
    """After the run's sink wrote a step: tell the forms showing the run, and commit (the
    notification leaves with the commit), so the step appears live."""

    def __init__(self, run):
        self.run = run

    def record_step(self, step):
        self.run._notify_progress(step.index, step.kind)
        agent_worker.commit(self.run.env)


class IpwbAgentRun(models.Model):
    """One run of an agent on LangGraph. The graph's state lives in the Postgres
    checkpointer under ``thread_id``; a cron worker starts the run and resumes it after a
    decision, so any worker may continue a run another one paused."""

    _name = "ipwb.agent.run"
    _description = "Genie Agent Run"
    _inherit = ["mail.thread", "bus.listener.mixin"]
    _order = "create_date desc, id desc"

    name = fields.Char(compute="_compute_name")
    agent_id = fields.Many2one("ipwb.agent", required=True, ondelete="cascade", index=True)
    user_id = fields.Many2one(
        "res.users", string="Requested by", required=True, default=lambda self: self.env.user, index=True
    )
    message = fields.Text(required=True)
    state = fields.Selection(STATES, default="queued", required=True, tracking=True, index=True)
    answer = fields.Text(readonly=True)
    error = fields.Text(readonly=True)
    pending_tool = fields.Char(readonly=True)
    pending_arguments = fields.Text(readonly=True)
    pending_summary = fields.Text(string="Calls to Approve", readonly=True)
    pending_calls = fields.Json(readonly=True, copy=False)
    decision = fields.Json(readonly=True, copy=False, help="The approval decision the worker resumes with.")
    thread_id = fields.Char(readonly=True, copy=False, index=True, help="LangGraph thread of the run.")
    runtime = fields.Selection(
        [("langgraph", "LangGraph"), ("legacy", "Engine loop (before 18.0.1.1)")],
        default="langgraph",
        readonly=True,
    )
    run_data = fields.Json(
        readonly=True, copy=False, help="State stored by the engine loop of older versions."
    )
    date_start = fields.Datetime(readonly=True)
    date_end = fields.Datetime(readonly=True)
    checkpoint_deleted = fields.Boolean(readonly=True, copy=False)
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
    @api.depends("state", "user_id", "agent_id.approver_group_id", "is_playground")
    def _compute_can_decide(self):
        for run in self:
            run.can_decide = (
                run.state == "waiting_approval"
                and run.runtime == "langgraph"
                and run.agent_id.approver_group_id in self.env.user.groups_id
                and (run.user_id != self.env.user or run._own_test_run())
            )

    def _own_test_run(self):
        """A playground run of the current user on an agent they may edit: they decide on
        its calls themselves (testing a tool binding). Whoever may edit the agent could drop
        the tool's approval anyway; anyone else's runs keep the four-eyes rule."""
        self.ensure_one()
        if not self.is_playground or self.user_id != self.env.user:
            return False
        agent = self.agent_id.with_env(self.env)
        return agent.has_access("write")

    # -- engine glue ------------------------------------------------------------------------
    def _runner(self, requester_env):
        """The graph runner with the requester's tools; steps and calls go to the run."""
        self.ensure_one()
        agent = self.agent_id.sudo()
        tools = {tool.name: tool for tool in agent.tool_ids}
        sink = OdooSink(requester_env, link=self, run=self.sudo())
        gateway = build_gateway(requester_env, sink)
        gateway.sinks.add(CommitSink(self.sudo()))
        spec = AgentSpec(
            name=agent.name,
            system_prompt=agent.system_prompt,
            tools=tuple(tool._tool_spec() for tool in tools.values()),
            model=self._model_name(gateway) if agent.model_id else None,
            max_steps=agent.max_steps,
        )

        def handler(tool_spec, arguments, call_id):
            return tools[tool_spec.name]._run_tool(requester_env, arguments, call_id, self.thread_id)

        return AgentRunner(
            spec,
            gateway,
            handler,
            checkpointer=agent_runtime.store(self.env).saver(),
            user_groups=[str(group.id) for group in self.user_id.groups_id],
            budget=gateway.new_session(f"agent-run-{self.id}"),
            graph_factory=load_graph_factory(agent.graph_entry_point) if agent.graph_entry_point else None,
        )

    def _model_name(self, gateway):
        """The gateway entry of the agent's model (None: it is archived, use the chain)."""
        wanted = self.agent_id.sudo().model_id
        names = {wanted.name, f"{wanted.name} #{wanted.id}"}
        return next((e.name for e in gateway.config.models if e.name in names), None)

    def _notify_progress(self, step_index=None, step_kind=None):
        """Bus notification on the run's channel (the run record, subscribed to by forms
        whose user may read the run), sent when the transaction commits."""
        for run in self:
            run._bus_send(
                PROGRESS,
                {"run_id": run.id, "state": run.state, "step_index": step_index, "step_kind": step_kind},
            )

    def _store(self, view):
        pending = list(view.pending)
        self.sudo().write(
            {
                "state": view.status if view.status in dict(STATES) else "failed",
                "answer": view.answer or False,
                "error": view.error or False,
                "cost_usd": view.cost_usd,
                "pending_calls": pending or False,
                "pending_tool": ", ".join(c["tool"] for c in pending) or False,
                "pending_arguments": json.dumps([c["arguments"] for c in pending], indent=1)
                if pending
                else False,
                "pending_summary": "\n".join(c["summary"] for c in pending) or False,
                "decision": False,
                "date_end": fields.Datetime.now() if view.status in FINAL_STATES else False,
            }
        )
        self._notify_progress()

    def _execute(self):
        """Start or resume the run (called by the worker, which claimed it)."""
        self.ensure_one()
        run = self.sudo()
        requester_env = self.env(user=run.user_id.id, su=False)
        try:
            runner = run._runner(requester_env)
            if run.decision:
                decision = run.decision
                view = runner.resume(
                    run.thread_id,
                    approved=bool(decision.get("approved")),
                    approver=str(decision.get("approver") or "?"),
                    reason=str(decision.get("reason") or ""),
                )
            else:
                view = runner.start(run.message, user=run.user_id.login, run_id=run.thread_id)
        except (IpwbError, UserError) as exc:
            run.write({"state": "failed", "error": str(exc), "date_end": fields.Datetime.now()})
            run._notify_progress()
            return
        run._store(view)

    def _queue(self):
        self.sudo().write({"state": "queued"})
        self.sudo()._notify_progress()
        cron = self.env.ref("ipwb_genie.ir_cron_agent_worker", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()

    @api.model
    def _cron_process_runs(self, max_runs=20):
        return agent_worker.process_runs(self, max_runs)

    def _decide(self, approved, reason=""):
        self.ensure_one()
        if self.state != "waiting_approval" or self.runtime != "langgraph":
            raise UserError(self.env._("Run %s is not waiting for an approval.", self.name))
        if self.user_id == self.env.user and not self._own_test_run():
            raise AccessError(self.env._("You cannot approve or reject the calls of your own agent run."))
        if self.agent_id.sudo().approver_group_id not in self.env.user.groups_id:
            raise AccessError(
                self.env._(
                    "Only users of %s can decide on this run.", self.agent_id.sudo().approver_group_id.name
                )
            )
        self.env["ipwb.llm.model"]._get_gateway_models()
        decision = {"approved": bool(approved), "approver": self.env.user.login, "reason": reason or ""}
        self.sudo().write({"approver_id": self.env.user.id, "decision": decision})
        self._queue()
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
