# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The finance pipeline's own steps, run by ipwb_pipeline's worker as server actions.

specs/pipelines/finance_bir.yaml: extract_bronze → build_silver → silver quality gates →
build_gold (into the staging schema) → reconcile (publishes gold when it equals Odoo) →
gold quality gates. Each step writes the warehouse in its own transaction, committed when
the step succeeds; a failing step raises, the worker records the error (and the ``log``
attribute of the exception) and skips what depends on it.

Odoo is read with the rights of the user the step runs as (the pipeline owner: the finance
pipeline's technical user), never as superuser: ``companies`` is the run's companies in that
user's environment (``ipwb.finance.run._reader_companies``), so ACLs, record rules and the
user's allowed companies apply. Workbench bookkeeping (the finance run record) stays sudo.
"""

import contextlib
import datetime
import json

from odoo.exceptions import UserError
from odoo.tools import config

from ipwb.errors import IpwbError
from ipwb.finance import bi, marts
from ipwb.finance import warehouse as wh
from ipwb.finance.reconcile import totals
from ipwb.warehouse.connection import connect

from . import extract

SCHEMAS = wh.FinanceSchemas()


@contextlib.contextmanager
def warehouse(env, schemas=SCHEMAS):
    """The writer's connection, holding the domain's lock; committed when the block ends
    without error, rolled back otherwise. Engine errors become translated UserErrors."""
    try:
        conn = connect(extract.writer_config(env))
    except IpwbError as exc:
        raise UserError(env._("Finance pipeline: %s", exc)) from None
    try:
        with conn.cursor() as cur:
            # never wait forever on a reader holding a lock on a table being rebuilt
            cur.execute("SET lock_timeout = '120s'")
            cur.execute("SELECT pg_try_advisory_xact_lock(hashtext(%s))", (f"ipwb_finance:{schemas.bronze}",))
            if not cur.fetchone()[0]:
                raise UserError(env._("The finance pipeline is already running on this warehouse."))
        yield conn
        conn.commit()
    except IpwbError as exc:
        conn.rollback()
        raise UserError(env._("Finance pipeline: %s", exc)) from None
    except Exception:
        conn.rollback()
        raise
    finally:
        conn.close()


def extract_bronze(finance_run, companies):
    env = finance_run.env
    if not companies:
        raise UserError(env._("No company with a Philippine fiscal country: nothing to extract."))
    reader = config.get("ipwb_warehouse_user")
    with warehouse(env) as conn:
        wh.ensure_bronze(conn, SCHEMAS, readers=[reader] if reader else [])
        # read as the step's user, in every company of the run (all of them its companies)
        loaded = extract.extract(companies.env, conn, SCHEMAS, companies)
    finance_run.write(
        {"rows_loaded": sum(loaded.values()), "loaded_detail": json.dumps(loaded, sort_keys=True)}
    )
    return {"rows_loaded": sum(loaded.values()), "loaded": loaded}


def _merge_counts(finance_run, counts):
    merged = json.loads(finance_run.table_counts or "{}")
    merged.update(counts)
    finance_run.table_counts = json.dumps(merged, sort_keys=True)


def build_silver(finance_run, params=None):
    """Silver brought up to date: only the records loaded since the last build, unless a
    full rebuild is due or asked for (the run's ``rebuild_silver`` parameter)."""
    full = rebuild_flag(finance_run.env, (params or {}).get("rebuild_silver"))
    with warehouse(finance_run.env) as conn:
        result = marts.build_silver_layer(conn, SCHEMAS, full=full)
        counts = marts.row_counts(conn, SCHEMAS, layers=("silver",))
    _merge_counts(finance_run, counts)
    mode = f"full ({result.reason})" if result.full else "incremental"
    return {"tables": counts, "silver": mode, "rebuilt": result.scope}


def rebuild_flag(env, value):
    """The ``rebuild_silver`` parameter as a boolean (JSON true/false, or its text)."""
    if value in (None, "", False, True):
        return bool(value)
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise UserError(env._("Finance pipeline: rebuild_silver must be true or false, not %s.", value))


def build_gold(finance_run):
    """Gold into the staging schema: what is published stays untouched until reconciled."""
    with warehouse(finance_run.env) as conn:
        counts = marts.build_gold(conn, SCHEMAS.staged())
    return {"staged": counts}


def period(finance_run, params, companies):
    """The reconciled period: the run's ``start_date``/``end_date`` (exclusive) parameters,
    else every posted entry of the companies."""
    start = params.get("start_date") or None
    end = params.get("end_date") or None
    date_from = datetime.date.fromisoformat(start) if start else None
    date_to = datetime.date.fromisoformat(end) - datetime.timedelta(days=1) if end else None
    if date_from and date_to:
        return date_from, date_to
    groups = companies.env["account.move"]._read_group(
        [("company_id", "in", companies.ids), ("state", "=", "posted")],
        aggregates=["date:min", "date:max"],
    )
    low, high = groups[0] if groups else (None, None)
    return date_from or low, date_to or high


def reconcile(finance_run, params, companies):
    """Staged gold against Odoo; equal: publish gold and the bi views, register the catalog."""
    env = finance_run.env
    try:
        date_from, date_to = period(finance_run, params, companies)
    except ValueError as exc:
        raise UserError(env._("Finance pipeline: invalid period parameter (%s).", exc)) from None
    with warehouse(env) as conn:
        differences, periods = [], {}
        if date_from and date_to:
            differences, periods = finance_run._reconcile(conn, SCHEMAS, companies, date_from, date_to)
        if differences:
            error = UserError(
                env._(
                    "Reconciliation %(from)s to %(to)s: %(summary)s; gold not published",
                    **{"from": date_from, "to": date_to, "summary": totals(differences)},
                )
            )
            error.log = "\n".join(d.describe() for d in differences)
            raise error
        counts = marts.publish_gold(conn, SCHEMAS)
        bi.create_bi_views(conn, SCHEMAS)
    values = {
        "date_from": date_from,
        "date_to": date_to,
        "reconcile_result": "ok" if date_from else "skipped",
        "reconciled_periods": reconciled_periods(periods),
    }
    with warehouse(env) as conn:
        values["catalog_message"] = finance_run._register_catalog(conn, SCHEMAS)
    finance_run.write(values)
    _merge_counts(finance_run, counts)
    return {"reconciliation": values["reconcile_result"], "periods": periods, "published": counts}


def reconciled_periods(periods):
    """The quarters a run reconciled, for the run record (quarters whose gold did not change
    were reconciled by the run that published them)."""
    return ", ".join(sorted(periods)) or "none changed"
