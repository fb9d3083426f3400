# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models
from odoo.exceptions import AccessError


class IpwbTable(models.Model):
    """Promotion to production through the Guardian gate (gold/platinum tables)."""

    _inherit = "ipwb.table"

    promotion_state = fields.Selection(
        [("draft", "Draft"), ("production", "Production")],
        default="draft",
        readonly=True,
        tracking=True,
        copy=False,
    )
    guardian_gate_id = fields.Many2one("ipwb.guardian.gate", string="Last Gate", readonly=True, copy=False)
    dq_check_count = fields.Integer(string="Quality Checks", compute="_compute_dq_check_count")
    guardian_score = fields.Float(compute="_compute_guardian_score", digits=(16, 1))

    def _compute_guardian_score(self):
        Card = self.env["ipwb.dq.scorecard"].sudo()
        for table in self:
            card = Card.search([("scope", "=", "table"), ("name", "=", table.full_name)], limit=1)
            table.guardian_score = card.overall if card else 0.0

    def action_open_scorecard(self):
        """The table's latest Guardian scorecard (its trend from there), or the empty list."""
        self.ensure_one()
        domain = [("scope", "=", "table"), ("name", "=", self.full_name)]
        latest = self.env["ipwb.dq.scorecard"].search(domain, limit=1)
        action = {
            "type": "ir.actions.act_window",
            "name": self.env._("Scorecard of %s", self.full_name),
            "res_model": "ipwb.dq.scorecard",
            "domain": domain,
        }
        if latest:
            return {**action, "res_id": latest.id, "view_mode": "form", "views": [(False, "form")]}
        return {**action, "view_mode": "list,graph", "views": [(False, "list"), (False, "graph")]}

    def _compute_dq_check_count(self):
        counts = dict(
            self.env["ipwb.dq.check"]._read_group(
                [("table_ref", "in", self.mapped("full_name"))], ["table_ref"], ["__count"]
            )
        )
        for table in self:
            table.dq_check_count = counts.get(table.full_name, 0)

    def action_promote(self):
        """Promote when the gate passes (or is waived); otherwise show the blocking reasons."""
        self.ensure_one()
        user = self.env.user
        if not (
            user.has_group("ipwb_catalog.group_ipwb_data_engineer")
            or user.has_group("ipwb_catalog.group_ipwb_architect")
        ):
            raise AccessError(self.env._("Only Data Engineers and Architects may promote tables."))
        gate = self.env["ipwb.guardian.gate"].evaluate_target(self.full_name, requested_by=self)
        values = {"guardian_gate_id": gate.id}
        if gate.status != "blocked":
            values["promotion_state"] = "production"
        self.sudo().write(values)
        if gate.status == "blocked":
            return gate.action_open()
        self.message_post(body=self.env._("Promoted to production (gate %(status)s).", status=gate.status))
        return True

    def action_demote(self):
        self.ensure_one()
        if not self.env.user.has_group("ipwb_catalog.group_ipwb_architect"):
            raise AccessError(self.env._("Only Architects may take a table out of production."))
        self.sudo().write({"promotion_state": "draft"})
        return True

    def action_open_dq_checks(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Quality checks of %s", self.full_name),
            "res_model": "ipwb.dq.check",
            "view_mode": "list,form",
            "domain": [("table_ref", "=", self.full_name)],
            "context": {"default_table_ref": self.full_name, "default_connection_id": self.connection_id.id},
        }
