# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Issue #19: pipelines never lend their owner's (or the superuser's) rights.

A run acts as the pipeline's owner; whoever changes the steps of someone else's pipeline
becomes its owner; a step change needs a second person to reach production; run records
are written by the system only; server actions run as the owner, within their groups.
"""

import json

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged

from .common import PipelineCase

DE_GROUP = "ipwb_catalog.group_ipwb_data_engineer"


@tagged("post_install", "-at_install")
class TestPipelineRights(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.admin = cls.env.ref("base.user_admin")
        cls.engineer = new_test_user(cls.env, "ipwb_rights_de", groups=DE_GROUP)
        cls.reviewer = new_test_user(cls.env, "ipwb_rights_de2", groups=DE_GROUP)
        cls.whoami = cls._action("whoami", "action = {'uid': env.uid, 'su': env.su, 'login': env.user.login}")
        cls.system_only = cls._action("system_only", "action = {'ran': True}")
        cls.system_only.groups_id = [Command.set([cls.env.ref("base.group_system").id])]

    @classmethod
    def _action(cls, name, code):
        action = cls.env["ir.actions.server"].create(
            {
                "name": f"ipwb rights {name}",
                "model_id": cls.env["ir.model"]._get_id("ipwb.pipeline"),
                "state": "code",
                "code": code,
            }
        )
        cls.env["ir.model.data"].create(
            {"module": "ipwb_rights_test", "name": name, "model": "ir.actions.server", "res_id": action.id}
        )
        return action

    def _whoami_pipeline(self, **values):
        return self.make_pipeline(
            [("who", "server_action", {"action": "ipwb_rights_test.whoami"}, [])], **values
        )

    # -- 1. a run acts as the owner --------------------------------------------------------------
    def test_engineer_editing_an_admin_pipeline_takes_it_over_and_runs_as_themselves(self):
        pipeline = self._whoami_pipeline(owner_id=self.admin.id)
        pipeline.step_ids.with_user(self.engineer).write({"description": "mine now"})
        self.assertEqual(pipeline.owner_id, self.engineer, "the editor owns what they changed")
        self.assertEqual(pipeline.steps_changed_by_id, self.engineer)
        self.assertTrue(pipeline.steps_changed_at)
        note = pipeline.message_ids.filtered(lambda m: "is now its owner" in (m.body or ""))
        self.assertTrue(note, "a chatter note says why the owner changed")
        self.assertIn(self.engineer.name, note[0].body)
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        seen = json.loads(self.steps_of(run)["who"].response)
        self.assertEqual(seen, {"uid": self.engineer.id, "su": False, "login": self.engineer.login})
        self.assertIn(f"steps run with the rights of {self.engineer.login}", run.log)

    def test_run_parameters_are_configuration_too(self):
        # the defaults of the run parameters feed every step: changing them takes over
        pipeline = self._whoami_pipeline(owner_id=self.admin.id)
        pipeline.with_user(self.engineer).write(
            {"params_json": json.dumps([{"name": "company", "default": "other"}])}
        )
        self.assertEqual(pipeline.owner_id, self.engineer)
        self.assertEqual(pipeline.steps_changed_by_id, self.engineer)
        pipeline.with_user(self.engineer).write({"description": "docs only"})
        self.assertEqual(pipeline.steps_changed_by_id, self.engineer)

    def test_every_step_change_path_takes_the_pipeline_over(self):
        # create, unlink, the sync context set over RPC, the canvas layout (not a change)
        pipeline = self._whoami_pipeline(owner_id=self.admin.id)
        step = pipeline.step_ids
        step.with_user(self.engineer).write({"position_x": 10, "sequence": 3})
        self.assertEqual(pipeline.owner_id, self.admin, "moving a node is no change of the steps")
        step.with_user(self.engineer).with_context(ipwb_pipeline_sync=True).write({"enabled": False})
        self.assertEqual(pipeline.owner_id, self.engineer, "a context key grants nothing")
        pipeline.owner_id = self.admin
        self.env["ipwb.pipeline.step"].with_user(self.reviewer).create(
            {"pipeline_id": pipeline.id, "name": "extra", "kind": "sql", "config": '{"sql": "SELECT 1"}'}
        )
        self.assertEqual(pipeline.owner_id, self.reviewer)
        pipeline.owner_id = self.admin
        pipeline.step_ids.filtered(lambda s: s.name == "extra").with_user(self.engineer).unlink()
        self.assertEqual(pipeline.owner_id, self.engineer)
        # a Workbench administrator changes anyone's pipeline without taking it over
        pipeline.owner_id = self.reviewer
        step.with_user(self.admin).write({"enabled": True})
        self.assertEqual(pipeline.owner_id, self.reviewer)
        self.assertEqual(pipeline.steps_changed_by_id, self.admin)

    def test_spec_import_of_someone_elses_pipeline_takes_it_over(self):
        pipeline = self._whoami_pipeline(owner_id=self.admin.id)
        text = pipeline.spec_yaml.replace("- id: who\n", "- id: who_renamed\n")
        self.assertIn("who_renamed", text)
        imported = self.Pipeline.with_user(self.engineer).import_spec_text(text)
        self.assertEqual(imported, pipeline)
        self.assertEqual(pipeline.owner_id, self.engineer)
        self.assertEqual(pipeline.steps_changed_by_id, self.engineer)

    def test_engineer_may_not_give_the_pipeline_to_someone_else(self):
        pipeline = self._whoami_pipeline(owner_id=self.engineer.id)
        with self.assertRaises(AccessError):
            pipeline.with_user(self.engineer).write({"owner_id": self.admin.id})

    # -- owners that cannot run ------------------------------------------------------------------
    def test_superuser_owned_pipeline_never_runs(self):
        pipeline = self._whoami_pipeline(owner_id=SUPERUSER_ID)
        pipeline.action_validate()
        with self.assertRaisesRegex(UserError, "superuser"):
            pipeline.action_run_now()
        run = pipeline._enqueue("manual")  # e.g. queued before its owner changed
        self.Run._cron_process_runs()
        run.invalidate_recordset()
        self.assertEqual(run.state, "failed")
        self.assertIn("superuser", run.error)
        self.assertEqual(self.steps_of(run)["who"].state, "skipped")
        self.assertFalse(self.steps_of(run)["who"].response, "the action never ran")

    def test_owner_without_rights_to_run(self):
        portal = new_test_user(self.env, "ipwb_rights_portal", groups="base.group_portal")
        archived = new_test_user(self.env, "ipwb_rights_gone", groups=DE_GROUP)
        archived.active = False
        for owner, reason in ((False, "no owner"), (portal, "portal"), (archived, "archived")):
            pipeline = self._whoami_pipeline(owner_id=owner and owner.id)
            pipeline.action_validate()
            with self.assertRaisesRegex(UserError, reason):
                pipeline.action_run_now()

    def test_schedule_cron_runs_as_the_owner_never_root(self):
        pipeline = self._whoami_pipeline(owner_id=self.engineer.id, schedule="*/15 * * * *")
        self.assertEqual(pipeline.cron_id.user_id, self.engineer)
        pipeline.action_validate()
        pipeline.action_promote()
        self.assertTrue(pipeline.cron_id.active)
        pipeline.owner_id = SUPERUSER_ID
        self.assertFalse(pipeline.cron_id.active, "no schedule under the superuser")
        self.assertNotEqual(pipeline.cron_id.user_id.id, SUPERUSER_ID)
        orphan = self._whoami_pipeline(owner_id=False, schedule="*/15 * * * *")
        self.assertFalse(orphan.cron_id, "no owner, no schedule cron (never root)")

    # -- server actions ----------------------------------------------------------------------------
    def test_server_action_outside_the_owners_groups_is_refused(self):
        pipeline = self.make_pipeline(
            [("admin_only", "server_action", {"action": "ipwb_rights_test.system_only"}, [])],
            owner_id=self.engineer.id,
        )
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "failed")
        step = self.steps_of(run)["admin_only"]
        self.assertEqual(step.state, "failed")
        self.assertIn("restricted to", step.error)
        self.assertIn(self.engineer.login, step.error)
        self.assertFalse(step.response)
        # the same action for an owner in its groups runs (as that owner)
        pipeline.owner_id = self.admin
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)

    # -- run records -----------------------------------------------------------------------------
    def test_run_records_are_written_by_the_system_only(self):
        pipeline = self.make_pipeline([("boom", "sql", {"sql": "SELECT 1/0"}, [])], owner_id=self.engineer.id)
        pipeline.action_validate()
        as_engineer = pipeline.with_user(self.engineer)
        action = as_engineer.action_run_now()
        run = self.Run.browse(action["res_id"])
        self.assertEqual(run.requested_by_id, self.engineer)
        step_run = run.step_run_ids
        Run = self.Run.with_user(self.engineer)
        StepRun = self.env["ipwb.pipeline.step.run"].with_user(self.engineer)
        with self.assertRaises(AccessError):
            step_run.with_user(self.engineer).write({"config": '{"sql": "DROP TABLE x"}'})
        with self.assertRaises(AccessError):
            run.with_user(self.engineer).write({"state": "succeeded"})
        with self.assertRaises(AccessError):
            Run.create({"pipeline_id": pipeline.id})
        with self.assertRaises(AccessError):
            StepRun.create({"run_id": run.id, "step_name": "evil", "kind": "sql", "config": "{}"})
        self.assertEqual(step_run.config, '{"sql": "SELECT 1/0"}')
        # the actions still work for the engineer: cancel, and re-run a failed run
        run.with_user(self.engineer).action_cancel()
        self.assertEqual(run.state, "cancelled")
        action = as_engineer.action_run_now()
        failed = self.Run.browse(action["res_id"])
        self.Run._cron_process_runs()
        self.assertEqual(failed.state, "failed")
        failed.with_user(self.engineer).action_rerun_failed()
        self.assertEqual(failed.state, "queued")
        viewer = new_test_user(self.env, "ipwb_rights_viewer", groups="ipwb_catalog.group_ipwb_user")
        with self.assertRaises(AccessError):
            failed.with_user(viewer).action_cancel()

    # -- two people for production ----------------------------------------------------------------
    def test_changed_production_pipeline_needs_another_promoter(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])], owner_id=self.engineer.id)
        pipeline.step_ids.with_user(self.engineer).write({"config": '{"sql": "SELECT 2"}'})
        mine = pipeline.with_user(self.engineer)
        mine.action_validate()
        with self.assertRaisesRegex(UserError, "another person"):
            mine.action_promote()
        self.assertEqual(pipeline.state, "validated")
        pipeline.with_user(self.reviewer).action_promote()
        self.assertEqual(pipeline.state, "production")
        # the SQL of a production pipeline changes: back to draft, validated and promoted again
        pipeline.step_ids.with_user(self.engineer).write({"config": '{"sql": "SELECT 3"}'})
        self.assertEqual(pipeline.state, "draft")
        with self.assertRaises(UserError):
            pipeline.with_user(self.reviewer).action_promote()
        mine.action_validate()
        with self.assertRaisesRegex(UserError, "another person"):
            mine.action_promote()
        pipeline.with_user(self.reviewer).action_promote()
        self.assertEqual(pipeline.state, "production")

    def test_state_and_bookkeeping_are_not_writable_over_rpc(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])], owner_id=self.engineer.id)
        mine = pipeline.with_user(self.engineer)
        for values in (
            {"state": "production"},
            {"state": "validated"},
            {"steps_changed_by_id": self.reviewer.id},
        ):
            with self.assertRaises(AccessError):
                mine.write(values)
        with self.assertRaises(AccessError):
            self.Pipeline.with_user(self.engineer).create(
                {"name": "p", "code": "rights_p", "state": "production"}
            )
        self.assertEqual(pipeline.state, "draft")
        mine.action_reset_to_draft()  # back to draft stays a plain write
