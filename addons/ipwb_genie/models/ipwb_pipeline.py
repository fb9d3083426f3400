# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbPipeline(models.Model):
    _inherit = "ipwb.pipeline"

    genie_spec_yaml = fields.Text(
        string="Generated Spec (YAML)",
        copy=False,
        help="The pipeline spec Genie generated and the spec validator accepted.",
    )
    genie_request = fields.Text(
        string="Genie Request", copy=False, help="The description it was generated from."
    )
