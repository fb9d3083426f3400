# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import pathlib
import threading
import time
import uuid

import yaml

from odoo import SUPERUSER_ID, api
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import SqlUsersMixin, warehouse_fingerprint

HOSTILE_YAML = (
    pathlib.Path(__file__).resolve().parents[3] / "tests" / "warehouse" / "fixtures" / "hostile.yaml"
)


@tagged("post_install", "-at_install")
class TestSqlService(SqlUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_sql_users()
        cls.service = cls.env["ipwb.sql.service"]

    def _run(self, sql, user=None, **kwargs):
        return self.service.with_user(user or self.alice).run(self.connection.id, sql, **kwargs)

    def _history(self, result):
        return self.env["ipwb.query.history"].browse(result["history_id"])

    # ------------------------------------------------------------------ success
    def test_query_returns_columns_rows_and_is_recorded(self):
        result = self._run(
            "SELECT id, owner, balance, opened FROM gold.ipwb_test_accounts WHERE id IN (1, 500) ORDER BY id"
        )
        self.assertEqual(result["status"], "success", result["error"])
        self.assertEqual([c["name"] for c in result["columns"]], ["id", "owner", "balance", "opened"])
        self.assertEqual(result["columns"][2]["type"], "numeric")
        self.assertEqual(
            result["rows"], [[1, "owner 1", "1.25", "2024-01-02"], [500, "O'Brien", "7.00", None]]
        )
        self.assertEqual(result["row_count"], 2)
        self.assertIsNone(result["next_offset"])
        self.assertGreater(result["elapsed_ms"], 0)
        entry = self._history(result)
        self.assertEqual(
            (entry.status, entry.row_count, entry.user_id, entry.source), ("success", 2, self.alice, "editor")
        )
        self.assertEqual(entry.connection_id, self.connection)
        self.assertIn(entry, self.env["ipwb.query.history"].with_user(self.alice).search([]))

    def test_pages_follow_the_connection_row_cap(self):
        self.connection.max_rows = 50
        sql = "SELECT id FROM gold.ipwb_test_accounts WHERE id <= 120 ORDER BY id"
        first = self._run(sql)
        self.assertEqual((len(first["rows"]), first["truncated"], first["next_offset"]), (50, True, 50))
        last = self._run(sql, offset=100)
        self.assertEqual([row[0] for row in last["rows"]], list(range(101, 121)))
        self.assertIsNone(last["next_offset"])

    def test_parameters_are_bound_and_an_injection_stays_data(self):
        before = warehouse_fingerprint(self.env)
        hostile = "x'; DELETE FROM gold.ipwb_test_sentinel; --"
        result = self._run(
            "SELECT count(*) AS n, {{v}}::text AS echoed FROM gold.ipwb_test_accounts WHERE owner = {{v}}",
            params={"v": hostile},
        )
        self.assertEqual(result["status"], "success", result["error"])
        self.assertEqual(result["rows"], [[0, hostile]])
        self.assertEqual(warehouse_fingerprint(self.env), before)
        missing = self._run("SELECT {{v}}::int")
        self.assertEqual(missing["status"], "error")
        self.assertIn("No value given for parameter(s): v", missing["error"]["message"])

    # ------------------------------------------------------------------ failures
    def test_server_error_has_line_and_column_and_is_recorded(self):
        result = self._run("SELECT id,\n       no_such_column\nFROM gold.ipwb_test_accounts")
        self.assertEqual(result["status"], "error")
        self.assertEqual((result["error"]["line"], result["error"]["col"]), (2, 8))
        entry = self._history(result)
        self.assertEqual((entry.status, entry.error_line, entry.error_col), ("error", 2, 8))
        self.assertIn("no_such_column", entry.error)

    def test_script_runs_statement_by_statement_with_script_positions(self):
        result = self._run("SELECT 1;\nSELECT 2;\n  SELECT nope FROM gold.ipwb_test_accounts;\nSELECT 4")
        self.assertEqual(
            (result["status"], result["statement_index"], result["statement_count"]), ("error", 2, 4)
        )
        self.assertEqual((result["error"]["line"], result["error"]["col"]), (3, 10))
        statements = (
            self.env["ipwb.query.history"].search([("user_id", "=", self.alice.id)]).mapped("statement")
        )
        self.assertEqual(len(statements), 3)
        ok = self._run("SELECT 1 AS a;\nSELECT 2 AS b")
        self.assertEqual((ok["status"], ok["rows"], ok["columns"][0]["name"]), ("success", [[2]], "b"))

    def test_hostile_corpus_is_refused_through_odoo_and_changes_nothing(self):
        corpus = yaml.safe_load(HOSTILE_YAML.read_text(encoding="utf-8"))["corpus"]
        entries = [e for e in corpus if not e.get("strict") and not e.get("refused_by")]
        self.assertGreater(len(entries), 50)
        before = warehouse_fingerprint(self.env)
        for entry in entries:
            with self.subTest(entry["id"]):
                result = self._run(entry["sql"])
                codes = {reason["code"] for reason in result["error"]["reasons"]}
                if entry["reason"] == "multiple_statements":
                    # a script runs statement by statement, each classified on its own: it
                    # stops at the first failure (here: the corpus' tables do not exist)
                    # or the hostile statement is refused for what it does
                    self.assertIn(result["status"], ("refused", "error"), entry["id"])
                    self.assertTrue(codes or result["status"] == "error", entry["id"])
                else:
                    self.assertEqual(result["status"], "refused", entry["id"])
                    self.assertIn(entry["reason"], codes, entry["id"])
        # a write hidden in a user function passes classification: the READ ONLY
        # transaction refuses it
        hidden = self._run("SELECT gold.ipwb_test_evil()")
        self.assertEqual(hidden["status"], "refused")
        self.assertIn("read-only", hidden["error"]["message"])
        for write in ("DELETE FROM gold.ipwb_test_sentinel", "DROP TABLE gold.ipwb_test_sentinel"):
            self.assertEqual(self._run(write)["status"], "refused")
        self.assertEqual(warehouse_fingerprint(self.env), before)
        failed = self.env["ipwb.query.history"].search(
            [("user_id", "=", self.alice.id), ("status", "!=", "success")]
        )
        self.assertEqual(len(failed), len(entries) + 3)
        self.assertFalse(warehouse_fingerprint(self.env)[1], "no hostile file may appear")

    def test_timeout_comes_from_the_connection(self):
        self.connection.statement_timeout = 1
        started = time.monotonic()
        result = self._run("SELECT pg_sleep(5)")
        self.assertLess(time.monotonic() - started, 4)
        self.assertEqual(result["status"], "timeout")
        self.assertEqual(self._history(result).status, "timeout")

    def test_cancel_stops_own_statement_only(self):
        token = uuid.uuid4().hex
        outcome = {}
        registry = self.env.registry
        alice_id, bob_id = self.alice.id, self.bob.id

        def canceller():
            # another request: its own cursor, as the statement's owner would send it
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                with registry.cursor() as cr:
                    service = api.Environment(cr, SUPERUSER_ID, {})["ipwb.sql.service"]
                    outcome.setdefault("bob", service._cancel_for_user(bob_id, token))
                    if service._cancel_for_user(alice_id, token):
                        outcome["alice"] = True
                        return
                time.sleep(0.1)

        thread = threading.Thread(target=canceller)
        thread.start()
        started = time.monotonic()
        result = self._run("SELECT pg_sleep(20)", token=token)
        thread.join()
        self.assertLess(time.monotonic() - started, 15)
        self.assertFalse(outcome.get("bob"), "another user's cancel must not reach the statement")
        self.assertTrue(outcome.get("alice"))
        self.assertEqual(result["status"], "cancelled")
        self.assertEqual(self._history(result).status, "cancelled")
        # the running entry is gone once the statement ended
        self.assertFalse(self.service.with_user(self.alice).cancel(token))

    def test_stale_running_entries_are_never_signalled(self):
        self.env["ipwb.sql.running.query"].create(
            {
                "token": "stale",
                "user_id": self.alice.id,
                "connection_id": self.connection.id,
                "backend_pid": 1,  # whatever runs there now must not be cancelled
                "started_at": "2020-01-01 00:00:00",
            }
        )
        self.assertFalse(self.service.with_user(self.alice).cancel("stale"))

    def test_access_per_group(self):
        with self.assertRaises(AccessError):
            self._run("SELECT 1", user=self.outsider)
        with self.assertRaises(AccessError):
            self.service.with_user(self.outsider).cancel("whatever")
        with self.assertRaises(AccessError):
            self.env["ipwb.query.history"].with_user(self.alice).create(
                {"statement": "x", "status": "success"}
            )

    # ------------------------------------------------------------------ editor helpers
    def test_format_keeps_parameters_and_locates_errors(self):
        formatted = self.service.with_user(self.alice).format("select a,b from t where a={{a}}")
        self.assertEqual(formatted["sql"], "SELECT\n  a,\n  b\nFROM t\nWHERE\n  a = {{a}};")
        broken = self.service.with_user(self.alice).format("SELECT 'unterminated")
        self.assertIsNone(broken["sql"])
        self.assertEqual(broken["error"]["line"], 1)

    def test_completions_come_from_the_warehouse_lazily(self):
        self.env["ipwb.table"].search([("connection_id", "=", self.connection.id)]).unlink()
        service = self.env["ipwb.sql.completion"].with_user(self.alice)
        tables = service.completion_tables(self.connection.id)
        self.assertEqual(tables["source"], "warehouse")
        self.assertIn("gold", tables["schemas"])
        self.assertIn(["gold", "ipwb_test_accounts", "r"], tables["tables"])
        columns = service.completion_columns(
            self.connection.id, "SELECT a. FROM gold.ipwb_test_accounts a WHERE"
        )
        self.assertEqual(
            [name for name, _type in columns["columns"]["gold.ipwb_test_accounts"]],
            ["id", "owner", "balance", "opened"],
        )
        bare = service.completion_columns(self.connection.id, tables=["ipwb_test_sentinel"])
        self.assertEqual(bare["columns"]["ipwb_test_sentinel"], [["id", "integer"], ["token", "text"]])
        self.assertEqual(service.completion_columns(self.connection.id, "SELECT 1")["columns"], {})

    def test_completions_switch_to_the_catalog_once_scanned(self):
        Table = self.env["ipwb.table"]
        Table.search([("connection_id", "=", self.connection.id)]).unlink()
        table = Table.create(
            {"connection_id": self.connection.id, "schema_name": "gold", "name": "catalogued", "kind": "view"}
        )
        self.env["ipwb.column"].create(
            [
                {"table_id": table.id, "name": "amount", "data_type": "numeric", "ordinal": 1},
                {"table_id": table.id, "name": "day", "data_type": "date", "ordinal": 2},
            ]
        )
        service = self.env["ipwb.sql.completion"].with_user(self.alice)
        tables = service.completion_tables(self.connection.id)
        self.assertEqual((tables["source"], tables["tables"]), ("catalog", [["gold", "catalogued", "v"]]))
        columns = service.completion_columns(self.connection.id, "SELECT  FROM gold.catalogued")
        self.assertEqual(columns["columns"], {"gold.catalogued": [["amount", "numeric"], ["day", "date"]]})

    def test_lineage_of_a_query_is_captured_with_its_history_entry(self):
        result = self._run(
            "SELECT owner, sum(balance) AS total FROM gold.ipwb_test_accounts WHERE id < 5 GROUP BY owner"
        )
        entry = self._history(result)
        edges = self.env["ipwb.lineage.edge"].search(
            [("source", "=", "query_history"), ("source_ref", "=", str(entry.id))]
        )
        target = f"query_history.{entry.id}"
        self.assertEqual(
            {
                (
                    e.edge_type,
                    e.source_table,
                    e.source_column or None,
                    e.target_column or None,
                    e.kind or None,
                )
                for e in edges
            },
            {
                ("table", "gold.ipwb_test_accounts", None, None, None),
                ("column", "gold.ipwb_test_accounts", "owner", "owner", "direct"),
                ("column", "gold.ipwb_test_accounts", "balance", "total", "aggregate"),
                ("column", "gold.ipwb_test_accounts", "id", None, "filter"),
            },
        )
        self.assertEqual(set(edges.mapped("target_table")), {target})
        self.assertEqual(edges.connection_id, self.connection)
        failed = self._run("SELECT nope FROM gold.ipwb_test_accounts")
        self.assertFalse(
            self.env["ipwb.lineage.edge"].search_count([("source_ref", "=", str(failed["history_id"]))])
        )
