# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class IpwbCostPrice(models.Model):
    """Price table (data): LLM token prices per 1k tokens and compute prices per second."""

    _name = "ipwb.cost.price"
    _description = "Workbench Price"
    _order = "source, model_name"

    name = fields.Char(required=True)
    source = fields.Selection(
        [("llm", "LLM call"), ("pipeline", "Pipeline compute"), ("warehouse", "Warehouse query")],
        required=True,
        index=True,
    )
    model_name = fields.Char(
        string="Model / Profile",
        required=True,
        index=True,
        help="LLM model id, or a compute profile (warehouse).",
    )
    price_in_per_1k = fields.Float(string="USD per 1k Tokens In", digits=(16, 6))
    price_out_per_1k = fields.Float(string="USD per 1k Tokens Out", digits=(16, 6))
    price_per_second = fields.Float(string="USD per Compute Second", digits=(16, 8))
    active = fields.Boolean(default=True)
    note = fields.Char()

    _sql_constraints = [
        ("model_source_unique", "unique(source, model_name)", "A model or profile has one price per source."),
    ]

    @api.constrains("price_in_per_1k", "price_out_per_1k", "price_per_second")
    def _check_prices(self):
        for price in self:
            if min(price.price_in_per_1k, price.price_out_per_1k, price.price_per_second) < 0:
                raise ValidationError(self.env._("Prices cannot be negative."))

    @api.model
    def _rate_per_second(self, model_name="warehouse"):
        """USD per compute second of a profile (0 when unpriced)."""
        price = self.search([("model_name", "=", model_name), ("price_per_second", ">", 0)], limit=1)
        return price.price_per_second

    @api.model
    def _llm_cost(self, model_name, tokens_in, tokens_out):
        """USD of an LLM call from the table (0 when the model is not priced)."""
        price = self.search([("source", "=", "llm"), ("model_name", "=", model_name)], limit=1)
        return (tokens_in or 0) / 1000.0 * price.price_in_per_1k + (
            tokens_out or 0
        ) / 1000.0 * price.price_out_per_1k
