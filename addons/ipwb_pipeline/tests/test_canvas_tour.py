# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestCanvasTour(HttpCase):
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
