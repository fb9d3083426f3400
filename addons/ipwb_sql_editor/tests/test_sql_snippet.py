# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import SqlUsersMixin, warehouse_fingerprint


@tagged("post_install", "-at_install")
class TestSqlSnippet(SqlUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_sql_users()
        Snippet = cls.env["ipwb.sql.snippet"]
        cls.private = Snippet.with_user(cls.alice).create(
            {"name": "alice private", "statement": "SELECT 1", "connection_id": cls.connection.id}
        )
        cls.shared = Snippet.with_user(cls.bianca).create(
            {
                "name": "accounts by owner",
                "statement": "SELECT id, owner FROM gold.ipwb_test_accounts\n"
                "WHERE owner = {{owner}} AND id < {{max_id}}",
                "visibility": "shared",
                "connection_id": cls.connection.id,
            }
        )

    def test_private_snippets_are_their_owners_only(self):
        seen_by_bob = self.env["ipwb.sql.snippet"].with_user(self.bob).search([])
        self.assertNotIn(self.private, seen_by_bob)
        self.assertIn(self.shared, seen_by_bob)
        with self.assertRaises(AccessError):
            self.private.with_user(self.bob).read(["statement"])
        with self.assertRaises(AccessError):
            self.shared.with_user(self.bob).write({"statement": "SELECT 2"})
        admin = self.env.ref("base.user_admin")
        self.assertIn(self.private, self.env["ipwb.sql.snippet"].with_user(admin).search([]))

    def test_only_bi_engineers_share(self):
        with self.assertRaises(AccessError):
            self.env["ipwb.sql.snippet"].with_user(self.alice).create(
                {"name": "x", "statement": "SELECT 1", "visibility": "shared"}
            )
        with self.assertRaises(AccessError):
            self.private.with_user(self.alice).write({"visibility": "shared"})
        self.assertEqual(self.private.visibility, "private")

    def test_parameters_are_detected_and_bound_as_data(self):
        self.assertEqual(self.shared.parameter_names, "owner, max_id")
        self.assertEqual(self.shared.get_parameters(), ["owner", "max_id"])
        result = self.shared.with_user(self.bob).run({"owner": "O'Brien", "max_id": 1000})
        self.assertEqual(result["rows"], [[500, "O'Brien"]])
        self.assertEqual(self.env["ipwb.query.history"].browse(result["history_id"]).source, "snippet")
        before = warehouse_fingerprint(self.env)
        injection = "' OR 1=1; DROP TABLE gold.ipwb_test_sentinel; --"
        hostile = self.shared.with_user(self.bob).run({"owner": injection, "max_id": "1000) OR (1=1"})
        # the value is compared as text and cast as an integer: no row, or a type error
        self.assertIn(hostile["status"], ("success", "error"))
        self.assertEqual(hostile["rows"], [])
        self.assertEqual(warehouse_fingerprint(self.env), before)
        only_text = self.shared.with_user(self.bob).run({"owner": injection, "max_id": 1000})
        self.assertEqual((only_text["status"], only_text["rows"]), ("success", []))

    def test_snippet_opens_in_the_editor(self):
        action = self.shared.with_user(self.bob).action_open_in_editor()
        self.assertEqual(action["tag"], "ipwb_sql_editor.editor")
        self.assertEqual(action["context"]["ipwb_snippet_id"], self.shared.id)
