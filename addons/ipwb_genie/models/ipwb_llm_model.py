# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ipwb.llm.config import endpoint_changed

_logger = logging.getLogger(__name__)

ADMIN_GROUP = "ipwb_catalog.group_ipwb_admin"

#: models tried for one call, first plus fallbacks; a longer chain only multiplies latency
MAX_FALLBACK_CHAIN = 5


class IpwbLlmModel(models.Model):
    """A model the Genie gateway may call, in fallback order (sequence).

    Hosted providers take an API key (administrators only); a self-hosted
    OpenAI-compatible server takes a base URL. With no active model, every Genie feature
    answers "no model configured" instead of failing.
    """

    _name = "ipwb.llm.model"
    _description = "Genie LLM Model"
    _order = "sequence, id"

    name = fields.Char(required=True)
    sequence = fields.Integer(default=10, help="Lower first; the next models are fallbacks.")
    active = fields.Boolean(default=True)
    litellm_model = fields.Char(
        string="Model Identifier",
        required=True,
        help="LiteLLM model string, e.g. openai/gpt-4o-mini, anthropic/claude-3-5-sonnet, "
        "or openai/<name> with a base URL for a self-hosted OpenAI-compatible server.",
    )
    api_base = fields.Char(string="Base URL", help="For self-hosted OpenAI-compatible servers.")
    api_key = fields.Char(string="API Key", groups="ipwb_catalog.group_ipwb_admin", copy=False)
    api_base_by_admin = fields.Boolean(
        string="Base URL Set by an Administrator",
        readonly=True,
        copy=False,
        groups="ipwb_catalog.group_ipwb_admin",
        help="Allowed implicitly by the outbound policy; a base URL set by anybody else must be "
        "on the outbound allow-list.",
    )
    timeout = fields.Float(string="Timeout (s)", default=60.0)
    max_retries = fields.Integer(default=2)
    input_price_per_1k = fields.Float(
        string="Input Price / 1k Tokens (USD)",
        digits=(16, 6),
        help="Overrides LiteLLM's price table (needed for self-hosted models).",
    )
    output_price_per_1k = fields.Float(string="Output Price / 1k Tokens (USD)", digits=(16, 6))

    @api.constrains("timeout", "max_retries", "input_price_per_1k", "output_price_per_1k")
    def _check_limits(self):
        for model in self:
            if model.timeout <= 0 or model.max_retries < 0:
                raise ValidationError(
                    self.env._("The timeout must be positive and retries cannot be negative.")
                )
            if model.input_price_per_1k < 0 or model.output_price_per_1k < 0:
                raise ValidationError(self.env._("Prices cannot be negative."))

    @api.constrains("api_base")
    def _check_api_base(self):
        for model in self:
            if model.api_base and not model.api_base.startswith(("http://", "https://")):
                raise ValidationError(
                    self.env._("Base URL %s must start with http:// or https://.", model.api_base)
                )

    def _ipwb_by_admin(self):
        return self.env.su or self.env.user.has_group(ADMIN_GROUP)

    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        records.sudo().write({"api_base_by_admin": self._ipwb_by_admin()})
        return records

    def write(self, vals):
        if not {"api_base", "litellm_model"} & vals.keys():
            return super().write(vals)
        by_admin = self._ipwb_by_admin()
        moved = self.browse()
        if not by_admin:
            for model in self.sudo():
                new_model = vals.get("litellm_model", model.litellm_model) or ""
                new_base = vals.get("api_base", model.api_base) or None
                if model.api_key and endpoint_changed(
                    model.litellm_model, model.api_base, new_model, new_base
                ):
                    moved |= model
        result = super().write(vals)
        if "api_base" in vals:
            self.sudo().write({"api_base_by_admin": by_admin})
        if moved:
            moved.sudo().write({"api_key": False})
            _logger.warning(
                "API key of LLM model(s) %s cleared: user %s (not a Workbench Administrator) changed "
                "the endpoint",
                moved.ids,
                self.env.user.login,
            )
        return result

    @api.model
    def _get_gateway_models(self):
        """Active models in fallback order, or the clear 'no model configured' error."""
        models_ = self.search([], limit=MAX_FALLBACK_CHAIN)
        if not models_:
            raise UserError(
                self.env._(
                    "No LLM model is configured. An administrator can add one in "
                    "Workbench › Configuration › LLM Models."
                )
            )
        return models_
