# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ..services import volume_data


@tagged("post_install", "-at_install")
class TestVolumeData(TransactionCase):
    """The volume generator at its tiny size: the same code path as ``mid`` (batches,
    numbering in one go, payments and reconciliation in batch, withholding, reversals), in
    the test's transaction."""

    def _companies(self):
        return self.env["res.company"].browse(
            [self.env.ref(f"ipwb_finance_bir.{xmlid}").id for xmlid, *_rest in volume_data.COMPANIES]
        )

    def _assert_numbers_follow(self, moves):
        """Each journal's numbers are unique and consecutive from 1 (per prefix: bills number by month)."""
        for journal in moves.journal_id:
            ordered = moves.filtered(lambda m, j=journal: m.journal_id == j).sorted(
                lambda m: (m.sequence_prefix, m.sequence_number)
            )
            names = ordered.mapped("name")
            self.assertEqual(len(set(names)), len(names), journal.code)
            for prefix in set(ordered.mapped("sequence_prefix")):
                numbers = ordered.filtered(lambda m, p=prefix: m.sequence_prefix == p).mapped(
                    "sequence_number"
                )
                self.assertEqual(numbers, list(range(numbers[0], numbers[0] + len(numbers))), prefix)
                self.assertEqual(numbers[0], 1, prefix)

    def test_two_companies_posted_books_resumable(self):
        summary, made, _seconds = volume_data.generate(
            self.env, volume="tiny", year=2024, commit=False, log=str
        )
        self.assertIn("moves/s", summary)
        companies = self._companies()
        self.assertEqual(len(companies), 2)
        Move = self.env["account.move"]
        for company in companies:
            self.assertEqual(company.account_fiscal_country_id.code, "PH")
            posted = Move.search([("company_id", "=", company.id), ("state", "=", "posted")])
            self.assertFalse(Move.search_count([("company_id", "=", company.id), ("state", "!=", "posted")]))
            invoices = posted.filtered(lambda m: m.move_type == "out_invoice")
            bills = posted.filtered(lambda m: m.move_type == "in_invoice")
            refunds = posted.filtered(lambda m: m.move_type == "out_refund")
            self.assertEqual(len(invoices), 24)
            self.assertEqual(len(bills), 12)
            # expanded withholding on every bill (an ATC tax line), customers' 1 % on some invoices
            self.assertTrue(all(b.line_ids.tax_line_id.filtered("l10n_ph_atc") for b in bills))
            self.assertTrue(invoices.line_ids.tax_line_id.filtered(lambda t: t.l10n_ph_atc == "WC158"))
            # credit notes: each reverses an open invoice in full
            self.assertTrue(refunds)
            self.assertEqual(refunds.reversed_entry_id.mapped("payment_state"), ["reversed"] * len(refunds))
            # one posted payment per paid document, reconciled with it: customers pay into the
            # first bank journal, vendors are paid from their own
            payments = self.env["account.payment"].search([("company_id", "=", company.id)])
            paid = (invoices | bills).filtered(lambda m: m.payment_state == "paid")
            self.assertTrue(paid.filtered(lambda m: m.move_type == "out_invoice"))
            self.assertTrue(paid.filtered(lambda m: m.move_type == "in_invoice"))
            self.assertEqual(len(payments), len(paid))
            self.assertEqual(set(payments.move_id.mapped("state")), {"posted"})
            self.assertEqual(payments.invoice_ids, paid)
            self.assertEqual(payments.reconciled_invoice_ids | payments.reconciled_bill_ids, paid)
            self.assertFalse(paid.filtered(lambda m: m.amount_residual))
            customer_banks = payments.filtered(lambda p: p.payment_type == "inbound").journal_id
            vendor_banks = payments.filtered(lambda p: p.payment_type == "outbound").journal_id
            self.assertEqual(len(customer_banks), 1)
            self.assertEqual(vendor_banks.code, volume_data.VENDOR_BANK_CODE)
            self._assert_numbers_follow(posted)
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

    def test_split_by_company_and_document_type(self):
        """What one process per company and document type makes (setup/run.sh --volume)."""
        _summary, made, _seconds = volume_data.generate(
            self.env, volume="tiny", year=2024, commit=False, companies=[1], kinds=(), log=str
        )
        self.assertEqual(made, 0)
        cebu = self.env.ref(f"ipwb_finance_bir.{volume_data.COMPANIES[1][0]}")
        Move = self.env["account.move"]
        self.assertFalse(Move.search_count([("company_id", "=", cebu.id)]))
        _summary, made, _seconds = volume_data.generate(
            self.env, volume="tiny", year=2024, commit=False, companies=[1], kinds=("in_invoice",), log=str
        )
        moves = Move.search([("company_id", "=", cebu.id)])
        self.assertEqual(made, len(moves))
        self.assertEqual(len(moves.filtered(lambda m: m.move_type == "in_invoice")), 12)
        self.assertFalse(moves.filtered(lambda m: m.move_type in ("out_invoice", "out_refund")))
        self.assertEqual(
            self.env["account.payment"].search([("company_id", "=", cebu.id)]).journal_id.code,
            volume_data.VENDOR_BANK_CODE,
        )
