# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The ip_workbench schema in the warehouse: equal to the records, refreshed after a change,
kept (same tables, same grants) when published again as an upgrade does, and a restricted
table's metadata hidden from warehouse roles that may not read the table."""

from unittest.mock import patch

from odoo.addons.ipwb_sql_editor.tests.common import run_as_writer
from odoo.addons.ipwb_sql_editor.tests.test_sql_grants import GrantsFixture

from odoo import tools
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.warehouse.connection import connect
from ipwb.warehouse.metadata_tables import TABLES

from .common import DOMAIN, OverviewSeed

PAYROLL = "gold.ipwb_test_grants_payroll"


def _visible_tables(config):
    conn = connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT id FROM ip_workbench.tables")
            tables = {row[0] for row in cur.fetchall()}
            cur.execute("SELECT table_id FROM ip_workbench.columns")
            columns = {row[0] for row in cur.fetchall()}
        return tables, columns
    finally:
        conn.close()


@tagged("post_install", "-at_install")
class TestIpWorkbench(OverviewSeed, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._seed()
        cls.publisher = cls.env["ipwb.metadata.publisher"]

    def test_contents_equal_the_records(self):
        counts = self.publisher._publish()
        for table in TABLES:
            (count,) = run_as_writer(self.env, f"SELECT count(*) FROM ip_workbench.{table.name}")[0]
            self.assertEqual(count, counts[table.name], table.name)
        connection = self.env.ref("ipwb_catalog.connection_embedded_warehouse")
        Table = self.env["ipwb.table"].with_context(active_test=False)
        self.assertEqual(counts["tables"], Table.search_count([("connection_id", "=", connection.id)]))
        self.assertEqual(counts["runs"], self.env["ipwb.pipeline.run"].search_count([]))
        self.assertEqual(counts["cost_tracker"], self.env["ipwb.cost.entry"].search_count([]))
        self.assertEqual(counts["dq_scores"], self.env["ipwb.dq.scorecard"].search_count([]))
        self.assertEqual(
            counts["pipelines"], self.env["ipwb.pipeline"].with_context(active_test=False).search_count([])
        )
        rows = run_as_writer(
            self.env,
            "SELECT full_name, layer, domain, owner, restricted, slo_freshness_hours"
            " FROM ip_workbench.tables WHERE domain = %s ORDER BY full_name",
            (DOMAIN,),
        )
        expected = [
            (t.full_name, t.layer, t.domain, t.owner_id.name or None, t.restricted, t.slo_freshness_hours)
            for t in self.tables.sorted("full_name")
        ]
        self.assertEqual([(*row[:5], float(row[5])) for row in rows], expected)
        (spec,) = run_as_writer(
            self.env,
            "SELECT spec_yaml FROM ip_workbench.pipeline_specs WHERE pipeline_id = %s",
            (self.pipeline.id,),
        )[0]
        self.assertEqual(spec, self.pipeline.spec_yaml)
        comments = run_as_writer(
            self.env,
            "SELECT col_description('ip_workbench.runs'::regclass, attnum) FROM pg_attribute"
            " WHERE attrelid = 'ip_workbench.runs'::regclass AND attname = 'state'",
        )
        self.assertEqual(comments[0][0], "queued, running, succeeded, failed or cancelled.")

    def test_refresh_after_a_cost_entry(self):
        self.publisher._publish()
        cron = self.env.ref("ipwb_workbench.ir_cron_publish_metadata")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        entry = self.env["ipwb.cost.entry"].create(
            {"source": "warehouse", "amount_usd": 1.5, "domain_name": DOMAIN}
        )
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        self.env["ipwb.cost.entry"].create({"source": "warehouse", "amount_usd": 0.5, "domain_name": DOMAIN})
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)  # a burst: one refresh
        query = "SELECT amount_usd FROM ip_workbench.cost_tracker WHERE id = %s"
        self.assertEqual(run_as_writer(self.env, query, (entry.id,)), [])
        self.publisher._cron_publish()
        self.assertEqual(run_as_writer(self.env, query, (entry.id,)), [(1.5,)])

    def test_finished_run_and_scan_ask_for_a_refresh(self):
        cron = self.env.ref("ipwb_workbench.ir_cron_publish_metadata")
        Trigger = self.env["ir.cron.trigger"].sudo()
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        run = self.env["ipwb.pipeline.run"].sudo().create({"pipeline_id": self.pipeline.id})
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 0)
        run._finish("succeeded")
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)
        Trigger.search([("cron_id", "=", cron.id)]).unlink()
        self.env.ref("ipwb_catalog.connection_embedded_warehouse")._scan_catalog(schemas=["platinum"])
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), 1)

    def test_publishing_again_keeps_tables_and_grants(self):
        self.publisher._publish()
        oids = (
            "SELECT c.relname, c.oid, c.relacl::text FROM pg_class c"
            " WHERE c.relnamespace = 'ip_workbench'::regnamespace AND c.relkind = 'r' ORDER BY 1"
        )
        before = run_as_writer(self.env, oids)
        self.assertEqual([row[0] for row in before], sorted(t.name for t in TABLES))
        self.publisher._publish()
        self.assertEqual(run_as_writer(self.env, oids), before)

    def test_unreachable_warehouse_is_reported_not_raised_by_the_cron(self):
        with patch.dict(tools.config.options, {"ipwb_warehouse_port": "1"}):
            self.assertEqual(self.publisher._cron_publish(), {})


@tagged("post_install", "-at_install")
class TestIpWorkbenchRestricted(GrantsFixture, TransactionCase):
    def test_restricted_metadata_hidden_from_roles_without_the_grant(self):
        (oid,) = run_as_writer(self.env, "SELECT %s::regclass::oid::text", (PAYROLL,))[0]
        self.table.sudo().write({"oid": oid})
        self.env["ipwb.column"].sudo().create({"table_id": self.table.id, "name": "salary", "ordinal": 2})
        self.open_table = (
            self.env["ipwb.table"]
            .sudo()
            .create(
                {"connection_id": self.connection.id, "schema_name": "gold", "name": "ipwb_test_open_meta"}
            )
        )
        self.env["ipwb.metadata.publisher"]._publish(self.connection)
        ann_tables, ann_columns = _visible_tables(self.connection._user_warehouse_config(self.ann))
        ben_tables, ben_columns = _visible_tables(self.connection._user_warehouse_config(self.ben))
        self.assertIn(self.table.id, ann_tables)
        self.assertIn(self.table.id, ann_columns)
        self.assertNotIn(self.table.id, ben_tables)
        self.assertNotIn(self.table.id, ben_columns)
        # an unrestricted table stays visible to both
        self.assertIn(self.open_table.id, ann_tables)
        self.assertIn(self.open_table.id, ben_tables)
