# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A generated Philippine company with a year of books, for newcomers and demos.

Deterministic (one seeded ``random.Random``; the year defaults to the last full calendar
year) and idempotent: the company carries an XML id, and a company that already has posted
entries is left alone. Everything runs in the caller's transaction (the setup shell script
commits once at the end), so an interrupted run leaves nothing half made.
"""

import datetime
import logging
import random

from odoo import Command

_logger = logging.getLogger(__name__)

COMPANY_XMLID = "ipwb_finance_bir.demo_company_ph"
COMPANY_NAME = "InsightPulse Demo PH, Inc."

CUSTOMERS = [
    ("Manila Retail Corporation", "201-555-101-000"),
    ("Cebu Hardware Trading", "201-555-102-000"),
    ("Davao Agri Supply Co.", "201-555-103-001"),
    ("Quezon City Foods Inc.", "201-555-104-000"),
    ("Makati Consulting Group", "201-555-105-000"),
    ("Iloilo Printing Services", "201-555-106-002"),
    ("Baguio Export Partners", "201-555-107-000"),
    ("Department of Public Works Region IV", "201-555-108-000"),
]
VENDORS = [
    ("Luzon Office Supplies", "301-777-201-000", "l10n_ph_tax_purchase_wc158_1"),
    ("Santos Law Office", "301-777-202-000", "l10n_ph_tax_purchase_wc010"),
    ("Reyes & Partners CPAs", "301-777-203-001", "l10n_ph_tax_purchase_wi010"),
    ("Metro Builders Contractors", "301-777-204-000", "l10n_ph_tax_purchase_wc120"),
    ("Pasig Property Leasing", "301-777-205-000", "l10n_ph_tax_purchase_wc100"),
    ("Visayas Logistics Services", "301-777-206-000", "l10n_ph_tax_purchase_wc157"),
    ("Mindanao Goods Suppliers", "301-777-207-003", "l10n_ph_tax_purchase_wc640"),
    ("Cordillera IT Services", "301-777-208-000", "l10n_ph_tax_purchase_wc158_1"),
]
EMPLOYEES = [
    ("Maria Santos", "Sales"),
    ("Jose Reyes", "Sales"),
    ("Ana Cruz", "Finance"),
    ("Paolo Garcia", "Operations"),
]
EXPENSE_CATEGORIES = [("Meals", 150, 1500), ("Transportation", 100, 2500), ("Communication", 300, 1200)]
SALES_ITEMS = ["Consulting services", "Implementation project", "Hardware bundle", "Support subscription"]
PURCHASE_ITEMS = ["Office supplies", "Professional services", "Rental", "Construction works", "Freight"]


def _tax(env, company, xmlid):
    return env.ref(f"account.{company.id}_{xmlid}")


def _company(env):
    company = env.ref(COMPANY_XMLID, raise_if_not_found=False)
    if company:
        return company, False
    php = env.ref("base.PHP")
    php.active = True
    company = env["res.company"].create(
        {
            "name": COMPANY_NAME,
            "country_id": env.ref("base.ph").id,
            "currency_id": php.id,
            "vat": "009-123-456-000",
            "ipwb_bir_rdo_code": "044",
            "street": "32nd Street, Bonifacio Global City",
            "city": "Taguig",
            "zip": "1634",
        }
    )
    env["ir.model.data"].create(
        {
            "module": "ipwb_finance_bir",
            "name": "demo_company_ph",
            "model": "res.company",
            "res_id": company.id,
            "noupdate": True,
        }
    )
    env.user.company_ids |= company
    return company, True


def _partners(env, rows, prefix):
    partners = env["res.partner"]
    for name, vat, *_rest in rows:
        ref = f"{prefix}-{vat}"
        partner = env["res.partner"].search([("ref", "=", ref)], limit=1)
        if not partner:
            partner = env["res.partner"].create(
                {
                    "name": name,
                    "ref": ref,
                    "is_company": True,
                    "vat": vat,
                    "country_id": env.ref("base.ph").id,
                    "city": "Manila",
                }
            )
        partners |= partner
    return partners


def _day(rng, year, month):
    return datetime.date(year, month, rng.randint(1, 28))


def generate(env, seed=20250101, year=None, invoices_per_month=6, bills_per_month=5):
    """Create (once) the demo company and its year; returns a short summary."""
    company, created = _company(env)
    # the finance pipeline reads this company as its technical user (an admin's decision)
    env["ipwb.finance.run"]._grant_companies(company)
    env = env(context=dict(env.context, allowed_company_ids=[company.id], tracking_disable=True))
    company = company.with_env(env)
    posted = [("company_id", "=", company.id), ("state", "=", "posted")]
    if not created and env["account.move"].search_count(posted):
        return f"demo company {company.name!r} already has its books; nothing generated"
    if not company.chart_template:
        env["account.chart.template"].try_loading("ph", company, install_demo=False)
    rng = random.Random(seed)  # noqa: S311 - reproducible demo data, not a secret
    year = year or datetime.date.today().year - 1

    invoices = _invoices(env, company, rng, year, invoices_per_month)
    bills = _bills(env, company, rng, year, bills_per_month)
    moves = invoices | bills
    moves.action_post()

    # payments for about two thirds of the documents
    paid = moves.filtered(lambda m: rng.random() < 0.66)
    for move in paid:
        pay_date = min(move.invoice_date + datetime.timedelta(days=30), datetime.date(year, 12, 31))
        wizard = env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        )
        wizard.create({"payment_date": pay_date})._create_payments()

    # a few credit notes reversing whole invoices
    reversals = env["account.move"]
    for move in (invoices - paid)[:3]:
        values = {"date": move.date, "invoice_date": move.date, "ref": f"Reversal of {move.name}"}
        reversals |= move._reverse_moves([values], cancel=True)

    expenses = _expenses(env, company, rng, year)
    return (
        f"demo company {company.name!r}: {len(moves)} invoices and bills for {year}, {len(paid)} paid, "
        f"{len(reversals)} credit notes, {len(expenses)} expenses"
    )


def _invoices(env, company, rng, year, per_month):
    customers = _partners(env, CUSTOMERS, "DEMO-C")
    vat_sale = _tax(env, company, "l10n_ph_tax_sale_vat_12")
    zero_rated = _tax(env, company, "l10n_ph_tax_sale_vat_zero_rated")
    exempt = _tax(env, company, "l10n_ph_tax_sale_vat_exempt")
    sale_taxes = [vat_sale, vat_sale, vat_sale, zero_rated, exempt]
    sale_wht = _tax(env, company, "l10n_ph_tax_sale_wc158_1")
    values = []
    for month in range(1, 13):
        for _i in range(per_month):
            lines = []
            for _j in range(rng.randint(1, 3)):
                taxes = sale_taxes[rng.randrange(len(sale_taxes))]
                if taxes == vat_sale and rng.random() < 0.25:
                    taxes |= sale_wht  # the customer withholds 1% (SAWT)
                line = {
                    "name": SALES_ITEMS[rng.randrange(len(SALES_ITEMS))],
                    "quantity": rng.randint(1, 10),
                    "price_unit": rng.randint(20, 500) * 100,
                    "tax_ids": [Command.set(taxes.ids)],
                }
                lines.append(Command.create(line))
            day = _day(rng, year, month)
            customer = customers[rng.randrange(len(customers))]
            values.append(
                {
                    "move_type": "out_invoice",
                    "partner_id": customer.id,
                    "invoice_date": day,
                    "date": day,
                    "invoice_line_ids": lines,
                }
            )
    return env["account.move"].create(values)


def _bills(env, company, rng, year, per_month):
    vendors = _partners(env, VENDORS, "DEMO-V")
    vat_purchase = _tax(env, company, "l10n_ph_tax_purchase_vat_12")
    vat_service = _tax(env, company, "l10n_ph_tax_purchase_vat_12_service")
    values = []
    for month in range(1, 13):
        for number in range(1, per_month + 1):
            index = rng.randrange(len(VENDORS))
            ewt = _tax(env, company, VENDORS[index][2])
            vat = vat_service if ewt.l10n_ph_atc in ("WC010", "WI010", "WC157", "WC120") else vat_purchase
            line = {
                "name": PURCHASE_ITEMS[rng.randrange(len(PURCHASE_ITEMS))],
                "quantity": 1,
                "price_unit": rng.randint(50, 2000) * 100,
                "tax_ids": [Command.set((vat | ewt).ids)],
            }
            day = _day(rng, year, month)
            values.append(
                {
                    "move_type": "in_invoice",
                    "partner_id": vendors[index].id,
                    "invoice_date": day,
                    "date": day,
                    "ref": f"SI-{year}{month:02d}-{number:03d}",
                    "invoice_line_ids": [Command.create(line)],
                }
            )
    return env["account.move"].create(values)


def _expenses(env, company, rng, year):
    departments = {}
    employees = env["hr.employee"]
    for name, department in EMPLOYEES:
        if department not in departments:
            departments[department] = env["hr.department"].create(
                {"name": department, "company_id": company.id}
            )
        employees |= env["hr.employee"].create(
            {
                "name": name,
                "department_id": departments[department].id,
                "company_id": company.id,
                # approving a report mails the employee
                "work_email": "{}@demo.insightpulse.example".format(".".join(name.lower().split())),
            }
        )
    categories = env["product.product"].create(
        [
            {"name": name, "type": "service", "can_be_expensed": True, "company_id": company.id}
            for name, _low, _high in EXPENSE_CATEGORIES
        ]
    )
    values = []
    for month in range(1, 13):
        for employee in employees:
            for _k in range(rng.randint(0, 2)):
                index = rng.randrange(len(categories))
                _name, low, high = EXPENSE_CATEGORIES[index]
                values.append(
                    {
                        "name": f"{categories[index].name} {year}-{month:02d}",
                        "employee_id": employee.id,
                        "product_id": categories[index].id,
                        "total_amount_currency": rng.randint(low, high),
                        "tax_ids": [Command.clear()],
                        "date": _day(rng, year, month),
                        "payment_mode": "own_account",
                    }
                )
    expenses = env["hr.expense"].create(values)
    for employee in employees:  # one expense report per employee for the first half-year
        first_half = expenses.filtered(lambda e, emp=employee: e.employee_id == emp and e.date.month <= 6)
        if first_half:
            first_half.action_submit_expenses()
    # the reports approved: the expense mart counts approved and posted expenses only, so the
    # second half-year's unreported expenses show what it leaves out
    sheets = expenses.sheet_id
    sheets.action_submit_sheet()
    sheets._check_can_approve()
    # (approving straight away: the approval wizard's duplicate check is for people)
    sheets._do_approve()
    return expenses
