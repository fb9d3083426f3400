# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import importlib.util
import pathlib

from odoo.tests.common import TransactionCase

from .common import WarehouseSchema

MIGRATIONS = pathlib.Path(__file__).resolve().parent.parent / "migrations"


def load_migration(version, name):
    spec = importlib.util.spec_from_file_location(f"ipwb_catalog_{name}", MIGRATIONS / version / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class TestCatalogMigration(TransactionCase):
    def test_18_0_1_2_0_archives_columns_of_archived_tables(self):
        """Catalogs scanned before 18.0.1.2.0 kept archived tables' columns active."""
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        wh = WarehouseSchema()
        self.addCleanup(wh.drop)
        wh.execute("CREATE TABLE {schema}.gone (id int, amount numeric)")
        wh.execute("CREATE TABLE {schema}.kept (id int)")
        connection._scan_catalog(schemas=[wh.name])
        Table = self.env["ipwb.table"].with_context(active_test=False)
        gone = Table.search([("schema_name", "=", wh.name), ("name", "=", "gone")])
        kept = Table.search([("schema_name", "=", wh.name), ("name", "=", "kept")])
        # the state an older version left: table archived, columns active
        self.env.flush_all()
        self.env.cr.execute("UPDATE ipwb_table SET active = FALSE WHERE id = %s", [gone.id])
        self.env.invalidate_all()
        self.assertEqual(gone.with_context(active_test=False).column_ids.mapped("active"), [True, True])

        load_migration("18.0.1.2.0", "post-migrate").migrate(self.env.cr, "18.0.1.1.0")
        self.env.invalidate_all()
        self.assertEqual(gone.with_context(active_test=False).column_ids.mapped("active"), [False, False])
        self.assertEqual(kept.column_ids.mapped("active"), [True])
