# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The finance pipeline (specs/pipelines/finance_bir.yaml) run by the pipeline worker:
Odoo → bronze → silver (gated) → gold (staged, reconciled with Odoo's own 2550Q figures and
the 2307 export, then published) → gold gates.

Odoo data lives in the test transaction (rolled back); warehouse writes go through separate
connections and are committed; each test starts from empty finance tables.
"""

import datetime
import json
from decimal import Decimal
from unittest.mock import patch

from odoo.addons.l10n_ph.tests.common import TestPhCommon
from psycopg2 import sql

from odoo import SUPERUSER_ID, Command
from odoo.exceptions import AccessDenied, AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tools import config

from ipwb.finance import marts
from ipwb.finance import reconcile as rc
from ipwb.finance import warehouse as wh

from ..models.ipwb_finance_run import SPEC_PATH
from ..services import odoo_figures
from .common import EmptyFinanceWarehouseMixin

JAN, FEB = datetime.date(2025, 1, 1), datetime.date(2025, 2, 1)
PERIOD = (datetime.date(2025, 1, 1), datetime.date(2025, 3, 31))


@tagged("post_install", "-at_install")
class TestFinancePipeline(EmptyFinanceWarehouseMixin, TestPhCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.company_data["company"]
        cls.company = company
        cls.env.user.groups_id |= cls.env.ref("ipwb_finance_bir.group_ipwb_finance_manager")
        # the pipeline runs as its technical user: an administrator lets it read the company
        cls.finance_user = cls.env.ref("ipwb_finance_bir.user_finance_pipeline")
        cls.env["ipwb.finance.run"]._grant_companies(company)

        def tax(xmlid):
            return cls.env.ref(f"account.{company.id}_{xmlid}")

        cls.vat_sale = tax("l10n_ph_tax_sale_vat_12")
        cls.zero_rated = tax("l10n_ph_tax_sale_vat_zero_rated")
        cls.exempt = tax("l10n_ph_tax_sale_vat_exempt")
        cls.sale_wc158 = tax("l10n_ph_tax_sale_wc158_1")
        cls.vat_purchase = tax("l10n_ph_tax_purchase_vat_12")
        cls.vat_service = tax("l10n_ph_tax_purchase_vat_12_service")
        cls.wc158 = tax("l10n_ph_tax_purchase_wc158_1")
        cls.wi010 = tax("l10n_ph_tax_purchase_wi010")
        cls.invoice = cls._move(
            "out_invoice", cls.partner_a, JAN, [(10000, cls.vat_sale), (2000, cls.zero_rated)]
        )
        cls.invoice_wht = cls._move(
            "out_invoice", cls.partner_b, FEB, [(5000, cls.vat_sale | cls.sale_wc158)]
        )
        cls.invoice_exempt = cls._move("out_invoice", cls.partner_a, FEB, [(700, cls.exempt)])
        cls.bill = cls._move("in_invoice", cls.partner_b, JAN, [(20000, cls.vat_purchase | cls.wc158)])
        cls.bill_service = cls._move(
            "in_invoice", cls.partner_a, FEB, [(3000, cls.vat_service | cls.wi010), (1500, cls.vat_service)]
        )
        (cls.invoice | cls.invoice_wht | cls.invoice_exempt | cls.bill | cls.bill_service).action_post()

    @classmethod
    def _move(cls, move_type, partner, day, lines, company=None):
        return (
            cls.env["account.move"]
            .with_company(company or cls.company)
            .create(
                {
                    "move_type": move_type,
                    "partner_id": partner.id,
                    "invoice_date": day,
                    "date": day,
                    "invoice_line_ids": [
                        Command.create(
                            {
                                "name": f"Item {price}",
                                "quantity": 1,
                                "price_unit": price,
                                "tax_ids": taxes.ids,
                            }
                        )
                        for price, taxes in lines
                    ],
                }
            )
        )

    def _run(self, **kwargs):
        return self.env["ipwb.finance.run"]._run_pipeline(
            companies=self.company, date_from=PERIOD[0], date_to=PERIOD[1], **kwargs
        )

    def _steps(self, run):
        return {s.step_name: s for s in run.pipeline_run_id.step_run_ids}

    def _gold_vat(self, company=None):
        """Gold 2550M leaf lines of one company (the test company by default)."""
        company = company or self.company
        lines = self._read(marts.gold_vat_lines, *PERIOD)
        return {key[1:]: amount for key, amount in lines.items() if key[0] == company.id}

    def _query(self, text, table):
        return self._read(lambda conn, schemas: marts.fetch_dicts(conn, sql.SQL(text).format(table)))

    def test_gold_vat_and_ewt_equal_tax_report_and_2307(self):
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertGreater(run.rows_loaded, 0)
        steps = self._steps(run)
        self.assertEqual(
            set(steps), {s.name for s in run.pipeline_run_id.pipeline_id.step_ids}, "the spec's steps"
        )
        self.assertEqual({s.state for s in steps.values()}, {"succeeded"})
        self.assertGreater(steps["extract_bronze"].attempt, 0)
        # the gates executed the declared Guardian checks, and stored their results
        Result = self.env["ipwb.dq.result"].sudo()
        for table in ("silver.fin_invoices", "silver.fin_invoice_lines", "gold.fin_vat_2550q"):
            results = Result.search(
                [("table_ref", "=", table), ("run_date", ">=", run.pipeline_run_id.date_start)]
            )
            self.assertTrue(results, table)
            self.assertEqual(set(results.mapped("status")), {"pass"}, table)
        self.assertIn("PASS", steps["check_silver"].log)
        gold = self._gold_vat()
        # the books, as Odoo's 2550Q tag rule reads them ...
        books = odoo_figures.vat_lines(self.env, self.company, *PERIOD)
        every_line = self._read(rc.gold_vat, [self.company.id], "2025-Q1")
        for key, amount in books.items():
            if key[2] not in ("15", "20", "21", "25", "26"):  # Part II totals: not in gold
                self.assertEqual(every_line.get(key, Decimal(0)), amount, key)
        self.assertEqual(books[(self.company.id, "2025-01", "56", "balance")], Decimal("-1200.00"))
        # ... and as a person reads the invoices
        self.assertEqual(gold[("2025-01", "31", "tax_base")], Decimal("10000.00"))
        self.assertEqual(gold[("2025-01", "31", "balance")], Decimal("1200.00"))
        self.assertEqual(gold[("2025-01", "33", "tax_base")], Decimal("2000.00"))
        self.assertEqual(gold[("2025-02", "31", "tax_base")], Decimal("5000.00"))
        self.assertEqual(gold[("2025-02", "34", "tax_base")], Decimal("700.00"))
        self.assertEqual(gold[("2025-01", "42", "tax_base")], Decimal("20000.00"))
        self.assertEqual(gold[("2025-01", "42", "balance")], Decimal("2400.00"))
        self.assertEqual(gold[("2025-02", "42", "tax_base")], Decimal("4500.00"))
        self.assertEqual(gold[("2025-02", "42", "balance")], Decimal("540.00"))
        # expanded withholding: gold equals the 2307 export, payee by payee and ATC by ATC
        ewt_2307 = odoo_figures.ewt_2307(self.env, self.company, *PERIOD)
        self.assertEqual(self._read(rc.gold_ewt, [self.company.id], "2025-Q1"), ewt_2307)
        company, tin = self.company.id, "789456123"
        self.assertEqual(
            ewt_2307[(company, "2025-01", tin, "456", "WC158")], (Decimal("20000.00"), Decimal("200.00"))
        )
        self.assertEqual(
            ewt_2307[(company, "2025-02", tin, "789", "WI010")], (Decimal("3000.00"), Decimal("150.00"))
        )
        # SAWT: the 1% the customer withheld from us
        sawt = self._query(
            "SELECT atc, income_payment, tax_withheld FROM {}", sql.Identifier(self.schemas.gold, "fin_sawt")
        )
        self.assertEqual(
            sawt, [{"atc": "WC158", "income_payment": Decimal("5000.00"), "tax_withheld": Decimal("50.00")}]
        )

    def test_gold_tables_registered_in_catalog_with_lineage(self):
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertIn(f"{len(wh.GOLD_DOCS)} gold tables registered", run.catalog_message)
        table = (
            self.env["ipwb.table"].sudo().search([("full_name", "=", f"{self.schemas.gold}.fin_vat_2550q")])
        )
        self.assertEqual((table.layer, table.domain), ("gold", "finance_bir"))
        self.assertTrue(table.owner_id and table.slo_freshness_hours and table.description)
        checks = self.env["ipwb.dq.check"].sudo().search([("table_ref", "=", table.full_name)])
        self.assertEqual(
            set(checks.mapped("column_name")), {"company_id", "company_name", "quarter", "line_code"}
        )
        edges = (
            self.env["ipwb.lineage.edge"]
            .sudo()
            .search([("edge_type", "=", "table"), ("target_table", "=", table.full_name)])
        )
        self.assertIn(f"{self.schemas.gold}.fin_vat_2550m", edges.mapped("source_table"))
        # a second run registers nothing twice
        self._run()
        self.assertEqual(
            self.env["ipwb.dq.check"].sudo().search_count([("table_ref", "=", table.full_name)]), 4
        )

    def test_rerun_changes_nothing(self):
        first = self._run()
        self.assertEqual(first.state, "succeeded", first.error)
        before = self._read(marts.fingerprints)
        second = self._run()
        self.assertEqual(second.state, "succeeded", second.error)
        self.assertEqual(second.rows_loaded, 0, second.loaded_detail)
        self.assertEqual(second.table_counts, first.table_counts)
        self.assertEqual(self._read(marts.fingerprints), before)

    def test_silver_is_incremental_whole_on_demand(self):
        def silver_mode(run):
            self.assertEqual(run.state, "succeeded", run.error)
            return json.loads(self._steps(run)["build_silver"].sudo().response)["silver"]

        self.assertEqual(silver_mode(self._run()), "full (first build)")
        self.invoice_exempt.button_draft()
        self.assertEqual(silver_mode(self._run()), "incremental")
        self.assertEqual(silver_mode(self._run(params={"rebuild_silver": True})), "full (asked for)")
        refused = self._run(params={"rebuild_silver": "maybe"})
        self.assertEqual(refused.state, "failed")
        self.assertIn("rebuild_silver must be true or false", self._steps(refused)["build_silver"].error)

    def test_reversed_invoice_flows_through(self):
        self.assertEqual(self._run().state, "succeeded")
        self.assertEqual(self._gold_vat()[("2025-01", "31", "tax_base")], Decimal("10000.00"))
        reversal = self.invoice._reverse_moves([{"date": JAN, "invoice_date": JAN}], cancel=True)
        self.assertEqual(reversal.state, "posted")
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        gold = self._gold_vat()
        self.assertEqual(gold[("2025-01", "31", "tax_base")], Decimal("0.00"))
        self.assertEqual(gold[("2025-01", "31", "balance")], Decimal("0.00"))
        credit_notes = self._query(
            "SELECT reversed_entry_id, amount_total FROM {} WHERE move_type = 'out_refund'",
            sql.Identifier(self.schemas.silver, "fin_invoices"),
        )
        self.assertEqual(
            credit_notes, [{"reversed_entry_id": self.invoice.id, "amount_total": Decimal("-13200.00")}]
        )

    def test_unposted_invoice_becomes_a_tombstone(self):
        self.assertEqual(self._run().state, "succeeded")
        self.invoice_exempt.button_draft()
        self.invoice_exempt.button_cancel()
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertNotIn(("2025-02", "34", "tax_base"), self._gold_vat())
        self.assertNotIn(self.invoice_exempt.id, self._read(wh.live_source_ids, "account_move"))

    def test_reconciliation_difference_blocks_publication(self):
        self.assertEqual(self._run().state, "succeeded")
        published = self._gold_vat()
        # a stray line in bronze under a real invoice's current version: no extraction
        # touches it (the invoice did not change), and gold now disagrees with the books
        self._plant_line({"account_code": "400000", "balance": -999.0, "tax_tag_invert": True,
                          "tax_tags": [{"name": "+31A"}]})  # fmt: skip
        run = self._run()
        self.assertEqual(run.state, "failed")
        steps = self._steps(run)
        self.assertEqual(steps["check_silver"].state, "succeeded")
        self.assertEqual(steps["reconcile"].state, "failed")
        self.assertEqual(steps["check_gold"].state, "skipped")
        self.assertIn("not published", run.error)
        self.assertEqual(run.reconciliation, "differences")
        self.assertIn("31", run.differences)
        self.assertIn("999.00", run.differences)
        self.assertEqual(self._gold_vat(), published, "a failed reconciliation must not publish gold")

    def _plant_line(self, payload):
        """A stray line in bronze under a real invoice's current version, written by the
        writer role: no extraction touches it (the invoice did not change)."""
        version = self._read(wh.latest_versions, "account_move", [self.invoice.id])[self.invoice.id]
        stray = wh.SourceRow(
            10**9, None, {"id": 10**9, "move_id": self.invoice.id, **payload}, parent_version=version
        )
        wh.upsert_rows(self.conn, self.schemas, "account_move_line", [stray])
        self.conn.commit()

    def test_silver_defect_fails_the_gate_and_skips_gold(self):
        first = self._run()
        self.assertEqual(first.state, "succeeded", first.error)
        published = self._gold_vat()
        self._plant_line({"balance": 0.0, "name": "line without an account"})
        run = self._run()
        self.assertEqual(run.state, "failed")
        steps = self._steps(run)
        self.assertEqual(steps["build_silver"].state, "succeeded")
        self.assertEqual(steps["check_silver"].state, "failed")
        self.assertIn("fin_invoice_lines.account_code not null", steps["check_silver"].error)
        for name in ("build_gold", "reconcile", "check_gold"):
            self.assertEqual(steps[name].state, "skipped", name)
        failed = r"FAIL fin_invoice_lines\.account_code not null \(not_null\): fail"
        self.assertRegex(steps["check_silver"].log, failed)
        # one gate for the layer: the other table's checks ran in the same batch and passed
        self.assertRegex(steps["check_silver"].log, r"silver\.fin_invoices: PASS fin_invoices")
        self.assertIn("(silver.fin_invoice_lines)", steps["check_silver"].error)
        self.assertEqual(self._gold_vat(), published, "gold stays as published")
        self.assertEqual(run.reconciliation, "pending")

    def test_missing_writer_configuration_fails_clearly(self):
        with patch.dict(config.options, {"ipwb_warehouse_writer_user": ""}):
            run = self._run()
        # extraction retries later (spec: 2 retries, 300 s apart); nothing ran after it
        self.assertEqual(run.state, "queued")
        steps = self._steps(run)
        self.assertEqual(steps["extract_bronze"].state, "retrying")
        self.assertIn("ipwb_warehouse_writer_user", steps["extract_bronze"].error)
        self.assertEqual(steps["build_silver"].state, "pending")
        run.pipeline_run_id.sudo().action_cancel()

    def test_finance_manager_runs_from_the_button(self):
        manager = new_test_user(
            self.env,
            "ipwb_fin_runner",
            groups="ipwb_finance_bir.group_ipwb_finance_manager",
            company_ids=[Command.set((self.env.company | self.company).ids)],
        )
        runs = self.env["ipwb.finance.run"].with_user(manager)
        action = runs.action_run_pipeline()
        self.assertEqual(action["res_model"], "ipwb.pipeline.run")
        pipeline_run = self.env["ipwb.pipeline.run"].browse(action["res_id"])
        run = pipeline_run.finance_run_ids
        self.assertEqual((pipeline_run.state, run.state), ("queued", "queued"), "nothing runs in the request")
        self.assertEqual((run.trigger, pipeline_run.requested_by_id), ("manual", manager))
        self.assertEqual(pipeline_run.pipeline_id, self.env.ref("ipwb_finance_bir.pipeline_finance_bir"))
        self.env["ipwb.pipeline.run"].sudo()._cron_process_runs()
        self.assertIn(self.company, run.company_ids)
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        with self.assertRaises(AccessError):
            self.env["ipwb.finance.run"].with_user(
                new_test_user(self.env, "ipwb_plain")
            ).action_run_pipeline()

    def test_pipeline_is_the_spec_scheduled_by_its_own_cron(self):
        pipeline = self.env.ref("ipwb_finance_bir.pipeline_finance_bir")
        with open(SPEC_PATH, encoding="utf-8") as handle:
            self.assertEqual(pipeline.spec_yaml, handle.read(), "the pipeline is its spec, byte for byte")
        self.assertEqual(pipeline.state, "validated")
        self.assertEqual(pipeline.cron_id.code, f"model._cron_scheduled_run({pipeline.id})")
        self.assertFalse(pipeline.cron_id.active, "scheduled once promoted to production")
        kinds = {s.name: s.kind for s in pipeline.step_ids}
        self.assertEqual(kinds["extract_bronze"], "server_action")
        self.assertEqual(kinds["check_silver"], "quality_gate")
        self.assertFalse(self.env.ref("ipwb_finance_bir.ir_cron_finance_pipeline", raise_if_not_found=False))
        # re-syncing (an upgrade) changes nothing
        self.assertEqual(self.env["ipwb.finance.run"]._sync_finance_pipeline(), pipeline)
        self.assertEqual(pipeline.state, "validated")

    def test_finance_step_outside_a_pipeline_run_is_refused(self):
        with self.assertRaisesRegex(UserError, "only inside a pipeline run"):
            self.env.ref("ipwb_finance_bir.ipwb_finance_step_extract").run()
        with self.assertRaisesRegex(UserError, "comma-separated company ids"):
            self.env["ipwb.finance.run"]._companies_from_params({"companies": "first"})

    def test_gold_and_reconciliation_are_per_company(self):
        other = self.setup_other_company(name="PH Second Co")["company"]
        other.vat = "987-654-321-000"
        self.env.user.company_ids |= other
        self.env["ipwb.finance.run"]._grant_companies(other)

        def tax(xmlid):
            return self.env.ref(f"account.{other.id}_{xmlid}")

        moves = self._move(
            "out_invoice", self.partner_a, JAN, [(4000, tax("l10n_ph_tax_sale_vat_12"))], other
        )
        moves |= self._move(
            "in_invoice",
            self.partner_b,
            FEB,
            [(1000, tax("l10n_ph_tax_purchase_vat_12") | tax("l10n_ph_tax_purchase_wc158_1"))],
            other,
        )
        moves.action_post()
        run = self.env["ipwb.finance.run"]._run_pipeline(
            companies=self.company | other, date_from=PERIOD[0], date_to=PERIOD[1]
        )
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        # each company's own figures, reconciled key by key with that company's books
        self.assertEqual(self._gold_vat()[("2025-01", "31", "tax_base")], Decimal("10000.00"))
        self.assertEqual(self._gold_vat(other)[("2025-01", "31", "tax_base")], Decimal("4000.00"))
        self.assertEqual(self._gold_vat(other)[("2025-02", "42", "balance")], Decimal("120.00"))
        books = odoo_figures.vat_lines(self.env, self.company | other, *PERIOD)
        self.assertEqual({key[0] for key in books}, {self.company.id, other.id})
        ewt = self._read(rc.gold_ewt, [self.company.id, other.id], "2025-Q1")
        self.assertEqual(ewt, odoo_figures.ewt_2307(self.env, self.company | other, *PERIOD))
        self.assertEqual(
            ewt[(other.id, "2025-02", "789456123", "456", "WC158")], (Decimal("1000.00"), Decimal("10.00"))
        )
        # the BI tool sees who files what
        rows = self._query(
            "SELECT DISTINCT company_id, company_name, company_tin FROM {} ORDER BY company_id",
            sql.Identifier("bi", "vat_return_quarterly"),
        )
        self.assertEqual(
            [tuple(r.values()) for r in rows],
            [(self.company.id, "Test Company", "123456789"), (other.id, "PH Second Co", "987654321")],
        )

    def test_pipeline_runs_as_its_technical_user_never_the_superuser(self):
        pipeline = self.env.ref("ipwb_finance_bir.pipeline_finance_bir")
        user = self.finance_user
        self.assertEqual(pipeline.owner_id, user)
        self.assertNotEqual(user.id, SUPERUSER_ID)
        self.assertTrue(user.active and not user.share)
        self.assertFalse(user.has_group("base.group_system"), "it is no administrator")
        self.assertFalse(user.has_group("base.group_erp_manager"))
        self.assertFalse(user.has_group("ipwb_catalog.group_ipwb_admin"))
        for password in ("", "ipwb_finance_pipeline", "admin"):
            with self.assertRaises(AccessDenied, msg="no password: nobody logs in as it"):
                user.with_user(user)._check_credentials(
                    {"type": "password", "login": user.login, "password": password}, {"interactive": True}
                )
        seen = []
        original = type(self.env["ipwb.finance.run"])._reader_companies

        def spy(model, finance_run):
            seen.append((model.env.uid, model.env.su))
            return original(model, finance_run)

        with patch.object(type(self.env["ipwb.finance.run"]), "_reader_companies", spy):
            run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(set(seen), {(user.id, False)}, "extract and reconcile read Odoo as the user")
        self.assertIn(f"steps run with the rights of {user.login}", run.pipeline_run_id.log)

    def test_company_not_granted_to_the_technical_user_fails_clearly(self):
        other = self.setup_other_company(name="PH Ungranted Co")["company"]
        self.env.user.company_ids |= other
        run = self.env["ipwb.finance.run"]._run_pipeline(
            companies=other, date_from=PERIOD[0], date_to=PERIOD[1]
        )
        step = self._steps(run)["extract_bronze"]
        self.assertIn(step.state, ("retrying", "failed"))
        self.assertIn("PH Ungranted Co", step.error)
        self.assertIn(self.finance_user.login, step.error)
        run.pipeline_run_id.sudo().action_cancel()
