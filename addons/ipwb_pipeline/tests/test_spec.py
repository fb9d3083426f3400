# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import os
import tempfile

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PipelineCase

REPO_SPECS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "specs", "pipelines")

BAD_SPEC = """name: bad_spec
owner: me@example.com
steps:
  - id: a
    kind: sql
    depends_on: [c]
    config: {sql: select 1}
  - id: b
    kind: sql
    depends_on: [a]
    config: {sql: select 1}
  - id: c
    kind: sqll
    depends_on: [b]
"""


@tagged("post_install", "-at_install")
class TestSpecRoundTrip(PipelineCase):
    def test_import_then_export_is_lossless(self):
        path = os.path.join(REPO_SPECS, "example_daily_sales.yaml")
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        pipeline = self.Pipeline.import_spec_text(text, source=path)
        self.assertEqual(pipeline.code, "example_daily_sales")
        self.assertEqual(len(pipeline.step_ids), 5)
        self.assertEqual(pipeline.spec_yaml, text)
        # sync again (update in place) keeps the same records and the same text
        step_ids = pipeline.step_ids.ids
        again = self.Pipeline.import_spec_text(text, source=path)
        self.assertEqual(again, pipeline)
        self.assertEqual(sorted(again.step_ids.ids), sorted(step_ids))
        self.assertEqual(again.spec_yaml, text)

    def test_names_are_shown_as_written(self):
        base = "owner: me@example.com\nsteps:\n  - id: a\n    kind: sql\n    config: {sql: select 1}\n"
        untitled = self.Pipeline.import_spec_text("name: daily_pos_load\n" + base)
        self.assertEqual(untitled.name, "daily_pos_load", "a code is never title-cased into a name")
        self.assertNotIn("title:", untitled.spec_yaml)
        titled = self.Pipeline.import_spec_text("name: pos_vat\ntitle: POS → VAT (BIR 2550Q)\n" + base)
        self.assertEqual(titled.name, "POS → VAT (BIR 2550Q)")
        titled.name = "POS VAT, monthly"
        self.assertIn("title: POS VAT, monthly", titled.spec_yaml)
        # a name given in Odoo survives a re-import of a spec without a title
        untitled.name = "Daily POS load (team A)"
        self.Pipeline.import_spec_text("name: daily_pos_load\n" + base)
        self.assertEqual(untitled.name, "Daily POS load (team A)")
        with open(os.path.join(REPO_SPECS, "finance_bir.yaml"), encoding="utf-8") as handle:
            self.assertEqual(self.Pipeline.import_spec_text(handle.read()).name, "Finance BIR")

    def test_concurrency_policy_round_trips_through_the_spec(self):
        base = "owner: me@example.com\nsteps:\n  - id: a\n    kind: sql\n    config: {sql: select 1}\n"
        pipeline = self.Pipeline.import_spec_text("name: one_at_a_time\n" + base)
        self.assertEqual(pipeline.concurrency, "queue", "a spec naming no policy queues")
        self.assertNotIn("concurrency:", pipeline.spec_yaml, "the default is not written out")
        pipeline.concurrency = "parallel"  # e.g. a pipeline older than the policy
        self.assertIn("concurrency: parallel", pipeline.spec_yaml)
        refusing = self.Pipeline.import_spec_text("name: one_at_a_time\nconcurrency: refuse\n" + base)
        self.assertEqual(refusing, pipeline)
        self.assertEqual(pipeline.concurrency, "refuse")
        self.assertIn("concurrency: refuse", pipeline.spec_yaml)
        # the spec is the source of truth: re-importing it without the key restores the default
        self.Pipeline.import_spec_text("name: one_at_a_time\n" + base)
        self.assertEqual(pipeline.concurrency, "queue")
        with self.assertRaises(ValidationError) as caught:
            self.Pipeline.import_spec_text("name: one_at_a_time\nconcurrency: sometimes\n" + base)
        self.assertIn("concurrency", str(caught.exception))
        self.assertEqual(pipeline.concurrency, "queue", "a refused spec changes nothing")

    def test_canvas_built_pipeline_exports_a_valid_spec(self):
        pipeline = self.make_pipeline(
            [
                ("extract", "sql", {"sql": "SELECT 1"}, []),
                ("load", "sql", {"sql": "SELECT 2"}, ["extract"], {"retries": 2}),
            ]
        )
        text = pipeline.spec_yaml
        self.assertIn(
            "depends_on: [extract]", text.replace("\n      - ", " ").replace("depends_on:\n", "depends_on: [")
        )  # either YAML style
        copy = text.replace(f"name: {pipeline.code}", "name: copy_of_it")
        imported = self.Pipeline.import_spec_text(copy)
        self.assertEqual(imported.spec_yaml, copy)
        self.assertEqual(imported.step_ids.filtered(lambda s: s.name == "load").retries, 2)

    def test_invalid_spec_lists_every_problem_with_lines(self):
        with self.assertRaises(ValidationError) as caught:
            self.Pipeline.import_spec_text(BAD_SPEC, source="bad_spec.yaml")
        message = str(caught.exception)
        self.assertIn("bad_spec.yaml:13:", message)
        self.assertIn("sqll", message)
        self.assertFalse(self.Pipeline.search([("code", "=", "bad_spec")]), "an invalid spec changes nothing")

    def test_write_and_sync_with_the_specs_directory(self):
        pipeline = self.make_pipeline([("a", "sql", {"sql": "SELECT 1"}, [])])
        with tempfile.TemporaryDirectory() as folder:
            os.mkdir(os.path.join(folder, "pipelines"))
            self.env["ir.config_parameter"].set_param("ipwb_pipeline.specs_dir", folder)
            pipeline.action_write_spec()
            path = os.path.join(folder, "pipelines", f"{pipeline.code}.yaml")
            with open(path, encoding="utf-8") as handle:
                self.assertEqual(handle.read(), pipeline.spec_yaml)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write("  - id: b\n    kind: sql\n    depends_on: [a]\n    config: {sql: select 2}\n")
            pipeline.action_sync_from_specs_dir()
            self.assertEqual(pipeline.step_ids.mapped("name"), ["a", "b"])
            self.assertEqual(pipeline.step_ids[1].depends_on_ids, pipeline.step_ids[0])

    def test_canvas_positions_round_trip_through_the_spec(self):
        text = (
            "name: placed_steps\nowner: me@example.com\nsteps:\n"
            "  - id: a\n    kind: sql\n    config:\n      sql: select 1\n"
            "    position:\n      x: 40\n      y: 120\n"
            "  - id: b\n    kind: sql\n    depends_on: [a]\n    config:\n      sql: select 2\n"
        )
        pipeline = self.Pipeline.import_spec_text(text, source="placed_steps.yaml")
        a, b = pipeline.step_ids.sorted("sequence")
        self.assertEqual((a.position_x, a.position_y, b.position_x, b.position_y), (40, 120, 0, 0))
        self.assertEqual(pipeline.spec_yaml, text)  # an unplaced step stays without position
        pipeline.action_validate()
        # the canvas places b and moves a: layout only, the pipeline stays validated
        b.write({"position_x": 260, "position_y": 120})
        a.write({"position_x": 40.5, "position_y": 0})
        self.assertEqual(pipeline.state, "validated")
        exported = pipeline.spec_yaml
        self.assertIn("    position:\n      x: 40.5\n      y: 0\n", exported)
        self.assertIn("    position:\n      x: 260\n      y: 120\n", exported)
        # re-importing the export restores the positions; importing the old text resets b
        again = self.Pipeline.import_spec_text(exported)
        self.assertEqual(again.spec_yaml, exported)
        self.Pipeline.import_spec_text(text)
        self.assertEqual((b.position_x, b.position_y), (0, 0))

    def test_bad_position_is_refused_with_its_line(self):
        text = (
            "name: bad_position\nowner: me@example.com\nsteps:\n"
            "  - id: a\n    kind: sql\n    config: {sql: select 1}\n    position: {x: left}\n"
        )
        with self.assertRaises(ValidationError) as caught:
            self.Pipeline.import_spec_text(text, source="bad_position.yaml")
        message = str(caught.exception)
        self.assertIn("bad_position.yaml:7:", message)
        self.assertIn("'left' is not of type 'number'", message)
        self.assertIn("missing required key 'y'", message)
        self.assertFalse(self.Pipeline.search([("code", "=", "bad_position")]))
