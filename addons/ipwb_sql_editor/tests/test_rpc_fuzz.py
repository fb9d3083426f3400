# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""SQL editor: bad RPC and export arguments get a UserError (400), never a traceback."""

import json

from hypothesis import strategies as st
from odoo.addons.ipwb_catalog.tests.rpc_fuzz import (
    JUNK,
    Entry,
    arg,
    assert_refused,
    fuzz_entry,
    ids,
    keywords,
    positional,
)

from odoo import http
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import ensure_fixture_tables

USER = "ipwb_catalog.group_ipwb_user"
SQL = ("SELECT 1", "SELECT {{n}}::int AS n", "SELECT id FROM gold.ipwb_test_accounts ORDER BY id", "SELEC")
PARAMS = ({}, {"n": 3}, {"n": "x"})
TOKEN = "0123456789abcdef0123456789abcdef"

#: every SQL editor method the web client calls (sql_editor_action.js, sql_completion.js)
ENTRIES = [
    Entry(
        "ipwb.sql.service",
        "run",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id, False),
            sql=arg(*SQL),
            params=arg(*PARAMS),
            offset=arg(0, 1, 50, 2**31 - 1),
            token=arg(TOKEN, None),
        ),
    ),
    Entry("ipwb.sql.service", "cancel", USER, lambda case: positional(arg(TOKEN, ""))),
    Entry("ipwb.sql.service", "format", USER, lambda case: positional(arg(*SQL))),
    Entry("ipwb.sql.service", "parameters", USER, lambda case: positional(arg(*SQL))),
    Entry(
        "ipwb.sql.completion",
        "completion_tables",
        USER,
        lambda case: keywords(connection_id=arg(case.connection.id, None)),
    ),
    Entry(
        "ipwb.sql.completion",
        "completion_columns",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id, None),
            sql=arg(*SQL),
            tables=arg(["gold.ipwb_test_accounts"], ["ipwb_test_accounts", "x.y"]),
        ),
    ),
    Entry(
        "ipwb.sql.browser",
        "browse_schemas",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id), offset=arg(0, 1, 2**31 - 1), limit=arg(1, 100, 500)
        ),
    ),
    Entry(
        "ipwb.sql.browser",
        "browse_tables",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id),
            schema=arg("gold", "public"),
            offset=arg(0, 5),
            limit=arg(1, 500),
        ),
    ),
    Entry(
        "ipwb.sql.browser",
        "browse_columns",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id),
            table_id=arg(1, 2, 2**31 - 1),
            offset=arg(0),
            limit=arg(1, 50),
        ),
    ),
    Entry(
        "ipwb.sql.browser",
        "browse_search",
        USER,
        lambda case: keywords(
            connection_id=arg(case.connection.id), query=arg("acc", "%", "_"), limit=arg(1, 50)
        ),
    ),
    Entry(
        "ipwb.sql.snippet",
        "create",
        USER,
        lambda case: positional(
            st.one_of(
                st.fixed_dictionaries(
                    {"name": arg("fuzz snippet"), "statement": arg(*SQL)},
                    optional={
                        "connection_id": arg(case.connection.id),
                        "visibility": arg("private", "shared"),
                    },
                ),
                JUNK,
            )
        ),
    ),
    Entry(
        "ipwb.sql.snippet",
        "run",
        USER,
        lambda case: positional(
            ids(case.snippet.id, [case.snippet.id]), arg(*PARAMS), arg(0, 10), arg(TOKEN)
        ),
        records=True,
    ),
]


