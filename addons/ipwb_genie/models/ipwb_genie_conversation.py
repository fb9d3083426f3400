# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, fields, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.llm.errors import SqlGenerationFailed
from ipwb.llm.nl2sql import Nl2Sql

from ..services.gateway import OdooSink, build_gateway, user_label
from ..services.warehouse import STORED_ROWS, catalog_for, read_only_executor, record_history

MAX_QUESTION = 4000


class IpwbGenieConversation(models.Model):
    """A Genie chat: questions in natural language, answered with SQL and its rows."""

    _name = "ipwb.genie.conversation"
    _description = "Genie Conversation"
    _order = "write_date desc, id desc"

    name = fields.Char(required=True, default=lambda self: self.env._("New conversation"))
    user_id = fields.Many2one(
        "res.users", string="User", required=True, default=lambda self: self.env.user, index=True
    )
    connection_id = fields.Many2one(
        "ipwb.connection",
        string="Warehouse",
        ondelete="set null",
        default=lambda self: self.env["ipwb.connection"].search([("is_default", "=", True)], limit=1),
    )
    message_ids = fields.One2many("ipwb.genie.message", "conversation_id", string="Messages")
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6), compute="_compute_cost_usd")

    @api.depends("message_ids.cost_usd")
    def _compute_cost_usd(self):
        for conversation in self:
            conversation.cost_usd = sum(conversation.message_ids.mapped("cost_usd"))

    def _spent(self):
        """What the conversation's calls cost, from the traces (which users cannot write)."""
        self.ensure_one()
        traces = (
            self.env["ipwb.llm.trace"]
            .sudo()
            .search([("res_model", "=", "ipwb.genie.message"), ("res_id", "in", self.message_ids.ids)])
        )
        return sum(traces.mapped("cost_usd"))

    # -- the chat API (called by the Genie client action) -----------------------------------
    @api.model
    def genie_list(self):
        return self.search_read([("user_id", "=", self.env.uid)], ["name", "write_date"], limit=50)

    def genie_load(self):
        rpc_args.check_records(self, self.env._("The conversation"), single=True)
        self.ensure_one()
        return {
            "id": self.id,
            "name": self.name,
            "messages": [message._genie_payload() for message in self.message_ids],
        }

    @api.model
    def genie_ask(self, conversation_id, question):
        """Answer ``question`` in conversation ``conversation_id`` (False: a new one)."""
        conversation_id = rpc_args.record_id(self.env, conversation_id, self.env._("The conversation"))
        question = rpc_args.text(self.env, question, self.env._("The question"), 4 * MAX_QUESTION).strip()
        if not question:
            raise UserError(self.env._("Ask a question first."))
        if len(question) > MAX_QUESTION:
            raise UserError(self.env._("Questions are limited to %s characters.", MAX_QUESTION))
        # before anything is written: no model configured is a clear refusal
        self.env["ipwb.llm.model"]._get_gateway_models()
        conversation = (
            self.browse(conversation_id) if conversation_id else self.create({"name": question[:60]})
        )
        rpc_args.check_records(conversation, self.env._("The conversation"), single=True)
        conversation.ensure_one()
        conversation.check_access("write")  # someone else's conversation: AccessError
        connection = conversation.connection_id or self.env["ipwb.connection"]._get_default()
        # messages are written as superuser: users read them but cannot forge answers or costs
        Message = self.env["ipwb.genie.message"].sudo()
        Message.create({"conversation_id": conversation.id, "role": "user", "content": question})
        answer = Message.create({"conversation_id": conversation.id, "role": "assistant", "state": "pending"})
        sink = OdooSink(self.env, link=answer)
        gateway = build_gateway(self.env, sink)
        session = gateway.new_session(f"genie-conversation-{conversation.id}")
        session.spent = conversation._spent()
        outcome = {}
        try:
            catalog = catalog_for(self.env, connection)
            engine = Nl2Sql(catalog, gateway)
            result = engine.answer(
                question,
                read_only_executor(self.env, connection, outcome),
                user=user_label(self.env),
                session=session,
            )
        except SqlGenerationFailed as exc:
            answer.write(
                {
                    "state": "error",
                    "content": self.env._("Genie could not write a valid query: %s", exc),
                    "sql": exc.attempts[-1][0] if exc.attempts else False,
                    "attempts": [{"sql": sql, "error": error} for sql, error in exc.attempts],
                }
            )
        except IpwbError as exc:
            answer.write({"state": "error", "content": self.env._("Genie could not answer: %s", exc)})
        else:
            columns, rows, truncated, duration = outcome[result.result.sql]
            record_history(
                self.env, connection, result.result.sql, "success", rows=len(rows), duration_ms=duration
            )
            answer.write(
                {
                    "state": "ok",
                    "content": self.env._(
                        "%(rows)s row(s) from %(tables)s",
                        rows=len(rows),
                        tables=", ".join(result.result.tables) or "-",
                    ),
                    "sql": result.result.sql,
                    "columns": columns,
                    "rows": rows[:STORED_ROWS],
                    "row_count": len(rows),
                    "truncated": truncated or len(rows) > STORED_ROWS,
                    "attempts": [{"sql": a.sql, "error": a.error} for a in result.result.attempts],
                }
            )
        answer.cost_usd = sum(sink.traces.mapped("cost_usd"))
        return {"conversation": conversation.genie_load(), "message_id": answer.id}
