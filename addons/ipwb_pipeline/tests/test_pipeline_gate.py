# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Promotion of a pipeline is gated by the Guardian gate of the gold tables it writes."""

import datetime
import uuid

from odoo import fields
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged

from .common import PipelineCase


@tagged("post_install", "-at_install")
class TestPipelineGate(PipelineCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(cls.env, "ipwb_plg_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.architect = new_test_user(cls.env, "ipwb_plg_arch", groups="ipwb_catalog.group_ipwb_architect")
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def setUp(self):
        super().setUp()
        self.gold = f"gold_plg_{uuid.uuid4().hex[:8]}"
        self.gold_ref = f"gold.{self.gold}"

    def _validated(self, steps):
        pipeline = self.make_pipeline(steps)
        pipeline.action_validate()
        return pipeline

    def _gold_pipeline(self):
        sql = f"INSERT INTO {self.gold_ref} (total) SELECT sum(amount) FROM silver.silver_plg_sales"
        return self._validated([("load", "sql", {"sql": sql, "targets": [self.gold_ref]}, [])])

    def _refused(self, pipeline):
        with self.assertRaises(UserError) as caught:
            pipeline.action_promote()
        self.assertEqual(pipeline.state, "validated")
        return str(caught.exception)

    def test_gold_target_blocks_until_requirements_are_met(self):
        pipeline = self._gold_pipeline()
        message = self._refused(pipeline)
        self.assertIn(pipeline.name, message)
        self.assertIn(f"{self.gold_ref} (written by load)", message)
        for reason in ("no owner", "no SLO declared", "no tests", "no documented upstream lineage"):
            self.assertIn(reason, message)
        # the catalog table gets an owner and an SLO: only tests and lineage remain
        table = (
            self.env["ipwb.table"]
            .sudo()
            .create(
                {
                    "name": self.gold,
                    "schema_name": "gold",
                    "layer": "gold",
                    "connection_id": self.connection.id,
                }
            )
        )
        table.with_user(self.architect).write({"owner_id": self.engineer.id, "slo_freshness_hours": 24})
        message = self._refused(pipeline)
        self.assertNotIn("no owner", message)
        self.assertNotIn("no SLO declared", message)
        self.assertIn("no tests", message)
        self.env["ipwb.dq.check"].with_user(self.engineer).create(
            {
                "name": "total set",
                "table_ref": self.gold_ref,
                "column_name": "total",
                "check_type": "not_null",
            }
        )
        self.env["ipwb.lineage.edge"].sudo().create(
            {"edge_type": "table", "source_table": "silver.silver_plg_sales", "target_table": self.gold_ref}
        )
        # Guardian step 5: a gold table's checks must have passed, not only be declared
        self.assertIn("test 'total set' has not run yet", self._refused(pipeline))
        check = self.env["ipwb.dq.check"].search([("table_ref", "=", self.gold_ref)])
        self.env["ipwb.dq.result"].sudo().create({"check_id": check.id, "status": "pass"})
        pipeline.action_promote()
        self.assertEqual(pipeline.state, "production")
        gate = self.env["ipwb.guardian.gate"].search(
            [("res_model", "=", "ipwb.pipeline"), ("res_id", "=", pipeline.id)], limit=1
        )
        self.assertEqual((gate.target, gate.status), (self.gold_ref, "passed"))

    def test_architect_waiver_lets_the_pipeline_through(self):
        pipeline = self._gold_pipeline()
        self._refused(pipeline)
        waiver = (
            self.env["ipwb.guardian.waiver"]
            .with_user(self.architect)
            .create(
                {
                    "target": self.gold_ref,
                    "reason": "month-end close: tests follow",
                    "expiry": fields.Date.today() + datetime.timedelta(days=3),
                }
            )
        )
        pipeline.action_promote()
        self.assertEqual(pipeline.state, "production")
        self.assertTrue(any("month-end close" in (m.body or "") for m in pipeline.message_ids))
        # an expired waiver no longer helps
        pipeline.action_reset_to_draft()
        pipeline.action_validate()
        waiver.with_context(ipwb_allow_past_expiry=True).sudo().expiry = (
            fields.Date.today() - datetime.timedelta(days=1)
        )
        self._refused(pipeline)

    def test_silver_only_pipeline_is_not_gated(self):
        sql = f"INSERT INTO {self.table} SELECT * FROM bronze.bronze_plg_sales"
        pipeline = self._validated([("load", "sql", {"sql": sql, "targets": [self.table]}, [])])
        pipeline.action_promote()
        self.assertEqual(pipeline.state, "production")
        self.assertFalse(
            self.env["ipwb.guardian.gate"].search(
                [("res_model", "=", "ipwb.pipeline"), ("res_id", "=", pipeline.id)]
            )
        )

    def test_declared_target_and_every_table_are_listed(self):
        other = f"gold.{self.gold}_b"
        pipeline = self._validated(
            [
                (
                    "load",
                    "sql",
                    {
                        "sql": f"CREATE TABLE {self.gold_ref} AS SELECT * FROM silver.s",
                        "targets": [self.gold_ref],
                    },
                    [],
                ),
                ("publish", "sql", {"sql": "SELECT 1", "target": other}, ["load"]),
            ]
        )
        message = self._refused(pipeline)
        self.assertIn(f"{self.gold_ref} (written by load)", message)
        self.assertIn(f"{other} (written by publish)", message)

    def test_server_action_declared_targets_are_gated(self):
        pipeline = self._validated(
            [("publish", "server_action", {"action": "ipwb_pipeline.noop", "targets": [self.gold_ref]}, [])]
        )
        message = self._refused(pipeline)
        self.assertIn(f"{self.gold_ref} (written by publish)", message)
        self.assertIn("no owner", message)
