# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from psycopg2 import IntegrityError

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import mute_logger

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestPipeline(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_pl_user", groups="ipwb_catalog.group_ipwb_user")
        cls.engineer = new_test_user(cls.env, "ipwb_pl_de", groups="ipwb_catalog.group_ipwb_data_engineer")

    def test_engineer_creates_and_owns(self):
        pipeline = (
            self.env["ipwb.pipeline"].with_user(self.engineer).create({"name": "Sales", "code": "sales"})
        )
        self.assertEqual(pipeline.owner_id, self.engineer)
        self.assertEqual(pipeline.state, "draft")
        self.env["ipwb.pipeline.step"].with_user(self.engineer).create(
            {"pipeline_id": pipeline.id, "name": "a", "kind": "sql", "config": '{"sql": "SELECT 1"}'}
        )
        with self.assertRaises(AccessError):
            self.env["ipwb.pipeline"].with_user(self.user).create({"name": "X", "code": "x_pipeline"})
        with self.assertRaises(AccessError):
            pipeline.step_ids.with_user(self.user).write({"retries": 3})
        # runs use the owner's rights: an engineer cannot hand a pipeline to someone else
        admin = new_test_user(self.env, "ipwb_pl_admin", groups="ipwb_catalog.group_ipwb_admin")
        with self.assertRaises(AccessError):
            pipeline.with_user(self.engineer).write({"owner_id": admin.id})
        with self.assertRaises(AccessError):
            self.env["ipwb.pipeline"].with_user(self.engineer).create(
                {"name": "Y", "code": "y_pipeline", "owner_id": admin.id}
            )
        pipeline.with_user(admin).write({"owner_id": self.user.id})
        self.assertEqual(pipeline.owner_id, self.user)

    def test_bad_technical_names_refused(self):
        for bad in ("Sales", "1sales", "sales-daily", "sales/../../etc", "s"):
            with self.assertRaises(ValidationError, msg=bad):
                self.env["ipwb.pipeline"].create({"name": "Bad", "code": bad})

    def test_technical_name_unique(self):
        self.env["ipwb.pipeline"].create({"name": "A", "code": "dup_code"})
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["ipwb.pipeline"].create({"name": "B", "code": "dup_code"})
            self.env.flush_all()

    def test_cycle_refused_with_the_cycle_named(self):
        pipeline = self.make_pipeline(
            [
                ("a", "sql", {"sql": "SELECT 1"}, []),
                ("b", "sql", {"sql": "SELECT 1"}, ["a"]),
                ("c", "sql", {"sql": "SELECT 1"}, ["b"]),
            ]
        )
        a, _b, c = pipeline.step_ids.sorted("sequence")
        with self.assertRaises(ValidationError) as caught:
            a.write({"depends_on_ids": [(4, c.id)]})
        self.assertIn("dependency cycle: a → b → c → a", str(caught.exception))
        self.assertFalse(a.depends_on_ids, "a refused edit changes nothing")
        with self.assertRaises(ValidationError) as caught:
            a.write({"depends_on_ids": [(4, a.id)]})
        self.assertIn("depends on itself", str(caught.exception))

    def test_dependencies_stay_inside_the_pipeline(self):
        one = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        two = self.make_pipeline([("b", "sql", {"sql": "SELECT 1"}, [])])
        with self.assertRaises(ValidationError):
            two.step_ids.write({"depends_on_ids": [(4, one.step_ids.id)]})

    def test_validation_lists_every_problem(self):
        pipeline = self.make_pipeline(
            [
                ("no_sql", "sql", {}, []),
                ("bad_key", "n8n_webhook", {"url": "http://127.0.0.1/x", "bogus": 1}, []),
                ("gate", "quality_gate", {"table": "nowhere"}, ["no_sql"]),
            ],
            schedule="every 15 min",
        )
        with self.assertRaises(ValidationError) as caught:
            pipeline.action_validate()
        message = str(caught.exception)
        self.assertIn("step no_sql", message)
        self.assertIn("bogus", message)
        self.assertIn("step gate", message)
        self.assertEqual(pipeline.state, "draft")
        with self.assertRaises(ValidationError):
            self.Pipeline.create({"name": "x", "code": "bad_sched", "schedule": "61 * * * *"})
        with self.assertRaises(ValidationError):
            pipeline.step_ids[0].config = "{not json"

    def test_lifecycle_draft_validated_production(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        with self.assertRaises(UserError):
            pipeline.action_promote()
        pipeline.action_validate()
        self.assertEqual(pipeline.state, "validated")
        pipeline.action_promote()
        self.assertEqual(pipeline.state, "production")
        # editing a validated pipeline's steps sends it back to draft
        pipeline.action_reset_to_draft()
        pipeline.action_validate()
        pipeline.step_ids.config = '{"sql": "SELECT 2"}'
        self.assertEqual(pipeline.state, "draft")
        pipeline.action_validate()
        pipeline.step_ids.write({"position_x": 100, "position_y": 50})
        self.assertEqual(pipeline.state, "validated", "moving a node on the canvas is not a change")

    def test_schedule_cron_follows_the_pipeline(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])], schedule="*/15 * * * *")
        cron = pipeline.cron_id
        self.assertTrue(cron)
        self.assertFalse(cron.active, "only production pipelines run on schedule")
        self.assertEqual((cron.interval_number, cron.interval_type), (15, "minutes"))
        pipeline.action_validate()
        pipeline.action_promote()
        self.assertTrue(cron.active)
        pipeline.schedule = "30 2 * * *"
        self.assertEqual((cron.interval_number, cron.interval_type), (1, "days"))
        self.assertEqual((cron.nextcall.hour, cron.nextcall.minute), (2, 30))
        pipeline.schedule = "0 9 * * mon-fri"
        self.assertEqual(cron.nextcall.hour, 9)
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]))
        # the cron body queues a run once per fire time
        pipeline.last_scheduled_at = False
        self.Pipeline._cron_scheduled_run(pipeline.id)
        self.assertEqual(pipeline.run_ids.trigger, "schedule")
        self.Pipeline._cron_scheduled_run(pipeline.id)
        self.assertEqual(len(pipeline.run_ids), 1, "no fire time passed since the last run")
        pipeline.active = False
        self.assertFalse(cron.active)
        pipeline.unlink()
        self.assertFalse(cron.exists())
