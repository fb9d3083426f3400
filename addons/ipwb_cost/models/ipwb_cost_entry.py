# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IpwbCostEntry(models.Model):
    """One priced unit of work: an LLM call, a pipeline step's compute, a warehouse query.

    Entries are written by the engine-facing code of other addons (as superuser), never
    edited by hand, so the ledger can be trusted for monthly reporting and budgets.
    """

    _name = "ipwb.cost.entry"
    _description = "Workbench Cost Entry"
    _order = "date desc, id desc"

    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    source = fields.Selection(
        [("llm", "LLM call"), ("pipeline", "Pipeline compute"), ("warehouse", "Warehouse query")],
        required=True,
        index=True,
    )
    description = fields.Char()
    model_name = fields.Char(string="Model", help="LLM model or compute profile that was priced.")
    tokens_in = fields.Integer(string="Tokens In")
    tokens_out = fields.Integer(string="Tokens Out")
    compute_seconds = fields.Float(digits=(16, 3))
    amount_usd = fields.Float(string="Amount (USD)", digits=(16, 6), required=True, default=0.0)
    user_id = fields.Many2one("res.users", string="User", default=lambda self: self.env.user, index=True)
    domain_name = fields.Char(string="Domain", index=True, help="Business domain the work belongs to.")
    res_model = fields.Char(string="Related Model", readonly=True)
    res_id = fields.Many2oneReference(string="Related Record", model_field="res_model", readonly=True)

    @api.constrains("amount_usd", "tokens_in", "tokens_out", "compute_seconds")
    def _check_non_negative(self):
        for entry in self:
            if min(entry.amount_usd, entry.tokens_in, entry.tokens_out, entry.compute_seconds) < 0:
                raise ValidationError(
                    self.env._("Cost entries cannot hold negative amounts, tokens or durations.")
                )
