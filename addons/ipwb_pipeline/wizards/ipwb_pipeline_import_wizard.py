# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models


class IpwbPipelineImportWizard(models.TransientModel):
    """Paste a specs/pipelines/<name>.yaml: creates or updates the pipeline it names."""

    _name = "ipwb.pipeline.import.wizard"
    _description = "Import Pipeline Spec"

    spec_text = fields.Text(string="Spec (YAML)", required=True)
    source = fields.Char(default="pipeline.yaml")

    def action_import(self):
        self.ensure_one()
        pipeline = self.env["ipwb.pipeline"].import_spec_text(
            self.spec_text, source=self.source or "pipeline.yaml"
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.pipeline",
            "res_id": pipeline.id,
            "view_mode": "form",
            "target": "current",
        }
