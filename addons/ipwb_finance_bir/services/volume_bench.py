# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The finance pipeline at volume: figures for ``ipwb bench finance --volume mid``.

In one Odoo process (the one doing the work, so its RSS is the figure): a first full build
of the finance pipeline over the volume companies (bronze, silver and gold rebuilt from
nothing), an incremental run after 100 new invoices, the reconciliation (the pipeline's
``reconcile`` step), each with its time and the peak RSS of this process during it
(sampled from ``/proc/self/status`` every 20 ms), and the yardstick: Odoo's own l10n_ph tax
report (``account.report`` ``l10n_ph.vat``, :func:`odoo_figures.vat_lines`) computing the
same quarter's VAT lines. Figures only, with the machine's load average.
"""

import datetime
import json
import os
import threading
import time

from psycopg2 import sql

from ipwb.finance import warehouse as wh

from . import odoo_figures, pipeline_steps, volume_data


def _rss_kib():
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Samples this process's RSS in a thread; ``peak(since, until)`` in MiB."""

    def __init__(self, every_s=0.02):
        self.samples = []
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append((time.time(), _rss_kib()))
            self._stop.wait(self._every)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def peak(self, since, until):
        inside = [kib for at, kib in self.samples if since <= at <= until]
        return round(max(inside, default=_rss_kib()) / 1024, 1)


def _reset_warehouse(env):
    """Drop the finance schemas so the next run is a first full build."""
    schemas = pipeline_steps.SCHEMAS
    with pipeline_steps.warehouse(env) as conn, conn.cursor() as cur:
        for name in {schemas.bronze, schemas.silver, schemas.gold, schemas.staged().gold}:
            cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(name)))
        for name in (schemas.bronze, schemas.silver, schemas.gold):
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(name)))
    return wh


def _timed_run(env, sampler, companies, label):
    runs = env["ipwb.finance.run"]
    started = time.time()
    run = runs._run_pipeline(companies=companies, trigger="manual")
    env.cr.commit()
    ended = time.time()
    steps = []
    for step in run.pipeline_run_id.step_run_ids.sorted("id"):
        since = step.date_start.replace(tzinfo=datetime.UTC).timestamp() if step.date_start else started
        until = step.date_end.replace(tzinfo=datetime.UTC).timestamp() if step.date_end else ended
        steps.append(
            {
                "step": step.step_name,
                "state": step.state,
                # datetimes are stored to the second: the window is widened by one
                "peak_rss_mib": sampler.peak(since - 1, until + 1),
                "seconds": round(step.duration or 0.0, 2),
            }
        )
    pipeline_run = run.pipeline_run_id
    own = (
        (pipeline_run.date_end - pipeline_run.date_start).total_seconds()
        if pipeline_run.date_start and pipeline_run.date_end
        else ended - started
    )
    return {
        "run": label,
        "state": run.state,
        # the run's own span: the worker's call may also execute other due runs (retries)
        "seconds": round(own, 2),
        "call_seconds": round(ended - started, 2),
        "peak_rss_mib": sampler.peak(started, ended),
        "rows_loaded": run.rows_loaded,
        "loaded": json.loads(run.loaded_detail or "{}"),
        "reconciliation": run.reconciliation,
        "error": (run.pipeline_run_id.step_run_ids.filtered(lambda s: s.state == "failed")[:1].error or "")[
            :300
        ],
        "steps": steps,
    }


def run(env, volume="mid", new_invoices=100):
    """The figures as a dict (see the module doc)."""
    companies = env["res.company"].browse(
        [env.ref(f"ipwb_finance_bir.{xmlid}").id for xmlid, *_rest in volume_data.COMPANIES]
    )
    moves = env["account.move"].search_count([("company_id", "in", companies.ids), ("state", "=", "posted")])
    items = env["account.move.line"].search_count(
        [("company_id", "in", companies.ids), ("parent_state", "=", "posted")]
    )
    load_before = os.getloadavg()
    figures = {
        "volume": volume,
        "companies": companies.mapped("name"),
        "posted_moves": moves,
        "journal_items": items,
    }
    with RssSampler() as sampler:
        figures["rss_at_start_mib"] = sampler.peak(0, 0)
        _reset_warehouse(env)
        env.cr.commit()
        figures["full_build"] = _timed_run(env, sampler, companies, "full build")
        # the yardstick: Odoo's own tax report computing one quarter's VAT lines
        last = (
            env["account.move"]
            .search(
                [("company_id", "in", companies.ids), ("state", "=", "posted")], order="date desc", limit=1
            )
            .date
        )
        quarter_start = datetime.date(last.year, 3 * ((last.month - 1) // 3) + 1, 1)
        quarter_end = (quarter_start + datetime.timedelta(days=95)).replace(day=1) - datetime.timedelta(
            days=1
        )
        started = time.time()
        lines = odoo_figures.vat_lines(env, companies, quarter_start, quarter_end)
        ended = time.time()
        figures["tax_report_quarter"] = {
            "quarter": f"{quarter_start} .. {quarter_end}",
            "seconds": round(ended - started, 2),
            "peak_rss_mib": sampler.peak(started, ended),
            "values": len(lines) if hasattr(lines, "__len__") else None,
        }
        started = time.time()
        volume_data.add_invoices(env, count=new_invoices, day=last)
        env.cr.commit()
        figures["new_invoices"] = {"count": new_invoices, "seconds": round(time.time() - started, 2)}
        figures["incremental"] = _timed_run(
            env, sampler, companies, f"incremental after {new_invoices} invoices"
        )
    figures["load_average_before"] = load_before
    figures["load_average_after"] = os.getloadavg()
    return figures
