# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Issue #19 finding 5 in Genie: webhook tools and LLM endpoints go through the outbound
policy; an AI Orchestrator moving an administrator-keyed model clears its key."""

import json

from odoo.addons.ipwb_pipeline.tests.common import RecordingServer

from odoo.tests import new_test_user, tagged

from ipwb.llm.errors import ModelCallFailed

from ..services import gateway
from .common import GenieCase

PARAM = "ipwb.outbound_allowed_hosts"


@tagged("post_install", "-at_install")
class TestGenieOutbound(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wb_admin = new_test_user(cls.env, "genie_wb_admin", groups="ipwb_catalog.group_ipwb_admin")

    def test_webhook_tool_needs_the_allow_list(self):
        server = RecordingServer(body=json.dumps({"pad": "y" * 9000}))
        self.addCleanup(server.close)
        port = server.server.server_address[1]
        tool = (
            self.env["ipwb.agent.tool"]
            .with_user(self.orchestrator)
            .create(
                {
                    "name": "probe",
                    "description": "Fetch a page",
                    "kind": "n8n",
                    "webhook_url": f"http://127.0.0.1:{port}/web/login",
                }
            )
        )
        agent = self.env["ipwb.agent"].create(
            {"name": "Prober", "system_prompt": "Probe.", "tool_ids": [(6, 0, tool.ids)]}
        )
        self.peer.tool_call("probe", {})
        self.peer.reply("Could not fetch it.")
        run = self.run_agent(agent.with_user(self.user), "Fetch the login page")
        self.assertEqual(run.state, "done", run.error)
        failed = run.step_ids.filtered(lambda s: s.kind == "tool_error")
        self.assertIn("loopback address, refused unless allow-listed", failed.error)
        self.assertFalse(failed.output)
        self.assertEqual(server.requests, [], "the tool's request never left")
        # allow-listed: the answer reaches the model, truncated to 4 KB
        self.env["ir.config_parameter"].set_param(PARAM, f"127.0.0.1:{port}")
        self.peer.tool_call("probe", {})
        self.peer.reply("Fetched.")
        run = self.run_agent(agent.with_user(self.user), "Fetch the login page")
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual([r["json"] for r in server.requests], [{}])
        output = run.step_ids.filtered(lambda s: s.kind == "tool").output
        self.assertTrue(output.startswith('{"pad": "yyy'))
        self.assertLessEqual(len(output), 4096)

    def test_orchestrator_moving_a_keyed_model_clears_its_key(self):
        model = self.first
        self.assertTrue(model.api_base_by_admin, "created by the superuser")
        as_orchestrator = model.with_user(self.orchestrator)
        as_orchestrator.write({"litellm_model": "openai/first-v2", "timeout": 7})  # same endpoint
        self.assertEqual(model.sudo().api_key, "sk-genie-test")
        as_orchestrator.write({"api_base": "https://llm.attacker.example/v1"})
        self.assertFalse(model.sudo().api_key, "the key never follows an endpoint an admin did not choose")
        self.assertFalse(model.api_base_by_admin)
        # a provider change moves the key too
        self.second.with_user(self.orchestrator).write({"litellm_model": "anthropic/second"})
        self.assertFalse(self.second.sudo().api_key)
        # a Workbench Administrator may move a keyed model; the base URL is then allowed implicitly
        model.with_user(self.wb_admin).write({"api_key": "sk-new", "api_base": self.peer.base_url})
        model.with_user(self.wb_admin).write({"api_base": self.peer.base_url + "/"})
        self.assertEqual(model.sudo().api_key, "sk-new")
        self.assertTrue(model.api_base_by_admin)
        # the flag itself is not the orchestrator's to set
        with self.assertRaises(Exception):  # noqa: B017  (AccessError, as Odoo raises it for fields)
            as_orchestrator.write({"api_base_by_admin": True})

    def test_base_url_set_by_an_orchestrator_must_be_allow_listed(self):
        self.env["ipwb.llm.model"].with_user(self.orchestrator).create(
            {
                "name": "Sneaky",
                "litellm_model": "openai/sneaky",
                "api_base": "http://127.0.0.1:8069/v1",
                "sequence": 0,
                "max_retries": 0,
            }
        )
        gw = gateway.build_gateway(self.env(user=self.user))
        with self.assertRaisesRegex(ModelCallFailed, r"127\.0\.0\.1:8069 is a loopback address"):
            gw.complete([{"role": "user", "content": "hi"}], user="u", feature="test")
        self.assertEqual(self.peer.requests, [])
