# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    ipwb_guardian_webhook_url = fields.Char(
        string="Score Alert Webhook",
        config_parameter="ipwb_guardian.webhook_url",
        help='Mattermost-compatible incoming webhook; score drops are posted as {"text": …}.',
    )
    ipwb_guardian_score_threshold = fields.Float(
        string="Alert Below Score", config_parameter="ipwb_guardian.score_threshold", default=80.0
    )
    ipwb_guardian_weight_completeness = fields.Float(
        string="Completeness Weight", config_parameter="ipwb_guardian.weight_completeness", default=0.25
    )
    ipwb_guardian_weight_uniqueness = fields.Float(
        string="Uniqueness Weight", config_parameter="ipwb_guardian.weight_uniqueness", default=0.20
    )
    ipwb_guardian_weight_consistency = fields.Float(
        string="Consistency Weight", config_parameter="ipwb_guardian.weight_consistency", default=0.20
    )
    ipwb_guardian_weight_validity = fields.Float(
        string="Validity Weight", config_parameter="ipwb_guardian.weight_validity", default=0.20
    )
    ipwb_guardian_weight_timeliness = fields.Float(
        string="Timeliness Weight", config_parameter="ipwb_guardian.weight_timeliness", default=0.15
    )

    @api.constrains(
        "ipwb_guardian_webhook_url",
        "ipwb_guardian_score_threshold",
        "ipwb_guardian_weight_completeness",
        "ipwb_guardian_weight_uniqueness",
        "ipwb_guardian_weight_consistency",
        "ipwb_guardian_weight_validity",
        "ipwb_guardian_weight_timeliness",
    )
    def _check_guardian_settings(self):
        for settings in self:
            url = settings.ipwb_guardian_webhook_url
            if url and not url.startswith(("http://", "https://")):
                raise ValidationError(self.env._("The alert webhook must be an http(s) URL."))
            if not 0 <= settings.ipwb_guardian_score_threshold <= 100:
                raise ValidationError(self.env._("The alert threshold is a score between 0 and 100."))
            weights = [
                settings.ipwb_guardian_weight_completeness,
                settings.ipwb_guardian_weight_uniqueness,
                settings.ipwb_guardian_weight_consistency,
                settings.ipwb_guardian_weight_validity,
                settings.ipwb_guardian_weight_timeliness,
            ]
            if any(w < 0 for w in weights) or not any(weights):
                raise ValidationError(self.env._("Dimension weights must be non-negative and not all zero."))
