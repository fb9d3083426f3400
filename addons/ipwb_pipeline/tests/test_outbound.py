# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Issue #19 finding 5: n8n webhook steps go through the outbound policy, and what a webhook
answered is stored truncated and readable only by those who may edit pipelines."""

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from .common import PipelineCase, RecordingServer


@tagged("post_install", "-at_install")
class TestOutbound(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(cls.env, "ob_engineer", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.reader = new_test_user(cls.env, "ob_reader", groups="ipwb_catalog.group_ipwb_user")

    def _webhook_pipeline(self, url):
        return self.make_pipeline(
            [("notify", "n8n_webhook", {"url": url, "timeout_s": 5}, [])], owner_id=self.engineer.id
        )

    def test_step_to_a_non_listed_loopback_address_fails_and_stores_nothing(self):
        hook = RecordingServer(body='{"secret": "odoo login page"}')
        self.addCleanup(hook.close)
        for url in ("http://127.0.0.1:8069/web/login", hook.url + "/web/login", "http://169.254.169.254/x"):
            run = self.run_now(self._webhook_pipeline(url))
            step = self.steps_of(run)["notify"]
            self.assertEqual((run.state, step.state), ("failed", "failed"), url)
            self.assertIn("Outbound call refused", step.error)
            self.assertFalse(step.response)
        self.assertEqual(hook.requests, [], "nothing reached the loopback server")

    def test_allow_listed_peer_answers_and_the_stored_answer_is_truncated(self):
        hook = RecordingServer(body='{"pad": "' + "x" * 10000 + '"}')
        self.addCleanup(hook.close)
        self.allow_outbound(hook.url)
        run = self.run_now(self._webhook_pipeline(hook.url + "/webhook/big"))
        step = self.steps_of(run)["notify"]
        self.assertEqual(run.state, "succeeded", run.log)
        self.assertEqual(len(hook.requests), 1)
        self.assertEqual(len(step.response), 4096)
        self.assertTrue(step.response.startswith('{"pad": "xxx'))
        self.assertIn("truncated to its first 4096 bytes", step.log)
        # who may edit pipelines reads the answer; a Workbench User does not, over the ORM either
        self.assertEqual(step.with_user(self.engineer).read(["response"])[0]["response"], step.response)
        with self.assertRaises(AccessError):
            step.with_user(self.reader).read(["response"])
        with self.assertRaises(AccessError):
            step.with_user(self.reader).search_read([("id", "=", step.id)], ["response"])
        self.assertNotIn("response", step.with_user(self.reader).fields_get())
        # and the run form does not offer it to them
        arch = self.Run.with_user(self.reader).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertNotIn('name="response"', arch)
        arch = self.Run.with_user(self.engineer).get_views([(False, "form")])["views"]["form"]["arch"]
        self.assertIn('name="response"', arch)

    def test_redirect_to_a_non_listed_address_is_refused(self):
        hook = RecordingServer(status=302)
        self.addCleanup(hook.close)
        self.allow_outbound(hook.url)
        hook.headers = {"Location": "http://127.0.0.1:8069/web/login"}
        run = self.run_now(self._webhook_pipeline(hook.url + "/webhook/x"))
        step = self.steps_of(run)["notify"]
        self.assertEqual(step.state, "failed")
        self.assertIn("redirect from 127.0.0.1 refused", step.error)
        self.assertFalse(step.response)

    def test_invalid_allow_list_is_refused_in_settings(self):
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"ipwb_outbound_allowed_hosts": "0.0.0.0/0"})
        settings = self.env["res.config.settings"].create(
            {"ipwb_outbound_allowed_hosts": "n8n.example.com:5678"}
        )
        settings.execute()
        self.assertEqual(
            self.env["ir.config_parameter"].get_param("ipwb.outbound_allowed_hosts"), "n8n.example.com:5678"
        )
