# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ..models import ipwb_connection_scan
from .common import WarehouseSchema


class Interrupted(Exception):
    """Stands for a worker killed in the middle of a batch (its transaction is lost)."""


@tagged("post_install", "-at_install")
class TestCatalogScanBatches(TransactionCase):
    """A large scan is applied in batches (each committed by the cron runner) and resumes."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.connection = cls.env.ref("ipwb_catalog.connection_embedded_warehouse")

    def setUp(self):
        super().setUp()
        self.addCleanup(ipwb_connection_scan._snapshots.clear)
        self.wh = self.build()

    def build(self):
        wh = WarehouseSchema("ipwb_batch")
        self.addCleanup(wh.drop)
        for i in range(1, 12):
            wh.execute(
                f"CREATE TABLE {{schema}}.t{i:02d} (id int PRIMARY KEY, label_{i} text, amount numeric)"
            )
        wh.execute("ALTER TABLE {schema}.t02 ADD COLUMN t01_id int REFERENCES {schema}.t01 (id)")
        wh.execute(
            "CREATE VIEW {schema}.v_sum AS SELECT t01.id, t02.amount"
            " FROM {schema}.t01 JOIN {schema}.t02 ON t02.t01_id = t01.id"
        )
        return wh

    def catalog(self, connection):
        """Everything a scan writes for this schema, without ids (comparable across connections)."""
        tables = (
            self.env["ipwb.table"]
            .with_context(active_test=False)
            .search([("connection_id", "=", connection.id), ("schema_name", "=", self.wh.name)])
        )
        columns = (
            self.env["ipwb.column"].with_context(active_test=False).search([("table_id", "in", tables.ids)])
        )
        edges = self.env["ipwb.lineage.edge"].search(
            [("connection_id", "=", connection.id), ("target_table", "=like", f"{self.wh.name}.%")]
        )
        return (
            sorted((t.name, t.kind, t.oid, t.active) for t in tables),
            sorted(
                (c.table_id.name, c.name, c.attnum, c.data_type, c.is_primary_key, str(c.fk_refs), c.active)
                for c in columns
            ),
            sorted(
                (
                    e.source_table,
                    e.source_column or "",
                    e.target_table,
                    e.target_column or "",
                    bool(e.source_table_id),
                )
                for e in edges
            ),
        )

    def scan_in_batches(self, connection, size):
        steps = []
        remaining = True
        while remaining:
            _summary, remaining = connection._scan_step(schemas=[self.wh.name], limit=size)
            steps.append(remaining)
            self.assertLess(len(steps), 50, "a batched scan must finish")
        return steps

    def test_batches_give_the_same_catalog_as_one_pass(self):
        twin = self.connection.copy({"name": "Same warehouse, scanned in batches", "is_default": False})
        self.connection._scan_catalog(schemas=[self.wh.name])
        steps = self.scan_in_batches(twin, 4)
        self.assertEqual(steps[-1], 0)
        self.assertGreaterEqual(len(steps), 3, "12 tables and a view in batches of 4")
        self.assertEqual(self.catalog(twin), self.catalog(self.connection))
        self.assertEqual(len(self.catalog(twin)[0]), 12)
        self.assertTrue(self.catalog(twin)[2], "the view's lineage is recorded after the last batch")
        self.assertEqual((twin.scan_state, twin.scan_done, twin.scan_remaining), ("idle", 0, 0))
        self.assertIn("12 new", twin.last_scan_summary)
        # churn: tables dropped, re-created, added and changed, again batched vs one pass
        self.wh.execute("DROP TABLE {schema}.t05, {schema}.t06, {schema}.t07")
        self.wh.execute("DROP TABLE {schema}.t03")
        self.wh.execute("CREATE TABLE {schema}.t03 (id bigint, note text)")
        self.wh.execute("ALTER TABLE {schema}.t04 RENAME COLUMN label_4 TO title")
        for i in range(20, 25):
            self.wh.execute(f"CREATE TABLE {{schema}}.n{i} (id int)")
        self.connection._scan_catalog(schemas=[self.wh.name])
        self.scan_in_batches(twin, 2)
        self.assertEqual(self.catalog(twin), self.catalog(self.connection))
        archived = [name for name, _kind, _oid, active in self.catalog(twin)[0] if not active]
        self.assertEqual(archived, ["t05", "t06", "t07"])
        # and a batched rescan of an unchanged warehouse is one empty step
        self.assertEqual(self.scan_in_batches(twin, 2), [0])

    def wh_tables(self, wh=None):
        return self.env["ipwb.table"].search(
            [("connection_id", "=", self.connection.id), ("schema_name", "=", (wh or self.wh).name)]
        )

    def test_interrupted_queued_scan_resumes_and_finishes(self):
        self.env["ir.config_parameter"].set_param("ipwb_catalog.scan_batch_size", "4")
        self.env["ir.config_parameter"].set_param("ipwb_catalog.scan_sync_limit", "1")
        engineer = new_test_user(
            self.env, "ipwb_batch_engineer", groups="ipwb_catalog.group_ipwb_data_engineer"
        )
        self.connection._scan_catalog()  # the rest of the warehouse is known: the plan is the new schema
        self.wh = self.build()
        cron = self.env.ref("ipwb_catalog.cron_scan_catalog")
        self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]).unlink()
        action = self.connection.with_user(engineer).action_scan()
        self.assertEqual(action["params"]["type"], "info", "a large warehouse is queued, not scanned")
        self.assertEqual(self.connection.scan_state, "queued")
        self.assertFalse(self.wh_tables())
        self.assertTrue(self.env["ir.cron.trigger"].search([("cron_id", "=", cron.id)]), "the cron is woken")

        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        again = self.connection.with_user(engineer).action_scan()  # pressed again: wakes the cron
        self.assertEqual((again["params"]["type"], self.connection.scan_state), ("info", "queued"))
        self.assertEqual(self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers + 1)

        # first batch, through the batched-cron API the runner reads
        cron, progress = cron._add_progress()
        self.env["ipwb.connection"].with_context(ir_cron_progress_id=progress.id)._cron_scan_catalog()
        self.assertEqual(self.connection.scan_state, "running")
        self.assertEqual(len(self.wh_tables()), 4)
        self.assertEqual((progress.done, progress.remaining), (4, 8))
        self.assertEqual((self.connection.scan_done, self.connection.scan_remaining), (4, 8))
        self.assertEqual(self.connection.scan_progress, 100.0 * 4 / 12)

        # the next batch dies with its worker: its writes are rolled back, its snapshot is gone
        with self.assertRaises(Interrupted), self.env.cr.savepoint():
            self.env["ipwb.connection"]._cron_scan_catalog()
            self.assertEqual(len(self.wh_tables()), 8)
            raise Interrupted
        self.env.invalidate_all()
        ipwb_connection_scan._snapshots.clear()
        self.assertEqual(len(self.wh_tables()), 4)
        self.wh.execute("CREATE TABLE {schema}.late (id int)")  # seen by the new introspection

        for _run in range(10):
            self.env["ipwb.connection"]._cron_scan_catalog()
            if self.connection.scan_state == "idle":
                break
        self.assertEqual(self.connection.scan_state, "idle")
        tables = self.wh_tables()
        self.assertEqual(len(tables), 13)
        self.assertEqual(len(set(tables.mapped("name"))), 13, "no table created twice")
        self.assertEqual(len(tables.filtered(lambda t: t.name == "t02").column_ids), 4)
        self.assertIn("13 new", self.connection.last_scan_summary)
        # the next daily run queues every connection again and finds nothing to do here
        self.env["ipwb.connection"]._cron_scan_catalog()
        self.assertEqual(self.connection.scan_state, "idle")
        self.assertEqual(len(self.wh_tables()), 13)

    def test_only_scanners_scan_or_queue(self):
        self.env["ir.config_parameter"].set_param("ipwb_catalog.scan_sync_limit", "1")
        for groups in ("ipwb_catalog.group_ipwb_user", "ipwb_catalog.group_ipwb_bi_engineer"):
            user = new_test_user(self.env, f"ipwb_noscan_{groups.rsplit('_', 1)[1]}", groups=groups)
            with self.assertRaises(AccessError):
                self.connection.with_user(user).action_scan()
            with self.assertRaises(AccessError):
                self.connection.with_user(user)._scan_step(schemas=[self.wh.name], limit=2)
            self.assertEqual(self.connection.scan_state, "idle")
            self.assertFalse(self.wh_tables())
