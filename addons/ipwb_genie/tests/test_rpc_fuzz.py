# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Genie: bad RPC arguments get a UserError, never a traceback."""

from odoo.addons.ipwb_catalog.tests.rpc_fuzz import Entry, arg, assert_refused, fuzz_entry, ids, positional

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import ensure_sales_table

USER = "ipwb_catalog.group_ipwb_user"
SQL = ("SELECT 1 AS one", "  ", "SELEC", "DELETE FROM silver.genie_sales")

#: every Genie method the web client calls (genie_ask.js)
ENTRIES = [
    Entry("ipwb.genie.conversation", "genie_list", USER, lambda case: positional()),
    Entry(
        "ipwb.genie.conversation",
        "genie_load",
        USER,
        lambda case: positional(ids(case.conversation.id, [case.conversation.id])),
        records=True,
    ),
    Entry(
        "ipwb.genie.conversation",
        "genie_ask",
        USER,
        lambda case: positional(arg(False, case.conversation.id), arg("How many sales?", "")),
    ),
    Entry(
        "ipwb.genie.message",
        "genie_run_sql",
        USER,
        lambda case: positional(ids(case.answer.id, [case.answer.id]), arg(*SQL)),
        records=True,
    ),
    Entry(
        "ipwb.genie.message",
        "genie_open_in_editor",
        USER,
        lambda case: positional(ids(case.answer.id, [case.answer.id]), arg(*SQL)),
        records=True,
    ),
]


@tagged("post_install", "-at_install")
class TestGenieRpcFuzz(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_sales_table()
        # no model configured: a valid question is refused clearly, before any call
        cls.env["ipwb.llm.model"].search([]).action_archive()
        cls.user = new_test_user(cls.env, "ipwb_fuzz_genie", groups=USER)
        cls.conversation = cls.env["ipwb.genie.conversation"].with_user(cls.user).create({"name": "fuzz"})
        Message = cls.env["ipwb.genie.message"].sudo()
        Message.create({"conversation_id": cls.conversation.id, "role": "user", "content": "How many?"})
        cls.answer = Message.create(
            {"conversation_id": cls.conversation.id, "role": "assistant", "state": "ok", "sql": "SELECT 1"}
        )

    def entry(self, method):
        return next(e for e in ENTRIES if e.method == method)

    def test_fuzz_genie_list(self):
        fuzz_entry(self, self.entry("genie_list"), self.user, max_examples=1)

    def test_fuzz_genie_load(self):
        fuzz_entry(self, self.entry("genie_load"), self.user)

    def test_fuzz_genie_ask(self):
        fuzz_entry(self, self.entry("genie_ask"), self.user)

    def test_fuzz_genie_run_sql(self):
        fuzz_entry(self, self.entry("genie_run_sql"), self.user)

    def test_fuzz_genie_open_in_editor(self):
        fuzz_entry(self, self.entry("genie_open_in_editor"), self.user)

    # --- regressions (each raised something else than a UserError before) -------------------
    def test_junk_conversation_and_question_are_refused(self):
        ask = self.entry("genie_ask")
        for conversation_id in (10**12, -1, "abc", [self.conversation.id], 1.5):
            exc = assert_refused(self, ask, self.user, conversation_id, "How many sales?")
            self.assertIn("conversation", str(exc))
        for question in (42, ["q"], "q\x00"):
            self.assertIn("question", str(assert_refused(self, ask, self.user, False, question)))
        load = self.entry("genie_load")
        for bad in (10**12, [], [self.conversation.id, 10**12]):
            assert_refused(self, load, self.user, bad)

    def test_junk_sql_and_answer_ids_are_refused(self):
        for method in ("genie_run_sql", "genie_open_in_editor"):
            entry = self.entry(method)
            assert_refused(self, entry, self.user, [self.answer.id], {"sql": 1})
            assert_refused(self, entry, self.user, [self.answer.id], "SELECT 1\x00")
            assert_refused(self, entry, self.user, 10**12, "SELECT 1")

    def test_valid_calls_still_answer(self):
        answer = self.answer.with_user(self.user)
        self.assertEqual(answer.genie_run_sql("SELECT 1 AS one")["rows"], [[1]])
        loaded = self.conversation.with_user(self.user).genie_load()
        self.assertEqual(len(loaded["messages"]), 2)
