# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo.tests import HttpCase, new_test_user, tagged

from ipwb.bench.sql_odoo import run_odoo_bench
from ipwb.integrations.odoo_rpc import OdooJsonRpc

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestSqlBench(HttpCase):
    """``ipwb sql bench --odoo-url``'s Odoo path against this test server: it must return
    the whole page through JSON-RPC; the figures are printed, never asserted."""

    def test_bench_through_odoo_json_rpc(self):
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        connection.max_rows = 10_000
        self.env.flush_all()
        new_test_user(self.env, "ipwb_bench_user", groups="ipwb_catalog.group_ipwb_user")
        session = OdooJsonRpc(self.base_url())
        session.authenticate(self.env.cr.dbname, "ipwb_bench_user", "ipwb_bench_user")
        report = run_odoo_bench(connection._warehouse_config(), session, rows=10_000, repeat=3)
        _logger.info("ipwb sql bench (Odoo path): %s", report.describe())
        self.assertEqual((report.rows, report.requested_rows), (10_000, 10_000))
        self.assertGreater(report.odoo_ms, 0)

        connection.max_rows = 1000
        self.env.flush_all()  # the server's request reads the database, not this cache
        capped = run_odoo_bench(connection._warehouse_config(), session, rows=10_000, repeat=1)
        self.assertEqual(capped.rows, 1000)
        self.assertIn("capped at 1000 of 10000 rows", capped.describe())
