# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from .common import GenieCase

REGION_SQL = "SELECT sum(amount) AS total FROM silver.genie_sales WHERE region = {{region}}"
REGION_SCHEMA = {
    "type": "object",
    "properties": {"region": {"type": "string"}},
    "required": ["region"],
    "additionalProperties": False,
}


@tagged("post_install", "-at_install")
class TestAgents(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tool = cls.env["ipwb.agent.tool"].create(
            {
                "name": "region_total",
                "description": "Total sales of one region",
                "kind": "sql",
                "sql_template": REGION_SQL,
                "parameters_schema": json.dumps(REGION_SCHEMA),
                "needs_approval": True,
            }
        )
        cls.agent = cls.env["ipwb.agent"].create(
            {
                "name": "Sales assistant",
                "system_prompt": "Answer questions about sales with the tools.",
                "tool_ids": [(6, 0, cls.tool.ids)],
                "approver_group_id": cls.env.ref("ipwb_catalog.group_ipwb_architect").id,
            }
        )

    def test_orchestrators_manage_agents_users_do_not(self):
        values = {"name": "Mine", "system_prompt": "Hi"}
        with self.assertRaises(AccessError):
            self.env["ipwb.agent"].with_user(self.user).create(values)
        with self.assertRaises(AccessError):
            self.tool.with_user(self.user).write({"needs_approval": False})
        agent = self.env["ipwb.agent"].with_user(self.orchestrator).create(values)
        self.assertEqual(agent.approver_group_id, self.env.ref("ipwb_catalog.group_ipwb_ai_orchestrator"))
        tool = (
            self.env["ipwb.agent.tool"]
            .with_user(self.orchestrator)
            .create(
                {
                    "name": "ping",
                    "description": "Ping",
                    "kind": "n8n",
                    "webhook_url": "http://127.0.0.1:9/hook",
                }
            )
        )
        self.assertTrue(tool._tool_spec().as_openai()["function"]["name"] == "ping")

    def test_bad_tool_definitions_refused(self):
        Tool = self.env["ipwb.agent.tool"]
        base = {"description": "d", "kind": "sql", "sql_template": "SELECT 1"}
        with self.assertRaisesRegex(ValidationError, "not JSON"):
            Tool.create({**base, "name": "a", "parameters_schema": "{nope"})
        with self.assertRaisesRegex(ValidationError, "invalid argument schema"):
            Tool.create({**base, "name": "b", "parameters_schema": '{"type": "object", "properties": 3}'})
        with self.assertRaisesRegex(ValidationError, "letters, digits"):
            Tool.create({**base, "name": "has space"})
        with self.assertRaisesRegex(ValidationError, "webhook URL"):
            Tool.create({**base, "name": "c", "kind": "n8n", "webhook_url": "ftp://x"})
        with self.assertRaisesRegex(ValidationError, "between 1 and"):
            self.agent.max_steps = 0

    def test_approval_wait_then_resume_by_another_user(self):
        self.peer.tool_call("region_total", {"region": "north"})
        run = self.run_agent(self.agent.with_user(self.user), "How much did the north sell?")
        self.assertEqual(run.state, "waiting_approval")
        self.assertEqual(run.pending_tool, "region_total")
        self.assertEqual(json.loads(run.pending_arguments), [{"region": "north"}])
        self.assertEqual([c["tool"] for c in run.pending_calls], ["region_total"])
        self.assertIn('region_total(region="north")', run.pending_summary)
        self.assertEqual(run.step_ids.mapped("kind"), ["model", "approval_wait"])
        # neither the requester nor a user outside the approver group may decide
        self.assertFalse(run.with_user(self.user).can_decide)
        with self.assertRaises(AccessError):
            run.with_user(self.user).action_approve()
        with self.assertRaises(AccessError):
            run.with_user(self.other).action_approve()
        self.assertTrue(run.with_user(self.architect).can_decide)
        self.peer.reply("The north sold 150.")
        run.with_user(self.architect).action_approve()
        self.assertEqual(run.state, "queued", "the decision is executed by the worker")
        self.assertEqual(len(self.peer.requests), 1)
        self.work()
        self.assertEqual(run.state, "done")
        self.assertFalse(run.pending_calls)
        self.assertEqual(run.answer, "The north sold 150.")
        self.assertEqual(run.approver_id, self.architect)
        kinds = run.step_ids.mapped("kind")
        self.assertEqual(kinds, ["model", "approval_wait", "approved", "tool", "model", "final"])
        tool_step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual(json.loads(tool_step.output)["rows"], [{"total": 150.0}])
        # the tool result went back to the model, as a tool message
        last = self.peer.requests[-1].messages
        self.assertEqual(last[-1]["role"], "tool")
        self.assertIn("150", last[-1]["content"])
        # two model calls traced on the run, for the requester, with their cost
        self.assertEqual(len(run.trace_ids), 2)
        self.assertEqual(run.trace_ids.mapped("user_id"), self.user)
        self.assertGreater(run.cost_usd, 0)
        self.assertAlmostEqual(sum(self.costs_of(run).mapped("amount_usd")), run.cost_usd, places=6)
        first_turn = run.step_ids.filtered(lambda s: s.kind == "model")[0]
        self.assertEqual(len(first_turn.trace_ids), 1)
        self.assertIn(first_turn.trace_ids, run.trace_ids)
        with self.assertRaisesRegex(UserError, "not waiting"):
            run.with_user(self.architect).action_approve()

    def test_rejection_is_told_to_the_model(self):
        self.peer.tool_call("region_total", {"region": "south"})
        run = self.run_agent(self.agent.with_user(self.user), "South total?")
        self.peer.reply("I was not allowed to look.")
        action = run.with_user(self.architect).action_reject()
        self.assertEqual(action["res_model"], "ipwb.agent.reject.wizard")
        self.assertEqual(run.state, "waiting_approval", "nothing happens before a reason is given")
        wizard = (
            self.env["ipwb.agent.reject.wizard"]
            .with_user(self.architect)
            .create({"run_id": run.id, "reason": "not today"})
        )
        with self.assertRaises(AccessError):
            wizard.with_user(self.user).action_reject()
        wizard.action_reject()
        self.work()
        self.assertEqual(run.state, "done")
        self.assertIn("rejected", run.step_ids.mapped("kind"))
        self.assertNotIn("tool", run.step_ids.mapped("kind"), "a rejected call never runs")
        self.assertIn("not today", self.peer.requests[-1].messages[-1]["content"])

    def test_invalid_arguments_and_unknown_tools_go_back_to_the_model(self):
        self.tool.needs_approval = False
        self.peer.tool_call("region_total", {"region": 5})
        self.peer.tool_call("drop_everything", {})
        self.peer.tool_call("region_total", {"region": "south"})
        self.peer.reply("South sold 70.")
        run = self.run_agent(self.agent.with_user(self.user), "South?")
        self.assertEqual(run.state, "done")
        errors = run.step_ids.filtered(lambda s: s.kind == "tool_error")
        self.assertEqual(len(errors), 2)
        self.assertIn("invalid arguments", errors[0].error)
        self.assertIn("unknown tool", errors[1].error)
        self.assertIn("70", run.step_ids.filtered(lambda s: s.kind == "tool").output)

    def test_tool_group_limits_what_is_offered(self):
        self.tool.write(
            {"needs_approval": False, "group_id": self.env.ref("ipwb_catalog.group_ipwb_admin").id}
        )
        self.peer.tool_call("region_total", {"region": "north"})
        self.peer.reply("I cannot use that tool.")
        run = self.run_agent(self.agent.with_user(self.user), "North?")
        self.assertEqual(run.state, "done")
        self.assertNotIn("tools", self.peer.requests[0].body, "no permitted tool, none offered")
        self.assertIn("unknown tool", run.step_ids.filtered(lambda s: s.kind == "tool_error").error)

    def test_server_action_tool_links_the_touched_record(self):
        partner = self.env["res.partner"].create({"name": "Agent target"})
        action = self.env["ir.actions.server"].create(
            {
                "name": "Flag partner",
                "model_id": self.env.ref("base.model_res_partner").id,
                "state": "code",
                "code": "record.write({'comment': 'flagged by agent'})",
            }
        )
        tool = self.env["ipwb.agent.tool"].create(
            {
                "name": "flag_partner",
                "description": "Flag a partner",
                "kind": "server_action",
                "server_action_id": action.id,
                "parameters_schema": json.dumps(
                    {"type": "object", "properties": {"res_id": {"type": "integer"}}, "required": ["res_id"]}
                ),
            }
        )
        self.agent.tool_ids = [(4, tool.id)]
        # the action runs with the requester's rights: without write access it fails, told to the model
        self.peer.tool_call("flag_partner", {"res_id": partner.id})
        self.peer.reply("I could not flag it.")
        run = self.run_agent(self.agent.with_user(self.user), "Flag the partner")
        self.assertIn("access", run.step_ids.filtered(lambda s: s.kind == "tool_error").error)
        self.assertFalse(partner.comment)
        self.user.groups_id += self.env.ref("base.group_partner_manager")
        self.peer.tool_call("flag_partner", {"res_id": partner.id})
        self.peer.reply("Flagged.")
        run = self.run_agent(self.agent.with_user(self.user), "Flag the partner again")
        self.assertEqual(run.state, "done", run.error)
        self.assertIn(
            "flagged by agent", partner.comment or "", run.step_ids.mapped(lambda s: (s.kind, s.error))
        )
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual(json.loads(step.touched), [["res.partner", partner.id]])
        self.assertIn("Agent target", step.touched_display)

    def test_step_limit_and_playground(self):
        self.tool.needs_approval = False
        self.agent.max_steps = 1
        self.peer.tool_call("region_total", {"region": "north"})
        wizard = (
            self.env["ipwb.agent.playground"]
            .with_user(self.user)
            .create({"agent_id": self.agent.id, "message": "Loop forever"})
        )
        action = wizard.action_run()
        run = self.env["ipwb.agent.run"].browse(action["res_id"])
        self.assertEqual(run.state, "queued")
        self.work()
        self.assertTrue(run.is_playground)
        self.assertEqual(run.state, "step_limit")
        self.assertIn("step_limit", run.step_ids.mapped("kind"))

    def test_runs_are_private_to_requester_and_approvers(self):
        self.peer.tool_call("region_total", {"region": "north"})
        run = self.run_agent(self.agent.with_user(self.user), "North?")
        Run = self.env["ipwb.agent.run"]
        self.assertEqual(Run.with_user(self.user).search([("id", "=", run.id)]), run)
        self.assertEqual(Run.with_user(self.architect).search([("id", "=", run.id)]), run)
        self.assertFalse(Run.with_user(self.other).search([("id", "=", run.id)]))
        self.assertEqual(Run.with_user(self.orchestrator).search([("id", "=", run.id)]), run)

    def test_agent_model_is_tried_first(self):
        self.agent.model_id = self.second
        self.peer.reply("Hello from the second model.")
        run = self.run_agent(self.agent.with_user(self.user), "Hi")
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual([r.model for r in self.peer.requests], ["second"])
        self.assertEqual(run.trace_ids.model_name, "Second")

    def test_no_model_refuses_to_start_or_resume(self):
        self.peer.tool_call("region_total", {"region": "north"})
        run = self.run_agent(self.agent.with_user(self.user), "North?")
        (self.first | self.second).action_archive()
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            self.run_agent(self.agent.with_user(self.user), "Again")
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            run.with_user(self.architect).action_approve()
        self.assertEqual(run.state, "waiting_approval")
