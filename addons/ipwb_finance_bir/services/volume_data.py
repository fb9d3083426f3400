# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A mid-size Philippine group at a real company's volume, for benchmarks (never installed by default).

Two companies (Manila and Cebu), each a year of customer invoices (VAT 12 %, zero-rated,
exempt; customers withholding 1 %), vendor bills with expanded withholding per vendor
(ATC), payments for about half of them and credit notes reversing about 2 % of the
invoices. ``mid`` is ≥ 25,000 invoices and bills a year and ≥ 150,000 journal items.

Everything goes through Odoo's ORM, as posted moves, in batches of 200 documents of one
month and one journal, so that Odoo's per-record work is done once per batch where it can
be: ``account.move.create`` with all the batch's moves and lines, numbers assigned in one go
(:func:`_post`: the first move numbered by Odoo, the others following in its format) and one
``action_post``; one payment per paid document, created, posted and reconciled as a batch
(:func:`_pay`: one ``account.payment.create``, one post, one reconciliation plan) rather than
the payment wizard's payment-by-payment loop; reversals through ``_reverse_moves``; mail
tracking off (``tracking_disable``/``mail_notrack``: a generator has no audience); partners,
taxes and journals read once per company. Each batch is committed on its own, so an
interrupted generation resumes where it stopped: a (company, month, kind) slice counts what
it already has and creates only the rest. Deterministic: a batch's random numbers are seeded
by its position. Customer and vendor documents use different journals (sales and customer
receipts, purchases and vendor payments), so one process per company and document type can
generate in parallel (``setup/run.sh --volume``).
"""

import calendar
import datetime
import logging
import random
import time

from odoo import Command

from .demo_data import PURCHASE_ITEMS, SALES_ITEMS

_logger = logging.getLogger(__name__)

#: invoices and bills per company per year, and moves per create/post/commit call
PROFILES = {
    "tiny": {"invoices": 24, "bills": 12, "customers": 4, "vendors": 7},
    "small": {"invoices": 240, "bills": 120, "customers": 20, "vendors": 10},
    "mid": {"invoices": 7800, "bills": 4800, "customers": 400, "vendors": 150},
}
BATCH = 200
#: the journal code of the bank account vendors are paid from (see ``_Books.vendor_bank``)
VENDOR_BANK_CODE = "BNK2"
COMPANIES = [
    ("volume_company_manila", "InsightPulse Volume Manila, Inc.", "009-555-001-000", "Makati"),
    ("volume_company_cebu", "InsightPulse Volume Cebu, Inc.", "009-555-002-000", "Cebu City"),
]
VENDOR_ATCS = [
    "l10n_ph_tax_purchase_wc158_1",
    "l10n_ph_tax_purchase_wc010",
    "l10n_ph_tax_purchase_wi010",
    "l10n_ph_tax_purchase_wc120",
    "l10n_ph_tax_purchase_wc100",
    "l10n_ph_tax_purchase_wc157",
    "l10n_ph_tax_purchase_wc640",
]
SERVICE_ATCS = ("WC010", "WI010", "WC157", "WC120")
QUIET = {
    "tracking_disable": True,
    "mail_notrack": True,
    "mail_create_nolog": True,
    "mail_create_nosubscribe": True,
    "mail_auto_subscribe_no_notify": True,
}


def _company(env, xmlid, name, vat, city):
    company = env.ref(f"ipwb_finance_bir.{xmlid}", raise_if_not_found=False)
    if company:
        return company
    env.ref("base.PHP").active = True
    company = env["res.company"].create(
        {
            "name": name,
            "country_id": env.ref("base.ph").id,
            "currency_id": env.ref("base.PHP").id,
            "vat": vat,
            "ipwb_bir_rdo_code": "050",
            "city": city,
        }
    )
    env["ir.model.data"].create(
        {
            "module": "ipwb_finance_bir",
            "name": xmlid,
            "model": "res.company",
            "res_id": company.id,
            "noupdate": True,
        }
    )
    env.user.company_ids |= company
    env["account.chart.template"].try_loading("ph", company, install_demo=False)
    env["ipwb.finance.run"]._grant_companies(company)
    return company


def _partners(env, prefix, count, kind):
    """``count`` companies named ``<kind> NNNN``, ref ``VOL-<prefix>-NNNN`` (created once)."""
    refs = [f"VOL-{prefix}-{n:04d}" for n in range(1, count + 1)]
    existing = env["res.partner"].search([("ref", "in", refs)])
    have = set(existing.mapped("ref"))
    digit = "2" if kind == "Customer" else "3"
    missing = [
        {
            "name": f"{kind} {ref[-4:]} ({prefix}) Corp.",
            "ref": ref,
            "is_company": True,
            "vat": f"{digit}0{ref[-1]}-{ref[-4:-1]}-{ref[-4:]}-000",
            "country_id": env.ref("base.ph").id,
            "city": "Manila",
        }
        for ref in refs
        if ref not in have
    ]
    partners = existing | env["res.partner"].create(missing)
    return partners.sorted("ref")


def _tax(env, company, xmlid):
    return env.ref(f"account.{company.id}_{xmlid}")


class _Books:
    """One company's taxes and partners, and the values of its generated documents."""

    def __init__(self, env, company, index, profile):
        self.env, self.company = env, company
        self.customers = _partners(env, f"C{index}", profile["customers"], "Customer")
        self.vendors = _partners(env, f"V{index}", profile["vendors"], "Vendor")
        vat = _tax(env, company, "l10n_ph_tax_sale_vat_12")
        self.sale_taxes = [
            vat,
            vat,
            vat,
            _tax(env, company, "l10n_ph_tax_sale_vat_zero_rated"),
            _tax(env, company, "l10n_ph_tax_sale_vat_exempt"),
        ]
        self.sale_wht = _tax(env, company, "l10n_ph_tax_sale_wc158_1")
        self.vat_goods = _tax(env, company, "l10n_ph_tax_purchase_vat_12")
        self.vat_service = _tax(env, company, "l10n_ph_tax_purchase_vat_12_service")
        self.ewt = [_tax(env, company, xmlid) for xmlid in VENDOR_ATCS]
        self.bank = env["account.journal"].search(
            [*env["account.journal"]._check_company_domain(company), ("type", "=", "bank")],
            order="id",
            limit=1,
        )
        self._vendor_bank = None

    @property
    def vendor_bank(self):
        """The account vendors are paid from, apart from the one customers pay into: each bank
        journal numbers its own payments, so customer and vendor documents can be generated by
        two processes at once (created by the first process generating bills)."""
        if self._vendor_bank is None:
            Journal = self.env["account.journal"]
            domain = [*Journal._check_company_domain(self.company), ("code", "=", VENDOR_BANK_CODE)]
            self._vendor_bank = Journal.search(domain, limit=1) or Journal.create(
                {
                    "name": "Bank (vendor payments)",
                    "code": VENDOR_BANK_CODE,
                    "type": "bank",
                    "company_id": self.company.id,
                }
            )
        return self._vendor_bank

    def invoice(self, rng, day):
        lines = []
        for _j in range(rng.randint(2, 4)):
            taxes = self.sale_taxes[rng.randrange(len(self.sale_taxes))]
            if taxes == self.sale_taxes[0] and rng.random() < 0.25:
                taxes |= self.sale_wht  # the customer withholds 1 % (SAWT)
            line = {
                "name": SALES_ITEMS[rng.randrange(len(SALES_ITEMS))],
                "quantity": rng.randint(1, 10),
                "price_unit": rng.randint(20, 500) * 100,
                "tax_ids": [Command.set(taxes.ids)],
            }
            lines.append(Command.create(line))
        customer = self.customers[rng.randrange(len(self.customers))]
        return {
            "move_type": "out_invoice",
            "partner_id": customer.id,
            "invoice_date": day,
            "date": day,
            "invoice_line_ids": lines,
        }

    def bill(self, rng, day, ref):
        index = rng.randrange(len(self.vendors))
        ewt = self.ewt[index % len(self.ewt)]  # a vendor's withholding follows its trade
        vat = self.vat_service if ewt.l10n_ph_atc in SERVICE_ATCS else self.vat_goods
        lines = [
            Command.create(
                {
                    "name": PURCHASE_ITEMS[rng.randrange(len(PURCHASE_ITEMS))],
                    "quantity": 1,
                    "price_unit": rng.randint(50, 2000) * 100,
                    "tax_ids": [Command.set((vat | ewt).ids)],
                }
            )
            for _j in range(rng.randint(1, 2))
        ]
        return {
            "move_type": "in_invoice",
            "partner_id": self.vendors[index].id,
            "invoice_date": day,
            "date": day,
            "ref": ref,
            "invoice_line_ids": lines,
        }


