# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import HttpCase, tagged

from .common import ensure_fixture_tables


@tagged("post_install", "-at_install")
class TestSqlEditorTour(HttpCase):
    def test_sql_editor_tour(self):
        ensure_fixture_tables(self.env)
        self.start_tour("/odoo", "ipwb_sql_editor_tour", login="admin", timeout=120)
        admin = self.env.ref("base.user_admin")
        snippet = self.env["ipwb.sql.snippet"].search([("name", "=", "Tour balances")])
        self.assertEqual(snippet.user_id, admin)
        self.assertIn("SELECT balance FROM gold.ipwb_test_accounts", snippet.statement)
        History = self.env["ipwb.query.history"]
        export = History.search([("user_id", "=", admin.id), ("source", "=", "export")])
        self.assertEqual((export.status, export.row_count), ("success", 20))
        failed = History.search([("user_id", "=", admin.id), ("status", "=", "error")], limit=1)
        self.assertEqual((failed.error_line, failed.error_col), (2, 3))
