# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestLlmModel(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.orchestrator = new_test_user(cls.env, "ipwb_ai", groups="ipwb_catalog.group_ipwb_ai_orchestrator")

    def test_no_model_configured_is_said_clearly(self):
        self.env["ipwb.llm.model"].search([]).action_archive()
        with self.assertRaisesRegex(UserError, "No LLM model is configured"):
            self.env["ipwb.llm.model"]._get_gateway_models()

    def test_fallback_order_and_secret_key(self):
        Model = self.env["ipwb.llm.model"]
        second = Model.create({"name": "B", "litellm_model": "openai/b", "sequence": 20, "api_key": "sk-x"})
        first = Model.create({"name": "A", "litellm_model": "openai/a", "sequence": 5})
        self.assertEqual(Model._get_gateway_models()[:2], first | second)
        self.assertEqual(Model._get_gateway_models()[0], first)
        with self.assertRaises(AccessError):
            second.with_user(self.orchestrator).read(["api_key"])

    def test_bad_configuration_refused(self):
        Model = self.env["ipwb.llm.model"]
        with self.assertRaises(ValidationError):
            Model.create({"name": "X", "litellm_model": "openai/x", "api_base": "ftp://host"})
        with self.assertRaises(ValidationError):
            Model.create({"name": "X", "litellm_model": "openai/x", "timeout": 0})
