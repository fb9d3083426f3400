# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import SUPERUSER_ID, api, fields, models
from odoo.exceptions import AccessError, UserError

from ipwb.errors import IpwbError
from ipwb.warehouse.execute import prepare

DATA_ENGINEER_GROUP = "ipwb_catalog.group_ipwb_data_engineer"

#: fields only the workflow (as superuser) may set
_WORKFLOW_FIELDS = frozenset(
    {
        "state",
        "requester_id",
        "approver_id",
        "requested_date",
        "decided_date",
        "executed_date",
        "result",
        "rows_affected",
        "error",
        "history_id",
    }
)


class IpwbSqlApproval(models.Model):
    """A write or DDL statement for a warehouse, run only once a second person approved it.

    A Data Engineer drafts and requests; another Data Engineer (never the requester)
    approves or rejects; the approved, unchanged statement then runs once, as the
    warehouse's writer role, with writes allowed — forbidden constructs (file access,
    role changes, several statements …) stay refused even then.
    """

    _name = "ipwb.sql.approval"
    _description = "Workbench SQL Write Approval"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"

    name = fields.Char(string="Purpose", required=True, tracking=True)
    statement = fields.Text(required=True, tracking=True)
    connection_id = fields.Many2one(
        "ipwb.connection",
        string="Warehouse",
        required=True,
        ondelete="restrict",
        default=lambda self: self.env["ipwb.connection"].search([("is_default", "=", True)], limit=1),
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("requested", "Requested"),
            ("approved", "Approved"),
            ("rejected", "Rejected"),
            ("executed", "Executed"),
            ("failed", "Failed"),
        ],
        default="draft",
        required=True,
        readonly=True,
        tracking=True,
        index=True,
    )
    requester_id = fields.Many2one(
        "res.users", required=True, readonly=True, default=lambda self: self.env.user, index=True
    )
    approver_id = fields.Many2one("res.users", readonly=True, tracking=True)
    requested_date = fields.Datetime(readonly=True)
    decided_date = fields.Datetime(readonly=True)
    executed_date = fields.Datetime(readonly=True)
    result = fields.Char(readonly=True, help="What the server answered, e.g. INSERT 0 3.")
    rows_affected = fields.Integer(readonly=True)
    error = fields.Text(readonly=True)
    history_id = fields.Many2one("ipwb.query.history", string="History Entry", readonly=True)

    # ------------------------------------------------------------------ guards
    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                forced = _WORKFLOW_FIELDS & set(vals) - {"requester_id"}
                if forced or vals.get("requester_id", self.env.uid) != self.env.uid:
                    raise AccessError(self.env._("An approval request starts as your own draft."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            if _WORKFLOW_FIELDS & set(vals):
                raise AccessError(self.env._("The approval state changes only through its buttons."))
            if {"statement", "connection_id"} & set(vals) and any(r.state != "draft" for r in self):
                raise UserError(
                    self.env._("A requested statement cannot be changed; reset it to draft first.")
                )
        return super().write(vals)

    def _check_data_engineer(self):
        if not self.env.user.has_group(DATA_ENGINEER_GROUP):
            raise AccessError(self.env._("Only Data Engineers may request, approve or run warehouse writes."))

    def _check_state(self, *states):
        for approval in self:
            if approval.state not in states:
                raise UserError(
                    self.env._(
                        "%(name)s is %(state)s: this step is not possible now.",
                        name=approval.name,
                        state=dict(self._fields["state"]._description_selection(self.env))[approval.state],
                    )
                )

    # ------------------------------------------------------------------ workflow
    def action_request(self):
        self._check_data_engineer()
        self._check_state("draft")
        for approval in self:
            if approval.requester_id != self.env.user:
                raise AccessError(self.env._("Only the author of a draft may request its approval."))
            try:
                prepare(approval.statement, allow_write=True)
            except IpwbError as exc:
                raise UserError(self.env._("This statement cannot be run, even approved:\n%s", exc)) from None
        self.sudo().write({"state": "requested", "requested_date": fields.Datetime.now(), "error": False})
        for approval in self:
            approval._notify_approvers()
        return True

    def action_approve(self):
        self._decide("approved")
        return True

    def action_reject(self):
        self._decide("rejected")
        return True

    def _decide(self, state):
        self._check_data_engineer()
        self._check_state("requested")
        if any(approval.requester_id == self.env.user for approval in self):
            raise AccessError(
                self.env._("You cannot approve or reject your own request: a second person must.")
            )
        self.sudo().write(
            {"state": state, "approver_id": self.env.uid, "decided_date": fields.Datetime.now()}
        )
        self.sudo().activity_ids.unlink()

    def action_execute(self):
        """Run the approved statement once, as the writer role; record the outcome."""
        self._check_data_engineer()
        self._check_state("approved")
        for approval in self:
            if self.env.user not in approval.requester_id | approval.approver_id:
                raise AccessError(self.env._("Only the requester or the approver runs an approved write."))
            result = self.env["ipwb.sql.service"]._execute_write(
                approval.connection_id.sudo(), approval.statement
            )
            ok = result["status"] == "success"
            approval.sudo().write(
                {
                    "state": "executed" if ok else "failed",
                    "executed_date": fields.Datetime.now(),
                    "result": result.get("statement_status") or result["status"],
                    "rows_affected": result.get("row_count", 0) if ok else 0,
                    "error": (result.get("error") or {}).get("message") or False,
                    "history_id": result.get("history_id"),
                }
            )
        return True

    def action_reset_draft(self):
        self._check_state("rejected", "failed", "requested")
        if any(approval.requester_id != self.env.user for approval in self):
            raise AccessError(self.env._("Only the requester may take a request back to draft."))
        self.sudo().write({"state": "draft", "approver_id": False, "decided_date": False})
        self.sudo().activity_ids.unlink()
        return True

    def _approvers(self):
        """Data Engineers who may decide on this request: everyone but its requester."""
        return (
            self.env.ref(DATA_ENGINEER_GROUP)
            .sudo()
            .users.filtered(
                lambda user: (
                    user.active and not user.share and user.id != SUPERUSER_ID and user != self.requester_id
                )
            )
        )

    def _notify_approvers(self):
        self.ensure_one()
        for user in self._approvers():
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                summary=self.env._("Approve SQL write: %s", self.name),
                note=self.env._(
                    "Requested by %s. Review the exact statement before approving.", self.requester_id.name
                ),
                user_id=user.id,
            )
