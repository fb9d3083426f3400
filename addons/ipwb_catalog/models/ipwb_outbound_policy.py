# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The one outbound policy of every server-side HTTP call (issue #19, finding 5).

The allow-list is the system parameter :data:`PARAM_ALLOWED_HOSTS` (Settings, system
administrators only: ``ir.config_parameter`` is readable and writable by ``base.group_system``
alone) plus, implicitly, the service URLs administrators configured: each addon extends
:meth:`_ipwb_implicit_urls` (failure-alert webhook, Guardian webhook, Langfuse host, LLM base
URLs an administrator set). Everything else is refused by the engine's
:class:`~ipwb.integrations.outbound.OutboundPolicy` (loopback, private, link-local and
metadata addresses included).
"""

from odoo import api, models
from odoo.exceptions import UserError

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.integrations.outbound import OutboundPolicy

PARAM_ALLOWED_HOSTS = "ipwb.outbound_allowed_hosts"


class IpwbOutboundPolicy(models.AbstractModel):
    _name = "ipwb.outbound.policy"
    _description = "Workbench Outbound HTTP Policy"

    @api.model
    def _ipwb_implicit_urls(self):
        """Service URLs configured by administrators (extended by each addon)."""
        return []

    @api.model
    def _ipwb_policy(self):
        """The policy to pass to every engine call that leaves the server."""
        params = self.env["ir.config_parameter"].sudo()
        entries = OutboundPolicy.split(params.get_param(PARAM_ALLOWED_HOSTS))
        try:
            policy = OutboundPolicy.from_entries(entries)
        except ConfigurationError as exc:
            raise UserError(self.env._("The outbound allow-list is invalid: %s", exc)) from None
        implicit = [url for url in self._ipwb_implicit_urls() if url]
        for url in implicit:
            try:
                policy = policy.with_entries([url])
            except ConfigurationError:
                continue  # a malformed service URL allows nothing; its own call will fail clearly
        return policy

    @api.model
    def _ipwb_check_url(self, url):
        """Raise a translated ``UserError`` when ``url`` may not be called."""
        try:
            self._ipwb_policy().check_url(url)
        except IpwbError as exc:
            raise UserError(self.env._("Outbound call refused: %s", exc)) from None
