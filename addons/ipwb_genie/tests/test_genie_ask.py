# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..services import gateway
from .common import SALES_SQL, GenieCase, sql_reply


@tagged("post_install", "-at_install")
class TestGenieAsk(GenieCase):
    def ask(self, question, user=None):
        Conversation = self.env["ipwb.genie.conversation"].with_user(user or self.user)
        result = Conversation.genie_ask(False, question)
        message = self.env["ipwb.genie.message"].browse(result["message_id"])
        return result, message

    def test_no_model_configured_is_said_clearly_everywhere(self):
        (self.first | self.second).action_archive()
        Conversation = self.env["ipwb.genie.conversation"].with_user(self.user)
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            Conversation.genie_ask(False, "How much did the north sell?")
        self.assertFalse(Conversation.search([]), "nothing is written when no model is configured")
        wizard = self.env["ipwb.genie.pipeline.wizard"].with_user(self.engineer).create({"description": "x"})
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            wizard.action_generate()
        Insight = self.env["ipwb.genie.dq.insight"].with_user(self.user)
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            Insight.summarise({"checks": [{"name": "not null", "status": "fail"}]})
        self.assertEqual(self.peer.requests, [])

    def test_answer_through_fallback_with_traces_and_costs(self):
        self.peer.error(500)
        self.peer.reply(sql_reply(SALES_SQL), prompt_tokens=1000, completion_tokens=100)
        result, message = self.ask("Total amount per region?")
        self.assertEqual(message.state, "ok", message.content)
        self.assertEqual(message.columns, ["region", "total"])
        self.assertEqual(message.rows, [["north", 150.0], ["south", 70.0]])
        self.assertIn("silver.genie_sales", message.sql)
        self.assertEqual([r.model for r in self.peer.requests], ["first", "second"])
        self.assertEqual(self.peer.requests[0].headers["Authorization"], "Bearer sk-genie-test")
        # every attempt traced, linked to the answer, owned by the asking user
        traces = self.traces_of(message)
        self.assertEqual(traces.mapped("model_name"), ["First", "Second"])
        self.assertEqual(traces.mapped("state"), ["error", "ok"])
        self.assertEqual(traces[0].error_kind, "server")
        self.assertEqual(traces.mapped("user_id"), self.user | self.user)
        self.assertIn("Total amount per region?", traces[1].prompt)
        self.assertIn("genie_sales", traces[1].response)
        self.assertEqual((traces[1].tokens_in, traces[1].tokens_out), (1000, 100))
        # the cost ledger: price overrides give 1000 * 0.5/1k + 100 * 1.5/1k = 0.65 USD
        costs = self.costs_of(message)
        self.assertEqual(costs.mapped("source"), ["llm", "llm"])
        self.assertAlmostEqual(sum(costs.mapped("amount_usd")), 0.65, places=6)
        self.assertGreater(costs[1].amount_usd, 0)
        self.assertEqual(costs[1].user_id, self.user)
        self.assertAlmostEqual(message.cost_usd, 0.65, places=6)
        # the statement is in the SQL editor's history, and the chat payload carries everything
        history = self.env["ipwb.query.history"].search([("user_id", "=", self.user.id)], limit=1)
        self.assertEqual(history.statement, message.sql)
        self.assertEqual(result["conversation"]["messages"][-1]["rows"], message.rows)
        # the user reads their own traces, not someone else's; orchestrators read all
        Trace = self.env["ipwb.llm.trace"]
        self.assertEqual(Trace.with_user(self.user).search([("id", "in", traces.ids)]), traces)
        self.assertFalse(Trace.with_user(self.other).search([("id", "in", traces.ids)]))
        self.assertEqual(len(Trace.with_user(self.orchestrator).search([("id", "in", traces.ids)])), 2)
        with self.assertRaises(AccessError):
            message.conversation_id.with_user(self.other).read(["name"])

    def test_repair_loop_sends_the_error_back(self):
        self.peer.reply(sql_reply("SELECT region, total_vat FROM silver.genie_sales"))
        self.peer.reply(sql_reply(SALES_SQL))
        _result, message = self.ask("Sales by region please")
        self.assertEqual(message.state, "ok", message.content)
        self.assertEqual(len(message.attempts), 2)
        self.assertIn("total_vat", message.attempts[0]["error"])
        repair_prompt = str(self.peer.requests[1].messages)
        self.assertIn("total_vat", repair_prompt)
        self.assertEqual(len(self.traces_of(message)), 2)

    def test_failed_generation_keeps_its_traces(self):
        for _ in range(3):
            self.peer.reply(sql_reply("SELECT nothing FROM silver.nowhere"))
        _result, message = self.ask("Something impossible")
        self.assertEqual(message.state, "error")
        self.assertIn("valid query", message.content)
        self.assertEqual(len(message.attempts), 3)
        self.assertEqual(len(self.traces_of(message)), 3)
        self.assertEqual(len(self.costs_of(message)), 3)

    def test_budget_refusal_reaches_no_model(self):
        self.env["ir.config_parameter"].set_param(gateway.PARAM_MAX_COST_CALL, "0.000001")
        _result, message = self.ask("What is the biggest region?")
        self.assertEqual(message.state, "error")
        self.assertIn("budget", message.content)
        self.assertEqual(self.peer.requests, [])
        trace = self.traces_of(message)
        self.assertEqual(trace.state, "refused")
        self.assertFalse(self.costs_of(message), "a refusal costs nothing")

    def test_rate_limit_per_user(self):
        self.env["ir.config_parameter"].set_param(gateway.PARAM_RATE_LIMIT, "1")
        self.peer.reply(sql_reply(SALES_SQL))
        _result, first = self.ask("First question within the limit")
        self.assertEqual(first.state, "ok", first.content)
        _result, second = self.ask("Second question, over the limit")
        self.assertEqual(second.state, "error")
        self.assertIn("Too many LLM requests", second.content)
        self.assertEqual(len(self.peer.requests), 1)

    def test_edited_sql_runs_read_only(self):
        self.peer.reply(sql_reply(SALES_SQL))
        _result, message = self.ask("Regions and totals")
        payload = message.with_user(self.user).genie_run_sql("SELECT count(*) AS n FROM silver.genie_sales")
        self.assertEqual((payload["columns"], payload["rows"]), (["n"], [[3]]))
        with self.assertRaisesRegex(UserError, "The query failed"):
            message.with_user(self.user).genie_run_sql("DELETE FROM silver.genie_sales")
        again = message.with_user(self.user).genie_run_sql("SELECT count(*) AS n FROM silver.genie_sales")
        self.assertEqual(again["rows"], [[3]], "the refused DELETE changed nothing")

    def test_bad_questions_refused(self):
        Conversation = self.env["ipwb.genie.conversation"].with_user(self.user)
        with self.assertRaisesRegex(UserError, "Ask a question"):
            Conversation.genie_ask(False, "   ")
        with self.assertRaisesRegex(UserError, "limited"):
            Conversation.genie_ask(False, "x" * 5000)
        self.assertFalse(Conversation.search([]))
