# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import uuid

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import SqlUsersMixin, run_as_writer


@tagged("post_install", "-at_install")
class TestSqlApproval(SqlUsersMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_sql_users()
        cls.Approval = cls.env["ipwb.sql.approval"]

    def setUp(self):
        super().setUp()
        self.table = f"silver.ipwb_test_write_{uuid.uuid4().hex[:8]}"
        self.addCleanup(run_as_writer, self.env, f"DROP TABLE IF EXISTS {self.table}")

    def _draft(self, statement, user=None):
        return self.Approval.with_user(user or self.dan).create(
            {"name": "test write", "statement": statement, "connection_id": self.connection.id}
        )

    def _exists(self):
        rows = run_as_writer(self.env, "SELECT to_regclass(%s) IS NOT NULL", (self.table,))
        return rows[0][0]

    def test_full_flow_runs_the_write_as_the_owner_role(self):
        create = self._draft(f"CREATE TABLE {self.table} (id int)")
        create.action_request()
        self.assertEqual(create.state, "requested")
        activity_users = create.activity_ids.mapped("user_id")
        self.assertIn(self.erin, activity_users)
        self.assertNotIn(self.dan, activity_users, "the requester gets no approval activity")
        create.with_user(self.erin).action_approve()
        self.assertEqual((create.state, create.approver_id), ("approved", self.erin))
        self.assertFalse(create.activity_ids)
        self.assertFalse(self._exists(), "approval alone runs nothing")
        create.with_user(self.dan).action_execute()
        self.assertEqual(create.state, "executed", create.error)
        self.assertTrue(self._exists())
        self.assertEqual((create.history_id.status, create.history_id.source), ("success", "approval"))

        insert = self._draft(f"INSERT INTO {self.table} SELECT generate_series(1, 3)")
        insert.action_request()
        insert.with_user(self.erin).action_approve()
        insert.with_user(self.erin).action_execute()
        self.assertEqual((insert.state, insert.rows_affected, insert.result), ("executed", 3, "INSERT 0 3"))
        self.assertEqual(run_as_writer(self.env, f"SELECT count(*) FROM {self.table}")[0][0], 3)

    def test_failed_write_is_recorded(self):
        approval = self._draft(f"INSERT INTO {self.table} VALUES (1)")  # the table does not exist
        approval.action_request()
        approval.with_user(self.erin).action_approve()
        approval.with_user(self.dan).action_execute()
        self.assertEqual(approval.state, "failed")
        self.assertIn("does not exist", approval.error)
        self.assertEqual(approval.history_id.status, "error")

    def test_self_approval_is_refused(self):
        approval = self._draft(f"CREATE TABLE {self.table} (id int)")
        approval.action_request()
        with self.assertRaises(AccessError):
            approval.with_user(self.dan).action_approve()
        with self.assertRaises(AccessError):
            approval.with_user(self.dan).action_reject()
        self.assertEqual(approval.state, "requested")
        with self.assertRaises(UserError):
            approval.with_user(self.dan).action_execute()  # not approved
        self.assertFalse(self._exists())

    def test_non_data_engineers_are_refused(self):
        with self.assertRaises(AccessError):
            self._draft("CREATE TABLE x (id int)", user=self.alice)
        with self.assertRaises(AccessError):
            self._draft("CREATE TABLE x (id int)", user=self.bianca)
        approval = self._draft(f"CREATE TABLE {self.table} (id int)")
        approval.action_request()
        with self.assertRaises(AccessError):
            approval.with_user(self.alice).action_approve()
        self.assertEqual(approval.state, "requested")

    def test_state_and_statement_cannot_be_forced(self):
        approval = self._draft(f"CREATE TABLE {self.table} (id int)")
        with self.assertRaises(AccessError):
            approval.with_user(self.dan).write({"state": "approved"})
        with self.assertRaises(AccessError):
            self.Approval.with_user(self.dan).create(
                {
                    "name": "x",
                    "statement": "SELECT 1",
                    "connection_id": self.connection.id,
                    "state": "approved",
                }
            )
        approval.action_request()
        approval.with_user(self.erin).action_approve()
        with self.assertRaises(UserError):
            approval.with_user(self.dan).write({"statement": "DROP SCHEMA gold CASCADE"})
        with self.assertRaises(AccessError):
            approval.with_user(self.erin).write({"state": "draft"})

    def test_forbidden_statements_are_refused_even_for_approval(self):
        approval = self._draft("COPY gold.ipwb_test_accounts TO PROGRAM 'touch /tmp/ipwb_hostile_approval'")
        with self.assertRaises(UserError):
            approval.action_request()
        self.assertEqual(approval.state, "draft")

    def test_read_only_path_refuses_writes(self):
        result = (
            self.env["ipwb.sql.service"]
            .with_user(self.dan)
            .run(self.connection.id, f"CREATE TABLE {self.table} (id int)")
        )
        self.assertEqual(result["status"], "refused")
        self.assertIn("ddl", {reason["code"] for reason in result["error"]["reasons"]})
        self.assertFalse(self._exists())
