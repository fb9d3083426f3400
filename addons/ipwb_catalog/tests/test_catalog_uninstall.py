# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The uninstall hook removes what the answer cache created with raw SQL (the change log,
its functions and the triggers on the catalog tables), which the ORM would leave behind.
Run inside the test's transaction (PostgreSQL DDL is transactional, rolled back after):
uninstalling the catalog for real would take every workbench addon with it."""

import importlib

from odoo.modules.module import get_manifest
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .. import catalog_cache

TRIGGERS = len(catalog_cache.WATCHED) * 4  # insert, update, delete, truncate


@tagged("post_install", "-at_install")
class TestCatalogUninstall(TransactionCase):
    def _leftovers(self):
        cr = self.env.cr
        cr.execute("SELECT to_regclass('ipwb_catalog_change') IS NOT NULL")
        table = cr.fetchone()[0]
        cr.execute(
            "SELECT proname FROM pg_proc WHERE proname IN ('ipwb_catalog_changed', 'ipwb_catalog_row') "
            "ORDER BY proname"
        )
        functions = [row[0] for row in cr.fetchall()]
        cr.execute(
            "SELECT count(*) FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
            "WHERE p.proname = 'ipwb_catalog_changed'"
        )
        return table, functions, cr.fetchone()[0]

    def test_uninstall_hook_drops_the_change_log_functions_and_triggers(self):
        hook_name = get_manifest("ipwb_catalog")["uninstall_hook"]
        hook = getattr(importlib.import_module("odoo.addons.ipwb_catalog"), hook_name)
        installed = (True, ["ipwb_catalog_changed", "ipwb_catalog_row"], TRIGGERS)
        self.assertEqual(self._leftovers(), installed)
        hook(self.env)
        self.assertEqual(self._leftovers(), (False, [], 0))
        # the catalog tables stay writable until the ORM drops them (no trigger left calling
        # a dropped function), and a second run changes nothing
        self.env["ipwb.tag"].create({"name": "ipwb-uninstall-test"})
        self.env.flush_all()
        hook(self.env)
        self.assertEqual(self._leftovers(), (False, [], 0))
        # installing again restores all of it
        catalog_cache.ensure_change_log(self.env.cr)
        self.assertEqual(self._leftovers(), installed)