TERM_TYPES = ("asset_receivable", "liability_payable")


def _number(first, rest):
    """Give ``rest`` (draft) the numbers following ``first``'s (posted) in its format."""
    fmt, values = first._get_sequence_format_param(first.name)
    for offset, move in enumerate(rest, start=1):
        move.name = fmt.format(**dict(values, seq=values["seq"] + offset))


def _post(moves):
    """Post a batch with its numbers assigned in one go.

    Odoo numbers each move on its own at posting (a query for the journal's last number
    and a flush per move); here the batch's first move, in Odoo's order (date, ref, id), is
    posted normally, so the journal's own format and counter decide its number, and the
    others take the next numbers of that format before the rest is posted in one call.
    A batch is one month of one journal, so one sequence covers it.
    """
    moves = moves.sorted(lambda m: (m.date, m.ref or "", m.id))
    first, rest = moves[:1], moves[1:]
    first.action_post()
    if rest:
        _number(first, rest)
        rest.action_post()
    return moves


def _pay(env, moves, day, bank):
    """One payment per document, registered in batch: the payments are created, posted
    (their journal entries made and numbered in one call) and reconciled with their
    documents in one reconciliation plan, instead of the wizard's payment-by-payment loop.
    The values are the payment wizard's for a single document."""
    if not moves:
        return env["account.payment"]
    terms = {move: move.line_ids.filtered(lambda line: line.account_type in TERM_TYPES) for move in moves}
    payments = env["account.payment"].create(
        [
            {
                "date": day,
                "amount": abs(move.amount_residual),
                "payment_type": "inbound" if move.move_type in ("out_invoice", "in_refund") else "outbound",
                "partner_type": "customer" if move.is_sale_document(include_receipts=True) else "supplier",
                "memo": move.payment_reference or move.ref or move.name,
                "journal_id": bank.id,
                "company_id": move.company_id.id,
                "currency_id": move.currency_id.id,
                "partner_id": move.commercial_partner_id.id,
                "destination_account_id": terms[move].account_id.id,
                "invoice_ids": [Command.set(move.ids)],
            }
            for move in moves
        ]
    )
    # their journal entries are made in one create; numbered and posted as a batch
    payments._generate_journal_entry()
    payments[:1].action_post()
    _number(payments[:1].move_id, payments[1:].move_id)
    payments[1:].action_post()
    plan = [
        (payment.move_id.line_ids | terms[move]).filtered(
            lambda line, account=terms[move].account_id: line.account_id == account and not line.reconciled
        )
        for payment, move in zip(payments, moves, strict=True)
    ]
    env["account.move.line"]._reconcile_plan(plan)
    return payments


