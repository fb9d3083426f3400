# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ..services import volume_data


@tagged("post_install", "-at_install")
class TestVolumeData(TransactionCase):
    """The volume generator at its tiny size: the same code path as ``mid`` (batches,
    posting, payments through the wizard, withholding), in the test's transaction."""

    def test_two_companies_posted_books_resumable(self):
        summary, made, _seconds = volume_data.generate(
            self.env, volume="tiny", year=2024, commit=False, log=str
        )
        self.assertIn("moves/s", summary)
        companies = self.env["res.company"].browse(
            [self.env.ref(f"ipwb_finance_bir.{xmlid}").id for xmlid, *_rest in volume_data.COMPANIES]
        )
        self.assertEqual(len(companies), 2)
        Move = self.env["account.move"]
        for company in companies:
            posted = Move.search([("company_id", "=", company.id), ("state", "=", "posted")])
            self.assertEqual(len(posted.filtered(lambda m: m.move_type == "out_invoice")), 24)
            bills = posted.filtered(lambda m: m.move_type == "in_invoice")
            self.assertEqual(len(bills), 12)
            # expanded withholding on every bill, payments for some documents
            self.assertTrue(all(b.line_ids.tax_line_id.filtered("l10n_ph_atc") for b in bills))
            self.assertTrue(self.env["account.payment"].search_count([("company_id", "=", company.id)]))
            self.assertEqual(company.account_fiscal_country_id.code, "PH")
        total = Move.search_count([("company_id", "in", companies.ids), ("state", "=", "posted")])
        self.assertEqual(made, total)
        # a second run finds every slice complete: nothing more
        _summary, again, _seconds = volume_data.generate(
            self.env, volume="tiny", year=2024, commit=False, log=str
        )
        self.assertEqual(again, 0)

        new = volume_data.add_invoices(self.env, count=3)
        self.assertEqual(set(new.mapped("state")), {"posted"})
        self.assertEqual(new.company_id, companies[0])
