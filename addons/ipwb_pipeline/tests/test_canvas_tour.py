# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_catalog.tests.screenshots import screenshot_at_end

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCanvasTour(HttpCase):
    browser_size = "1440x900"

    def test_build_run_and_see_status_on_the_canvas(self):
        # owned by the administrator who builds it (runs never use OdooBot's rights)
        pipeline = self.env["ipwb.pipeline"].create(
            {"name": "Tour pipeline", "code": "tour_pipeline", "owner_id": self.env.ref("base.user_admin").id}
        )
        self.start_tour(
            "/odoo/action-ipwb_pipeline.ipwb_pipeline_canvas_action",
            "ipwb_pipeline_canvas_build",
            login="admin",
            timeout=120,
        )
        steps = pipeline.step_ids.sorted("sequence")
        self.assertEqual(steps.mapped("name"), ["extract", "transform", "load"])
        self.assertEqual(steps[1].depends_on_ids, steps[0])
        self.assertEqual(steps[2].depends_on_ids, steps[1])
        self.assertEqual(pipeline.state, "validated")
        run = pipeline.run_ids
        self.assertEqual(run.state, "queued", "the canvas queued a run; nothing ran in the request")
        # the worker cron job, run synchronously here
        self.env["ipwb.pipeline.run"]._cron_process_runs()
        self.assertEqual(run.state, "succeeded", run.log)
        self.start_tour(
            "/odoo/action-ipwb_pipeline.ipwb_pipeline_canvas_action",
            "ipwb_pipeline_canvas_status",
            login="admin",
            timeout=90,
        )

    def test_new_pipeline_from_a_blank_canvas(self):
        with screenshot_at_end("pipeline_canvas_new"):
            self.start_tour(
                "/odoo/action-ipwb_pipeline.ipwb_pipeline_canvas_action",
                "ipwb_pipeline_canvas_new",
                login="admin",
                timeout=120,
            )
        pipeline = self.env["ipwb.pipeline"].search([("code", "=", "daily_pos_vat_tour_a")])
        self.assertEqual(pipeline.name, "Daily POS → VAT — tour A", "the name is kept as written")
        self.assertEqual(pipeline.owner_id, self.env.ref("base.user_admin"))
        steps = pipeline.step_ids.sorted("sequence")
        self.assertEqual(steps.mapped("name"), ["extract", "sql_1"])
        self.assertEqual(steps.mapped("kind"), ["sql", "sql"])
        self.assertEqual(steps[1].depends_on_ids, steps[0])
        self.assertEqual(pipeline.state, "validated")
        self.assertEqual(pipeline.run_ids.state, "queued")
        self.env["ipwb.pipeline.run"]._cron_process_runs()
        self.assertEqual(pipeline.run_ids.state, "succeeded", pipeline.run_ids.log)