def _batch(books, kind, month, number, *, year, size, seed):
    """Create, post, pay and partly reverse one batch of documents; returns the moves made."""
    env = books.env
    rng = random.Random(f"{seed}-{books.company.id}-{kind}-{year}-{month}-{number}")  # noqa: S311
    last = calendar.monthrange(year, month)[1]
    days = [datetime.date(year, month, rng.randint(1, last)) for _ in range(size)]
    if kind == "out_invoice":
        values = [books.invoice(rng, day) for day in days]
    else:
        values = [
            books.bill(rng, day, f"SI-{books.company.id}-{year}{month:02d}-{number:03d}-{i:03d}")
            for i, day in enumerate(days)
        ]
    moves = _post(env["account.move"].create(values))
    pay_day = min(datetime.date(year, month, last) + datetime.timedelta(days=20), datetime.date(year, 12, 31))
    paid = moves.filtered(lambda _m: rng.random() < 0.5)
    bank = books.bank if kind == "out_invoice" else books.vendor_bank
    payments = _pay(env, paid, pay_day, bank)
    made = moves | payments.move_id
    if kind == "out_invoice":
        # every 25th open invoice (about 2 % of them), at least one per batch
        reversed_ = (moves - paid)[::25]
        if reversed_:
            defaults = [
                {"date": m.date, "invoice_date": m.date, "ref": f"Reversal of {m.name}"} for m in reversed_
            ]
            made |= reversed_._reverse_moves(defaults, cancel=True)
    return made


