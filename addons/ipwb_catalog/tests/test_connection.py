# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import dataclasses
import socket

import psycopg2

from odoo import tools
from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase


def _closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@tagged("post_install", "-at_install")
class TestWarehouseConnection(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.embedded = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def _record_connection(self, **values):
        base = {
            "name": "Manual",
            "host": tools.config.get("ipwb_warehouse_host") or "127.0.0.1",
            "port": int(tools.config.get("ipwb_warehouse_port") or 5432),
            "dbname": tools.config.get("ipwb_warehouse_db"),
            "username": tools.config.get("ipwb_warehouse_user"),
            "password": tools.config.get("ipwb_warehouse_password"),
        }
        base.update(values)
        return self.env["ipwb.connection"].create(base)

    def test_embedded_default_reaches_the_warehouse(self):
        self.assertTrue(tools.config.get("ipwb_warehouse_db"), "the test odoo.conf names the warehouse")
        self.assertEqual(self.env["ipwb.connection"]._get_default(), self.embedded)
        action = self.embedded.action_test_connection()
        self.assertEqual(action["params"]["type"], "success")
        self.assertIn(tools.config.get("ipwb_warehouse_db"), self.embedded.last_test_message)
        self.assertNotIn(tools.config.get("ipwb_warehouse_password"), self.embedded.target_display)

    def test_embedded_role_is_read_only(self):
        conn = self.embedded._connect()
        try:
            with conn.cursor() as cr:
                cr.execute("SHOW default_transaction_read_only")
                self.assertEqual(cr.fetchone()[0], "on")
        finally:
            conn.close()

    def test_wrong_password_is_a_clear_error(self):
        connection = self._record_connection(password="definitely-wrong")
        with self.assertRaisesRegex(UserError, "password"):
            connection.action_test_connection()
        self.assertFalse(connection.last_test_date)

    def test_unreachable_host_is_a_clear_error(self):
        connection = self._record_connection(port=_closed_port())
        with self.assertRaisesRegex(UserError, "host and port"):
            connection.action_test_connection()

    def test_odoo_database_is_refused(self):
        with self.assertRaises(ValidationError):
            self._record_connection(dbname=self.env.cr.dbname)

    def test_warehouse_role_cannot_reach_odoo_database(self):
        # The same credentials that reach the warehouse are refused by Odoo's database.
        connection = self._record_connection()
        config = connection._warehouse_config()
        odoo_target = dataclasses.replace(config, dbname=self.env.cr.dbname, forbidden_dbnames=frozenset())
        with self.assertRaises(psycopg2.OperationalError):
            psycopg2.connect(**odoo_target.connect_kwargs()).close()

    def test_single_default(self):
        with self.assertRaises(ValidationError):
            self._record_connection(is_default=True)
