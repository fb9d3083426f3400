# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json

from odoo import api, fields, models
from odoo.exceptions import UserError

from ipwb.errors import IpwbError
from ipwb.llm.pipeline_gen import scorecard_failures, summarise_scorecard

from ..services.gateway import OdooSink, build_gateway, user_label


class IpwbGenieDqInsight(models.TransientModel):
    """Summarise a data-quality scorecard's failures in plain words.

    Guardian scorecards call :meth:`summarise` with their scorecard dict
    (``{"table": …, "checks": [{"name", "status", …}]}``); the wizard takes the same
    dict as JSON. A scorecard without failures costs no model call.
    """

    _name = "ipwb.genie.dq.insight"
    _description = "Genie: Data Quality Insight"

    scorecard_json = fields.Text(string="Scorecard (JSON)", required=True)
    insight = fields.Text(readonly=True)

    @api.model
    def summarise(self, scorecard):
        if not isinstance(scorecard, dict):
            raise UserError(self.env._("A scorecard is a JSON object with a list of checks."))
        if not isinstance(scorecard.get("checks") or [], list):
            raise UserError(self.env._("The scorecard's checks must be a list."))
        gateway = None
        try:
            gateway = build_gateway(self.env, OdooSink(self.env))
        except UserError:
            # no model: a clean scorecard still gets its (free) summary
            if scorecard_failures(scorecard):
                raise
            return self.env._("All data quality checks passed.")
        try:
            return summarise_scorecard(scorecard, gateway, user=user_label(self.env)).text
        except IpwbError as exc:
            return self.env._("Genie could not summarise the scorecard: %s", exc)

    def action_summarise(self):
        self.ensure_one()
        try:
            scorecard = json.loads(self.scorecard_json or "")
        except ValueError as exc:
            raise UserError(self.env._("The scorecard is not valid JSON: %s", exc)) from None
        self.insight = self.summarise(scorecard)
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
