# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Genie with its neighbours: the catalog's tables, the SQL editor, Guardian scorecards,
n8n webhooks, and the gateway's cache and session budget."""

import gzip
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from odoo.tests import tagged

from ..services import gateway
from ..services.gateway import Catalogs
from ..services.warehouse import catalog_for
from .common import SALES_SQL, GenieCase, sql_reply


class _Hook(BaseHTTPRequestHandler):
    received = []
    keys = []

    def log_message(self, format, *args):
        return

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        _Hook.received.append(json.loads(body))
        _Hook.keys.append(self.headers.get("Idempotency-Key"))
        data = json.dumps({"ticket": 42}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@tagged("post_install", "-at_install")
class TestGenieIntegration(GenieCase):
    def ask(self, question, conversation=False):
        result = self.env["ipwb.genie.conversation"].with_user(self.user).genie_ask(conversation, question)
        return result, self.env["ipwb.genie.message"].browse(result["message_id"])

    def test_catalog_records_decide_what_genie_sees(self):
        connection = self.env["ipwb.connection"]._get_default()
        Table = self.env["ipwb.table"]
        sales = Table.create({"name": "genie_sales", "schema_name": "silver", "connection_id": connection.id})
        self.env["ipwb.column"].create(
            [
                {"table_id": sales.id, "name": "region", "data_type": "text", "ordinal": 1},
                {"table_id": sales.id, "name": "amount", "data_type": "numeric", "ordinal": 2},
            ]
        )
        Table.create(
            {
                "name": "salaries",
                "schema_name": "silver",
                "connection_id": connection.id,
                "restricted": True,
                "team_id": self.env.ref("ipwb_catalog.group_ipwb_admin").id,
            }
        )
        Catalogs.clear()
        seen_by_user = catalog_for(self.env(user=self.user), connection)
        self.assertEqual([t.qualified for t in seen_by_user.tables], ["silver.genie_sales"])
        self.assertEqual([c.name for c in seen_by_user.tables[0].columns], ["region", "amount"])
        seen_by_admin = catalog_for(self.env(user=self.env.ref("base.user_admin")), connection)
        self.assertEqual(
            sorted(t.qualified for t in seen_by_admin.tables), ["silver.genie_sales", "silver.salaries"]
        )
        Catalogs.clear()

    def test_response_cache_answers_identical_questions(self):
        self.env["ir.config_parameter"].set_param(gateway.PARAM_CACHE_TTL, "3600")
        self.peer.reply(sql_reply(SALES_SQL), prompt_tokens=1000, completion_tokens=100)
        _result, first = self.ask("Cached: totals per region")
        _result, second = self.ask("Cached: totals per region")
        self.assertEqual((first.state, second.state), ("ok", "ok"))
        self.assertEqual(len(self.peer.requests), 1)
        self.assertEqual(self.traces_of(second).mapped("state"), ["cached"])
        self.assertFalse(self.costs_of(second), "a cache hit costs nothing")
        self.assertEqual(second.rows, first.rows)

    def test_session_budget_counts_the_conversation(self):
        self.env["ir.config_parameter"].set_param(gateway.PARAM_MAX_COST_SESSION, "0.5")
        self.peer.reply(sql_reply(SALES_SQL), prompt_tokens=1000, completion_tokens=100)
        result, first = self.ask("Budget: totals per region")
        self.assertEqual(first.state, "ok", first.content)
        # the first answer cost 0.65 USD: the conversation is over its 0.5 USD budget
        _result, second = self.ask("Budget: and the north only?", result["conversation"]["id"])
        self.assertEqual(second.state, "error")
        self.assertIn("session budget", second.content)
        self.assertEqual(len(self.peer.requests), 1)
        # in a new conversation the user may ask again
        self.peer.reply(sql_reply(SALES_SQL))
        _result, third = self.ask("Budget: a fresh start")
        self.assertEqual(third.state, "ok", third.content)

    def test_open_in_sql_editor_through_a_private_snippet(self):
        self.peer.reply(sql_reply(SALES_SQL))
        _result, message = self.ask("Editor: totals per region")
        action = message.with_user(self.user).genie_open_in_editor("SELECT 1 AS one")
        self.assertEqual(action["tag"], "ipwb_sql_editor.editor")
        snippet = self.env["ipwb.sql.snippet"].browse(action["context"]["ipwb_snippet_id"])
        self.assertEqual(
            (snippet.statement, snippet.visibility, snippet.user_id),
            ("SELECT 1 AS one", "private", self.user),
        )
        self.assertIn("Editor: totals per region", snippet.name)
        again = message.with_user(self.user).genie_open_in_editor("SELECT 2 AS two")
        self.assertEqual(again["context"]["ipwb_snippet_id"], snippet.id, "one snippet per answer")
        self.assertEqual(snippet.statement, "SELECT 2 AS two")

    def test_n8n_webhook_tool(self):
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        _Hook.received = []
        _Hook.keys = []
        host, port = server.server_address[:2]
        # a loopback test server: explicitly on the outbound allow-list
        self.env["ir.config_parameter"].set_param("ipwb.outbound_allowed_hosts", f"{host}:{port}")
        tool = self.env["ipwb.agent.tool"].create(
            {
                "name": "open_ticket",
                "description": "Open a support ticket",
                "kind": "n8n",
                "webhook_url": f"http://{host}:{port}/webhook/ticket",
                "parameters_schema": json.dumps(
                    {"type": "object", "properties": {"title": {"type": "string"}}, "required": ["title"]}
                ),
            }
        )
        agent = self.env["ipwb.agent"].create(
            {"name": "Helpdesk", "system_prompt": "Open tickets.", "tool_ids": [(6, 0, tool.ids)]}
        )
        self.peer.tool_call("open_ticket", {"title": "Printer on fire"})
        self.peer.reply("Ticket 42 is open.")
        run = self.run_agent(agent.with_user(self.user), "The printer is on fire")
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(_Hook.received, [{"title": "Printer on fire"}])
        # the model's call id is the idempotency key: a re-executed step sends the same one
        call_id = self.peer.requests[1].messages[-1]["tool_call_id"]
        self.assertEqual(_Hook.keys, [call_id])
        self.assertIn('"ticket": 42', run.step_ids.filtered(lambda s: s.kind == "tool").output)

    def test_guardian_scorecard_insight(self):
        check = self.env["ipwb.dq.check"].create(
            {
                "name": "amount not null",
                "table_ref": "silver.genie_sales",
                "column_name": "amount",
                "check_type": "not_null",
            }
        )
        self.env["ipwb.dq.result"].create(
            {
                "check_id": check.id,
                "status": "fail",
                "failed_rows": 3,
                "total_rows": 10,
                "dimension": "completeness",
            }
        )
        card = self.env["ipwb.dq.scorecard"].create(
            {
                "name": "silver.genie_sales",
                "scope": "table",
                "overall": 70.0,
                "checks_count": 1,
                "failed_count": 1,
            }
        )
        self.peer.reply("3 of 10 rows have no amount.")
        card.with_user(self.user).action_genie_insight()
        self.assertEqual(card.genie_insight, "3 of 10 rows have no amount.")
        prompt = str(self.peer.requests[0].messages)
        self.assertIn("amount not null", prompt)
        self.assertIn("silver.genie_sales", prompt)

    def test_langfuse_export_when_keys_are_set(self):
        posts = []

        class Collector(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if self.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                posts.append((self.path, body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        server = ThreadingHTTPServer(("127.0.0.1", 0), Collector)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        self.addCleanup(server.server_close)
        self.addCleanup(server.shutdown)
        params = self.env["ir.config_parameter"]
        params.set_param(gateway.PARAM_LANGFUSE_PUBLIC, f"pk-lf-{uuid.uuid4().hex[:8]}")
        params.set_param(gateway.PARAM_LANGFUSE_SECRET, "sk-lf-genie-secret")
        params.set_param(gateway.PARAM_LANGFUSE_HOST, f"http://127.0.0.1:{server.server_address[1]}")
        self.peer.reply(sql_reply(SALES_SQL))
        _result, message = self.ask("Langfuse: totals per region")
        self.assertEqual(message.state, "ok", message.content)
        sink = gateway._langfuse(self.env)
        self.assertNotIn("genie-secret", repr(sink))
        try:
            sink.flush()
        finally:
            sink.shutdown()
            gateway._shared.clear()
        self.assertTrue(posts, "nothing was exported")
        self.assertEqual(posts[0][0], "/api/public/otel/v1/traces")
        payload = b"".join(body for _path, body in posts)
        self.assertIn(b"nl2sql", payload)
        self.assertIn(b"genie_user", payload)
