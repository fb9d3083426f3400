# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..services import gateway
from .common import GenieCase

VALID_SPEC = """\
name: vendor_spend
description: Clean vendor bills and check them.
owner: data-engineering@example.com
steps:
  - id: clean_bills
    kind: sql
    config:
      sql: insert into silver.bills select bill_id, amount from bronze.vendor_bills
      target: silver.bills
  - id: check_bills
    kind: quality_gate
    depends_on: [clean_bills]
    config:
      table: silver.bills
      checks: [not_null]
      blocking: true
"""


@tagged("post_install", "-at_install")
class TestGeneration(GenieCase):
    def wizard(self, description, user=None):
        return (
            self.env["ipwb.genie.pipeline.wizard"]
            .with_user(user or self.engineer)
            .create({"description": description})
        )

    def test_generated_pipeline_is_a_draft_with_its_spec(self):
        self.peer.reply(f"```yaml\n{VALID_SPEC}```")
        wizard = self.wizard("Clean vendor bills into silver and check them")
        action = wizard.action_generate()
        pipeline = self.env["ipwb.pipeline"].browse(action["res_id"])
        self.assertEqual(pipeline.state, "draft")
        self.assertEqual(pipeline.code, "vendor_spend")
        self.assertIn("quality_gate", pipeline.genie_spec_yaml)
        self.assertEqual(pipeline.genie_request, "Clean vendor bills into silver and check them")
        self.assertEqual(len(self.traces_of(pipeline)), 1, "the call is linked to the pipeline")
        self.assertEqual(len(self.costs_of(pipeline)), 1)
        self.assertFalse(self.traces_of(wizard))
        # a second generation with the same name gets a unique technical name
        self.peer.reply(f"```yaml\n{VALID_SPEC}```")
        again = self.wizard("Same again").action_generate()
        self.assertEqual(self.env["ipwb.pipeline"].browse(again["res_id"]).code, "vendor_spend_2")

    def test_invalid_spec_after_repairs_creates_nothing(self):
        for _ in range(3):
            self.peer.reply("```yaml\nname: broken\nsteps: nope\n```")
        before = self.env["ipwb.pipeline"].search_count([])
        wizard = self.wizard("Something the model cannot do")
        wizard.action_generate()
        self.assertTrue(wizard.problems)
        self.assertEqual(self.env["ipwb.pipeline"].search_count([]), before)
        self.assertEqual(len(self.traces_of(wizard)), 3, "the failed attempts stay traced")
        self.assertIn("generated.yaml", str(self.peer.requests[1].messages))

    def test_only_data_engineers_generate_pipelines(self):
        with self.assertRaises(AccessError):
            self.wizard("anything", user=self.user)

    def test_dq_insight(self):
        Insight = self.env["ipwb.genie.dq.insight"].with_user(self.user)
        clean = {"table": "silver.bills", "checks": [{"name": "not null", "status": "pass"}]}
        self.assertEqual(Insight.summarise(clean), "All data quality checks passed.")
        self.assertEqual(self.peer.requests, [], "a clean scorecard costs no call")
        self.peer.reply("12 bills have no amount: check the bronze load.")
        failing = {
            "table": "silver.bills",
            "checks": [{"name": "amount not null", "status": "fail", "failed_rows": 12}],
        }
        wizard = Insight.create(
            {
                "scorecard_json": '{"table": "silver.bills", "checks": '
                '[{"name": "amount not null", "status": "fail"}]}'
            }
        )
        wizard.action_summarise()
        self.assertIn("12 bills", wizard.insight)
        self.assertIn("amount not null", str(self.peer.requests[0].messages))
        with self.assertRaisesRegex(UserError, "not valid JSON"):
            Insight.create({"scorecard_json": "{oops"}).action_summarise()
        with self.assertRaisesRegex(UserError, "list"):
            Insight.summarise({**failing, "checks": "nope"})

    def test_settings_are_system_parameters(self):
        settings = self.env["res.config.settings"].create(
            {"ipwb_genie_rate_limit": 7, "ipwb_genie_max_cost_per_call": 0.25, "ipwb_genie_langfuse_host": ""}
        )
        settings.execute()
        params = self.env["ir.config_parameter"]
        self.assertEqual(params.get_param(gateway.PARAM_RATE_LIMIT), "7")
        self.assertEqual(params.get_param(gateway.PARAM_MAX_COST_CALL), "0.25")
        data = gateway.gateway_data(self.env)
        self.assertEqual(data["rate_limit"], {"capacity": 7, "per_minute": 7.0})
        self.assertEqual(data["max_cost_per_call"], 0.25)
        self.assertEqual([m["name"] for m in data["models"]], ["First", "Second"])
        with self.assertRaises(ValidationError):
            self.env["res.config.settings"].create({"ipwb_genie_rate_limit": -1})
