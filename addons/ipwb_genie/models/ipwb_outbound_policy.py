# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models

from ..services.gateway import langfuse_host


class IpwbOutboundPolicy(models.AbstractModel):
    """The Langfuse host (Settings: administrators only) and the base URLs of LLM models that
    a Workbench Administrator set are allowed implicitly; a base URL an AI Orchestrator set
    must be on the allow-list."""

    _inherit = "ipwb.outbound.policy"

    @api.model
    def _ipwb_implicit_urls(self):
        Model = self.env["ipwb.llm.model"].sudo().with_context(active_test=True)
        bases = Model.search([("api_base", "!=", False), ("api_base_by_admin", "=", True)]).mapped("api_base")
        return [*super()._ipwb_implicit_urls(), langfuse_host(self.env), *bases]
