# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A dbt step for real: the project in tests/data/dbt_orders (copied into a temporary specs
directory) built by dbt-core against the test warehouse through the run worker."""

import os
import shutil
import tempfile

from odoo.tests import tagged

from .common import PipelineCase

PROJECT = os.path.join(os.path.dirname(__file__), "data", "dbt_orders")
SOURCE = "bronze.ipwb_dbt_orders"
CLEAN = "silver.ipwb_dbt_clean_orders"
DAILY = "gold.ipwb_dbt_daily_orders"


@tagged("post_install", "-at_install")
class TestDbtStep(PipelineCase):
    def setUp(self):
        super().setUp()
        self.specs = tempfile.mkdtemp(prefix="ipwb-test-specs-")
        self.addCleanup(shutil.rmtree, self.specs, True)
        shutil.copytree(PROJECT, os.path.join(self.specs, "dbt_orders"))
        self.env["ir.config_parameter"].set_param("ipwb_pipeline.specs_dir", self.specs)
        self.addCleanup(self.wh, f"DROP TABLE IF EXISTS {SOURCE}, {CLEAN}, {DAILY}")
        self.wh(f"DROP TABLE IF EXISTS {SOURCE}, {CLEAN}, {DAILY}")
        self.wh(
            f"CREATE TABLE {SOURCE} (order_id int, customer text, amount numeric, ordered_on date);"
            f"INSERT INTO {SOURCE} VALUES (1, 'a', 10, '2026-01-01'), (2, 'b', 5, '2026-01-01'),"
            "  (3, 'c', 7, '2026-01-02'), (4, 'd', NULL, '2026-01-02')"
        )

    def dbt_pipeline(self, project="dbt_orders"):
        config = {"project": project, "command": "build", "select": "+ipwb_dbt_daily_orders"}
        return self.make_pipeline(
            [
                ("build_orders", "dbt", config, []),
                (
                    "copy_mart",
                    "sql",
                    {"sql": f"CREATE TABLE {self.table} AS SELECT * FROM {DAILY}", "targets": [self.table]},
                    ["build_orders"],
                ),
            ]
        )

    def test_dbt_build_runs_for_real_and_records_lineage(self):
        pipeline = self.dbt_pipeline()
        run = self.run_now(pipeline)
        self.assertEqual(run.state, "succeeded", run.log)
        step = self.steps_of(run)["build_orders"]
        self.assertEqual(
            self.wh(f"SELECT ordered_on::text, orders, total_amount FROM {DAILY} ORDER BY 1", fetch=True),
            [("2026-01-01", 2, 15), ("2026-01-02", 1, 7)],
        )
        self.assertEqual(self.wh(f"SELECT count(*) FROM {self.table}", fetch=True), [(2,)])
        self.assertEqual(step.rows_affected, 3 + 2)  # the two models' rows; tests write nothing
        self.assertGreater(step.duration, 0)
        self.assertIn("PASS=6", step.log)
        self.assertIn(f"{SOURCE} → {CLEAN}", step.log)
        edges = self.env["ipwb.lineage.edge"].search(
            [("source", "=", "dbt"), ("source_ref", "=", f"{pipeline.code}.build_orders")]
        )
        tables = {(e.source_table, e.target_table) for e in edges if e.edge_type == "table"}
        self.assertEqual(tables, {(SOURCE, CLEAN), (CLEAN, DAILY)})
        columns = {
            (e.source_table, e.source_column, e.target_table, e.target_column, e.kind)
            for e in edges
            if e.edge_type == "column"
        }
        self.assertIn((CLEAN, "amount", DAILY, "total_amount", "aggregate"), columns)
        self.assertIn((SOURCE, "amount", CLEAN, False, "filter"), columns)
        # a second run records the same lineage: nothing duplicated
        self.run_now(pipeline)
        self.assertEqual(
            self.env["ipwb.lineage.edge"].search_count(
                [("source", "=", "dbt"), ("source_ref", "=", f"{pipeline.code}.build_orders")]
            ),
            len(edges),
        )

    def test_failing_dbt_test_fails_the_step_and_skips_downstream(self):
        self.wh(f"INSERT INTO {SOURCE} VALUES (5, NULL, 3, '2026-01-03')")
        run = self.run_now(self.dbt_pipeline())
        self.assertEqual(run.state, "failed")
        steps = self.steps_of(run)
        self.assertEqual(steps["build_orders"].state, "failed")
        self.assertIn("not_null_ipwb_dbt_clean_orders_customer (fail", steps["build_orders"].error)
        self.assertIn("Got 1 result", steps["build_orders"].log)
        self.assertEqual(steps["copy_mart"].state, "skipped")
        self.assertFalse(self.wh(f"SELECT to_regclass('{self.table}')", fetch=True)[0][0])

    def test_malformed_project_gives_a_clear_error(self):
        broken = os.path.join(self.specs, "dbt_orders", "dbt_project.yml")
        with open(broken, "w", encoding="utf-8") as handle:
            handle.write("name: [unclosed\n")
        run = self.run_now(self.dbt_pipeline())
        step = self.steps_of(run)["build_orders"]
        self.assertEqual((run.state, step.state), ("failed", "failed"))
        self.assertRegex(step.error, r"dbt build failed \(exit 2\): Runtime Error: Syntax error near line 2")
        self.assertEqual(self.steps_of(run)["copy_mart"].state, "skipped")

        missing = self.run_now(self.dbt_pipeline(project="no_such_project"))
        self.assertIn("is not a dbt project", self.steps_of(missing)["build_orders"].error)
        escaping = self.run_now(self.dbt_pipeline(project="../outside"))
        self.assertIn("leaves the specs directory", self.steps_of(escaping)["build_orders"].error)
