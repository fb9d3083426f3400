# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


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
