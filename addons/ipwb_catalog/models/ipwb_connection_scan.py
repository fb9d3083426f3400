# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Catalog scans of a warehouse connection: one pass for a small warehouse, batches for a big one.

A first scan of 100k tables (1M columns) does not fit in one request or one transaction
(Odoo's ``limit_time_real`` killed it and rolled everything back). A large scan is queued
for the scan cron instead, which applies the plan :data:`DEFAULT_BATCH` table steps at a
time through Odoo's batched-cron API (``ir.cron._notify_progress``): the cron runner commits
after each batch and calls again while work remains, so a killed worker loses at most one
batch, and the next run diffs the catalog again and carries on where the commits left it.
"""

import logging
import threading
import time

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.warehouse.introspect import count_relations, introspect_warehouse

from .. import catalog_cache
from ..catalog_scanner import CatalogScanner

_logger = logging.getLogger(__name__)

#: table steps per batch of a queued scan (``ipwb_catalog.scan_batch_size`` overrides)
DEFAULT_BATCH = 5000
#: a warehouse with more tables and views than this is scanned by the cron in batches
#: when its Scan button is pressed (``ipwb_catalog.scan_sync_limit`` overrides)
DEFAULT_SYNC_LIMIT = 5000
#: a queued scan reuses its introspection between batches for this long (seconds)
SNAPSHOT_TTL_S = 3600

#: (database, connection id, schemas) → (monotonic time, _Pending), for a scan under way in
#: this process; a new process (killed worker) introspects and diffs again, always correct
_snapshots = {}
_snapshots_lock = threading.Lock()


class _Pending:
    """A batched scan between two batches: its snapshot and, while the catalog is exactly as
    the last batch left it (``done`` committed), the rest of its plan and the record ids the
    scanner read, which spares the next batch reading and diffing the whole catalog again."""

    __slots__ = ("done", "rest", "scanner_state", "snapshot")

    def __init__(self, snapshot, rest=None, scanner_state=None, done=None):
        self.snapshot = snapshot
        self.rest = rest
        self.scanner_state = scanner_state
        self.done = done


SUMMARY_KEYS = ("tables_created", "tables_updated", "tables_archived", "tables_reactivated")


def _cached_snapshot(key):
    with _snapshots_lock:
        entry = _snapshots.get(key)
        if entry and time.monotonic() - entry[0] < SNAPSHOT_TTL_S:
            return entry[1]
        _snapshots.pop(key, None)
        return None


def _keep_snapshot(key, pending):
    with _snapshots_lock:
        if pending is None:
            _snapshots.pop(key, None)
        else:
            _snapshots[key] = (time.monotonic(), pending)


class IpwbConnection(models.Model):
    _inherit = "ipwb.connection"

    scan_state = fields.Selection(
        [("idle", "Idle"), ("queued", "Queued"), ("running", "Running")],
        default="idle",
        required=True,
        readonly=True,
        copy=False,
        help="A large warehouse is scanned in the background, in batches committed one by one.",
    )
    scan_done = fields.Integer(string="Tables Scanned", readonly=True, copy=False)
    scan_remaining = fields.Integer(string="Tables Left", readonly=True, copy=False)
    scan_counts = fields.Json(readonly=True, copy=False)
    scan_progress = fields.Float(compute="_compute_scan_progress")

    @api.depends("scan_done", "scan_remaining")
    def _compute_scan_progress(self):
        for connection in self:
            total = connection.scan_done + connection.scan_remaining
            connection.scan_progress = 100.0 * connection.scan_done / total if total else 0.0

    # --- rights and settings --------------------------------------------------------------
    def _check_may_scan(self):
        scanners = ("ipwb_catalog.group_ipwb_data_engineer", "ipwb_catalog.group_ipwb_architect")
        if not self.env.su and not any(self.env.user.has_group(g) for g in scanners):
            raise AccessError(
                self.env._("Only Data Engineers, Architects and administrators scan warehouses.")
            )

    def _scan_setting(self, key, default):
        value = self.env["ir.config_parameter"].sudo().get_param(f"ipwb_catalog.{key}")
        try:
            return max(1, int(value)) if value else default
        except ValueError:
            return default

    def _introspect(self, schemas=None):
        """Engine snapshot (view definitions schema-qualified whatever the role's search_path)."""
        return introspect_warehouse(self._warehouse_config(), schemas)

    # --- the scan -------------------------------------------------------------------------
    def _scan_catalog(self, schemas=None):
        """Introspect the warehouse and mirror it into the catalog, incrementally, in one pass.

        Idempotent: a second scan of an unchanged warehouse writes nothing. Dropped tables are
        archived (their descriptions, owners and tags stay), re-created ones reactivated,
        renamed columns keep their descriptions. Also records the lineage of every view.
        Returns the plan's summary counts.
        """
        return self._scan_step(schemas)[0]

    def _scan_step(self, schemas=None, limit=None):
        """Apply the scan plan, or its next ``limit`` table steps; ``(summary, steps left)``.

        The last step (nothing left) records view lineage, schedules the grants sync and
        writes the scan's summary; earlier ones only advance the progress fields.
        """
        self.ensure_one()
        self._check_may_scan()
        key = (self.env.cr.dbname, self.id, tuple(schemas) if schemas is not None else None)
        # a scan's first batch always introspects: what a failed or finished scan left is stale
        pending = _cached_snapshot(key) if limit and self.scan_done else None
        if pending is None:
            try:
                pending = _Pending(self._introspect(schemas))
            except IpwbError as exc:
                raise self._warehouse_error(exc) from None
        snapshot = pending.snapshot
        scanner = CatalogScanner(self)
        if pending.rest is not None and pending.done == self.scan_done:
            scanner.restore(pending.scanner_state)
            whole = pending.rest
            batch = scanner.apply_plan(whole.head(limit))
        else:
            batch, whole = scanner.apply(snapshot, limit)
        remaining = whole.table_operations - batch.table_operations
        summary = batch.summary()
        counts = dict(self.scan_counts or {}) if limit else {}
        for name in SUMMARY_KEYS:
            counts[name] = counts.get(name, 0) + summary[name]
        writer = self.sudo().with_context(tracking_disable=True)
        if remaining:
            done = self.scan_done + batch.table_operations
            _keep_snapshot(key, _Pending(snapshot, whole.rest(limit), scanner.state(), done))
            writer.write(
                {
                    "scan_state": "running",
                    "scan_done": done,
                    "scan_remaining": remaining,
                    "scan_counts": counts,
                }
            )
            _logger.info("catalog scan of %s: batch %s, %s table steps left", self.name, summary, remaining)
            return summary, remaining
        _keep_snapshot(key, None)
        self._schedule_grants_sync()  # new tables: grants follow once the scan commits
        summary.update({f"lineage_{k}": v for k, v in scanner.record_view_lineage(snapshot).items()})
        changes = sum(v for k, v in summary.items() if not k.startswith("lineage_kept"))
        message = self.env._(
            "%(tables)s tables scanned: %(created)s new, %(updated)s changed, %(archived)s archived, "
            "%(reactivated)s reactivated",
            tables=sum(1 for _t in snapshot.tables()),
            created=counts["tables_created"],
            updated=counts["tables_updated"],
            archived=counts["tables_archived"],
            reactivated=counts["tables_reactivated"],
        )
        vals = {"last_scan_date": fields.Datetime.now()}
        if changes or message != self.last_scan_summary:
            vals["last_scan_summary"] = message
        if self.scan_state != "idle" or self.scan_done or self.scan_remaining:
            vals.update(scan_state="idle", scan_done=0, scan_remaining=0, scan_counts=False)
        writer.write(vals)
        _logger.info("catalog scan of %s: %s", self.name, summary)
        return summary, 0

    def _queue_scan(self, expected=0):
        """Hand the scan to the cron (batched, committed per batch) and wake it up."""
        self.sudo().with_context(tracking_disable=True).write(
            {"scan_state": "queued", "scan_done": 0, "scan_remaining": expected, "scan_counts": False}
        )
        self.env.ref("ipwb_catalog.cron_scan_catalog").sudo()._trigger()

    def _is_large_warehouse(self):
        """``(large, size)``: a scan reads and diffs every table of the warehouse and every one
        the catalog knows of it (archiving 100k dropped tables is as large as creating them)."""
        try:
            relations = count_relations(self._warehouse_config())
        except IpwbError as exc:
            raise self._warehouse_error(exc) from None
        known = self.env["ipwb.table"].sudo().search_count([("connection_id", "=", self.id)])
        size = max(relations, known)
        return size > self._scan_setting("scan_sync_limit", DEFAULT_SYNC_LIMIT), size

    def action_scan(self):
        self.ensure_one()
        self._check_may_scan()
        if self.scan_state == "idle":
            large, relations = self._is_large_warehouse()
            if not large:
                self._scan_catalog()
                return self._notification(self.env._("Catalog scanned"), self.last_scan_summary, "success")
            self._queue_scan(relations)
        else:
            # pressed again while queued: wake the cron (a failed run reschedules it a day later)
            self.env.ref("ipwb_catalog.cron_scan_catalog").sudo()._trigger()
        return self._notification(
            self.env._("Scan queued"),
            self.env._(
                "%(name)s is a large warehouse (%(count)s tables and views): it is scanned in the "
                "background, in batches; the connection shows the progress.",
                name=self.name,
                count=self.scan_done + self.scan_remaining,
            ),
            "info",
        )

    @api.model
    def _cron_scan_catalog(self):
        """Scan the queued connections, one batch of table steps per call.

        A run that finds nothing queued (the daily schedule) queues every active connection.
        Progress goes to the cron runner, which commits after each call and calls again while
        steps remain; one failing warehouse does not stop the others.
        """
        pending = self.search([("active", "=", True), ("scan_state", "!=", "idle")], order="id")
        if not pending:
            pending = self.search([("active", "=", True)], order="id")
            pending.sudo().with_context(tracking_disable=True).write({"scan_state": "queued"})
        budget = batch = self._scan_setting("scan_batch_size", DEFAULT_BATCH)
        done = 0
        for connection in pending:  # oldest queue entry first: a big scan never starves the rest
            if budget <= 0:
                break
            try:
                with self.env.cr.savepoint():
                    summary, remaining = connection._scan_step(limit=budget)
            except (UserError, IpwbError) as exc:
                _logger.warning("catalog scan of %s failed: %s", connection.name, exc)
                connection.sudo().with_context(tracking_disable=True).write(
                    {"scan_state": "idle", "scan_done": 0, "scan_remaining": 0, "scan_counts": False}
                )
                continue
            steps = max(1, sum(summary[name] for name in SUMMARY_KEYS))
            done += steps
            budget -= steps
        left = self.search([("active", "=", True), ("scan_state", "!=", "idle")])
        if not left:
            self._after_scans()
        remaining = sum(left.mapped("scan_remaining")) or len(left)
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining if left else 0)
        _logger.info("catalog scan cron: %s table steps done (batch %s), %s left", done, batch, remaining)

    @api.model
    def _after_scans(self):
        # scans link lineage edges to tables, and query-history reads age out of the window
        self.env["ipwb.table"]._refresh_usage_count()
        catalog_cache.compact(self.env.cr)
        try:
            report = self.env["ipwb.lineage.edge"]._mirror_to_neo4j()
            _logger.info("%s", report.message)
        except UserError as exc:
            _logger.warning("%s", exc)
