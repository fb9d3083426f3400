# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The SQL editor's server side: run, cancel, format, export, completions.

Every statement goes through the engine (``ipwb.warehouse.execute``): classification,
READ ONLY transaction, the connection's timeout and row cap. Statement failures never
raise here: they come back as a result with a status and an error (line/column when
known) and are recorded in the query history in the same transaction, so a refusal is
recorded as surely as a success.
"""

import datetime
import hashlib
import logging
import time
import uuid

from odoo.addons.ipwb_catalog import rpc_args

from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import (
    IpwbError,
    ParameterError,
    QueryCancelled,
    QueryRefused,
    QueryTimeout,
    SqlSyntaxError,
)
from ipwb.sql import statement_cache
from ipwb.sql.classify import StatementRefused
from ipwb.sql.format import format_sql
from ipwb.sql.params import parameter_names
from ipwb.sql.split import split_statements
from ipwb.warehouse.execute import MAX_PAGE_ROWS, execute
from ipwb.warehouse.export import DEFAULT_EXPORT_MAX_ROWS, XLSX_MAX_ROWS, export_csv, export_xlsx
from ipwb.warehouse.guard import StatementFailed, cancel
from ipwb.warehouse.pool import process_pool

from . import sql_values

_logger = logging.getLogger(__name__)

USER_GROUP = "ipwb_catalog.group_ipwb_user"
#: system parameter holding the export row cap
EXPORT_CAP_PARAM = "ipwb_sql_editor.export_max_rows"
#: longest run token (the editor sends 32 hex digits)
MAX_TOKEN = 64
#: a statement's lineage is captured again once its last capture is this old
LINEAGE_REFRESH = datetime.timedelta(days=1)


class IpwbSqlService(models.AbstractModel):
    _name = "ipwb.sql.service"
    _description = "Workbench SQL Execution Service"

    # ------------------------------------------------------------------ access
    @api.model
    def _check_user(self):
        if not self.env.user.has_group(USER_GROUP):
            raise AccessError(self.env._("Only Workbench users may run SQL against a warehouse."))

    @api.model
    def _get_connection(self, connection_id=None):
        """The connection the current user asked for (the default one when none), checked."""
        self._check_user()
        connection_id = rpc_args.record_id(self.env, connection_id, self.env._("The warehouse connection"))
        Connection = self.env["ipwb.connection"]
        if not connection_id:
            return Connection._get_default()
        connection = Connection.browse(connection_id).exists()
        if not connection:
            raise UserError(self.env._("This warehouse connection does not exist (any more)."))
        connection.check_access("read")
        if not connection.active:
            raise UserError(self.env._("Warehouse %s is archived.", connection.name))
        return connection

    # ------------------------------------------------------------------ run
    @api.model
    def run(self, connection_id=None, sql="", params=None, offset=0, token=None):
        """Run ``sql`` (one statement, or a script run statement by statement) read-only.

        Returns a JSON-able dict: ``status`` (success/error/refused/cancelled/timeout),
        ``columns``, ``rows`` (one page: the connection's row cap from ``offset``),
        ``next_offset``, ``duration_ms``, ``error`` with ``line``/``col`` in ``sql``.
        ``token`` names the run so that :meth:`cancel` can stop it.
        """
        connection = self._get_connection(connection_id)
        sql, params, offset, token = self._run_args(sql, params, offset, token)
        return self._run(connection, sql, params, offset=offset, token=token)

    @api.model
    def _run_args(self, sql, params, offset, token):
        """The checked arguments of a run from the client (see :mod:`.rpc_args`)."""
        env = self.env
        return (
            rpc_args.sql_text(env, sql),
            rpc_args.sql_params(env, params),
            rpc_args.whole_number(env, offset, env._("The offset"), 0, rpc_args.INT4_MAX, default=0),
            rpc_args.text(env, token, env._("The run token"), MAX_TOKEN, default=None),
        )

    def _run(self, connection, sql, params, *, offset=0, token=None, source="editor"):
        started = time.perf_counter()
        try:
            statements = self._statements(sql)
        except SqlSyntaxError:  # unreadable: the engine refuses it with its own reason
            statements = [(sql, 1, 1)]
        result = {}
        for index, (text, line, col) in enumerate(statements):
            used = {name: params[name] for name in parameter_names(text) if name in params}
            result = self._execute_one(connection, text, used, offset=offset, token=token)
            _shift_positions(result.get("error"), line, col)
            capture = result["status"] == "success" and result.get("kind") == "query" and not offset
            capture = capture and self._lineage_wanted(connection, text)
            entry = self._record(connection, text, result, source, lineage_recorded=capture)
            if capture:
                self._capture_lineage(connection, text, entry)
            result["statement_index"] = index
            if result["status"] != "success":
                break
        result["statement_count"] = len(statements)
        result["elapsed_ms"] = round((time.perf_counter() - started) * 1000.0, 1)
        return result

    @api.model
    def _statements(self, sql):
        """(text, line, col) of each statement; the whole text when there is at most one
        (so that an empty script is refused by the engine with its own reason)."""
        checkable = statement_cache.converted(sql).checkable  # {{name}} → NULL padded: same offsets
        parts = split_statements(checkable)
        if len(parts) <= 1:
            return [(sql, 1, 1)]
        return [(sql[part.start : part.end], part.line, part.col) for part in parts]

    def _execute_one(self, connection, text, params, *, offset=0, token=None, allow_write=False, config=None):
        config = config or connection._user_warehouse_config(self.env.user)
        registered = []

        def on_pid(pid):
            self._register_running(token, connection, pid, allow_write)
            registered.append(pid)

        def on_end():
            # before the (kept) connection serves another run: a late cancel must miss it
            if registered:
                registered.clear()
                self._unregister_running(token)

        try:
            outcome = execute(
                config,
                text,
                params,
                allow_write=allow_write,
                timeout_s=float(connection.statement_timeout),
                max_rows=min(max(connection.max_rows, 1), MAX_PAGE_ROWS),
                offset=max(offset, 0),
                on_backend_pid=on_pid if token else None,
                on_session_end=on_end,
                # approved writes are rare: their writer session is never kept
                pool=None if allow_write else process_pool(),
                pool_generation=connection._pool_generation(),
            )
        except IpwbError as exc:
            return self._failure_result(exc)
        finally:
            on_end()
        return {
            "status": "success",
            "columns": [{"name": c.name, "type": c.type_name} for c in outcome.columns],
            "rows": sql_values.rows_to_json(outcome.rows),
            "row_count": outcome.rowcount,
            "truncated": outcome.truncated,
            "offset": outcome.offset,
            "next_offset": outcome.next_offset,
            "page_size": outcome.max_rows,
            "statement_status": outcome.status,
            "duration_ms": round(outcome.duration_ms, 1),
            "kind": outcome.classification.kind.value,
            "error": None,
        }

    @api.model
    def _failure_result(self, exc):
        if isinstance(exc, QueryTimeout):
            status = "timeout"
        elif isinstance(exc, QueryCancelled):
            status = "cancelled"
        elif isinstance(exc, QueryRefused):
            status = "refused"
        else:
            status = "error"
        error = {"message": str(exc), "line": None, "col": None, "reasons": []}
        if isinstance(exc, StatementRefused):
            error["reasons"] = [reason.as_dict() for reason in exc.reasons]
            located = [reason for reason in exc.reasons if reason.line is not None]
            if located:
                error["line"], error["col"] = located[0].line, located[0].col
        elif isinstance(exc, StatementFailed | SqlSyntaxError):
            error["line"], error["col"] = exc.line, exc.col
        elif not isinstance(exc, ParameterError | QueryRefused | QueryTimeout | QueryCancelled):
            _logger.info("warehouse statement failed: %s", exc)
        return {
            "status": status,
            "columns": [],
            "rows": [],
            "row_count": 0,
            "truncated": False,
            "next_offset": None,
            "duration_ms": 0.0,
            "error": error,
        }

    def _record(self, connection, statement, result, source, row_count=None, *, lineage_recorded=False):
        """Write the history entry as superuser (users cannot write their history)."""
        error = result.get("error") or {}
        entry = (
            self.env["ipwb.query.history"]
            .sudo()
            .create(
                {
                    "user_id": self.env.uid,
                    "connection_id": connection.id,
                    "statement": statement or " ",
                    "status": result["status"],
                    "source": source,
                    "duration_ms": result.get("duration_ms") or 0.0,
                    "row_count": result.get("row_count", 0) if row_count is None else row_count,
                    "error": error.get("message"),
                    "error_line": error.get("line") or 0,
                    "error_col": error.get("col") or 0,
                    "statement_hash": _statement_hash(statement),
                    "lineage_recorded": lineage_recorded,
                }
            )
        )
        result["history_id"] = entry.id
        return entry

    # ------------------------------------------------------------------ cancel
    def _register_running(self, token, connection, pid, write_mode=False):
        # committed at once, in its own transaction: the cancel request must see it now
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ipwb.sql.running.query"].create(
                {
                    "token": token,
                    "user_id": self.env.uid,
                    "connection_id": connection.id,
                    "backend_pid": pid,
                    "write_mode": write_mode,
                }
            )

    def _unregister_running(self, token):
        with self.env.registry.cursor() as cr:
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["ipwb.sql.running.query"].search(
                [("token", "=", token), ("user_id", "=", self.env.uid)]
            ).unlink()

    @api.model
    def cancel(self, token):
        """Cancel the current user's running statement named ``token``; True if signalled.

        Another user's token is never found: the lookup is by (token, current user)."""
        self._check_user()
        token = rpc_args.text(self.env, token, self.env._("The run token"), MAX_TOKEN, default=None)
        return self._cancel_for_user(self.env.uid, token)

    @api.model
    def _cancel_for_user(self, uid, token):
        if not token:
            return False
        running = (
            self.env["ipwb.sql.running.query"]
            .sudo()
            .search([("token", "=", str(token)), ("user_id", "=", uid)], limit=1)
        )
        if not running:
            return False
        connection = self.env["ipwb.connection"].sudo().browse(running.connection_id).exists()
        # an entry outliving its statement's timeout was left by a killed worker: its pid
        # may belong to another session by now, so it is never signalled
        deadline = running.started_at + datetime.timedelta(seconds=connection.statement_timeout + 60)
        if not connection or deadline < fields.Datetime.now():
            return False
        try:
            config = (
                connection._warehouse_writer_config()
                if running.write_mode
                else connection._warehouse_cancel_config()
            )
            return cancel(config, running.backend_pid)
        except IpwbError as exc:
            raise UserError(self.env._("Could not cancel the statement: %s", exc)) from None

    @api.model
    def new_token(self):
        return uuid.uuid4().hex

    # ------------------------------------------------------------------ format
    @api.model
    def format(self, sql):
        """Pretty-printed SQL (sqlglot, ``{{name}}`` kept), or the syntax error's position."""
        self._check_user()
        sql = rpc_args.sql_text(self.env, sql)
        try:
            return {"sql": format_sql(sql), "error": None}
        except IpwbError as exc:
            return {
                "sql": None,
                "error": {
                    "message": str(exc),
                    "line": getattr(exc, "line", None),
                    "col": getattr(exc, "col", None),
                },
            }

    @api.model
    def parameters(self, sql):
        """``{{name}}`` parameters of ``sql`` in order of first use."""
        self._check_user()
        try:
            return list(parameter_names(rpc_args.sql_text(self.env, sql)))
        except IpwbError as exc:
            raise UserError(self.env._("Could not read the parameters: %s", exc)) from None

    # ------------------------------------------------------------------ lineage
    @api.model
    def _lineage_wanted(self, connection, statement):
        """Whether this run captures the statement's lineage: not when the same user's entry
        of the same text on the same warehouse captured it within :data:`LINEAGE_REFRESH`. A
        repeated statement then costs one indexed lookup instead of writing its edges again;
        table usage (``ipwb.table.usage_count``) counts it once per person and period, so a
        query many people run still counts for each of them."""
        since = fields.Datetime.now() - LINEAGE_REFRESH
        domain = [
            ("statement_hash", "=", _statement_hash(statement)),
            ("connection_id", "=", connection.id),
            ("user_id", "=", self.env.uid),
            ("lineage_recorded", "=", True),
            ("create_date", ">=", since),
        ]
        return not self.env["ipwb.query.history"].sudo().search_count(domain, limit=1)

    def _capture_lineage(self, connection, statement, entry):
        """Column lineage of a successful query, stored with the history entry as source.

        The query's result is the target (``query_history.<id>``); a statement sqlglot
        cannot read for lineage is simply not captured (the run itself succeeded)."""
        try:
            checkable = statement_cache.converted(statement).checkable
            lineage = statement_cache.query_lineage(checkable, f"query_history.{entry.id}")
        except IpwbError:
            return
        if lineage.tables or lineage.columns:
            self.env["ipwb.lineage.edge"].sudo()._record_lineage(
                lineage, "query_history", str(entry.id), connection=connection, replace=False
            )

    # ------------------------------------------------------------------ export
    @api.model
    def _export_cap(self, fmt):
        raw = self.env["ir.config_parameter"].sudo().get_param(EXPORT_CAP_PARAM)
        try:
            cap = int(raw) if raw else DEFAULT_EXPORT_MAX_ROWS
        except ValueError:
            cap = DEFAULT_EXPORT_MAX_ROWS
        cap = max(cap, 1)
        return min(cap, XLSX_MAX_ROWS) if fmt == "xlsx" else cap

    def _export(self, connection, sql, params, fmt, stream):
        """Stream the full result into ``stream`` (text for CSV, binary for XLSX) and
        record it; returns (result dict, ExportResult or None)."""
        writer = export_xlsx if fmt == "xlsx" else export_csv
        started = time.perf_counter()
        try:
            outcome = writer(
                connection._user_warehouse_config(self.env.user),
                sql,
                stream,
                params,
                max_rows=self._export_cap(fmt),
                pool=process_pool(),
                pool_generation=connection._pool_generation(),
            )
        except IpwbError as exc:
            result = self._failure_result(exc)
            self._record(connection, sql, result, "export")
            return result, None
        result = {
            "status": "success",
            "row_count": outcome.rows,
            "truncated": outcome.truncated,
            "duration_ms": round((time.perf_counter() - started) * 1000.0, 1),
            "error": None,
        }
        self._record(connection, sql, result, "export")
        return result, outcome

    # ------------------------------------------------------------------ helpers for writes
    def _execute_write(self, connection, sql):
        """Run an approved write as the warehouse's writer role; recorded like any run."""
        try:
            config = connection._warehouse_writer_config()
        except IpwbError as exc:
            result = self._failure_result(exc)
        else:
            result = self._execute_one(connection, sql, {}, allow_write=True, config=config)
        self._record(connection, sql, result, "approval")
        return result


def _statement_hash(statement):
    return hashlib.sha256((statement or " ").encode("utf-8")).hexdigest()


def _shift_positions(error, line, col):
    """Make an error's line/col (relative to one statement) relative to the script."""
    if not error or (line, col) == (1, 1):
        return
    items = [error, *error.get("reasons", [])]
    for item in items:
        if item.get("line") is None:
            continue
        if item["line"] == 1 and item.get("col") is not None:
            item["col"] += col - 1
        item["line"] += line - 1
