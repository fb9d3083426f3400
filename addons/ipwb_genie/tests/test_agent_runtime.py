# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The agents' durable runtime in Odoo: checkpoints in their own schema of the Odoo
database, a resume through a new pool and graph, stuck runs, retention, runs of the old
engine loop after the upgrade, and model failures."""

import importlib.util
import json
from datetime import timedelta
from pathlib import Path

from langgraph.graph import END, START, StateGraph

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ipwb.llm.agents.checkpoint import SCHEMA, CheckpointStore
from ipwb.llm.agents.graph import AgentState
from ipwb.llm.records import TraceStep

from ..services import agent_runtime
from .common import GenieCase

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "18.0.1.1.0" / "post-migrate.py"


def checkpoint_rows(env, thread_id):
    """Checkpoints of a thread, read through the store's pool: they are committed outside
    the test transaction, whose snapshot does not see them."""
    with agent_runtime.store(env).pool().connection() as conn:
        row = conn.execute(
            "SELECT count(*) AS n FROM checkpoints WHERE thread_id = %s", (thread_id,)
        ).fetchone()
    return row["n"]


def echo_graph(runtime):
    """An administrator's own graph (registered by entry point in the test below)."""

    def echo(state):
        text = str(state["messages"][-1].content)
        step = TraceStep(state["run_id"], 0, "final", state["user"], runtime.spec.name, output=text.upper())
        return {"status": "done", "answer": text.upper(), "steps": [step.as_dict()]}

    graph = StateGraph(AgentState)
    graph.add_node("echo", echo)
    graph.add_edge(START, "echo")
    graph.add_edge("echo", END)
    return graph


