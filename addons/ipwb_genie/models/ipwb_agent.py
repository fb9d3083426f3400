# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import uuid

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ipwb.errors import IpwbError
from ipwb.llm.agents.custom import load_graph_factory

MAX_STEPS = 50


class IpwbAgent(models.Model):
    """A Genie agent: a system prompt, a model and the tools it may propose to call."""

    _name = "ipwb.agent"
    _description = "Genie Agent"
    _inherit = ["mail.thread"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True)
    model_id = fields.Many2one(
        "ipwb.llm.model",
        string="Model",
        ondelete="set null",
        help="First model tried; empty: the first configured model. The others are fallbacks.",
    )
    system_prompt = fields.Text(required=True, tracking=True)
    tool_ids = fields.Many2many("ipwb.agent.tool", string="Tools")
    max_steps = fields.Integer(string="Max Model Steps", default=8, tracking=True)
    approver_group_id = fields.Many2one(
        "res.groups",
        string="Approver Group",
        required=True,
        default=lambda self: self.env.ref(
            "ipwb_catalog.group_ipwb_ai_orchestrator", raise_if_not_found=False
        ),
        help="Users of this group approve the calls of tools that need approval (never their own runs).",
    )
    graph_entry_point = fields.Char(
        string="Own Graph",
        groups="base.group_system",
        tracking=True,
        help="Administrators: 'package.module:function' returning an uncompiled LangGraph StateGraph "
        "for the agent's runtime (see ipwb.llm.agents.custom); empty: the built-in tool-calling graph. "
        "It runs with the same checkpointer, traces, approvals and tool permissions.",
    )
    run_ids = fields.One2many("ipwb.agent.run", "agent_id", string="Runs")
    run_count = fields.Integer(compute="_compute_run_count")

    @api.depends("run_ids")
    def _compute_run_count(self):
        for agent in self:
            agent.run_count = len(agent.run_ids)

    @api.constrains("graph_entry_point")
    def _check_graph_entry_point(self):
        for agent in self.sudo():
            if agent.graph_entry_point:
                try:
                    load_graph_factory(agent.graph_entry_point)
                except IpwbError as exc:
                    raise ValidationError(str(exc)) from None

    @api.constrains("max_steps")
    def _check_max_steps(self):
        for agent in self:
            if not 0 < agent.max_steps <= MAX_STEPS:
                raise ValidationError(self.env._("Max model steps must be between 1 and %s.", MAX_STEPS))

    def run_agent(self, message, playground=False):
        """Queue a run for the current user (the agent worker cron executes it); returns
        the ``ipwb.agent.run``."""
        self.ensure_one()
        message = (message or "").strip()
        if not message:
            raise UserError(self.env._("Give the agent a message."))
        self.env["ipwb.llm.model"]._get_gateway_models()
        self.check_access("read")
        # created as superuser: users cannot write runs, so a waiting run's state is the engine's
        run = (
            self.env["ipwb.agent.run"]
            .sudo()
            .create(
                {
                    "agent_id": self.id,
                    "user_id": self.env.uid,
                    "message": message,
                    "is_playground": playground,
                    "thread_id": uuid.uuid4().hex,
                }
            )
        )
        run._queue()
        return run.with_env(self.env)

    def action_test_agent(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Test agent %s", self.name),
            "res_model": "ipwb.agent.playground",
            "view_mode": "form",
            "target": "new",
            "context": {"default_agent_id": self.id},
        }

    def action_view_runs(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Runs"),
            "res_model": "ipwb.agent.run",
            "view_mode": "list,form",
            "domain": [("agent_id", "=", self.id)],
        }
