# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Reconciliation that can fail, and the finance quality checks, on real l10n_ph books.

Odoo's side comes from l10n_ph's own tax report definition, the 2307 export and the journal
items — never from the marts' tag map — so a mapping planted wrong in the marts must make the
run fail, while a foreign-currency bill and a discounted line (the export's quirks) pass.
"""

import datetime
from decimal import Decimal
from unittest.mock import patch

from odoo.addons.l10n_ph import utils as l10n_ph_utils
from odoo.addons.l10n_ph.tests.common import TestPhCommon
from psycopg2 import sql

from odoo import Command
from odoo.tests import tagged

from ipwb.finance import marts
from ipwb.finance import reconcile as rc
from ipwb.finance.bir import VAT_AGGREGATES, VAT_TAG_LINES, VatLine

from ..services import odoo_figures
from .common import EmptyFinanceWarehouseMixin

JAN, FEB, APR = datetime.date(2025, 1, 10), datetime.date(2025, 2, 10), datetime.date(2025, 4, 10)
YEAR_HALF = (datetime.date(2025, 1, 1), datetime.date(2025, 6, 30))


@tagged("post_install", "-at_install")
class TestReconciliation(EmptyFinanceWarehouseMixin, TestPhCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company = cls.company_data["company"]
        cls.env.user.groups_id |= cls.env.ref("ipwb_finance_bir.group_ipwb_finance_manager")
        cls.env["ipwb.finance.run"]._grant_companies(cls.company)
        cls.tax = {
            name: cls.env.ref(f"account.{cls.company.id}_l10n_ph_tax_{name}")
            for name in ("sale_vat_12", "sale_vat_12_gov", "sale_wc158_1", "purchase_vat_12",
                         "purchase_vat_12_service", "purchase_wc158_1", "purchase_wi010")
        }  # fmt: skip
        cls.government = cls.env["res.partner"].create(
            {"name": "City of Makati", "is_company": True, "country_id": cls.env.ref("base.ph").id,
             "vat": "000-111-222-000", "ipwb_is_government": True}
        )  # fmt: skip
        cls.usd = cls.setup_other_currency("USD", rates=[("2025-01-01", 0.0175)])
        moves = cls._move("out_invoice", cls.partner_a, JAN, [(10000, "sale_vat_12")])
        moves |= cls._move("out_invoice", cls.government, FEB, [(8000, "sale_vat_12_gov")])
        moves |= cls._move("out_invoice", cls.partner_b, FEB, [(5000, "sale_vat_12", "sale_wc158_1")])
        moves |= cls._move("in_invoice", cls.partner_b, JAN, [(20000, "purchase_vat_12", "purchase_wc158_1")])
        moves |= cls._move(
            "in_invoice", cls.partner_a, FEB, [(3000, "purchase_vat_12_service", "purchase_wi010")]
        )
        # the export's quirks: a bill in US dollars, and a line with a 10% discount
        cls.fx_bill = cls._move(
            "in_invoice", cls.partner_b, FEB, [(1000, "purchase_wc158_1")], currency=cls.usd
        )
        cls.discounted = cls._move(
            "in_invoice", cls.partner_b, FEB, [(10000, "purchase_vat_12", "purchase_wc158_1")], discount=10
        )
        (moves | cls.fx_bill | cls.discounted).action_post()

    @classmethod
    def _move(cls, move_type, partner, day, lines, currency=None, discount=0):
        values = {"move_type": move_type, "partner_id": partner.id, "invoice_date": day, "date": day}
        if currency:
            values["currency_id"] = currency.id
        values["invoice_line_ids"] = [
            Command.create({"name": f"Item {price}", "quantity": 1, "price_unit": price, "discount": discount,
                            "tax_ids": [cls.tax[name].id for name in taxes]})
            for price, *taxes in lines
        ]  # fmt: skip
        return cls.env["account.move"].with_company(cls.company).create(values)

    def _run(self, period=YEAR_HALF):
        return self.env["ipwb.finance.run"]._run_pipeline(
            companies=self.company, date_from=period[0], date_to=period[1]
        )

    def _failed_reconciliation(self, run):
        self.assertEqual(run.state, "failed")
        steps = {s.step_name: s for s in run.pipeline_run_id.step_run_ids}
        self.assertEqual(steps["build_gold"].state, "succeeded")
        self.assertEqual(steps["reconcile"].state, "failed")
        self.assertEqual(run.reconciliation, "differences")
        return run.differences

    def test_planted_wrong_tag_mapping_fails(self):
        # the marts put domestic purchases (42A/42B) on line 43; Odoo's report does not
        wrong = {"42A": VatLine("43", "Services rendered by non-residents", "tax_base"),
                 "42B": VatLine("43", "Services rendered by non-residents", "balance")}  # fmt: skip
        with patch.dict(VAT_TAG_LINES, wrong):
            differences = self._failed_reconciliation(self._run())
        self.assertRegex(
            differences, r"VAT 2550M \(\d+, '2025-01', '42', 'tax_base'\): Odoo 20000\.00, gold 0\.00"
        )
        self.assertRegex(differences, r"'2025-01', '43', 'balance'\): Odoo 0\.00, gold 2400\.00")
        # the totals (48 = 42 + 43 …) agree: only comparing every line catches the error
        self.assertNotIn("'48'", differences)

    def test_planted_wrong_total_fails(self):
        # total sales (35) forgetting the sales to government (32): Odoo's own formula disagrees
        with patch.dict(VAT_AGGREGATES, {"35": ("Total sales and output tax due", "31 + 33 + 34")}):
            differences = self._failed_reconciliation(self._run())
        self.assertRegex(differences, r"'2025-02', '35', 'tax_base'\): Odoo 13000\.00, gold 5000\.00")
        # and the net VAT payable (56) that depends on it
        self.assertRegex(differences, r"'2025-02', '56', 'balance'\)")

    def test_foreign_currency_bill_and_discounted_line_pass(self):
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertEqual(run.reconciled_periods, "2025-Q1")
        # the export itself shows dollars, and the discounted line's tax on the full price ...
        raw = odoo_figures._read_2307(l10n_ph_utils._export_bir_2307("Form2307", self.fx_bill))
        self.assertEqual([r[3:] for r in raw], [[1000, 1, 10]])
        raw = odoo_figures._read_2307(l10n_ph_utils._export_bir_2307("Form2307", self.discounted))
        self.assertEqual([r[2:] for r in raw if r[2] == "WC158"], [["WC158", 9000, 1, 100]])
        # ... gold (company currency, net of discount) equals the normalised export
        ewt = self._read(rc.gold_ewt, [self.company.id], "2025-Q1")
        self.assertEqual(ewt, odoo_figures.ewt_2307(self.env, self.company, *rc.quarter_months("2025-Q1")))
        # Feb, partner b, WC158: 1000 USD at 0.0175 (57 142.86 PHP) + the 9 000 discounted line
        self.assertEqual(
            ewt[(self.company.id, "2025-02", "789456123", "456", "WC158")],
            (Decimal("66142.86"), Decimal("661.43")),
        )
        # every line and total of the report equals gold, including 35, 48 and 56
        books = odoo_figures.vat_lines(self.env, self.company, *rc.quarter_months("2025-Q1"))
        gold = self._read(rc.gold_vat, [self.company.id], "2025-Q1")
        for code, column, amount in (("35", "tax_base", "13000.00"), ("48", "balance", "1440.00"),
                                     ("56", "balance", "120.00")):  # fmt: skip
            key = (self.company.id, "2025-02", code, column)
            self.assertEqual((books[key], gold[key]), (Decimal(amount), Decimal(amount)), key)

    def test_only_changed_quarters_are_reconciled(self):
        self.assertEqual(self._run().reconciled_periods, "2025-Q1")
        self._move("out_invoice", self.partner_a, APR, [(4000, "sale_vat_12")]).action_post()
        # a sale changes VAT and SLSP sales, not withholding on purchases: the 2307 export
        # (the costliest comparison) is not run for it, the VAT report is
        with (
            patch.object(odoo_figures, "ewt_2307", wraps=odoo_figures.ewt_2307) as ewt,
            patch.object(odoo_figures, "vat_lines", wraps=odoo_figures.vat_lines) as vat,
        ):
            run = self._run()
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertEqual(run.reconciled_periods, "2025-Q2", "Q1 did not change")
        ewt.assert_not_called()
        vat.assert_called()
        # a bill with expanded withholding changes the withholding mart: compared with 2307
        bill = self._move("in_invoice", self.partner_b, APR, [(2000, "purchase_vat_12", "purchase_wc158_1")])
        bill.action_post()
        with patch.object(odoo_figures, "ewt_2307", wraps=odoo_figures.ewt_2307) as ewt:
            run = self._run()
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertEqual(run.reconciled_periods, "2025-Q2")
        ewt.assert_called()
        self.assertEqual(self._run().reconciled_periods, "none changed")

    def test_sawt_by_payment_date(self):
        self.company.ipwb_sawt_basis = "payment"
        invoice = self.env["account.move"].search(
            [("partner_id", "=", self.partner_b.id), ("move_type", "=", "out_invoice")]
        )
        run = self._run()
        self.assertEqual(run.reconciliation, "ok", run.differences)
        sawt = sql.Identifier(self.schemas.gold, "fin_sawt")
        query = "SELECT quarter, atc, income_payment, tax_withheld FROM {}"
        self.assertEqual(self._read(lambda c, s: marts.fetch_dicts(c, sql.SQL(query).format(sawt))), [],
                         "not paid yet: the customer has not withheld")  # fmt: skip
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids
        ).create({"payment_date": APR})._create_payments()
        run = self._run()
        self.assertEqual(run.reconciliation, "ok", run.differences)
        self.assertEqual(run.reconciled_periods, "2025-Q2")
        rows = self._read(lambda c, s: marts.fetch_dicts(c, sql.SQL(query).format(sawt)))
        self.assertEqual(rows, [{"quarter": "2025-Q2", "atc": "WC158", "income_payment": Decimal("5000.00"),
                                 "tax_withheld": Decimal("50.00")}])  # fmt: skip

    def test_empty_tin_fails_the_blocking_check(self):
        nameless = self.env["res.partner"].create({"name": "No TIN Trading", "vat": ""})
        self._move("out_invoice", nameless, JAN, [(100, "sale_vat_12")]).action_post()
        run = self._run()
        self.assertEqual(run.state, "failed")
        step = run.pipeline_run_id.step_run_ids.filtered(lambda s: s.step_name == "check_silver")
        self.assertEqual(step.state, "failed")
        self.assertIn("fin_invoices: partner TIN set", step.error)

    def test_atc_and_government_line_checks_flag(self):
        # partner b is a company: WI010 (individuals) on its bill is flagged; the city's
        # 12% sale (line 31, private) is flagged, its 12% GOV sale (line 32) is not
        self._move(
            "in_invoice", self.partner_b, FEB, [(500, "purchase_vat_12", "purchase_wi010")]
        ).action_post()
        self._move("out_invoice", self.government, FEB, [(700, "sale_vat_12")]).action_post()
        run = self._run()
        self.assertEqual(run.state, "succeeded", run.error)
        Result = self.env["ipwb.dq.result"].sudo()
        for xmlid in (
            "dq_silver_company_partner_individual_atc",
            "dq_silver_government_customer_private_line",
        ):
            check = self.env.ref(f"ipwb_finance_bir.{xmlid}")
            result = Result.search([("check_id", "=", check.id)], order="id desc", limit=1)
            self.assertEqual(result.status, "fail", xmlid)
            self.assertEqual(result.failed_rows, 1, xmlid)
