# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A worker keeps its users' warehouse sessions: reused per login role, never across roles,
dropped after a grant sync or a connection change, recovered after a killed backend; every
run keeps its guards and its history entry, and a repeated statement is parsed once."""

import io
import os

import psycopg2

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.sql import statement_cache
from ipwb.warehouse.pool import process_pool

from .test_sql_grants import GrantsFixture

PROBE = "SELECT pg_backend_pid() AS pid, current_user AS role, current_setting('transaction_read_only') AS ro"


@tagged("post_install", "-at_install")
class TestSqlPool(GrantsFixture, TransactionCase):
    def setUp(self):
        super().setUp()
        process_pool().clear()
        self.addCleanup(process_pool().clear)

    def _probe(self, user):
        result = self._run(user, PROBE)
        self.assertEqual(result["status"], "success", result["error"])
        pid, role, read_only = result["rows"][0]
        self.assertEqual(read_only, "on")
        self.assertTrue(self.env["ipwb.query.history"].browse(result["history_id"]).exists())
        return pid, role

    def test_a_role_reuses_its_session_and_never_another_roles(self):
        ann = self._probe(self.ann)
        self.assertEqual(self._probe(self.ann), ann)
        ben = self._probe(self.ben)
        self.assertNotEqual(ben[1], ann[1])
        self.assertNotEqual(ben[0], ann[0])
        # the restriction still holds on the kept sessions
        self.assertEqual(self._run(self.ann)["rows"], [["ann", "100.00"]])
        self._assert_refused(self._run(self.ben))
        self.assertEqual(self._probe(self.ben), ben)

    def test_export_runs_on_the_kept_session(self):
        pid, role = self._probe(self.ann)
        opened = process_pool().stats.opened
        stream = io.StringIO()
        result, outcome = self.service.with_user(self.ann)._export(
            self.connection, "SELECT pg_backend_pid() AS pid, current_user AS role", {}, "csv", stream
        )
        self.assertEqual(result["status"], "success", result["error"])
        self.assertEqual(outcome.backend_pid, pid)
        self.assertEqual(stream.getvalue().splitlines()[1], f"{pid},{role}")
        self.assertEqual(process_pool().stats.opened, opened)
        # the export left nothing behind that the next run could see
        self.assertEqual(self._probe(self.ann), (pid, role))
        self.assertEqual(self._run(self.ann)["rows"], [["ann", "100.00"]])

    def test_completion_from_the_warehouse_reuses_its_session(self):
        # the warehouse's pg_catalog, read when the catalog does not describe the connection
        Completion = self.env["ipwb.sql.completion"].with_user(self.alice)
        first = Completion._introspect(self.connection, "SELECT pg_backend_pid()", {}, 1)
        opened = process_pool().stats.opened
        self.assertEqual(Completion._introspect(self.connection, "SELECT pg_backend_pid()", {}, 1), first)
        self.assertEqual(process_pool().stats.opened, opened)

    def test_grant_sync_and_connection_edits_drop_kept_sessions(self):
        first = self._probe(self.ann)
        self.connection._sync_warehouse_grants()
        self.connection.sudo().write({"statement_timeout": self.connection.statement_timeout + 1})
        second = self._probe(self.ann)
        self.assertEqual(second[1], first[1])
        self.assertNotEqual(second[0], first[0])

    def test_killed_backend_between_two_runs_still_answers(self):
        pid, _role = self._probe(self.ann)
        # as the cluster's administrator (setup/test.sh exports it): the warehouse's own roles
        # may not terminate backends (hardening)
        admin = psycopg2.connect(os.environ["IPWB_PG_ADMIN_DSN"])
        try:
            with admin.cursor() as cur:
                cur.execute("SELECT pg_terminate_backend(%s)", (pid,))
                self.assertTrue(cur.fetchone()[0])
        finally:
            admin.close()
        result = self._run(self.ann)
        self.assertEqual(result["status"], "success", result["error"])
        self.assertEqual(result["rows"], [["ann", "100.00"]])
        self.assertNotEqual(self._probe(self.ann)[0], pid)

    def test_repeated_statement_lineage_is_parsed_once_and_recorded_once_a_day(self):
        statement_cache.clear()
        sql = "SELECT owner, balance FROM gold.ipwb_test_accounts WHERE id = 3"
        History, Edge = self.env["ipwb.query.history"], self.env["ipwb.lineage.edge"]
        entries = History.browse([self._run(self.alice, sql)["history_id"] for _ in range(3)])
        # another statement, or the same one on another page, is not a repeat
        other = History.browse(self._run(self.bob, sql + " AND owner <> ''")["history_id"])
        self.assertEqual(entries.mapped("lineage_recorded"), [True, False, False])
        self.assertTrue(other.lineage_recorded)
        # the same statement by another person counts for them (table usage counts people)
        by_bob = History.browse(self._run(self.bob, sql)["history_id"])
        self.assertTrue(by_bob.lineage_recorded)
        self.assertEqual(len(set(entries.mapped("statement_hash"))), 1)

        def edges_of(entry):
            return Edge.search([("source", "=", "query_history"), ("source_ref", "=", str(entry.id))])

        first = edges_of(entries[0])
        self.assertEqual(set(first.mapped("target_table")), {f"query_history.{entries[0].id}"})
        self.assertEqual(
            {(e.source_column, e.target_column or None, e.kind) for e in first.filtered("source_column")},
            {("owner", "owner", "direct"), ("balance", "balance", "direct"), ("id", None, "filter")},
        )
        self.assertFalse(edges_of(entries[1]) | edges_of(entries[2]))
        # a day later the statement's lineage is captured again, from the parsed cache
        History.flush_model()
        self.env.cr.execute(
            "UPDATE ipwb_query_history SET create_date = create_date - interval '25 hours' WHERE id = %s",
            [entries[0].id],
        )
        History.invalidate_model(["create_date"])
        later = History.browse(self._run(self.alice, sql)["history_id"])
        self.assertTrue(later.lineage_recorded)
        self.assertEqual(set(edges_of(later).mapped("target_table")), {f"query_history.{later.id}"})
        self.assertEqual(len(edges_of(later)), len(first))
        lineage_cache = statement_cache.QUERY_LINEAGE
        self.assertEqual((lineage_cache.misses, lineage_cache.hits), (2, 2))
