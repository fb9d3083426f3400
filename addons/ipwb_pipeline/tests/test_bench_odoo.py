# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""``ipwb bench pipeline --odoo-url``: the engine's JSON-RPC benchmark against this Odoo's real
HTTP server; the run worker is driven in-process (test mode has no cron thread)."""

from odoo.tests import HttpCase, tagged

from ipwb.bench.pipeline import bench_pipeline_odoo
from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc


@tagged("post_install", "-at_install")
class TestPipelineBenchThroughOdoo(HttpCase):
    def setUp(self):
        super().setUp()
        self.rpc = OdooJsonRpc(self.base_url(), timeout_s=120)
        self.rpc.authenticate(self.env.cr.dbname, "admin", "admin")

    def drive(self):
        """One pass of the run worker, as the cron thread would run it."""
        self.env.invalidate_all()
        self.env["ipwb.pipeline.run"]._cron_process_runs()
        self.env.flush_all()

    def test_noop_pipeline_runs_through_the_worker(self):
        figures = bench_pipeline_odoo(self.rpc, 12, code="bench_noop", drive=self.drive)
        self.assertEqual((figures.steps, figures.state), (12, "succeeded"))
        self.env.invalidate_all()
        pipeline = self.env["ipwb.pipeline"].browse(figures.pipeline_id)
        self.assertEqual(pipeline.code, "bench_noop")
        self.assertEqual(set(pipeline.step_ids.mapped("kind")), {"server_action"})
        self.assertTrue(any(step.depends_on_ids for step in pipeline.step_ids), "a DAG, not 12 roots")
        run = self.env["ipwb.pipeline.run"].browse(figures.run_id)
        self.assertEqual(set(run.step_run_ids.mapped("state")), {"succeeded"})
        self.assertIn("server action Workbench: no-op pipeline step ran", run.step_run_ids[0].log)
        self.assertEqual(figures.run_s, run.duration)
        self.assertAlmostEqual(figures.steps_total_s, sum(run.step_run_ids.mapped("duration")), places=3)
        self.assertGreaterEqual(figures.overhead_per_step_s, 0)
        self.assertEqual(len(figures.lines()), 6)
        self.assertIn("load average", figures.lines()[-1])
        self.assertEqual(figures.to_dict()["steps"], 12)
        # a second benchmark updates the same pipeline in place and makes a new run
        again = bench_pipeline_odoo(self.rpc, 5, code="bench_noop", drive=self.drive)
        self.assertEqual((again.pipeline_id, again.steps), (figures.pipeline_id, 5))
        self.assertNotEqual(again.run_id, figures.run_id)

    def test_bad_input_and_a_run_that_never_finishes(self):
        with self.assertRaises(ConfigurationError):
            bench_pipeline_odoo(self.rpc, 0, drive=self.drive)
        with self.assertRaisesRegex(IntegrationError, "still queued after 0 s"):
            bench_pipeline_odoo(self.rpc, 2, code="bench_stuck", timeout_s=0, drive=lambda: None)
