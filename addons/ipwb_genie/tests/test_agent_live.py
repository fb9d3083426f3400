# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Live steps: the worker notifies the run's bus channel after each step and state change;
only users who may read the run are subscribed to it."""

import json

from odoo.exceptions import AccessError
from odoo.tests import tagged

from ..models.ipwb_agent_run import PROGRESS
from .common import GenieCase


@tagged("post_install", "-at_install")
class TestAgentLive(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls.count_agent("Live", "live_count")

    def notifications(self, run):
        self.env.cr.precommit.run()  # bus rows are written when the transaction commits
        channel = json.dumps([self.env.cr.dbname, "ipwb.agent.run", run.id], separators=(",", ":"))
        rows = self.env["bus.bus"].sudo().search([("channel", "=", channel)], order="id")
        return [json.loads(row.message) for row in rows]

    def test_each_step_and_state_is_notified_on_the_runs_channel(self):
        self.peer.tool_call("live_count", {"region": "north"})
        self.peer.reply("Two rows.")
        run = self.agent.with_user(self.user).run_agent("North rows?")
        queued = self.notifications(run)
        self.assertEqual([(m["type"], m["payload"]["state"]) for m in queued], [(PROGRESS, "queued")])
        self.work()
        self.assertEqual(run.state, "done", run.error)
        payloads = [m["payload"] for m in self.notifications(run)][1:]
        self.assertEqual(payloads[0]["state"], "running", "claimed by the worker")
        steps = [(p["step_index"], p["step_kind"]) for p in payloads if p["step_kind"]]
        self.assertEqual(steps, [(s.index, s.kind) for s in run.step_ids.sorted("index")])
        self.assertEqual(
            payloads[-1], {"run_id": run.id, "state": "done", "step_index": None, "step_kind": None}
        )

    def test_only_readers_of_the_run_are_subscribed(self):
        run = self.agent.with_user(self.user).run_agent("North rows?")
        asked = [f"ipwb_agent_run:{run.id}", "ipwb_agent_run:999999999", "ipwb_agent_run:x; drop", 7]
        Websocket = self.env["ir.websocket"]
        self.assertEqual(Websocket.with_user(self.user)._ipwb_agent_run_channels(asked), [run])
        self.assertEqual(Websocket.with_user(self.orchestrator)._ipwb_agent_run_channels(asked), [run])
        self.assertEqual(Websocket.with_user(self.other)._ipwb_agent_run_channels(asked), [], "not theirs")
        public = self.env.ref("base.public_user")
        self.assertEqual(Websocket.with_user(public)._ipwb_agent_run_channels(asked), [])


@tagged("post_install", "-at_install")
class TestPlaygroundApproval(GenieCase):
    """Who tests a tool binding in the playground decides on its calls if they may edit the
    agent; every other run keeps the four-eyes rule."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls.count_agent("Play", "play_count", needs_approval=True)

    def waiting_run(self, user, playground):
        self.peer.tool_call("play_count", {"region": "north"})
        run = self.run_agent(self.agent.with_user(user), "North rows?", playground=playground)
        self.assertEqual(run.state, "waiting_approval", run.error)
        return run.with_user(user)

    def test_the_author_approves_their_own_test_run(self):
        run = self.waiting_run(self.orchestrator, playground=True)
        self.assertTrue(run.can_decide)
        self.peer.reply("Two rows.")
        run.action_approve()
        self.work()
        self.assertEqual((run.state, run.answer, run.approver_id), ("done", "Two rows.", self.orchestrator))

    def test_own_runs_outside_the_playground_are_refused(self):
        run = self.waiting_run(self.orchestrator, playground=False)
        self.assertFalse(run.can_decide)
        with self.assertRaisesRegex(AccessError, "your own agent run"):
            run.action_approve()
        self.assertEqual(run.state, "waiting_approval")

    def test_approvers_who_may_not_edit_the_agent_are_refused_on_their_own_test_run(self):
        self.agent.approver_group_id = self.env.ref("ipwb_catalog.group_ipwb_architect")
        run = self.waiting_run(self.architect, playground=True)
        self.assertFalse(run.can_decide)
        with self.assertRaisesRegex(AccessError, "your own agent run"):
            run.action_approve()
        self.assertFalse(run.decision, "nothing was decided")
