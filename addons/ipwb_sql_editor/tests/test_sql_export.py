# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import csv
import io
import json

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged

from .common import ensure_fixture_tables

SQL = "SELECT id, owner, balance FROM gold.ipwb_test_accounts ORDER BY id"


@tagged("post_install", "-at_install")
class TestSqlExport(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_fixture_tables(cls.env)
        cls.alice = new_test_user(cls.env, "ipwb_exp_alice", groups="ipwb_catalog.group_ipwb_user")
        cls.outsider = new_test_user(cls.env, "ipwb_exp_outsider", groups="base.group_user")
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def _export(self, fmt, sql=SQL, **extra):
        data = {"sql": sql, "connection_id": self.connection.id, "csrf_token": http.Request.csrf_token(self)}
        data.update(extra)
        return self.url_open(f"/ipwb_sql_editor/export/{fmt}", data=data, timeout=60)

    def _history(self, user):
        return self.env["ipwb.query.history"].search([("user_id", "=", user.id), ("source", "=", "export")])

    def test_csv_export_streams_the_full_result(self):
        self.authenticate("ipwb_exp_alice", "ipwb_exp_alice")
        response = self._export("csv", filename="my accounts")
        self.assertEqual(response.status_code, 200, response.text)
        self.assertIn("my%20accounts.csv", response.headers["Content-Disposition"])
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
        self.assertEqual(rows[0], ["id", "owner", "balance"])
        self.assertEqual(len(rows), 1 + 121)  # more than the grid's page: the whole result
        self.assertEqual(rows[-1], ["500", "O'Brien", "7.00"])
        self.assertEqual(
            (response.headers["X-Ipwb-Rows"], response.headers["X-Ipwb-Truncated"]), ("121", "0")
        )
        entry = self._history(self.alice)
        self.assertEqual((entry.status, entry.row_count), ("success", 121))

    def test_export_cap_is_a_system_parameter(self):
        self.env["ir.config_parameter"].sudo().set_param("ipwb_sql_editor.export_max_rows", "50")
        self.authenticate("ipwb_exp_alice", "ipwb_exp_alice")
        response = self._export("csv")
        self.assertEqual(len(response.content.decode().strip().splitlines()), 51)
        self.assertEqual((response.headers["X-Ipwb-Rows"], response.headers["X-Ipwb-Truncated"]), ("50", "1"))

    def test_xlsx_export_with_bound_parameters(self):
        self.authenticate("ipwb_exp_alice", "ipwb_exp_alice")
        response = self._export(
            "xlsx",
            sql="SELECT id, balance FROM gold.ipwb_test_accounts WHERE id <= {{n}} ORDER BY id",
            params=json.dumps({"n": 3}),
        )
        self.assertEqual(response.status_code, 200, response.text)
        self.assertTrue(response.content.startswith(b"PK"))
        self.assertEqual(response.headers["X-Ipwb-Rows"], "3")

    def test_refused_export_is_recorded_and_changes_nothing(self):
        self.authenticate("ipwb_exp_alice", "ipwb_exp_alice")
        response = self._export("csv", sql="DELETE FROM gold.ipwb_test_sentinel")
        self.assertEqual(response.status_code, 422)
        self.assertEqual(response.json()["status"], "refused")
        self.assertEqual(self._history(self.alice).status, "refused")
        count = (
            self.env["ipwb.sql.service"]
            .with_user(self.alice)
            .run(self.connection.id, "SELECT count(*) FROM gold.ipwb_test_sentinel")
        )
        self.assertEqual(count["rows"], [[1]])

    def test_export_needs_a_workbench_user(self):
        self.authenticate("ipwb_exp_outsider", "ipwb_exp_outsider")
        response = self._export("csv")
        self.assertEqual(response.status_code, 403)
        self.assertFalse(self._history(self.outsider))
        self.authenticate(None, None)
        anonymous = self.url_open("/ipwb_sql_editor/export/csv", data={"sql": SQL}, allow_redirects=False)
        self.assertNotEqual(anonymous.status_code, 200)
