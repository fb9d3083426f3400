# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""SQL steps write within bounds: only their declared targets, in the layers pipelines write.

Refused at Validate (with the step, the statement and its line/column) and again at
execution, on the run's own config snapshot, before anything reaches the warehouse.
"""

import json
import os
import tempfile
import uuid

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestSqlStepScope(PipelineCase):
    def _refused_at_validate(self, config):
        pipeline = self.make_pipeline([("load", "sql", config, [])])
        with self.assertRaises(ValidationError) as caught:
            pipeline.action_validate()
        self.assertEqual(pipeline.state, "draft")
        return str(caught.exception)

    def test_privileged_or_undeclared_writes_are_refused_at_validate(self):
        table = self.table
        cases = [
            ("DROP SCHEMA gold CASCADE", "line 1, column 1 (DROP SCHEMA gold CASCADE)", "object_not_allowed"),
            ("ALTER ROLE ipwb_wh_owner SUPERUSER", "line 1, column 1 (ALTER ROLE", "privilege_change"),
            (f"GRANT SELECT ON {table} TO PUBLIC", "line 1, column 1 (GRANT SELECT", "privilege_change"),
            (
                "CREATE FUNCTION gold.f() RETURNS int AS $$ select 1 $$ LANGUAGE sql",
                "line 1, column 1 (CREATE FUNCTION",
                "object_not_allowed",
            ),
            (
                f"INSERT INTO {table} VALUES (1);\n  INSERT INTO silver.not_declared VALUES (1)",
                "line 2, column 15 (INSERT INTO silver.not_declared VALUES (1))",
                "undeclared_target",
            ),
            (
                "CREATE TABLE public.leak AS SELECT 1",
                "line 1, column 14 (CREATE TABLE public.leak",
                "not_writable_schema",
            ),
            (
                "DELETE FROM finance.ledger",
                "line 1, column 13 (DELETE FROM finance.ledger)",
                "not_writable_schema",
            ),
            (f"INSERT INTO {table.split('.')[1]} VALUES (1)", "line 1, column 13", "unqualified_target"),
        ]
        for sql, where, code in cases:
            with self.subTest(sql=sql):
                message = self._refused_at_validate({"sql": sql, "targets": [table]})
                self.assertIn(f"step load: SQL {where}", message)
                self.assertIn(f"[{code}]", message)

    def test_declared_targets_in_writable_layers_validate(self):
        stage = f"gold_stage.ipwb_pl_{uuid.uuid4().hex[:8]}"
        sql = (
            f"CREATE TEMP TABLE staged AS SELECT 1 AS id;\n"
            f"INSERT INTO {self.table} SELECT id FROM staged;\n"
            f"CREATE TABLE IF NOT EXISTS {stage} AS SELECT * FROM {self.table}"
        )
        pipeline = self.make_pipeline([("load", "sql", {"sql": sql, "targets": [self.table, stage]}, [])])
        pipeline.action_validate()
        self.assertEqual(pipeline.state, "validated")

    def test_targets_outside_the_layers_are_refused(self):
        message = self._refused_at_validate({"sql": "SELECT 1", "targets": ["public.users"]})
        self.assertIn("step load", message)
        self.assertIn("public.users is not in a schema a pipeline may write", message)

    def test_file_steps_are_checked_on_the_file_content(self):
        with tempfile.TemporaryDirectory() as specs:
            os.makedirs(os.path.join(specs, "sql"))
            with open(os.path.join(specs, "sql", "load.sql"), "w", encoding="utf-8") as handle:
                handle.write(
                    f"-- load\nINSERT INTO {self.table} VALUES (1);\nGRANT ALL ON {self.table} TO PUBLIC;\n"
                )
            self.env["ir.config_parameter"].set_param("ipwb_pipeline.specs_dir", specs)
            message = self._refused_at_validate({"file": "sql/load.sql", "targets": [self.table]})
            self.assertIn("step load: SQL line 3, column 1 (GRANT ALL ON", message)
            message = self._refused_at_validate({"file": "../outside.sql", "targets": [self.table]})
            self.assertIn("leaves the specs directory", message)

    def test_a_config_smuggled_into_the_run_snapshot_is_refused_at_execution(self):
        self.wh(f"CREATE TABLE {self.table} (id int)")
        leak = f"public.ipwb_leak_{uuid.uuid4().hex[:8]}"
        self.addCleanup(self.wh, f"DROP TABLE IF EXISTS {leak}")
        smuggled = [
            (
                {
                    "sql": f"INSERT INTO {self.table} VALUES (1);\nGRANT ALL ON {self.table} TO PUBLIC",
                    "targets": [self.table],
                },
                "GRANT ALL ON",
            ),
            (
                {
                    "sql": f"INSERT INTO {self.table} VALUES (1);\nCREATE TABLE {leak} AS SELECT 1",
                    "targets": [leak],
                },
                "CREATE TABLE",
            ),
            ({"sql": "DROP SCHEMA gold CASCADE", "targets": [self.table]}, "DROP SCHEMA gold CASCADE"),
        ]
        for config, statement in smuggled:
            with self.subTest(statement=statement):
                pipeline = self.make_pipeline(
                    [("load", "sql", {"sql": f"SELECT count(*) FROM {self.table}"}, [])]
                )
                pipeline.action_validate()
                pipeline.action_run_now()
                run = self.Run.search([("pipeline_id", "=", pipeline.id)], order="id desc", limit=1)
                step_run = run.step_run_ids
                step_run.config = json.dumps(config)
                self.Run._cron_process_runs()
                run.invalidate_recordset()
                self.assertEqual(run.state, "failed")
                self.assertIn("SQL step load is refused; nothing ran", step_run.error)
                self.assertIn(statement, step_run.error)
                rows = self.wh(
                    f"SELECT (SELECT count(*) FROM {self.table}), to_regclass('{leak}') IS NULL,"
                    f" has_table_privilege('public', '{self.table}', 'INSERT'),"
                    " to_regnamespace('gold') IS NOT NULL",
                    fetch=True,
                )
                self.assertEqual(rows, [(0, True, False, True)])
