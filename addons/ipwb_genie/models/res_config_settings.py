# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..services import gateway


class ResConfigSettings(models.TransientModel):
    """Genie settings, kept as system parameters (readable by administrators only)."""

    _inherit = "res.config.settings"

    ipwb_genie_rate_limit = fields.Integer(
        string="LLM Calls per User per Minute",
        config_parameter=gateway.PARAM_RATE_LIMIT,
        default=gateway.DEFAULT_RATE_LIMIT,
        help="0 disables the rate limit. Counted per server worker.",
    )
    ipwb_genie_cache_ttl = fields.Integer(
        string="Response Cache TTL (s)",
        config_parameter=gateway.PARAM_CACHE_TTL,
        default=gateway.DEFAULT_CACHE_TTL,
        help="Identical prompts are answered from the cache for this long; 0 disables it.",
    )
    ipwb_genie_max_cost_per_call = fields.Float(
        string="Max Cost per Call (USD)",
        config_parameter=gateway.PARAM_MAX_COST_CALL,
        digits=(16, 6),
        help="A call whose prompt alone is estimated above this is refused; 0: no limit.",
    )
    ipwb_genie_max_cost_per_session = fields.Float(
        string="Max Cost per Conversation / Run (USD)",
        config_parameter=gateway.PARAM_MAX_COST_SESSION,
        digits=(16, 6),
        help="0: no limit.",
    )
    ipwb_genie_langfuse_public_key = fields.Char(
        string="Langfuse Public Key", config_parameter=gateway.PARAM_LANGFUSE_PUBLIC
    )
    ipwb_genie_langfuse_secret_key = fields.Char(
        string="Langfuse Secret Key", config_parameter=gateway.PARAM_LANGFUSE_SECRET
    )
    ipwb_genie_langfuse_host = fields.Char(
        string="Langfuse Host", config_parameter=gateway.PARAM_LANGFUSE_HOST
    )

    @api.constrains(
        "ipwb_genie_rate_limit",
        "ipwb_genie_cache_ttl",
        "ipwb_genie_max_cost_per_call",
        "ipwb_genie_max_cost_per_session",
    )
    def _check_ipwb_genie_limits(self):
        for settings in self:
            values = (
                settings.ipwb_genie_rate_limit,
                settings.ipwb_genie_cache_ttl,
                settings.ipwb_genie_max_cost_per_call,
                settings.ipwb_genie_max_cost_per_session,
            )
            if min(values) < 0:
                raise ValidationError(self.env._("Genie limits cannot be negative (0 means no limit)."))
