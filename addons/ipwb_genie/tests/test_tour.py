# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import http
from odoo.tests import HttpCase, tagged

from ipwb.testing.openai_peer import OpenAIPeer

from ..services import gateway
from ..services.gateway import Catalogs
from .common import SALES_SQL, ensure_sales_table, sql_reply

REGION_SQL = "SELECT sum(amount) AS total FROM silver.genie_sales WHERE region = {{region}}"


def warm_statics():
    """Odoo maps modules to static paths lazily, on the first static request, parsing every
    manifest; the browser's first requests arrive together, and concurrent manifest parsing
    in several HTTP threads trips CPython 3.11's shared AST state ("AST constructor recursion
    depth mismatch"). Computing the map once here, in one thread, avoids the race."""
    return http.root.statics


@tagged("post_install", "-at_install")
class TestGenieTour(HttpCase):
    def test_ask_genie_tour(self):
        warm_statics()
        ensure_sales_table()
        Catalogs.clear()
        with OpenAIPeer() as peer:
            self.env["ipwb.llm.model"].search([]).action_archive()
            self.env["ipwb.llm.model"].create(
                {
                    "name": "Tour model",
                    "litellm_model": "openai/tour",
                    "api_base": peer.base_url,
                    "max_retries": 0,
                }
            )
            self.env["ir.config_parameter"].set_param(gateway.PARAM_CACHE_TTL, "0")
            peer.reply(sql_reply(SALES_SQL))
            try:
                self.start_tour(
                    "/odoo/action-ipwb_genie.ipwb_genie_ask_action", "ipwb_genie_ask_tour", login="admin"
                )
            except AssertionError as exc:  # say what Genie answered, not only which step timed out
                self.env.invalidate_all()
                raise AssertionError(f"{exc}\nGenie's last answer: {self._last_answer().content}") from None
            self.assertEqual(len(peer.requests), 1)
        message = self._last_answer()
        self.assertEqual(message.state, "ok", message.content)
        self.assertEqual(message.rows, [["north", 150.0], ["south", 70.0]])

    def _last_answer(self):
        return self.env["ipwb.genie.message"].search([("role", "=", "assistant")], order="id desc", limit=1)


@tagged("post_install", "-at_install")
class TestAgentPlaygroundTour(HttpCase):
    def test_agent_playground_tour(self):
        warm_statics()
        ensure_sales_table()
        with OpenAIPeer() as peer:
            self.env["ipwb.llm.model"].search([]).action_archive()
            self.env["ipwb.llm.model"].create(
                {
                    "name": "Tour model",
                    "litellm_model": "openai/tour",
                    "api_base": peer.base_url,
                    "max_retries": 0,
                }
            )
            tool = self.env["ipwb.agent.tool"].create(
                {
                    "name": "tour_region_total",
                    "description": "Total sales of one region",
                    "kind": "sql",
                    "sql_template": REGION_SQL,
                    "parameters_schema": json.dumps(
                        {
                            "type": "object",
                            "properties": {"region": {"type": "string"}},
                            "required": ["region"],
                        }
                    ),
                }
            )
            agent = self.env["ipwb.agent"].create(
                {
                    "name": "Tour agent",
                    "system_prompt": "Answer with the tools.",
                    "tool_ids": [(6, 0, tool.ids)],
                }
            )
            peer.tool_call("tour_region_total", {"region": "north"})
            peer.reply("The north sold 150.")
            self.start_tour(
                "/odoo/action-ipwb_genie.ipwb_agent_action", "ipwb_agent_playground_tour", login="admin"
            )
            run = self.env["ipwb.agent.run"].search([("agent_id", "=", agent.id)])
            self.assertEqual((run.state, run.is_playground), ("queued", True))
            self.assertEqual(peer.requests, [], "nothing ran inside the web request")
            self.env["ipwb.agent.run"]._cron_process_runs()
            self.env.invalidate_all()
            self.assertEqual(run.state, "done", run.error)
            self.assertEqual(run.answer, "The north sold 150.")
            self.assertEqual(run.step_ids.mapped("kind"), ["model", "tool", "model", "final"])
