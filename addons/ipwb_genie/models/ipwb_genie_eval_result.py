# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import fields, models

from ipwb.llm.eval_diagnose import Reason


class IpwbGenieEvalResult(models.Model):
    """One question of an evaluation run: what the model wrote and why it was right or wrong."""

    _name = "ipwb.genie.eval.result"
    _description = "Genie Evaluation Question"
    _order = "run_id desc, sequence, id"
    _rec_name = "case_id"

    run_id = fields.Many2one("ipwb.genie.eval.run", required=True, ondelete="cascade", index=True)
    llm_model_id = fields.Many2one(related="run_id.llm_model_id", store=True, string="LLM Model")
    sequence = fields.Integer()
    case_id = fields.Char(string="Question Id", required=True)
    question = fields.Text(required=True)
    expect = fields.Selection(
        [("answer", "Answer"), ("refuse", "Refuse"), ("not_in_data", "Not in the data")], required=True
    )
    tags = fields.Char()
    reference_sql = fields.Text(string="Reference SQL", help="For a refusal: a query that must be refused.")
    generated_sql = fields.Text(string="Model SQL")
    outcome = fields.Selection(
        [("right", "Right"), ("wrong", "Wrong"), ("not_counted", "Not counted")], required=True, index=True
    )
    reason = fields.Selection([(r.value, r.value.capitalize()) for r in Reason], index=True)
    detail = fields.Text()
    attempts = fields.Integer()
    recall = fields.Float(string="Schema Recall (%)", digits=(5, 1))
