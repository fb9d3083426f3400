# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The pipeline-trigger tool: starts a pipeline run with the requester's rights through the
pipeline addon's own API, once per tool call even when the step runs again; a requester
who may not run the pipeline gets the refusal as a tool error and nothing is queued."""

import json

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from ipwb.errors import IpwbError

from .common import GenieCase


@tagged("post_install", "-at_install")
class TestAgentPipelineTool(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.pipeline = cls.env["ipwb.pipeline"].create(
            {
                "name": "Agent refresh",
                "code": "agent_refresh",
                "owner_id": cls.engineer.id,
                "params_json": json.dumps([{"name": "day", "default": "2026-01-01"}]),
            }
        )
        cls.env["ipwb.pipeline.step"].create(
            {
                "pipeline_id": cls.pipeline.id,
                "name": "noop",
                "kind": "sql",
                "config": json.dumps({"sql": "SELECT 1", "targets": []}),
            }
        )
        cls.pipeline.action_validate()
        cls.tool = cls.env["ipwb.agent.tool"].create(
            {
                "name": "refresh_pipeline",
                "description": "Start the refresh pipeline for a day",
                "kind": "pipeline",
                "pipeline_id": cls.pipeline.id,
                "parameters_schema": json.dumps(
                    {
                        "type": "object",
                        "properties": {"day": {"type": "string"}, "other": {"type": "string"}},
                        "additionalProperties": False,
                    }
                ),
            }
        )
        cls.agent = cls.env["ipwb.agent"].create(
            {
                "name": "Refresher",
                "system_prompt": "Refresh the data when asked.",
                "tool_ids": [(6, 0, cls.tool.ids)],
            }
        )

    def runs(self):
        return self.env["ipwb.pipeline.run"].search([("pipeline_id", "=", self.pipeline.id)])

    def test_starts_one_run_with_the_requesters_rights(self):
        self.peer.tool_call("refresh_pipeline", {"day": "2026-03-01", "other": "ignored"})
        self.peer.reply("Started.")
        run = self.run_agent(self.agent.with_user(self.engineer), "Refresh March 1st")
        self.assertEqual(run.state, "done", run.error)
        started = self.runs()
        self.assertEqual(len(started), 1)
        self.assertEqual(started.requested_by_id, self.engineer, "queued as the requester")
        self.assertEqual(json.loads(started.params), {"day": "2026-03-01"}, "only declared parameters")
        step = run.step_ids.filtered(lambda s: s.kind == "tool")
        output = json.loads(step.output)
        self.assertEqual(
            output,
            {"pipeline": "agent_refresh", "run_id": started.id, "state": "queued", "started": True},
        )
        self.assertEqual(json.loads(step.touched), [["ipwb.pipeline.run", started.id]])
        call_id = self.peer.requests[1].messages[-1]["tool_call_id"]
        self.assertEqual(started.agent_call_key, f"{run.thread_id}:{call_id}")

    def test_a_step_run_again_starts_no_second_run(self):
        env = self.env(user=self.engineer)
        first = self.tool._run_tool(env, {"day": "2026-03-02"}, "call_1", "thread-a")
        again = self.tool._run_tool(env, {"day": "2026-03-02"}, "call_1", "thread-a")
        self.assertEqual(first.output["run_id"], again.output["run_id"])
        self.assertEqual((first.output["started"], again.output["started"]), (True, False))
        other = self.tool._run_tool(env, {}, "call_1", "thread-b")
        self.assertNotEqual(other.output["run_id"], first.output["run_id"], "same call id, other run")
        self.assertEqual(len(self.runs()), 2)
        self.assertEqual(json.loads(self.runs().sorted("id")[-1].params), {"day": "2026-01-01"})

    def test_a_user_without_rights_on_the_pipeline_is_refused(self):
        self.peer.tool_call("refresh_pipeline", {"day": "2026-03-01"})
        self.peer.reply("I could not start it.")
        run = self.run_agent(self.agent.with_user(self.user), "Refresh March 1st")
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(run.step_ids.mapped("kind"), ["model", "tool_error", "model", "final"])
        error = run.step_ids.filtered(lambda s: s.kind == "tool_error").error
        self.assertIn("refresh_pipeline failed", error)
        self.assertIn("not allowed to modify", error)
        told = json.loads(self.peer.requests[1].messages[-1]["content"])
        self.assertEqual(told, {"error": error}, "the model is told why")
        self.assertFalse(self.runs(), "nothing was queued")

    def test_a_draft_pipeline_is_refused(self):
        self.pipeline.action_reset_to_draft()
        with self.assertRaisesRegex(IpwbError, "Validate pipeline Agent refresh"):
            self.tool._run_tool(self.env(user=self.engineer), {}, "call_9", "thread-c")
        self.assertFalse(self.runs())

    def test_the_tool_needs_a_pipeline(self):
        with self.assertRaisesRegex(ValidationError, "needs a pipeline"):
            self.env["ipwb.agent.tool"].create(
                {"name": "no_pipeline", "description": "x", "kind": "pipeline"}
            )
