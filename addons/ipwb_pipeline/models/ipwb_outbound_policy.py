# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, models


class IpwbOutboundPolicy(models.AbstractModel):
    """The failure-alert webhook (Settings, a system parameter: administrators only) is allowed
    implicitly by the outbound policy."""

    _inherit = "ipwb.outbound.policy"

    @api.model
    def _ipwb_implicit_urls(self):
        url = self.env["ir.config_parameter"].sudo().get_param("ipwb_pipeline.alert_webhook_url")
        return [*super()._ipwb_implicit_urls(), url]