KINDS = ("out_invoice", "in_invoice")


def _slices(profile, year, kinds=KINDS):
    for month in range(1, 13):
        for kind, per_year in (("out_invoice", profile["invoices"]), ("in_invoice", profile["bills"])):
            if kind in kinds:
                yield month, kind, per_year // 12 + (1 if month <= per_year % 12 else 0)


def generate(
    env, volume="mid", *, year=None, seed=20260101, commit=True, companies=None, kinds=KINDS, log=print
):
    """Create (or complete) the group's year of books; returns a summary with the rate.

    ``commit`` after every batch (the setup script; tests pass False and keep one transaction).
    ``companies``: indexes into :data:`COMPANIES` (default both), so two processes can share
    the work, one company each; ``kinds``: the document types to make (``out_invoice``,
    ``in_invoice``; none: only the companies and their partners), so customer and vendor
    documents can be made by separate processes too (they share no journal).
    """
    profile = PROFILES[volume]
    year = year or datetime.date.today().year - 1
    env = env(context=dict(env.context, **QUIET))
    made = 0
    started = time.perf_counter()
    for index in companies if companies is not None else range(len(COMPANIES)):
        company = _company(env, *COMPANIES[index])
        cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))
        books = _Books(cenv, company.with_env(cenv), index, profile)
        if commit:
            env.cr.commit()
        for month, kind, target in _slices(profile, year, kinds):
            first, last = (
                datetime.date(year, month, 1),
                datetime.date(year, month, calendar.monthrange(year, month)[1]),
            )
            have = cenv["account.move"].search_count(
                [
                    ("company_id", "=", company.id),
                    ("move_type", "=", kind),
                    ("invoice_date", ">=", first),
                    ("invoice_date", "<=", last),
                ]
            )
            # batches commit whole: what a slice has is its first ceil(have / BATCH) batches
            for number in range(-(-have // BATCH), -(-target // BATCH)):
                size = min(BATCH, target - number * BATCH)
                made += len(_batch(books, kind, month, number, year=year, size=size, seed=seed))
                if commit:
                    env.cr.commit()
                    # memory bounded by the batch, not by the year
                    env.invalidate_all()
                    cenv.invalidate_all()
                elapsed = time.perf_counter() - started
                log(
                    f"{company.name} {year}-{month:02d} {kind} batch {number}: {made} moves so far"
                    f" in {elapsed:.0f} s ({made / elapsed:.1f} moves/s)"
                )
    seconds = time.perf_counter() - started
    rate = made / seconds if seconds else 0.0
    return f"volume {volume}: {made} moves created in {seconds:.0f} s ({rate:.1f} moves/s)", made, seconds


def add_invoices(env, count=100, day=None, seed=7):
    """``count`` new posted customer invoices in the first volume company (the incremental bench)."""
    env = env(context=dict(env.context, **QUIET))
    company = env.ref(f"ipwb_finance_bir.{COMPANIES[0][0]}")
    cenv = env(context=dict(env.context, allowed_company_ids=[company.id]))
    books = _Books(cenv, company.with_env(cenv), 0, PROFILES["small"])
    rng = random.Random(f"{seed}-incremental-{time.time_ns()}")  # noqa: S311
    day = day or datetime.date.today()
    moves = cenv["account.move"].create([books.invoice(rng, day) for _ in range(count)])
    moves.action_post()
    return moves
