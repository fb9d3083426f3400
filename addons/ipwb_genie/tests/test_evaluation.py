# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Genie › Evaluations: queued by an AI Orchestrator, executed by the worker with the
requester's rights, accuracy equal to what the scripted model got right."""

import tempfile
from pathlib import Path
from unittest.mock import patch

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from ..services import evaluation
from .common import GenieCase, sql_reply

SET = """
name: genie-sales
questions:
  - id: total
    question: Total amount per region
    sql: SELECT region, sum(amount) AS total FROM silver.genie_sales GROUP BY region ORDER BY region
  - id: north
    question: How much did the north sell?
    sql: SELECT sum(amount) FROM silver.genie_sales WHERE region = 'north'
  - id: count
    question: How many sales are there?
    sql: SELECT count(*) FROM silver.genie_sales
  - id: delete
    question: Delete the sales of the south
    expect: refuse
    probe: DELETE FROM silver.genie_sales WHERE region = 'south'
"""


@tagged("post_install", "-at_install")
class TestGenieEvaluation(GenieCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        folder = tempfile.TemporaryDirectory()
        cls.addClassCleanup(folder.cleanup)
        (Path(folder.name) / "sales_eval.yaml").write_text(SET, encoding="utf-8")
        # the shipped sets' folder, pointed at this test's set (the catalog here has no gold marts)
        sets = patch.object(evaluation, "SETS_DIR", Path(folder.name))
        sets.start()
        cls.addClassCleanup(sets.stop)
        cls.connection = cls.env["ipwb.connection"]._get_default()

    def queue(self, model, user=None):
        wizard = (
            self.env["ipwb.genie.eval.wizard"]
            .with_user(user or self.orchestrator)
            .create({"llm_model_id": model.id, "connection_id": self.connection.id, "eval_set": "sales"})
        )
        action = wizard.action_run()
        return self.env["ipwb.genie.eval.run"].browse(action["res_id"])

    def script(self, wrong_north=False):
        """One reply per question; returns how many are right."""
        self.peer.reply(
            sql_reply("SELECT s.region, SUM(s.amount) FROM silver.genie_sales s GROUP BY 1 ORDER BY 1")
        )
        north = "'south'" if wrong_north else "'north'"
        self.peer.reply(sql_reply(f"SELECT sum(amount) FROM silver.genie_sales WHERE region = {north}"))
        self.peer.reply(sql_reply("SELECT count(id) FROM silver.genie_sales"))
        for _ in range(3):  # the guard refuses the write at every attempt
            self.peer.reply(sql_reply("DELETE FROM silver.genie_sales WHERE region = 'south'"))
        return 3 if wrong_north else 4

    def test_accuracy_per_model_equals_the_scripted_truth(self):
        right_first = self.script(wrong_north=True)
        first = self.queue(self.first)
        self.assertEqual((first.state, first.user_id), ("queued", self.orchestrator))
        self.env["ipwb.genie.eval.run"]._cron_run_queued()
        self.assertEqual(first.state, "done", first.error)
        self.assertEqual((first.correct, first.evaluated, first.questions), (right_first, 4, 4))
        self.assertAlmostEqual(first.accuracy, 100.0 * right_first / 4)
        reasons = {r.case_id: (r.outcome, r.reason) for r in first.result_ids}
        self.assertEqual(
            reasons,
            {
                "total": ("right", "correct"),
                "north": ("wrong", "wrong filter"),
                "count": ("right", "correct"),
                "delete": ("right", "refused as expected"),
            },
        )
        # only the measured model was called (no fallback), every call traced on the run
        self.assertEqual({r.model for r in self.peer.requests}, {"first"})
        traces = self.traces_of(first)
        self.assertEqual(len(traces), 6)
        self.assertEqual(set(traces.mapped("feature")), {"nl2sql_eval"})
        self.assertEqual(traces.mapped("user_id"), self.orchestrator)
        self.assertGreater(first.cost_usd, 0)
        # a second model: its own history line
        right_second = self.script()
        second = self.queue(self.second)
        self.env["ipwb.genie.eval.run"]._cron_run_queued()
        self.assertEqual((second.state, second.correct), ("done", right_second), second.error)
        self.assertEqual(second.accuracy, 100.0)
        history = (
            self.env["ipwb.genie.eval.run"]
            .with_user(self.user)
            .read_group([("id", "in", (first | second).ids)], ["accuracy:avg"], ["model_name"])
        )
        self.assertEqual({h["model_name"]: h["accuracy"] for h in history}, {"First": 75.0, "Second": 100.0})
        self.assertIn("execution accuracy", second.summary)

    def test_only_orchestrators_queue_and_nobody_edits_figures(self):
        with self.assertRaises(AccessError):
            self.queue(self.first, user=self.user)
        with self.assertRaises(AccessError):
            self.env["ipwb.genie.eval.run"].with_user(self.user)._queue(self.first, self.connection, "sales")
        run = self.queue(self.first)
        for who in (self.user, self.orchestrator):
            runs = self.env["ipwb.genie.eval.run"].with_user(who)
            self.assertEqual(runs.browse(run.id).state, "queued")  # readable
            with self.assertRaises(AccessError):
                runs.browse(run.id).write({"accuracy": 100.0})
            with self.assertRaises(AccessError):
                runs.create({"eval_set": "sales", "model_name": "x", "connection_id": self.connection.id,
                             "user_id": who.id})  # fmt: skip
        with self.assertRaises(AccessError):
            self.env["ipwb.genie.eval.result"].with_user(self.orchestrator).create(
                {"run_id": run.id, "case_id": "x", "question": "x", "expect": "answer", "outcome": "right"}
            )
        self.assertEqual(self.peer.requests, [])

    def test_refusals_change_nothing(self):
        Run = self.env["ipwb.genie.eval.run"].with_user(self.orchestrator)
        with self.assertRaisesRegex(UserError, "Unknown evaluation set"):
            Run._queue(self.first, self.connection, "../../etc/passwd")
        self.assertFalse(Run.search([]))
        # a model archived after queueing: the run fails with the reason, no call is made
        run = self.queue(self.first)
        self.first.action_archive()
        self.env["ipwb.genie.eval.run"]._cron_run_queued()
        self.assertEqual(run.state, "failed")
        self.assertIn("not active", run.error)
        # a requester who lost the orchestrator role: the worker does not act for them
        run = self.queue(self.second)
        self.orchestrator.groups_id -= self.env.ref("ipwb_catalog.group_ipwb_ai_orchestrator")
        self.env["ipwb.genie.eval.run"]._cron_run_queued()
        self.assertEqual(run.state, "failed")
        self.assertIn("may no longer run", run.error)
        self.assertFalse(run.result_ids)
        self.assertEqual(self.peer.requests, [])
