# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import contextlib
import json
import re
import sys
import threading
import time
from unittest.mock import patch

from odoo import SUPERUSER_ID, api, http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import ChromeBrowser

from ipwb.llm.agents import FINAL_STATES
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


@contextlib.contextmanager
def peer_model(env, parameters=None):
    """What every Genie tour starts from: statics warmed, the sales table in place, and a
    loopback OpenAI peer as the only active model (the others archived); ``parameters``
    are system parameters set for the tour. Yields the peer (script its replies)."""
    warm_statics()
    ensure_sales_table()
    with OpenAIPeer() as peer:
        env["ipwb.llm.model"].search([]).action_archive()
        env["ipwb.llm.model"].create(
            {
                "name": "Tour model",
                "litellm_model": "openai/tour",
                "api_base": peer.base_url,
                "max_retries": 0,
            }
        )
        for key, value in (parameters or {}).items():
            env["ir.config_parameter"].set_param(key, value)
        yield peer


@tagged("post_install", "-at_install")
class TestGenieTour(HttpCase):
    def test_ask_genie_tour(self):
        Catalogs.clear()
        with peer_model(self.env, {gateway.PARAM_CACHE_TTL: "0"}) as peer:
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
        with peer_model(self.env) as peer:
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


class AgentWorkerThread(threading.Thread):
    """The agent worker cron, served by a thread while a tour runs (crons do not run in
    HttpCase). It shares the test transaction as the browser's requests do, through the
    test cursor's lock — which the test's own thread does not take: the worker touches the
    database only once a browser request queued a run (the test thread then only waits for
    the browser) and stops by itself when a run has finished, before the tour can see it."""

    def __init__(self, registry, user):
        super().__init__(daemon=True)
        self.registry = registry
        self.user = user
        self.queued = threading.Event()
        self.stop = threading.Event()
        self.failure = None

    def run(self):
        self.testing = True  # agent_worker: savepoints instead of commits, as in a test
        while not self.queued.wait(0.5):
            if self.stop.is_set():
                return
        while not self.stop.is_set():
            try:
                with self.registry.cursor() as cr:
                    Run = api.Environment(cr, SUPERUSER_ID, {})["ipwb.agent.run"]
                    Run._cron_process_runs()
                    finished = Run.search_count(
                        [("user_id", "=", self.user.id), ("state", "in", sorted(FINAL_STATES))]
                    )
            except Exception as exc:  # reported by the test, which would otherwise only time out
                self.failure = exc
                return
            if finished:
                return
            self.stop.wait(0.5)


@tagged("post_install", "-at_install")
class TestBindToolTour(HttpCase):
    def test_bind_and_test_a_new_tool(self):
        """The seed's "< 15 minutes to bind and test a new tool", as a browser tour of an AI
        orchestrator: its step count and wall time are printed (README figure)."""
        orchestrator = new_test_user(
            self.env, "tour_orchestrator", groups="ipwb_catalog.group_ipwb_ai_orchestrator"
        )
        with peer_model(self.env, {gateway.PARAM_RATE_LIMIT: "0"}) as peer:
            peer.tool_call("region_sales", {"region": "north"})
            peer.reply("The north sold 150.")
            worker = AgentWorkerThread(self.registry, orchestrator)
            Run = type(self.env["ipwb.agent.run"])
            queue = Run._queue

            def queue_and_wake(run):
                queue(run)
                worker.queued.set()

            console = []
            handle_console = ChromeBrowser._handle_console

            def console_spy(browser, **params):
                """Keep what the tour writes to the browser's console (its step count)."""
                if params.get("args"):
                    console.append(str(browser._from_remoteobject(params["args"][0])))
                return handle_console(browser, **params)

            worker.start()
            started = time.perf_counter()
            try:
                with (
                    patch.object(Run, "_queue", queue_and_wake),
                    patch.object(ChromeBrowser, "_handle_console", console_spy),
                ):
                    self.start_tour(
                        "/odoo/action-ipwb_genie.ipwb_agent_action",
                        "ipwb_agent_bind_tool_tour",
                        login=orchestrator.login,
                        timeout=240,
                    )
            finally:
                worker.stop.set()
                worker.join(30)
            wall = time.perf_counter() - started
            self.assertIsNone(worker.failure)
            self.assertEqual(len(peer.requests), 2)
        counts = [int(m[1]) for line in console for m in [re.match(r"IPWB_TOUR_STEPS (\d+)$", line)] if m]
        self.assertEqual(len(counts), 1, console)
        run = self.env["ipwb.agent.run"].search([("user_id", "=", orchestrator.id)])
        self.assertEqual((run.state, run.is_playground, run.approver_id), ("done", True, orchestrator))
        self.assertEqual(run.agent_id.tool_ids.mapped("name"), ["region_sales"])
        self.assertEqual(
            json.loads(run.step_ids.filtered(lambda s: s.kind == "tool").output)["rows"], [{"total": 150.0}]
        )
        # the README figure: on the test's standard output (pytest -s), not a log level
        sys.stdout.write(
            f"bind-and-test-a-tool tour: {counts[0]} steps, {wall:.1f} s wall time (goal < 15 min)\n"
        )
