# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models

from ..services import evaluation


class IpwbGenieEvalWizard(models.TransientModel):
    """Queue an evaluation of one LLM model on a shipped set over a warehouse."""

    _name = "ipwb.genie.eval.wizard"
    _description = "Run a Genie Evaluation"

    llm_model_id = fields.Many2one(
        "ipwb.llm.model",
        string="LLM Model",
        required=True,
        default=lambda self: self.env["ipwb.llm.model"].search([], limit=1),
    )
    connection_id = fields.Many2one(
        "ipwb.connection",
        string="Warehouse",
        required=True,
        default=lambda self: self.env["ipwb.connection"].search([("is_default", "=", True)], limit=1),
    )
    eval_set = fields.Selection(selection="_selection_eval_set", string="Evaluation Set", required=True)

    @api.model
    def _selection_eval_set(self):
        return evaluation.available_sets()

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        sets = evaluation.available_sets()
        if "eval_set" in fields_list and sets and not values.get("eval_set"):
            values["eval_set"] = sets[0][0]
        return values

    def action_run(self):
        self.ensure_one()
        run = self.env["ipwb.genie.eval.run"]._queue(self.llm_model_id, self.connection_id, self.eval_set)
        return {
            "type": "ir.actions.act_window",
            "res_model": "ipwb.genie.eval.run",
            "res_id": run.id,
            "view_mode": "form",
            "target": "current",
        }
