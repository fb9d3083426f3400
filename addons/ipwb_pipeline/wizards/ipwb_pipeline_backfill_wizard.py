# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError

from ipwb.dag import expand_backfill
from ipwb.errors import IpwbError

#: runs listed in the preview (the count covers them all)
PREVIEW_LINES = 60


class IpwbPipelineBackfillWizard(models.TransientModel):
    """Backfill a pipeline over a date range: preview the parameterised runs, then queue them.

    The preview comes from the same engine expansion (:func:`ipwb.dag.expand_backfill`)
    that ``ipwb.pipeline.action_backfill`` uses on confirm, so what is shown is what is queued.
    """

    _name = "ipwb.pipeline.backfill.wizard"
    _description = "Backfill Pipeline"

    pipeline_id = fields.Many2one("ipwb.pipeline", required=True, ondelete="cascade")
    pipeline_state = fields.Selection(related="pipeline_id.state")
    date_from = fields.Date(
        string="From", required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=7)
    )
    date_to = fields.Date(
        string="To", required=True, default=lambda self: fields.Date.context_today(self) - timedelta(days=1)
    )
    granularity = fields.Selection(
        [("day", "Day"), ("week", "Week (ISO, Monday)"), ("month", "Month")], required=True, default="day"
    )
    run_count = fields.Integer(string="Runs", compute="_compute_preview")
    preview = fields.Text(compute="_compute_preview")
    problem = fields.Char(compute="_compute_preview")

    def _periods(self):
        """The run parameters the backfill will queue (raises the engine's error)."""
        self.ensure_one()
        extra = {k: str(v) for k, v in self.pipeline_id._default_params().items()}
        return expand_backfill(self.date_from, self.date_to, self.granularity, extra=extra)

    @api.depends("pipeline_id", "date_from", "date_to", "granularity")
    def _compute_preview(self):
        for wizard in self:
            wizard.run_count, wizard.preview, wizard.problem = 0, False, False
            if not (wizard.pipeline_id and wizard.date_from and wizard.date_to and wizard.granularity):
                continue
            try:
                periods = wizard._periods()
            except IpwbError as exc:
                wizard.problem = str(exc)
                continue
            lines = [
                f"{p['period']}: start_date={p['start_date']}, end_date={p['end_date']}"
                for p in periods[:PREVIEW_LINES]
            ]
            if len(periods) > PREVIEW_LINES:
                lines.append(self.env._("… and %s more run(s)", len(periods) - PREVIEW_LINES))
            wizard.run_count = len(periods)
            wizard.preview = "\n".join(lines)

    def action_confirm(self):
        """Queue the runs (through ``action_backfill``) and show them."""
        self.ensure_one()
        if self.date_from > self.date_to:
            raise UserError(
                self.env._(
                    "The backfill starts on %(start)s, after its end %(end)s.",
                    start=self.date_from,
                    end=self.date_to,
                )
            )
        if self.problem:  # e.g. more runs than one backfill may queue
            raise UserError(
                self.env._("Backfill of %(name)s: %(error)s", name=self.pipeline_id.name, error=self.problem)
            )
        runs = self.pipeline_id.action_backfill(self.date_from, self.date_to, self.granularity)
        action = self.env["ir.actions.act_window"]._for_xml_id("ipwb_pipeline.ipwb_pipeline_run_action")
        action["domain"] = [("id", "in", runs.ids)]
        action["context"] = {"default_pipeline_id": self.pipeline_id.id}
        return action
