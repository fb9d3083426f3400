# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Step 5 inside Odoo: promotion and spec validation need the checks to *pass* (real runs
on real warehouse tables with planted defects), 100% for gold, 80% for silver."""

import uuid

from odoo.addons.ipwb_catalog.tests.common import WarehouseSchema

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


@tagged("post_install", "-at_install")
class TestGateOutcomes(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(cls.env, "grd_out_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.architect = new_test_user(cls.env, "grd_out_arch", groups="ipwb_catalog.group_ipwb_architect")
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        suffix = uuid.uuid4().hex[:8]
        cls.gold, cls.silver = f"gold_grdo_{suffix}", f"silver_grdo_{suffix}"
        cls.wh = WarehouseSchema("ipwb_grdo")  # its connection writes gold/silver as the owner
        cls.wh.execute(
            f"CREATE TABLE gold.{cls.gold} (sale_id int, sale_date date);"
            f"INSERT INTO gold.{cls.gold} VALUES (1, current_date), (2, NULL);"
            f"CREATE TABLE silver.{cls.silver} (id int, region text, email text);"
            f"INSERT INTO silver.{cls.silver} VALUES (1, 'north', 'a@x.ph'), (2, 'south', 'b@x.ph'),"
            " (3, 'north', NULL);"
        )

    @classmethod
    def tearDownClass(cls):
        cls.wh.execute(f"DROP TABLE IF EXISTS gold.{cls.gold}, silver.{cls.silver}")
        cls.wh.drop()
        super().tearDownClass()

    def setUp(self):
        super().setUp()
        self.wh.execute(f"UPDATE gold.{self.gold} SET sale_date = NULL WHERE sale_id = 2")

    def _table(self, name, layer):
        return (
            self.env["ipwb.table"]
            .sudo()
            .create(
                {
                    "name": name,
                    "schema_name": layer,
                    "layer": layer,
                    "connection_id": self.connection.id,
                    "owner_id": self.engineer.id,
                    "slo_freshness_hours": 24,
                }
            )
        )

    def _check(self, table_ref, name, column, check_type, **values):
        return (
            self.env["ipwb.dq.check"]
            .with_user(self.engineer)
            .create(
                {
                    "name": name,
                    "table_ref": table_ref,
                    "column_name": column,
                    "check_type": check_type,
                    "connection_id": self.connection.id,
                    **values,
                }
            )
        )

    def _run(self, checks):
        checks.with_user(self.engineer).action_run()
        checks.invalidate_recordset()

    def test_gold_blocked_until_its_checks_pass(self):
        ref = f"gold.{self.gold}"
        table = self._table(self.gold, "gold")
        self.env["ipwb.lineage.edge"].sudo().create(
            {"edge_type": "table", "source_table": "silver.silver_sales", "target_table": ref}
        )
        date_set = self._check(ref, "date set", "sale_date", "not_null")
        # declared but never run: blocked
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "draft")
        self.assertEqual(table.guardian_gate_id.reasons, "test 'date set' has not run yet")
        # run for real: the planted NULL date fails it
        self._run(date_set)
        self.assertEqual(date_set.last_status, "fail")
        table.with_user(self.engineer).action_promote()
        gate = table.guardian_gate_id
        self.assertEqual((table.promotion_state, gate.status), ("draft", "blocked"))
        self.assertEqual(gate.reasons, "test 'date set' fails")
        self.assertEqual((gate.tests_passing, gate.tests_gated), (0, 1))
        # a failing non-blocking check never gates
        self._run(self._check(ref, "one sale a day", "sale_date", "unique", blocking=False, severity="info"))
        # the data is repaired, the check re-run: promoted
        self.wh.execute(f"UPDATE gold.{self.gold} SET sale_date = current_date")
        self._run(date_set)
        self.assertEqual(date_set.last_status, "pass")
        self.assertIs(table.with_user(self.engineer).action_promote(), True)
        self.assertEqual((table.promotion_state, table.guardian_gate_id.status), ("production", "passed"))
        self.assertEqual((table.guardian_gate_id.tests_passing, table.guardian_gate_id.tests_gated), (1, 1))

    def test_silver_needs_80_percent_of_its_checks_passing(self):
        ref = f"silver.{self.silver}"
        table = self._table(self.silver, "silver")
        checks = (
            self._check(ref, "id set", "id", "not_null")
            | self._check(ref, "id unique", "id", "unique")
            | self._check(ref, "region known", "region", "accepted_values", accepted_values="north,south")
            | self._check(ref, "email set", "email", "not_null")  # fails: row 3
        )
        self._run(checks)
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "draft")
        self.assertEqual(table.guardian_gate_id.reasons, "3 of 4 tests pass (75%); a silver table needs 80%")
        self._run(self._check(ref, "region set", "region", "not_null"))
        table.with_user(self.engineer).action_promote()
        self.assertEqual(table.promotion_state, "production")
        self.assertEqual((table.guardian_gate_id.tests_passing, table.guardian_gate_id.tests_gated), (4, 5))

    def test_spec_validation_needs_passing_checks(self):
        spec = (
            f"name: {self.gold}\nlayer: gold\nowner: ana\ndescription: Sales.\nslo:\n  freshness_hours: 24\n"
            "columns:\n  - name: sale_date\n    type: date\n    description: Day.\n    tests: [not_null]\n"
        )
        wizard = (
            self.env["ipwb.guardian.validate.wizard"]
            .with_user(self.engineer)
            .create({"kind": "table", "spec_text": spec, "spec_filename": "gold.yaml"})
        )
        wizard.action_validate()
        self.assertEqual(wizard.state, "failed")
        self.assertIn(
            f"gold.yaml:11:13: error G503 [5 test] gold table gold.{self.gold}: test 'sale_date not_null' "
            "has not run yet (100% must pass)",
            wizard.report.splitlines(),
        )
        # the spec's test is the Odoo check on the same column and type: its result counts
        check = self._check(f"gold.{self.gold}", "date set", "sale_date", "not_null")
        self._run(check)
        wizard.action_validate()
        self.assertEqual(wizard.state, "failed")
        self.assertIn("test 'date set' fails (100% must pass)", wizard.report)
        self.wh.execute(f"UPDATE gold.{self.gold} SET sale_date = current_date")
        self._run(check)
        wizard.action_validate()
        self.assertEqual(wizard.state, "passed", wizard.report)
