# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Read Odoo accounting into plain rows for the engine's bronze layer.

Runs in the caller's Odoo cursor (so it sees what the caller's transaction sees); writes go
through a separate warehouse connection as the warehouse writer role (odoo.conf keys
``ipwb_warehouse_writer_user`` / ``ipwb_warehouse_writer_password``).
"""

import dataclasses
import datetime
from collections import namedtuple

from odoo.tools import config

from ipwb.errors import ConfigurationError
from ipwb.finance import warehouse as wh
from ipwb.finance.bir import is_ewt_atc
from ipwb.warehouse.connection import WarehouseConfig

from . import sawt_basis

CHUNK = 500
#: the models whose records an extraction reads by the thousand
BULKY_MODELS = (
    "account.move",
    "account.move.line",
    "account.payment",
    "account.partial.reconcile",
    "hr.expense",
    "res.partner",
)


def writer_config(env):
    """Warehouse connection settings of the writer (owner) role, from odoo.conf."""
    user = config.get("ipwb_warehouse_writer_user")
    password = config.get("ipwb_warehouse_writer_password")
    dbname = config.get("ipwb_warehouse_db")
    if not user or not dbname:
        raise ConfigurationError(
            "The server configuration has no ipwb_warehouse_writer_user / ipwb_warehouse_db option: "
            "the finance pipeline cannot write to the warehouse"
        )
    return WarehouseConfig(
        dbname=dbname,
        host=config.get("ipwb_warehouse_host") or "127.0.0.1",
        port=int(config.get("ipwb_warehouse_port") or 5432),
        user=user,
        password=password or "",
        application_name="ipwb-finance",
        forbidden_dbnames=frozenset({env.cr.dbname}),
    )


#: watermarks of earlier versions (no ``read_from``): re-read this much before the last
#: ``write_date`` seen, as a transaction that started earlier may commit rows stamped before
#: it after the last run read (versions make the overlap free)
OVERLAP = datetime.timedelta(minutes=15)
#: ``read_from`` margin: covers a transaction that was open when this extraction's snapshot
#: was taken and committed before the open transactions were listed, if it had started at
#: most this long before this extraction's own transaction
MARGIN = datetime.timedelta(minutes=1)


def read_from(env):
    """Where the next extraction starts reading (the watermarks' ``read_from``).

    Odoo stamps a record's ``write_date`` with its transaction's start (``cr.now()``), so a
    record this extraction cannot see (written by a transaction still open) carries at
    least the start of the oldest transaction open in Odoo's database: that start, or this
    transaction's own if earlier, less :data:`MARGIN`. Listed before any record is read.
    Transactions of other database roles than Odoo's are not listed (their start is hidden
    from it): they do not write Odoo's records through the ORM.
    """
    env.cr.execute(
        "SELECT LEAST(min(xact_start), transaction_timestamp()) AT TIME ZONE 'UTC'"
        " FROM pg_stat_activity WHERE datname = current_database() AND xact_start IS NOT NULL"
    )
    return env.cr.fetchone()[0] - MARGIN


def _changed(env, model, mark, domain):
    """Records of ``model`` written since the watermark, in (write_date, id) order: from its
    ``read_from``, else (an earlier version's watermark) from its last ``write_date`` less
    :data:`OVERLAP`."""
    if mark.read_from:
        domain = [*domain, ("write_date", ">=", mark.read_from)]
    elif mark.write_date:
        domain = [*domain, ("write_date", ">=", mark.write_date - OVERLAP)]
    return env[model].with_context(active_test=False).search(domain, order="write_date, id")


def _advance(mark, records):
    last = max(((r.write_date, r.id) for r in records), default=None)
    if last is None:
        return mark
    if mark.write_date and (mark.write_date, mark.last_id) > last:
        return mark
    return wh.Watermark(mark.entity, last[0], last[1])


def _chunks(records):
    for start in range(0, len(records), CHUNK):
        yield records[start : start + CHUNK]


def _address(partner):
    parts = [partner.street, partner.street2, partner.city, partner.state_id.name, partner.country_id.name]
    return ", ".join(p for p in parts if p)


def company_payload(company):
    return {
        "id": company.id,
        "name": company.name or "",
        "vat": company.vat or "",
        "branch_code": company.partner_id.branch_code or "000",
        "currency": company.currency_id.name,
        "sawt_basis": company.ipwb_sawt_basis or "accrual",
        "rdo_code": company.ipwb_bir_rdo_code or "",
        "registered_name": company.partner_id.commercial_company_name or company.name or "",
        "address": _address(company.partner_id),
    }


def partner_payload(partner):
    return {
        "id": partner.id,
        "name": partner.commercial_partner_id.name if not partner.is_company else partner.name,
        "vat": partner.vat or "",
        "branch_code": partner.branch_code or "000",
        "is_company": bool(partner.is_company),
        "is_government": bool(partner.commercial_partner_id.ipwb_is_government),
        "commercial_partner_id": partner.commercial_partner_id.id,
        "first_name": partner.first_name or "",
        "middle_name": partner.middle_name or "",
        "last_name": partner.last_name or "",
        "address": _address(partner),
        "country_code": partner.country_id.code or "",
    }


def tax_payload(tax):
    return {
        "id": tax.id,
        "name": tax.name or "",
        "amount": tax.amount,
        "amount_type": tax.amount_type,
        "type_tax_use": tax.type_tax_use,
        "atc": tax.l10n_ph_atc or "",
        "tax_group": tax.tax_group_id.name or "",
        "company_id": tax.company_id.id,
    }


def move_payload(move):
    return {
        "id": move.id,
        "name": move.name or "",
        "move_type": move.move_type,
        "state": move.state,
        "date": move.date or None,
        "invoice_date": move.invoice_date or None,
        "partner_id": move.partner_id.id or None,
        "commercial_partner_id": move.commercial_partner_id.id or None,
        "ref": move.ref or "",
        "journal_code": move.journal_id.code or "",
        "currency": move.currency_id.name,
        "company_id": move.company_id.id,
        "amount_untaxed_signed": move.amount_untaxed_signed,
        "amount_tax_signed": move.amount_tax_signed,
        "amount_total_signed": move.amount_total_signed,
        "reversed_entry_id": move.reversed_entry_id.id or None,
        "payment_state": move.payment_state or None,
        "paid_date": sawt_basis.paid_date(move),
    }


def line_payload(line, tag_names=None):
    """``tag_names``: the English names of the tags by id, read once for many lines (else
    read here)."""
    if tag_names is None:
        tag_names = {tag.id: tag.name for tag in line.tax_tag_ids.with_context(lang="en_US")}
    return {
        "id": line.id,
        "move_id": line.move_id.id,
        "date": line.date or None,
        "account_code": line.account_id.code or "",
        "name": line.name or "",
        "display_type": line.display_type or "product",
        "partner_id": line.partner_id.id or None,
        "product_name": line.product_id.name or "",
        "quantity": line.quantity,
        "price_unit": line.price_unit,
        "price_subtotal": line.price_subtotal,
        "balance": line.balance,
        "tax_line_id": line.tax_line_id.id or None,
        "tax_base_amount": line.tax_base_amount,
        "tax_tag_invert": bool(line.tax_tag_invert),
        "tax_ids": sorted(line.tax_ids.ids),
        "tax_tags": [{"name": tag_names[tag_id]} for tag_id in sorted(line.tax_tag_ids.ids)],
    }


def payment_payload(payment):
    return {
        "id": payment.id,
        "name": payment.name or "",
        "date": payment.date or None,
        "company_id": payment.company_id.id,
        "payment_type": payment.payment_type,
        "partner_type": payment.partner_type,
        "partner_id": payment.partner_id.id or None,
        "amount": payment.amount,
        "amount_company_currency_signed": payment.amount_company_currency_signed,
        "currency": payment.currency_id.name,
        "journal_code": payment.journal_id.code or "",
        "state": payment.state,
        "move_id": payment.move_id.id or None,
    }


def _input_vat(expense):
    """The VAT part of an expense's tax (company currency): withholding taxes are not input
    VAT. Mixed taxes: each percent VAT tax applied to the untaxed amount."""
    taxes = expense.tax_ids
    vat = taxes.filtered(lambda tax: not is_ewt_atc(tax.l10n_ph_atc))
    if vat == taxes:
        return expense.tax_amount
    untaxed = expense.total_amount - expense.tax_amount
    rounding = expense.company_currency_id or expense.company_id.currency_id
    return rounding.round(sum(untaxed * tax.amount / 100 for tax in vat if tax.amount_type == "percent"))


def expense_payload(expense):
    return {
        "id": expense.id,
        "name": expense.name or "",
        "date": expense.date or None,
        "company_id": expense.company_id.id,
        "employee_id": expense.employee_id.id,
        "employee_name": expense.employee_id.name or "",
        "department": expense.employee_id.department_id.name or "",
        "category": expense.product_id.name or "",
        "total_amount": expense.total_amount,
        "tax_amount": expense.tax_amount,
        "input_vat": _input_vat(expense),
        "state": expense.state,
        "payment_mode": expense.payment_mode or "",
    }


def _tombstones(env, conn, schemas, entity, model):
    """Tombstone rows for records bronze still holds live but Odoo no longer has."""
    live = wh.live_source_ids(conn, schemas, entity)
    if not live:
        return 0
    existing = set(env[model].with_context(active_test=False).search([("id", "in", list(live))]).ids)
    rows = [wh.SourceRow(i, None, {"id": i}, deleted=True) for i in sorted(live - existing)]
    return wh.upsert_rows(conn, schemas, entity, rows)


def _move_rows(moves):
    """A posted move carries its lines (their version includes the move's); any other state
    is a tombstone, which drops the move and its lines from silver."""
    move_rows, line_rows = [], []
    sawt_basis.prefetch_paid_dates(moves)
    tags = moves.line_ids.tax_tag_ids.with_context(lang="en_US")
    tag_names = {tag.id: tag.name for tag in tags}
    for move in moves:
        if move.state != "posted":
            tombstone = {"id": move.id, "state": move.state}
            move_rows.append(wh.SourceRow(move.id, move.write_date, tombstone, deleted=True))
            continue
        row = wh.SourceRow(move.id, move.write_date, move_payload(move))
        move_rows.append(row)
        line_rows += [
            wh.SourceRow(line.id, line.write_date, line_payload(line, tag_names), parent_version=row.version)
            for line in move.line_ids
        ]
    return {"account_move": move_rows, "account_move_line": line_rows}


def _rows_of(entity, payload):
    return lambda records: {entity: [wh.SourceRow(r.id, r.write_date, payload(r)) for r in records]}


#: an extracted model: its bronze entity, Odoo model, domain, rows of a chunk of records,
#: whether records deleted in Odoo are swept into tombstones, and the payload keys earlier
#: extractions lacked (bronze rows without one of them make the next extraction re-read in full)
Source = namedtuple("Source", "entity model domain rows_of sweep requires", defaults=(None,))


def _load(env, conn, schemas, source, next_read_from=None):
    """One source: changed records since its watermark → bronze, then the deletion sweep,
    then the watermark moves forward (the next run reads from ``next_read_from``). Returns
    new versions per entity."""
    mark = wh.get_watermark(conn, schemas, source.entity)
    if source.requires and wh.live_rows_lack(conn, schemas, source.entity, source.requires):
        mark = wh.Watermark(source.entity)
    records = _changed(env, source.model, mark, source.domain)
    loaded = {}
    advanced = mark
    for chunk in _chunks(records):
        for target, rows in source.rows_of(chunk).items():
            loaded[target] = loaded.get(target, 0) + wh.upsert_rows(conn, schemas, target, rows)
        advanced = _advance(advanced, chunk)
        # memory bounded by a chunk, not by the history: the records read so far (and
        # their lines, payments, partners) leave the cache before the next chunk is read
        # (only these models: the worker's own records, read with other rights, stay cached)
        for model in BULKY_MODELS:
            env[model].invalidate_model()
    if source.sweep:
        swept = _tombstones(env, conn, schemas, source.entity, source.model)
        loaded[source.entity] = loaded.get(source.entity, 0) + swept
    wh.set_watermark(conn, schemas, dataclasses.replace(advanced, read_from=next_read_from))
    return loaded


def extract(env, conn, schemas, companies):
    """Load every changed record of the companies into bronze; returns new versions per entity."""
    next_read_from = read_from(env)
    company = [("company_id", "in", companies.ids)]
    shared_or_company = ["|", ("company_id", "=", False), *company]
    sources = (
        Source(
            "res_company",
            "res.company",
            [("id", "in", companies.ids)],
            _rows_of("res_company", company_payload),
            False,
            ("sawt_basis", "rdo_code"),
        ),
        Source("account_tax", "account.tax", company, _rows_of("account_tax", tax_payload), False),
        Source(
            "res_partner",
            "res.partner",
            shared_or_company,
            _rows_of("res_partner", partner_payload),
            False,
            ("is_government", "country_code"),
        ),
        Source("account_move", "account.move", company, _move_rows, True, ("paid_date",)),
        Source(
            "account_payment",
            "account.payment",
            company,
            _rows_of("account_payment", payment_payload),
            True,
            "company_id",
        ),
        Source(
            "hr_expense", "hr.expense", company, _rows_of("hr_expense", expense_payload), True, "input_vat"
        ),
    )
    loaded = dict.fromkeys(wh.ENTITIES, 0)
    for source in sources:
        for entity, count in _load(env, conn, schemas, source, next_read_from).items():
            loaded[entity] += count
    return loaded
