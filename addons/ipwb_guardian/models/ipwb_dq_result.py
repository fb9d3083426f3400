# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
from odoo import api, fields, models


class IpwbDqResult(models.Model):
    """One run of one check: status, counts, a capped sample of failing rows, the SQL run."""

    _name = "ipwb.dq.result"
    _description = "Data Quality Result"
    _order = "run_date desc, id desc"
    _rec_name = "check_id"

    check_id = fields.Many2one("ipwb.dq.check", required=True, ondelete="cascade", index=True)
    table_ref = fields.Char(related="check_id.table_ref", store=True, index=True)
    check_type = fields.Selection(related="check_id.check_type", store=True)
    domain = fields.Char(related="check_id.domain", store=True)
    dimension = fields.Char(help="Scorecard dimension the result counted in.")
    run_date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    status = fields.Selection(
        [("pass", "Pass"), ("fail", "Fail"), ("error", "Error")], required=True, index=True
    )
    total_rows = fields.Integer(string="Rows Checked")
    failed_rows = fields.Integer()
    failed_pct = fields.Float(
        string="Failed (%)", compute="_compute_failed_pct", store=True, aggregator="avg"
    )
    pass_ratio = fields.Float(help="Share of good rows (0–1) used by the scorecards.", aggregator="avg")
    observed = fields.Float(help="Measured value: row count (volume), age in hours (freshness).")
    message = fields.Text()
    sample = fields.Json(string="Failing Rows (sample)", help="At most 20 rows.")
    sample_text = fields.Text(string="Sample", compute="_compute_sample_text")
    generated_sql = fields.Text(string="Generated SQL")
    sample_sql = fields.Text(string="Sample SQL")
    duration_ms = fields.Float(string="Duration (ms)", digits=(16, 1))

    @api.depends("total_rows", "failed_rows")
    def _compute_failed_pct(self):
        for result in self:
            result.failed_pct = 100.0 * result.failed_rows / result.total_rows if result.total_rows else 0.0

    @api.depends("sample")
    def _compute_sample_text(self):
        for result in self:
            rows = result.sample or []
            result.sample_text = "\n".join(
                ", ".join(f"{key}={value!r}" for key, value in row.items()) for row in rows
            )

    @api.model
    def _values_from_engine(self, check, outcome):
        """Values of a result record from an engine ``CheckResult``."""
        return {
            "check_id": check.id,
            "dimension": outcome.check.dimension,
            "run_date": fields.Datetime.now(),
            "status": outcome.status,
            "total_rows": outcome.total,
            "failed_rows": outcome.failed,
            "pass_ratio": outcome.pass_ratio,
            "observed": outcome.observed or 0.0,
            "message": outcome.message,
            "sample": list(outcome.sample),
            "generated_sql": outcome.sql,
            "sample_sql": outcome.sample_sql,
            "duration_ms": outcome.duration_ms,
        }

    def _newest(self):
        """The most recent result of the set (ties on the second broken by id)."""
        return self.sorted(lambda r: (r.run_date, r.id), reverse=True)[:1]

    def _summary(self):
        self.ensure_one()
        detail = self.message or self.env._(
            "%(failed)s of %(total)s row(s) failing", failed=self.failed_rows, total=self.total_rows
        )
        return f"{self.status}: {detail}"
