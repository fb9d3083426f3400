# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging
import time

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

TABLES = 100_000
SCHEMAS = 50


@tagged("post_install", "-at_install")
class TestSqlBrowserBench(TransactionCase):
    """The schema browser over a catalog of 100k tables: each request answers one page.
    The figures are logged (``schema browser bench``), never asserted; the answers are."""

    def test_browser_on_100k_tables(self):
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO ipwb_table (name, schema_name, full_name, connection_id, kind, active,
                                        restricted, create_uid, write_uid, create_date, write_date)
                SELECT t, s, s || '.' || t, %(connection)s, 'table', true, false, 1, 1, now(), now()
                FROM (
                    SELECT 'bench_t' || lpad(g::text, 6, '0') AS t,
                           'bench_s' || lpad(mod(g, %(schemas)s)::text, 2, '0') AS s
                    FROM generate_series(1, %(tables)s) AS g
                ) AS names
                """,
                schemas=SCHEMAS,
                connection=connection.id,
                tables=TABLES,
            )
        )
        self.env.cr.execute("ANALYZE ipwb_table")
        self.env.invalidate_all()
        user = new_test_user(self.env, "ipwb_brw_bench", groups="ipwb_catalog.group_ipwb_user")
        browser = self.env["ipwb.sql.browser"].with_user(user)
        figures = {}

        def timed(label, call):
            started = time.perf_counter()
            result = call()
            figures[label] = round((time.perf_counter() - started) * 1000, 1)
            return result

        schemas = timed("schemas", lambda: browser.browse_schemas(connection.id, 0, 500))
        bench = [s for s in schemas["schemas"] if s["name"].startswith("bench_s")]
        self.assertEqual(len(bench), SCHEMAS)
        self.assertEqual(sum(s["table_count"] for s in bench), TABLES)
        first = timed("tables page 1", lambda: browser.browse_tables(connection.id, "bench_s07", 0, 100))
        self.assertEqual((len(first["tables"]), first["more"]), (100, True))
        deep = timed("tables page 20", lambda: browser.browse_tables(connection.id, "bench_s07", 1900, 100))
        self.assertEqual(len(deep["tables"]), 100)
        found = timed("search", lambda: browser.browse_search(connection.id, "bench_t09999", 50))
        self.assertEqual([t["name"] for t in found["tables"]], [f"bench_t09999{i}" for i in range(10)])
        _logger.info(
            "schema browser bench (%s tables, ms per request): %s",
            f"{TABLES:,}",
            ", ".join(f"{k} {v}" for k, v in figures.items()),
        )
