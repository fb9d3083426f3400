# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline canvas: bad RPC arguments get a UserError, never a traceback."""

from hypothesis import strategies as st
from odoo.addons.ipwb_catalog.tests.rpc_fuzz import (
    JUNK,
    Entry,
    arg,
    assert_refused,
    fuzz_entry,
    ids,
    positional,
)

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

ENGINEER = "ipwb_catalog.group_ipwb_data_engineer"


def _step_values(case, required=False):
    """Values the canvas writes to a step (layout, links, config) or creates it with."""
    fields = {
        "position_x": arg(40, 240.5),
        "position_y": arg(40, 140),
        "sequence": arg(10, 20),
        "config": arg("{}", '{"sql": "SELECT 1"}', "[" * 50_000),
        "depends_on_ids": arg([[4, case.first.id]], [[3, case.first.id]], [(6, 0, [case.first.id])]),
        "name": arg("s_new", "Bad Name"),
        "kind": arg("sql", "python", "dbt"),
    }
    pipeline = {"pipeline_id": arg(case.pipeline.id)} if required else {}
    values = st.fixed_dictionaries(pipeline, optional=fields)
    junk_keys = st.dictionaries(st.text(max_size=8), JUNK, max_size=2)
    return st.one_of(values, st.tuples(values, junk_keys).map(lambda both: {**both[1], **both[0]}), JUNK)


#: every pipeline method the canvas calls (canvas.js), its ORM writes included
ENTRIES = [
    Entry(
        "ipwb.pipeline.step",
        "write",
        ENGINEER,
        lambda case: positional(ids(case.second.id, [case.second.id]), _step_values(case)),
        records=True,
    ),
    Entry("ipwb.pipeline.step", "create", ENGINEER, lambda case: positional(_step_values(case, True))),
    Entry("ipwb.pipeline.step", "canvas_kinds", ENGINEER, lambda case: positional()),
    Entry("ipwb.pipeline.run", "canvas_status", ENGINEER, lambda case: positional(arg(case.pipeline.id))),
    Entry(
        "ipwb.pipeline",
        "action_validate",
        ENGINEER,
        lambda case: positional(ids(case.pipeline.id, [case.pipeline.id])),
        records=True,
    ),
    Entry(
        "ipwb.pipeline",
        "action_run_now",
        ENGINEER,
        lambda case: positional(ids(case.pipeline.id, [case.pipeline.id])),
        records=True,
    ),
]


@tagged("post_install", "-at_install")
class TestPipelineRpcFuzz(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "ipwb_fuzz_pipeline", groups=ENGINEER)
        Pipeline = cls.env["ipwb.pipeline"].with_user(cls.user)
        cls.pipeline = Pipeline.create({"name": "fuzz", "code": "fuzz_rpc"})
        Step = cls.env["ipwb.pipeline.step"].with_user(cls.user)
        cls.first, cls.second = Step.create(
            [
                {"pipeline_id": cls.pipeline.id, "name": "s_first", "config": '{"sql": "SELECT 1"}'},
                {"pipeline_id": cls.pipeline.id, "name": "s_second", "config": '{"sql": "SELECT 2"}'},
            ]
        )

    def entry(self, model, method):
        return next(e for e in ENTRIES if (e.model, e.method) == (model, method))

    def test_fuzz_step_write(self):
        fuzz_entry(self, self.entry("ipwb.pipeline.step", "write"), self.user, max_examples=60)

    def test_fuzz_step_create(self):
        fuzz_entry(self, self.entry("ipwb.pipeline.step", "create"), self.user, max_examples=60)

    def test_fuzz_canvas_kinds(self):
        fuzz_entry(self, self.entry("ipwb.pipeline.step", "canvas_kinds"), self.user, max_examples=1)

    def test_fuzz_canvas_status(self):
        fuzz_entry(self, self.entry("ipwb.pipeline.run", "canvas_status"), self.user)

    def test_fuzz_action_validate(self):
        fuzz_entry(self, self.entry("ipwb.pipeline", "action_validate"), self.user, max_examples=30)

    def test_fuzz_action_run_now(self):
        fuzz_entry(self, self.entry("ipwb.pipeline", "action_run_now"), self.user, max_examples=30)

    # --- regressions (each raised something else than a UserError before) -------------------
    def test_junk_pipeline_ids_are_refused(self):
        status = self.entry("ipwb.pipeline.run", "canvas_status")
        for bad in (10**12, {"id": 1}, "abc", 1.5, [self.pipeline.id], None):
            self.assertIn("pipeline", str(assert_refused(self, status, self.user, bad)))
        for method in ("action_validate", "action_run_now"):
            for bad in (10**12, "abc", [self.pipeline.id, 2**31 - 1]):
                assert_refused(self, self.entry("ipwb.pipeline", method), self.user, bad)

    def test_junk_step_values_are_refused(self):
        write = self.entry("ipwb.pipeline.step", "write")
        for vals in (
            {"sequence": 10**12},
            {"position_x": "left"},
            {"position_y": float("nan")},
            {"name": "s\x00"},
            {"kind": ["sql"]},
            {"depends_on_ids": [[4, 10**12]]},
            {"depends_on_ids": "1"},
            {"no_such_field": 1},
            {"config": "[" * 50_000},
        ):
            with self.subTest(vals=str(vals)[:40]):
                assert_refused(self, write, self.user, [self.second.id], vals)
        self.assertEqual(self.second.sequence, 10)

    def test_valid_calls_still_answer(self):
        Run = self.env["ipwb.pipeline.run"].with_user(self.user)
        self.assertEqual(Run.canvas_status(self.pipeline.id), {"run": False, "steps": {}})
        kinds = self.env["ipwb.pipeline.step"].with_user(self.user).canvas_kinds()
        self.assertIn("sql", [kind["value"] for kind in kinds])
        step = self.second.with_user(self.user)
        step.write({"position_x": 12.5, "position_y": 40, "depends_on_ids": [(4, self.first.id)]})
        self.assertEqual((step.position_x, step.depends_on_ids), (12.5, self.first))
