# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbQueryHistory(models.Model):
    """One statement a user ran against a warehouse, whatever its outcome.

    Written by the execution path (as superuser) so a user cannot rewrite their history;
    it feeds "open in editor", usage-based search ranking and query-history lineage.
    """

    _name = "ipwb.query.history"
    _description = "Workbench Query History"
    _order = "create_date desc, id desc"
    _rec_name = "summary"

    user_id = fields.Many2one(
        "res.users", string="User", required=True, default=lambda self: self.env.user, index=True
    )
    connection_id = fields.Many2one("ipwb.connection", string="Warehouse", ondelete="set null", index=True)
    statement = fields.Text(required=True)
    summary = fields.Char(compute="_compute_summary")
    status = fields.Selection(
        [
            ("success", "Success"),
            ("error", "Error"),
            ("refused", "Refused"),
            ("cancelled", "Cancelled"),
            ("timeout", "Timed out"),
        ],
        required=True,
        index=True,
    )
    source = fields.Selection(
        [
            ("editor", "SQL Editor"),
            ("snippet", "Snippet"),
            ("export", "Export"),
            ("approval", "Approved Write"),
        ],
        default="editor",
        required=True,
        index=True,
    )
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1))
    row_count = fields.Integer(string="Rows")
    error = fields.Text()
    error_line = fields.Integer(help="Line of the error in the statement (0: unknown).")
    error_col = fields.Integer(string="Error Column", help="Column of the error (0: unknown).")
    statement_hash = fields.Char(
        readonly=True, index=True, help="SHA-256 of the statement: finds earlier runs of the same text."
    )
    lineage_recorded = fields.Boolean(
        readonly=True,
        help="The lineage of this statement was captured with this entry (a repeat within a day is not).",
    )

    def _compute_summary(self):
        for entry in self:
            first_line = (entry.statement or "").strip().splitlines()[:1]
            entry.summary = (first_line[0][:80] if first_line else "") or "-"
