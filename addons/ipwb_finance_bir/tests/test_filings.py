# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""BIR filings of the demo company's 2025 quarters, from a real warehouse the finance
pipeline built and published: each artifact's records and totals against gold, stored as
an attachment of the run; Finance Managers only."""

import csv
import datetime
import io
from decimal import Decimal

from psycopg2 import sql

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.finance import marts
from ipwb.finance.filings.identity import Period

from ..services import demo_data, filings
from .common import EmptyFinanceWarehouseMixin

YEAR = 2025
FINANCE = "ipwb_finance_bir.group_ipwb_finance_manager"


@tagged("post_install", "-at_install")
class TestBirFilings(EmptyFinanceWarehouseMixin, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        demo_data.generate(cls.env, seed=11, year=YEAR, invoices_per_month=1, bills_per_month=1)
        cls.company = cls.env.ref(demo_data.COMPANY_XMLID)
        cls.manager = new_test_user(
            cls.env,
            "ipwb_fin_filer",
            groups=f"{FINANCE},base.group_user",
            company_id=cls.company.id,
            company_ids=[Command.set(cls.company.ids)],
        )

    def _gold(self, query, *params):
        try:
            return marts.fetch_dicts(self.conn, sql.SQL(query).format(gold=sql.Identifier("gold")), params)
        finally:
            self.conn.rollback()

    def _wizard(self, run, form, quarter, **values):
        return (
            self.env["ipwb.bir.filing.wizard"]
            .with_user(self.manager)
            .create(
                {"finance_run_id": run.id, "company_id": self.company.id, "form": form, "year": YEAR,
                 "quarter": str(quarter), **values}
            )
        )  # fmt: skip

    def _records(self, attachment):
        return attachment.raw.decode("ascii").split("\r\n")[:-1]

    def _check_dat(self, run, form, quarter, table, amounts, names):
        wizard = self._wizard(run, form, quarter)
        wizard.action_generate()
        dat = wizard.attachment_ids.filtered(lambda a: a.name.endswith(".DAT"))
        self.assertEqual(len(wizard.attachment_ids), 2, "the DAT file and its review XLSX")
        self.assertEqual(dat.name, names)
        records = [next(csv.reader([r])) for r in self._records(dat)]
        gold = self._gold(
            f"SELECT count(*) AS n, {', '.join(f'coalesce(sum({a}), 0) AS {a}' for a in amounts)}"
            " FROM {gold}." + table + " WHERE company_id = %s AND quarter = %s",
            self.company.id,
            f"{YEAR}-Q{quarter}",
        )[0]
        details = [r for r in records if r[0] in ("D1", "DSAWT", "D")]
        self.assertEqual(len(details), gold["n"], (form, quarter))
        return records, details, gold, dat

    def test_every_filing_of_the_demo_quarters(self):
        self.env["ipwb.finance.run"]._grant_companies(self.company)
        run = self.env["ipwb.finance.run"]._run_pipeline(
            companies=self.company, date_from=datetime.date(YEAR, 1, 1), date_to=datetime.date(YEAR, 12, 31)
        )
        self.assertEqual((run.state, run.reconciliation), ("succeeded", "ok"), run.error or run.differences)
        tin = "0091234560000"
        for quarter in (1, 2, 3, 4):
            mm = f"{3 * quarter:02d}{YEAR}"
            records, details, gold, _dat = self._check_dat(
                run, "qap", quarter, "fin_qap", ("income_payment", "tax_withheld"), f"{tin}{mm}1601EQ.DAT"
            )
            period = f"{3 * quarter:02d}/{YEAR}"
            header = ["HQAP", "H1601EQ", tin[:9], "0000", "INSIGHTPULSE DEMO PH, INC.", period, "044"]
            self.assertEqual(records[0], header)
            self.assertEqual(records[-1][:2], ["C1", "1601EQ"])
            self.assertEqual(Decimal(records[-1][5]), gold["income_payment"])
            self.assertEqual(Decimal(records[-1][6]), gold["tax_withheld"])
            self.assertEqual(sum(Decimal(d[12]) for d in details), gold["income_payment"])
            self.assertTrue(all(len(d) == 14 for d in details))
            records, details, gold, _dat = self._check_dat(
                run, "sawt", quarter, "fin_sawt", ("income_payment", "tax_withheld"), f"{tin}{mm}2550Q.DAT"
            )
            self.assertEqual(Decimal(records[-1][6]), gold["tax_withheld"])
            records, details, gold, _dat = self._check_dat(
                run, "slsp_sales", quarter, "fin_slsp_sales", ("taxable_sales", "output_tax"),
                f"{tin[:9]}S{mm}.DAT",
            )  # fmt: skip
            self.assertEqual((Decimal(records[0][12]), Decimal(records[0][13])),
                             (gold["taxable_sales"], gold["output_tax"]))  # fmt: skip
            records, details, gold, _dat = self._check_dat(
                run, "slsp_purchases", quarter, "fin_slsp_purchases", ("other_goods", "input_tax"),
                f"{tin[:9]}P{mm}.DAT",
            )  # fmt: skip
            self.assertEqual((Decimal(records[0][14]), Decimal(records[0][15])),
                             (gold["other_goods"], gold["input_tax"]))  # fmt: skip
            self._check_forms(run, quarter)
        # every file is stored with the run: who and when
        files = run.filing_attachment_ids
        self.assertEqual(len(files), 4 * (4 * 2 + 3 * 2 + 1 + 2))
        self.assertEqual(files.mapped("create_uid"), self.manager)
        self.assertTrue(all(run.name in f.description for f in files))
        # the same report is a real PDF with wkhtmltopdf (setup/ installs it); Odoo renders HTML
        # in test mode unless told otherwise
        Report = self.env["ir.actions.report"]
        self.assertEqual(Report.get_wkhtmltopdf_state(), "ok", "setup/ installs wkhtmltopdf")
        pdf, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            filings.REPORT_2307, run.ids, data=self._certificates(4)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF-"))
        # one file per payee: as many files as certificates, each holding its own payee only
        wizard = self._wizard(run, "2307_each", 4)
        wizard.action_generate()
        certificates = self._certificates(4)["certificates"]
        self.assertEqual(len(wizard.attachment_ids), len(certificates))
        for attachment, cert in zip(wizard.attachment_ids.sorted("id"), certificates, strict=True):
            html = attachment.raw.decode()
            self.assertEqual(html.count("o_ipwb_bir_2307"), 1)
            self.assertIn(cert["payee_name"].replace("&", "&amp;"), html)
        self._check_refusals(run)

    def _check_forms(self, run, quarter):
        label = f"{YEAR}-Q{quarter}"
        ewt = self._gold(
            "SELECT coalesce(sum(tax_withheld), 0) AS w FROM {gold}.fin_0619e"
            " WHERE company_id = %s AND quarter = %s",
            self.company.id,
            label,
        )[0]["w"]
        wizard = self._wizard(run, "1601eq", quarter)
        wizard.action_generate()
        lines = self._csv(wizard, "1601EQ")
        self.assertEqual(Decimal(lines["19"][3]), ewt)
        first = 3 * quarter - 2
        for month_of_quarter in ("1", "2"):
            wizard = self._wizard(run, "0619e", quarter, month_of_quarter=month_of_quarter)
            wizard.action_generate()
            month = first + int(month_of_quarter) - 1
            withheld = self._gold(
                "SELECT coalesce(sum(tax_withheld), 0) AS w FROM {gold}.fin_0619e"
                " WHERE company_id = %s AND period_month = %s",
                self.company.id,
                datetime.date(YEAR, month, 1),
            )[0]["w"]
            self.assertEqual(Decimal(self._csv(wizard, "0619E")["14"][3]), withheld)
            # 1601-EQ lines 20/21: what the month's 0619-E remitted
            self.assertEqual(Decimal(lines[{"1": "20", "2": "21"}[month_of_quarter]][3]), withheld)
        wizard = self._wizard(run, "2550q", quarter)
        wizard.action_generate()
        vat = self._csv(wizard, "2550Q")
        gold_35 = self._gold(
            "SELECT vat FROM {gold}.fin_vat_2550q"
            " WHERE company_id = %s AND quarter = %s AND line_code = '35'",
            self.company.id,
            label,
        )
        self.assertEqual(Decimal(vat["35"][3]), gold_35[0]["vat"] if gold_35 else Decimal(0))
        self.assertEqual(Decimal(vat["15"][3]), Decimal(vat["56"][3]))
        # 2307: one certificate per payee of the quarter, month split adding up to gold
        wizard = self._wizard(run, "2307", quarter)
        wizard.action_generate()
        html = wizard.attachment_ids.raw.decode()
        payees = self._gold(
            "SELECT count(DISTINCT (payee_tin, payee_name)) AS n, coalesce(sum(tax_withheld), 0) AS w"
            " FROM {gold}.fin_ewt_payee_atc WHERE company_id = %s AND quarter = %s",
            self.company.id,
            label,
        )[0]
        self.assertEqual(html.count("o_ipwb_bir_2307"), payees["n"])
        self.assertIn("009-123-456-0000", html)
        data = self._certificates(quarter)
        self.assertEqual(len(data["certificates"]), payees["n"])
        self.assertEqual(
            sum(Decimal(c["tax_withheld"].replace(",", "")) for c in data["certificates"]), payees["w"]
        )
        for cert in data["certificates"]:
            months = sum(Decimal(m.replace(",", "")) for m in cert["months"])
            self.assertEqual(months, Decimal(cert["total"].replace(",", "")))
            self.assertIn(cert["payee_name"].replace("&", "&amp;"), html)

    def _certificates(self, quarter):
        try:
            return filings.certificate_data(self.conn, self.company.id, Period(YEAR, quarter))
        finally:
            self.conn.rollback()

    def _csv(self, wizard, form):
        attachment = wizard.attachment_ids.filtered(lambda a: a.name.endswith(".csv"))
        self.assertIn(f"_{form}_", attachment.name)
        rows = list(csv.reader(io.StringIO(attachment.raw.decode())))
        self.assertEqual(rows[0], ["Line", "Description", "Tax base", "Amount"])
        return {row[0]: row for row in rows[1:]}

    def _check_refusals(self, run):
        with self.assertRaisesRegex(UserError, "outside the period"):
            self._wizard(run, "qap", 1, year=2024).action_generate()
        other = self.env["res.company"].create(
            {"name": "Not In The Run", "country_id": self.env.ref("base.ph").id}
        )
        self.manager.company_ids |= other
        with self.assertRaisesRegex(UserError, "did not cover"):
            self._wizard(run, "qap", 1, company_id=other.id).action_generate()
        with self.assertRaisesRegex(UserError, "no longer the published gold"):
            newer = self.env["ipwb.finance.run"].create(
                {
                    "pipeline_run_id": run.pipeline_run_id.id,
                    "reconcile_result": "ok",
                    "company_ids": run.company_ids.ids,
                }
            )
            self.assertTrue(newer.id > run.id)
            self._wizard(run, "qap", 1).action_generate()

    def test_only_finance_managers_generate(self):
        user = new_test_user(self.env, "ipwb_fin_not", groups="ipwb_catalog.group_ipwb_user,base.group_user")
        with self.assertRaises(AccessError):
            self.env["ipwb.bir.filing.wizard"].with_user(user).create(
                {"company_id": self.company.id, "form": "qap", "year": YEAR, "quarter": "1"}
            )
        run = self.env["ipwb.finance.run"]
        with self.assertRaises(AccessError):
            run.with_user(user).search([]).action_open_filing_wizard()
        with self.assertRaises(AccessError):
            self.env["ipwb.bir.filing.wizard"].with_user(user).check_access("create")
