# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ipwb.errors import ConfigurationError
from ipwb.integrations.outbound import OutboundPolicy

from .ipwb_outbound_policy import PARAM_ALLOWED_HOSTS


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    # System parameters, readable by administrators only (ir.config_parameter is group_system).
    ipwb_neo4j_uri = fields.Char(
        string="Neo4j URI",
        config_parameter="ipwb_catalog.neo4j_uri",
        groups="base.group_system",
        help="Optional mirror of the lineage graph, e.g. bolt://127.0.0.1:7687. Empty: no mirror.",
    )
    ipwb_neo4j_user = fields.Char(
        string="Neo4j User", config_parameter="ipwb_catalog.neo4j_user", groups="base.group_system"
    )
    ipwb_neo4j_password = fields.Char(
        string="Neo4j Password", config_parameter="ipwb_catalog.neo4j_password", groups="base.group_system"
    )

    ipwb_outbound_allowed_hosts = fields.Char(
        string="Outbound Allow-list",
        config_parameter=PARAM_ALLOWED_HOSTS,
        groups="base.group_system",
        help="Hosts that server-side HTTP calls (n8n steps and agent tools, alerts, Langfuse, LLM "
        "base URLs) may reach, separated by commas or spaces: host names (*.example.com for "
        "sub-domains), IP addresses or CIDR networks, each optionally with :port. Everything else "
        "is refused, loopback, private, link-local and cloud-metadata addresses included. The "
        "alert webhooks, the Langfuse host and LLM base URLs set by an administrator are allowed "
        "implicitly.",
    )

    @api.constrains("ipwb_outbound_allowed_hosts")
    def _check_ipwb_outbound_allowed_hosts(self):
        for settings in self:
            try:
                OutboundPolicy.from_entries(OutboundPolicy.split(settings.ipwb_outbound_allowed_hosts))
            except ConfigurationError as exc:
                raise ValidationError(self.env._("The outbound allow-list is invalid: %s", exc)) from None

    def action_ipwb_neo4j_push(self):
        self.execute()
        report = self.env["ipwb.lineage.edge"]._mirror_to_neo4j()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Neo4j lineage mirror"),
                "message": report.message,
                "type": "info" if report.skipped else "success",
                "sticky": False,
            },
        }
