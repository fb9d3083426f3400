# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Restricted tables are enforced by the warehouse: the same query answers for the owner
team and is refused by PostgreSQL (permission denied) for another team, through the SQL
editor, the export and Genie's read-only runner; unrestricting restores access after the
sync. The warehouse's grants change for real (separate database), so every test puts the
table back to unrestricted and syncs before its transaction is rolled back."""

import io

from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from .common import SqlUsersMixin, run_as_writer

SECRET_SQL = """
CREATE TABLE IF NOT EXISTS gold.ipwb_test_grants_payroll (who text PRIMARY KEY, salary numeric(12, 2));
INSERT INTO gold.ipwb_test_grants_payroll VALUES ('ann', 100.00) ON CONFLICT (who) DO NOTHING;
"""
QUERY = "SELECT who, salary FROM gold.ipwb_test_grants_payroll"


class GrantsFixture(SqlUsersMixin):
    """Team A owns a restricted table; ann is in team A, ben in team B (also used by Genie's
    tests). The table is restricted and synced in setUp, unrestricted and synced after.
    Mix it in before ``TransactionCase``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._create_sql_users()
        run_as_writer(cls.env, SECRET_SQL)
        cls.team_a = cls.env["res.groups"].create({"name": "IPWB test payroll team"})
        cls.team_b = cls.env["res.groups"].create({"name": "IPWB test sales team"})
        user_group = "ipwb_catalog.group_ipwb_user"
        cls.ann = new_test_user(cls.env, "ipwb_grants_ann", groups=user_group)
        cls.ben = new_test_user(cls.env, "ipwb_grants_ben", groups=user_group)
        cls.ann.groups_id += cls.team_a
        cls.ben.groups_id += cls.team_b
        cls.architect = new_test_user(
            cls.env, "ipwb_grants_architect", groups="ipwb_catalog.group_ipwb_architect"
        )
        # an architect of both teams (a restricted table is invisible, so unwritable, to others)
        cls.architect.groups_id += cls.team_a + cls.team_b
        cls.table = (
            cls.env["ipwb.table"]
            .sudo()
            .create(
                {
                    "connection_id": cls.connection.id,
                    "schema_name": "gold",
                    "name": "ipwb_test_grants_payroll",
                }
            )
        )
        cls.service = cls.env["ipwb.sql.service"]

    def setUp(self):
        super().setUp()
        self.assertTrue(self.connection.grants_enforced, "setup/test.sh configures a grants role")
        self.table.with_user(self.architect).write({"restricted": True, "team_id": self.team_a.id})
        self.connection._sync_warehouse_grants()
        self.addCleanup(self._unrestrict_and_sync)

    def _unrestrict_and_sync(self):
        self.table.sudo().write({"restricted": False, "team_id": False})
        self.connection._sync_warehouse_grants()

    def _run(self, user, sql=QUERY):
        return self.service.with_user(user).run(self.connection.id, sql)

    def _assert_refused(self, result):
        self.assertEqual(result["status"], "refused", result)
        self.assertIn("permission denied", result["error"]["message"])
        self.assertIn("42501", result["error"]["message"])


@tagged("post_install", "-at_install")
class TestSqlGrants(GrantsFixture, TransactionCase):
    def test_owner_team_reads_other_team_is_refused_by_the_database(self):
        ok = self._run(self.ann)
        self.assertEqual(ok["status"], "success", ok["error"])
        self.assertEqual(ok["rows"], [["ann", "100.00"]])
        # administrators read it too; another team, or no team, is refused by PostgreSQL,
        # even though the SQL guard lets the SELECT through
        admin = new_test_user(self.env, "ipwb_grants_admin", groups="ipwb_catalog.group_ipwb_admin")
        self.assertEqual(self._run(admin)["status"], "success")
        for user in (self.ben, self.alice):
            self._assert_refused(self._run(user))
            # unrestricted tables stay readable
            other = self._run(user, "SELECT count(*) FROM gold.ipwb_test_accounts")
            self.assertEqual(other["status"], "success", other["error"])

    def test_export_is_refused_too(self):
        result, outcome = self.service.with_user(self.ben)._export(
            self.connection, QUERY, {}, "csv", io.StringIO()
        )
        self._assert_refused(result)
        self.assertIsNone(outcome)
        stream = io.StringIO()
        result, outcome = self.service.with_user(self.ann)._export(self.connection, QUERY, {}, "csv", stream)
        self.assertEqual(result["status"], "success", result)
        self.assertIn("ann,100.00", stream.getvalue())

    def test_unrestricting_restores_access_after_the_sync(self):
        self._assert_refused(self._run(self.ben))
        self.table.with_user(self.architect).write({"restricted": False})
        # the write schedules a sync after commit; the warehouse follows the committed catalog
        self.assertIn(self.connection.id, self.env.cr.postcommit.data["ipwb_grants_sync"])
        self.connection._sync_warehouse_grants()
        for user in (self.ann, self.ben, self.alice):
            result = self._run(user)
            self.assertEqual(result["status"], "success", result["error"])
        # moving the restriction to team B flips who reads it
        self.table.with_user(self.architect).write({"restricted": True, "team_id": self.team_b.id})
        self.connection._sync_warehouse_grants()
        self.assertEqual(self._run(self.ben)["status"], "success")
        self._assert_refused(self._run(self.ann))

    def test_table_shows_who_may_read_it_and_enforcement(self):
        table = self.table.with_user(self.ann)
        self.assertEqual(
            table.readers_display, f"Members of {self.team_a.display_name} and Workbench Administrators"
        )
        self.assertIn("Enforced by the warehouse (grants synced", table.enforcement_display)
        self.table.sudo().write({"team_id": False})
        self.assertEqual(self.table.readers_display, "Workbench Administrators only")
        self.table.sudo().write({"restricted": False})
        self.assertEqual(self.table.readers_display, "Every Workbench User")

    def test_record_connections_are_not_enforced_and_say_so(self):
        external = self.env["ipwb.connection"].create(
            {"name": "External", "credential_source": "record", "dbname": "elsewhere", "username": "r"}
        )
        self.assertFalse(external.grants_enforced)
        self.assertEqual(external._user_warehouse_config(self.ben).user, "r")
        with self.assertRaisesRegex(UserError, "no grants role configured"):
            external._sync_warehouse_grants()

    def test_only_administrators_sync_grants(self):
        with self.assertRaises(AccessError):
            self.connection.with_user(self.architect).action_sync_grants()
