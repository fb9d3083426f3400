# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A grant sync runs after another transaction committed (a scan, a restriction change): when
someone changes the connection meanwhile, recording the sync hits a real serialization
failure; it is synced again in a new transaction, never raised into the request or cron job
that scheduled it (a scan cron failing there counts towards its deactivation)."""

from unittest.mock import patch

from odoo import SUPERUSER_ID, api
from odoo.tests import tagged
from odoo.tests.common import TransactionCase
from odoo.tools import SQL

from .. import warehouse_grants


@tagged("post_install", "-at_install")
class TestGrantSyncRetry(TransactionCase):
    def setUp(self):
        super().setUp()
        self.connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        self.assertTrue(warehouse_grants.grants_enabled(self.connection), "the test setup enforces grants")
        self.calls = 0
        real_sync = warehouse_grants.sync

        def sync_while_someone_edits(connection, edits):
            self.calls += 1
            result = real_sync(connection)
            if self.calls <= edits:
                # another user's committed change of the same row, after this sync's snapshot
                with self.registry.cursor() as other:
                    other.execute(
                        SQL(
                            "UPDATE ipwb_connection SET write_date = now() AT TIME ZONE 'UTC' WHERE id = %s",
                            connection.id,
                        )
                    )
            return result

        self.sync_while_someone_edits = sync_while_someone_edits

    def _sync(self, edits):
        with (
            patch.object(warehouse_grants, "sync", lambda c: self.sync_while_someone_edits(c, edits)),
            self.registry.cursor() as cr,
        ):
            env = api.Environment(cr, SUPERUSER_ID, {})
            before = env["ipwb.connection"].browse(self.connection.id).grants_synced_at
            warehouse_grants.sync_committed(env, self.connection.id)
        with self.registry.cursor() as cr:
            after = api.Environment(cr, SUPERUSER_ID, {})["ipwb.connection"].browse(self.connection.id)
            return before, after.grants_synced_at

    def test_a_sync_whose_record_changed_meanwhile_is_synced_again(self):
        before, after = self._sync(edits=1)
        self.assertEqual(self.calls, 2, "synced again in a new transaction")
        self.assertTrue(after and (not before or after >= before), "and recorded")

    def test_a_record_that_keeps_changing_gives_up_with_a_warning_not_an_error(self):
        with self.assertLogs("odoo.addons.ipwb_catalog.warehouse_grants", "WARNING") as logs:
            self._sync(edits=warehouse_grants.SYNC_ATTEMPTS)
        self.assertEqual(self.calls, warehouse_grants.SYNC_ATTEMPTS)
        self.assertIn("not recorded", logs.output[-1])
