# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ipwb_pipeline_alert_webhook_url = fields.Char(
        string="Failure Alert Webhook",
        config_parameter="ipwb_pipeline.alert_webhook_url",
        help='Mattermost-compatible incoming webhook; failed runs are posted as {"text": …}.',
    )
    ipwb_pipeline_specs_dir = fields.Char(
        string="Specs Directory",
        config_parameter="ipwb_pipeline.specs_dir",
        help="Folder holding pipelines/<name>.yaml (and SQL files, dbt projects) on the server.",
    )
    ipwb_pipeline_stale_after_seconds = fields.Integer(
        string="Stale Run After (s)",
        config_parameter="ipwb_pipeline.stale_after_seconds",
        default=600,
        help="A running run without heartbeat for this long belonged to a dead worker.",
    )
    ipwb_pipeline_max_run_attempts = fields.Integer(
        string="Run Attempts",
        config_parameter="ipwb_pipeline.max_run_attempts",
        default=1,
        help="1: a run lost by its worker fails; 2 or more: it is retried from the interrupted step.",
    )

    @api.constrains("ipwb_pipeline_alert_webhook_url")
    def _check_alert_url(self):
        for settings in self:
            url = settings.ipwb_pipeline_alert_webhook_url
            if url and not url.startswith(("http://", "https://")):
                raise ValidationError(self.env._("The alert webhook must be an http(s) URL."))
