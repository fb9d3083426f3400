# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_catalog.tests.screenshots import screenshot_at_end

from odoo.tests import HttpCase, tagged

from .common import ensure_fixture_tables


@tagged("post_install", "-at_install")
class TestSqlEditorTour(HttpCase):
    browser_size = "1440x900"

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

    def test_schema_browser_grid_and_kept_tabs_tour(self):
        ensure_fixture_tables(self.env)
        # the browser reads the metadata catalog: scan the warehouse into it first
        self.env.ref("ipwb_catalog.connection_embedded_warehouse")._scan_catalog(["gold"])
        with screenshot_at_end("sql_editor"):
            self.start_tour("/odoo", "ipwb_sql_browser_tour", login="admin", timeout=180)
        admin = self.env.ref("base.user_admin")
        runs = self.env["ipwb.query.history"].search([("user_id", "=", admin.id)], order="id")
        self.assertEqual(
            [(r.status, r.row_count) for r in runs.filtered(lambda r: "ipwb_test_accounts" in r.statement)][
                -1:
            ],
            [("success", 2)],
        )
