# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Spec validation inside Odoo: the 8-step cycle on pasted or uploaded specs."""

import base64

from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

BAD_TABLE = """name: revenue
layer: gold
owner: ana
description: Revenue.
columns:
  - name: total_amount
    type: real
    description: Total.
"""

GOOD_TABLE = """name: gold_revenue
layer: gold
owner: ana
description: Revenue.
slo:
  freshness_hours: 24
columns:
  - name: total_amount
    type: numeric(14, 2)
    description: Total.
    tests: [not_null]
"""


@tagged("post_install", "-at_install")
class TestValidateWizard(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user = new_test_user(cls.env, "grd_val_user", groups="ipwb_catalog.group_ipwb_user")

    def _wizard(self, **values):
        return self.env["ipwb.guardian.validate.wizard"].with_user(self.user).create(values)

    def test_bad_spec_report_is_line_numbered(self):
        wizard = self._wizard(kind="table", spec_text=BAD_TABLE)
        wizard.action_validate()
        self.assertEqual(wizard.state, "failed")
        lines = wizard.report.splitlines()
        self.assertIn(
            "table.yaml:1:7: error G301 [3 lint] table 'revenue' of layer gold must be named gold_… "
            "or <table_prefix>… when listed by a domain declaring table_prefix",
            lines,
        )
        self.assertTrue(any(line.startswith("table.yaml:7:11: error G201") for line in lines), lines)
        self.assertTrue(any(line.startswith("table.yaml:1:7: error G501") for line in lines), lines)

    def test_good_spec_upload_needs_its_tests_run(self):
        wizard = self._wizard(
            kind="table", spec_file=base64.b64encode(GOOD_TABLE.encode()), spec_filename="gold_revenue.yaml"
        )
        wizard.action_validate()
        # everything passes but step 5: the declared test has no stored result yet
        self.assertEqual(wizard.state, "failed", wizard.report)
        self.assertEqual(
            [line for line in wizard.report.splitlines() if " error " in line],
            [
                "gold_revenue.yaml:11:13: error G503 [5 test] gold table gold.gold_revenue: "
                "test 'total_amount not_null' has not run yet (100% must pass)"
            ],
        )

    def test_dq_checks_count_as_tests(self):
        spec = GOOD_TABLE.replace("    tests: [not_null]\n", "")
        wizard = self._wizard(kind="table", spec_text=spec)
        wizard.action_validate()
        self.assertEqual(wizard.state, "failed")
        self.env["ipwb.dq.check"].create(
            {
                "name": "t",
                "table_ref": "gold.gold_revenue",
                "column_name": "total_amount",
                "check_type": "not_null",
            }
        )
        wizard.action_validate()
        # the check counts as a test (G501 passes); it must still run and pass (G503)
        self.assertNotIn(" G501 ", wizard.report)
        self.assertIn(
            "error G503 [5 test] gold table gold.gold_revenue: test 't' has not run yet", wizard.report
        )

    def test_empty_or_binary_input_is_refused(self):
        with self.assertRaises(UserError):
            self._wizard(kind="table").action_validate()
        with self.assertRaises(UserError):
            self._wizard(kind="table", spec_file=base64.b64encode(b"\xff\xfe\x00")).action_validate()
