# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The warehouse unreachable (issue #20 §2): every surface answers a clear message, no
traceback, and works again once the warehouse is back.

The embedded connection reads its settings from the server configuration; pointing
``ipwb_warehouse_port`` at a closed loopback port makes the warehouse unreachable for real
(connection refused), while Odoo's own database stays up."""

import socket
from unittest.mock import patch

from odoo import tools
from odoo.exceptions import UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@tagged("post_install", "-at_install")
class TestWarehouseUnreachable(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.engineer = new_test_user(
            cls.env,
            "ipwb_unreach_de",
            groups="ipwb_catalog.group_ipwb_data_engineer,ipwb_catalog.group_ipwb_user",
        )
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")
        cls.check = cls.env["ipwb.dq.check"].create(
            {
                "name": "id set",
                "table_ref": "gold.unreach_probe",
                "column_name": "id",
                "check_type": "not_null",
            }
        )

    def _unreachable(self):
        return patch.dict(tools.config.options, {"ipwb_warehouse_port": str(_closed_port())})

    def _assert_clear(self, message):
        self.assertIn("127.0.0.1", message)
        self.assertNotIn("Traceback", message)
        self.assertNotIn("psycopg2", message)
        self.assertNotIn("password", message.lower())

    def test_catalog_scan_editor_guardian_and_overview_say_so_then_resume(self):
        with self._unreachable():
            with self.assertRaises(UserError) as refused:
                self.connection.with_user(self.engineer).action_scan()
            self._assert_clear(str(refused.exception))

            # the editor's login role is resolved before the query: refused with the reason
            with self.assertRaises(UserError) as refused:
                self.env["ipwb.sql.service"].with_user(self.engineer).run(sql="SELECT 1 AS one")
            self._assert_clear(str(refused.exception))

            self.check.with_user(self.engineer).action_run()
            outcome = self.check.result_ids.sorted("id")[-1:]
            self.assertEqual(outcome.status, "error")
            self._assert_clear(outcome.message)

            tiles = self.env["ipwb.overview"].with_user(self.engineer).get_overview(days=30)["tiles"]
            self.assertTrue(tiles, "the overview reads the workbench's own records: it still answers")

        # back: the same calls work again, nothing to restart
        self.connection.with_user(self.engineer).action_scan()
        result = self.env["ipwb.sql.service"].with_user(self.engineer).run(sql="SELECT 1 AS one")
        self.assertEqual((result["status"], result["rows"]), ("success", [[1]]))
        self.check.with_user(self.engineer).action_run()
        self.assertNotEqual(self.check.result_ids.sorted("id")[-1].message, outcome.message)
