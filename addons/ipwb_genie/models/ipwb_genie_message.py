# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import time

from odoo.addons.ipwb_catalog import rpc_args

from odoo import fields, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.warehouse.execute import execute
from ipwb.warehouse.pool import process_pool

from ..services.warehouse import STORED_ROWS, jsonable, record_history


class IpwbGenieMessage(models.Model):
    """One turn of a conversation; an assistant turn carries the SQL and a page of rows."""

    _name = "ipwb.genie.message"
    _description = "Genie Message"
    _order = "conversation_id, id"

    conversation_id = fields.Many2one(
        "ipwb.genie.conversation", required=True, ondelete="cascade", index=True
    )
    user_id = fields.Many2one(related="conversation_id.user_id", store=True, index=True)
    role = fields.Selection([("user", "User"), ("assistant", "Genie")], required=True)
    content = fields.Text()
    state = fields.Selection(
        [("pending", "Pending"), ("ok", "Answered"), ("error", "Failed")], default="ok", required=True
    )
    sql = fields.Text(string="SQL")
    columns = fields.Json()
    rows = fields.Json()
    row_count = fields.Integer()
    truncated = fields.Boolean()
    attempts = fields.Json(help="Every generated query and the error that sent it back for repair.")
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6))
    snippet_id = fields.Many2one("ipwb.sql.snippet", string="Editor Snippet", ondelete="set null")
    trace_count = fields.Integer(compute="_compute_trace_count")

    def _compute_trace_count(self):
        Trace = self.env["ipwb.llm.trace"]
        for message in self:
            message.trace_count = Trace.search_count(
                [("res_model", "=", self._name), ("res_id", "=", message.id)]
            )

    def _genie_payload(self):
        self.ensure_one()
        return {
            "id": self.id,
            "role": self.role,
            "content": self.content or "",
            "state": self.state,
            "sql": self.sql or "",
            "columns": self.columns or [],
            "rows": self.rows or [],
            "row_count": self.row_count,
            "truncated": self.truncated,
            "attempts": self.attempts or [],
            "cost_usd": self.cost_usd,
        }

    def genie_run_sql(self, sql):
        """Re-run an edited query of this answer, read-only through the engine."""
        rpc_args.check_records(self, self.env._("The answer"), single=True)
        self.ensure_one()
        self.conversation_id.check_access("write")
        sql = rpc_args.sql_text(self.env, sql).strip()
        if not sql:
            raise UserError(self.env._("There is no SQL to run."))
        connection = self.conversation_id.connection_id or self.env["ipwb.connection"]._get_default()
        started = time.perf_counter()
        try:
            result = execute(
                connection._user_warehouse_config(self.env.user),
                sql,
                timeout_s=float(connection.statement_timeout),
                max_rows=connection.max_rows,
                pool=process_pool(),
                pool_generation=connection._pool_generation(),
            )
        except IpwbError as exc:
            raise UserError(self.env._("The query failed: %s", exc)) from None
        rows = [[jsonable(v) for v in row] for row in result.rows]
        duration = (time.perf_counter() - started) * 1000
        record_history(self.env, connection, sql, "success", rows=len(rows), duration_ms=duration)
        self.sudo().write(
            {
                "sql": sql,
                "columns": list(result.column_names),
                "rows": rows[:STORED_ROWS],
                "row_count": len(rows),
                "truncated": result.truncated or len(rows) > STORED_ROWS,
                "state": "ok",
            }
        )
        return self._genie_payload()

    def genie_open_in_editor(self, sql):
        """Open ``sql`` in the SQL editor, through a private snippet kept for this answer."""
        rpc_args.check_records(self, self.env._("The answer"), single=True)
        self.ensure_one()
        self.conversation_id.check_access("write")
        sql = rpc_args.sql_text(self.env, sql).strip()
        if not sql:
            raise UserError(self.env._("There is no SQL to open."))
        question = self.conversation_id.message_ids.filtered(lambda m: m.role == "user" and m.id < self.id)[
            -1:
        ].content
        if self.snippet_id.exists():
            self.snippet_id.write({"statement": sql})
        else:
            snippet = self.env["ipwb.sql.snippet"].create(
                {
                    "name": self.env._("Genie: %s", (question or "")[:60] or self.id),
                    "statement": sql,
                    "visibility": "private",
                    "connection_id": self.conversation_id.connection_id.id,
                }
            )
            self.sudo().snippet_id = snippet
        return self.snippet_id.action_open_in_editor()

    def action_view_traces(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Traces"),
            "res_model": "ipwb.llm.trace",
            "view_mode": "list,form",
            "domain": [("res_model", "=", self._name), ("res_id", "=", self.id)],
        }