@tagged("post_install", "-at_install")
class TestAgentRuntime(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.agent = cls.count_agent(
            "Counter",
            "region_count",
            needs_approval=True,
            approver_group_id=cls.env.ref("ipwb_catalog.group_ipwb_architect").id,
        )
        cls.tool = cls.agent.tool_ids

    def test_checkpoints_in_their_own_schema_and_resume_through_a_new_pool(self):
        self.env.cr.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name LIKE 'checkpoint%%'"
        )
        self.assertEqual(
            set(self.env.cr.fetchall()),
            {
                (SCHEMA, t)
                for t in ("checkpoints", "checkpoint_blobs", "checkpoint_writes", "checkpoint_migrations")
            },
        )
        self.peer.tool_call("region_count", {"region": "north"})
        run = self.run_agent(self.agent.with_user(self.user), "How many north rows?")
        self.assertEqual(run.state, "waiting_approval")
        self.assertGreater(checkpoint_rows(self.env, run.thread_id), 0)
        # another worker: its own pool and graph (the process-wide store is replaced)
        dbname = self.env.cr.dbname
        old = agent_runtime._stores[dbname]
        agent_runtime._stores[dbname] = CheckpointStore(agent_runtime.conninfo(dbname))
        self.addCleanup(agent_runtime._stores.__setitem__, dbname, old)
        self.addCleanup(agent_runtime._stores[dbname].close)
        self.assertIsNot(agent_runtime.store(self.env).pool(), old.pool())
        self.peer.reply("North has 2 rows.")
        run.with_user(self.architect).action_approve()
        self.work()
        self.assertEqual(run.state, "done", run.error)
        self.assertEqual(run.answer, "North has 2 rows.")
        tool_steps = run.step_ids.filtered(lambda s: s.kind == "tool")
        self.assertEqual(len(tool_steps), 1, "the tool ran exactly once")
        self.assertEqual(json.loads(tool_steps.output)["rows"], [{"n": 2}])
        self.assertTrue(run.date_end)

    def test_retention_deletes_finished_threads(self):
        self.tool.needs_approval = False
        self.peer.tool_call("region_count", {"region": "south"})
        self.peer.reply("One row.")
        run = self.run_agent(self.agent.with_user(self.user), "South rows?")
        self.assertEqual(run.state, "done", run.error)
        self.assertGreater(checkpoint_rows(self.env, run.thread_id), 0)
        self.work()
        self.assertFalse(run.checkpoint_deleted, "kept during the retention period")
        run.sudo().date_end = fields.Datetime.now() - timedelta(days=8)
        self.work()
        self.assertTrue(run.checkpoint_deleted)
        self.assertEqual(checkpoint_rows(self.env, run.thread_id), 0)
        self.assertEqual(run.step_ids[-1].kind, "final", "the trace stays on the run")

    def test_stuck_run_is_finished_as_failed(self):
        run = self.agent.with_user(self.user).run_agent("Anything")
        run.sudo().write({"state": "running", "date_start": fields.Datetime.now() - timedelta(hours=2)})
        self.work()
        self.assertEqual(run.state, "failed")
        self.assertIn("no progress for 30 minutes", run.error)
        self.assertEqual(self.peer.requests, [], "nothing was sent to the model")

    def test_model_garbage_fails_the_run_and_runs_nothing(self):
        self.tool.needs_approval = False
        self.peer.malformed()
        run = self.run_agent(self.agent.with_user(self.user), "North rows?")
        self.assertEqual(run.state, "failed")
        self.assertTrue(run.error)
        self.assertEqual(run.step_ids.mapped("kind"), ["failed"])

    def test_budget_exhausted_mid_run(self):
        self.tool.needs_approval = False
        self.env["ir.config_parameter"].set_param("ipwb_genie.max_cost_per_session", "0.1")
        self.peer.tool_call("region_count", {"region": "north"}, completion_tokens=100)
        run = self.run_agent(self.agent.with_user(self.user), "North rows?")
        self.assertEqual(run.state, "refused", run.error)
        self.assertIn("budget", run.error)
        self.assertEqual(len(self.peer.requests), 1)
        self.assertEqual(run.step_ids.mapped("kind"), ["model", "tool", "refused"])

    def test_runs_of_the_old_loop_after_the_upgrade(self):
        Run = self.env["ipwb.agent.run"].sudo()
        legacy = {
            "agent_id": self.agent.id,
            "user_id": self.user.id,
            "message": "Old question",
            "state": "waiting_approval",
            "pending_tool": "region_count",
            "pending_arguments": '{"region": "north"}',
            "run_data": {"run_id": "7", "status": "waiting_approval", "queue": [{"id": "c1"}]},
        }
        waiting = Run.create(legacy)
        finished = Run.create({**legacy, "state": "done", "answer": "Old answer", "pending_tool": False})
        self.env.cr.execute(
            "UPDATE ipwb_agent_run SET thread_id = NULL WHERE id IN %s", ((waiting | finished)._ids,)
        )
        self.env.invalidate_all()
        spec = importlib.util.spec_from_file_location("ipwb_genie_migration", MIGRATION)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        module.migrate(self.env.cr, "18.0.1.0.0")
        self.env.invalidate_all()
        self.assertEqual((waiting.runtime, finished.runtime), ("legacy", "legacy"))
        self.assertEqual(waiting.state, "failed")
        self.assertIn("did not run", waiting.error)
        self.assertEqual(waiting.pending_tool, "region_count", "what was pending stays visible")
        self.assertEqual((finished.state, finished.answer), ("done", "Old answer"))
        self.assertFalse(waiting.with_user(self.architect).can_decide)
        with self.assertRaisesRegex(UserError, "not waiting"):
            waiting.with_user(self.architect).action_approve()
        form = self.env["ipwb.agent.run"].with_user(self.user).get_views([(False, "form")])
        self.assertIn("runtime", form["views"]["form"]["arch"])
        self.assertEqual(
            waiting.with_user(self.user).read(["state", "run_data"])[0]["run_data"]["run_id"], "7"
        )

    def test_own_graph_registered_by_an_administrator(self):
        entry_point = "odoo.addons.ipwb_genie.tests.test_agent_runtime:echo_graph"
        with self.assertRaises(AccessError):
            self.agent.with_user(self.orchestrator).write({"graph_entry_point": entry_point})
        with self.assertRaisesRegex(ValidationError, "cannot import"):
            self.agent.graph_entry_point = "odoo.addons.no_such_addon.graphs:build"
        with self.assertRaisesRegex(ValidationError, "package.module:function"):
            self.agent.graph_entry_point = "__import__('os').system"
        self.agent.graph_entry_point = entry_point
        run = self.run_agent(self.agent.with_user(self.user), "shout this")
        self.assertEqual((run.state, run.answer), ("done", "SHOUT THIS"), run.error)
        self.assertEqual(run.step_ids.mapped("kind"), ["final"])
        self.assertEqual(self.peer.requests, [])
        self.assertGreater(checkpoint_rows(self.env, run.thread_id), 0, "same checkpointer")
