# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Pipeline canvas: bad RPC arguments get a UserError, never a traceback."""

from odoo.addons.ipwb_catalog.tests.rpc_fuzz import Entry, arg, assert_refused, fuzz_entry, ids, positional

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

ENGINEER = "ipwb_catalog.group_ipwb_data_engineer"

#: every pipeline method the canvas calls (canvas.js) besides the ORM's read/write/create
ENTRIES = [
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
        cls.pipeline = (
            cls.env["ipwb.pipeline"].with_user(cls.user).create({"name": "fuzz", "code": "fuzz_rpc"})
        )

    def entry(self, method):
        return next(e for e in ENTRIES if e.method == method)

    def test_fuzz_canvas_kinds(self):
        fuzz_entry(self, self.entry("canvas_kinds"), self.user, max_examples=1)

    def test_fuzz_canvas_status(self):
        fuzz_entry(self, self.entry("canvas_status"), self.user)

    def test_fuzz_action_validate(self):
        fuzz_entry(self, self.entry("action_validate"), self.user, max_examples=30)

    def test_fuzz_action_run_now(self):
        fuzz_entry(self, self.entry("action_run_now"), self.user, max_examples=30)

    # --- regressions (each raised something else than a UserError before) -------------------
    def test_junk_pipeline_ids_are_refused(self):
        status = self.entry("canvas_status")
        for bad in (10**12, {"id": 1}, "abc", 1.5, [self.pipeline.id], None):
            self.assertIn("pipeline", str(assert_refused(self, status, self.user, bad)))
        for method in ("action_validate", "action_run_now"):
            for bad in (10**12, "abc", [self.pipeline.id, 2**31 - 1]):
                assert_refused(self, self.entry(method), self.user, bad)

    def test_valid_calls_still_answer(self):
        Run = self.env["ipwb.pipeline.run"].with_user(self.user)
        self.assertEqual(Run.canvas_status(self.pipeline.id), {"run": False, "steps": {}})
        kinds = self.env["ipwb.pipeline.step"].with_user(self.user).canvas_kinds()
        self.assertIn("sql", [kind["value"] for kind in kinds])