@tagged("post_install", "-at_install")
class TestSqlEditorRpcFuzz(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_fixture_tables(cls.env)
        cls.user = new_test_user(cls.env, "ipwb_fuzz_sql", groups=USER)
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.snippet = (
            cls.env["ipwb.sql.snippet"]
            .with_user(cls.user)
            .create({"name": "fuzz", "statement": SQL[1], "connection_id": cls.connection.id})
        )

    def entry(self, model, method):
        return next(e for e in ENTRIES if (e.model, e.method) == (model, method))

    def test_fuzz_run(self):
        fuzz_entry(self, self.entry("ipwb.sql.service", "run"), self.user)

    def test_fuzz_cancel(self):
        fuzz_entry(self, self.entry("ipwb.sql.service", "cancel"), self.user)

    def test_fuzz_format(self):
        fuzz_entry(self, self.entry("ipwb.sql.service", "format"), self.user)

    def test_fuzz_parameters(self):
        fuzz_entry(self, self.entry("ipwb.sql.service", "parameters"), self.user)

    def test_fuzz_completion_tables(self):
        fuzz_entry(self, self.entry("ipwb.sql.completion", "completion_tables"), self.user, max_examples=30)

    def test_fuzz_completion_columns(self):
        fuzz_entry(self, self.entry("ipwb.sql.completion", "completion_columns"), self.user, max_examples=30)

    def test_fuzz_schema_browser(self):
        for method in ("browse_schemas", "browse_tables", "browse_columns", "browse_search"):
            with self.subTest(method=method):
                fuzz_entry(self, self.entry("ipwb.sql.browser", method), self.user, max_examples=30)

    def test_fuzz_snippet_create(self):
        fuzz_entry(self, self.entry("ipwb.sql.snippet", "create"), self.user)

    def test_fuzz_snippet_run(self):
        fuzz_entry(self, self.entry("ipwb.sql.snippet", "run"), self.user)

    # --- regressions (each raised something else than a UserError before) -------------------
    def test_huge_offset_is_refused(self):
        entry = self.entry("ipwb.sql.service", "run")
        kwargs = {"connection_id": self.connection.id, "sql": "SELECT 1"}
        exc = assert_refused(self, entry, self.user, offset=10**12, **kwargs)
        self.assertEqual(str(exc), "The offset must be a whole number between 0 and 2,147,483,647.")
        for offset in (-1, 1.5, float("inf"), "10", [1]):
            assert_refused(self, entry, self.user, offset=offset, **kwargs)

    def test_bad_connection_ids_are_refused(self):
        entry = self.entry("ipwb.sql.service", "run")
        for connection_id in (10**12, -3, "abc", 2.5, {"id": 1}):
            exc = assert_refused(self, entry, self.user, connection_id=connection_id, sql="SELECT 1")
            self.assertIn("connection", str(exc))
        completion = self.entry("ipwb.sql.completion", "completion_tables")
        assert_refused(self, completion, self.user, connection_id=2**40)

    def test_bad_params_sql_and_tokens_are_refused(self):
        run = self.entry("ipwb.sql.service", "run")
        conn = self.connection.id
        assert_refused(self, run, self.user, connection_id=conn, sql="SELECT {{n}}", params={"n": "a\x00"})
        assert_refused(self, run, self.user, connection_id=conn, sql="SELECT {{n}}", params=["n"])
        assert_refused(self, run, self.user, connection_id=conn, sql="SELECT 1\x00")
        assert_refused(self, run, self.user, connection_id=conn, sql="SELECT 1", token={"t": 1})
        assert_refused(self, self.entry("ipwb.sql.service", "cancel"), self.user, "a\x00b")
        assert_refused(self, self.entry("ipwb.sql.service", "format"), self.user, 42)
        columns = self.entry("ipwb.sql.completion", "completion_columns")
        assert_refused(self, columns, self.user, connection_id=conn, tables="gold.ipwb_test_accounts")

    def test_snippet_run_refuses_missing_and_junk_ids(self):
        entry = self.entry("ipwb.sql.snippet", "run")
        for bad in (10**12, 2**31 - 1, [], ["x"], [self.snippet.id, self.snippet.id + 10**6]):
            assert_refused(self, entry, self.user, bad, {"n": 1})

    def test_junk_snippet_values_are_refused(self):
        create = self.entry("ipwb.sql.snippet", "create")
        for vals in (
            {"name": "n\x00", "statement": "SELECT 1"},
            {"name": "n", "statement": ["SELECT 1"]},
            {"name": "n", "statement": "SELECT 1", "connection_id": 10**12},
            {"name": "n", "statement": "SELECT 1", "visibility": {"x": 1}},
            {"name": "n", "statement": "SELECT 1", "owner": 1},
        ):
            with self.subTest(vals=str(vals)[:50]):
                assert_refused(self, create, self.user, vals)

    def test_valid_calls_still_answer(self):
        service = self.env["ipwb.sql.service"].with_user(self.user)
        result = service.run(self.connection.id, "SELECT {{n}}::int AS n", {"n": 7}, 0, TOKEN)
        self.assertEqual((result["status"], result["rows"]), ("success", [[7]]))
        self.assertEqual(self.snippet.with_user(self.user).run({"n": 2})["rows"], [[2]])
        formatted = service.format("select 1")
        self.assertEqual((formatted["error"], formatted["sql"].split()[0]), (None, "SELECT"))


@tagged("post_install", "-at_install")
class TestSqlExportRefusals(HttpCase):
    """The export route answers 400 with the reason for bad form fields (was a 500)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_fixture_tables(cls.env)
        new_test_user(cls.env, "ipwb_fuzz_export", groups=USER)
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def _export(self, **fields):
        data = {"sql": "SELECT 1 AS one", "connection_id": self.connection.id}
        data.update(fields, csrf_token=http.Request.csrf_token(self))
        return self.url_open("/ipwb_sql_editor/export/csv", data=data, timeout=60)

    def test_bad_fields_answer_400(self):
        self.authenticate("ipwb_fuzz_export", "ipwb_fuzz_export")
        cases = [
            ({"connection_id": "99999999999999999999"}, "connection"),
            ({"connection_id": "\uff12"}, "connection_id must be a number"),
            ({"sql": "SELECT 1\x00"}, "NUL"),
            ({"sql": "x" * 200_001}, "limited to"),
            ({"params": json.dumps({"n": [1]})}, "Parameter n"),
            ({"params": json.dumps({"n": 2**64})}, "Parameter n"),
            ({"params": "[" * 100_000}, "JSON object"),
        ]
        for fields, message in cases:
            with self.subTest(fields=str(fields)[:60]):
                response = self._export(**fields)
                self.assertEqual(response.status_code, 400, response.text[:300])
                self.assertIn(message, response.text)
        ok = self._export(params=json.dumps({}))
        self.assertEqual((ok.status_code, ok.text.splitlines()), (200, ["one", "1"]))
