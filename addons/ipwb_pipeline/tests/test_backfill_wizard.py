# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import date

from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, new_test_user, tagged

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestBackfillWizard(PipelineCase):
    def setUp(self):
        super().setUp()
        self.pipeline = self.make_pipeline(
            [("a", "sql", {"sql": "SELECT %(start_date)s::date, %(end_date)s::date"}, [])]
        )
        self.Wizard = self.env["ipwb.pipeline.backfill.wizard"]

    def wizard(self, start, end, granularity="day", pipeline=None):
        return self.Wizard.create(
            {
                "pipeline_id": (pipeline or self.pipeline).id,
                "date_from": start,
                "date_to": end,
                "granularity": granularity,
            }
        )

    def test_preview_then_confirm_queues_the_previewed_runs(self):
        self.pipeline.action_validate()
        with Form(self.Wizard.with_context(default_pipeline_id=self.pipeline.id)) as form:
            form.date_from = date(2024, 1, 31)
            form.date_to = date(2024, 3, 1)
            form.granularity = "month"
            self.assertEqual(form.run_count, 3)
            self.assertEqual(
                form.preview.splitlines(),
                [
                    "2024-01: start_date=2024-01-01, end_date=2024-02-01",
                    "2024-02: start_date=2024-02-01, end_date=2024-03-01",
                    "2024-03: start_date=2024-03-01, end_date=2024-04-01",
                ],
            )
            form.granularity = "week"
            self.assertEqual(form.run_count, 5)  # ISO weeks of 2024-01-29 … 2024-02-26
            form.granularity = "month"
        wizard = form.record
        action = wizard.action_confirm()
        runs = self.Run.search(action["domain"])
        self.assertEqual(len(runs), 3)
        self.assertEqual(set(runs.mapped("trigger")), {"backfill"})
        self.assertEqual(set(runs.mapped("state")), {"queued"})
        self.assertEqual(
            sorted(r._params_dict()["start_date"] for r in runs), ["2024-01-01", "2024-02-01", "2024-03-01"]
        )
        self.assertEqual(self.Run._cron_process_runs(), 3)
        self.assertEqual(set(runs.mapped("state")), {"succeeded"})

    def test_bad_input_is_refused_and_queues_nothing(self):
        self.pipeline.action_validate()
        backwards = self.wizard("2024-02-01", "2024-01-01")
        self.assertEqual(backwards.run_count, 0)
        self.assertIn("before start", backwards.problem)
        with self.assertRaisesRegex(UserError, "starts on 2024-02-01, after its end 2024-01-01"):
            backwards.action_confirm()
        too_many = self.wizard("2020-01-01", "2024-01-01")
        self.assertIn("needs more than 366 runs", too_many.problem)
        with self.assertRaisesRegex(UserError, "needs more than 366 runs"):
            too_many.action_confirm()
        self.assertEqual(self.wizard("2020-01-01", "2024-01-01", "month").run_count, 49)
        self.pipeline.action_reset_to_draft()
        draft = self.wizard("2024-01-01", "2024-01-02")
        with self.assertRaisesRegex(UserError, "Validate pipeline .* before running it"):
            draft.action_confirm()
        self.assertFalse(self.Run.search([("pipeline_id", "=", self.pipeline.id)]))

    def test_access_and_the_form_button(self):
        viewer = new_test_user(self.env, "ipwb_backfill_viewer", groups="ipwb_catalog.group_ipwb_user")
        with self.assertRaises(AccessError):
            self.Wizard.with_user(viewer).create({"pipeline_id": self.pipeline.id})
        arch = self.env.ref("ipwb_pipeline.ipwb_pipeline_view_form").arch
        action = self.env.ref("ipwb_pipeline.ipwb_pipeline_backfill_wizard_action")
        self.assertIn(f'name="{action.id}"', arch)
        self.assertEqual(action.res_model, self.Wizard._name)
