# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import logging

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL

from ipwb.errors import IpwbError
from ipwb.guardian.alerts import post_webhook, score_alert_text
from ipwb.guardian.checks import DIMENSIONS
from ipwb.guardian.scoring import DEFAULT_WEIGHTS, score_ratios

_logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 80.0
#: overall scores kept on a scorecard for its sparkline (oldest first)
HISTORY_POINTS = 14


class IpwbDqScorecard(models.Model):
    """Guardian score of a table or a domain at one point in time (the trend is the series)."""

    _name = "ipwb.dq.scorecard"
    _description = "Guardian Scorecard"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"

    name = fields.Char(required=True, index=True, help="schema.table, or the domain name.")
    scope = fields.Selection([("table", "Table"), ("domain", "Domain")], required=True, index=True)
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    completeness = fields.Float(aggregator="avg")
    uniqueness = fields.Float(aggregator="avg")
    consistency = fields.Float(aggregator="avg")
    validity = fields.Float(aggregator="avg")
    timeliness = fields.Float(aggregator="avg")
    overall = fields.Float(string="Guardian Score", aggregator="avg")
    checks_count = fields.Integer(string="Checks")
    failed_count = fields.Integer(string="Not Passing")
    previous_overall = fields.Float(string="Previous Score")
    trend = fields.Float(compute="_compute_trend", store=True, aggregator="avg")
    alerted = fields.Boolean(readonly=True)
    is_latest = fields.Boolean(
        string="Latest", readonly=True, index=True, help="The newest scorecard of its table or domain."
    )
    domain_name = fields.Char(
        string="Domain", readonly=True, index=True, help="The business domain (a table's, from its checks)."
    )
    score_history = fields.Json(
        readonly=True, help=f"The last {HISTORY_POINTS} overall scores, oldest first (the sparkline)."
    )

    def init(self):
        # databases scored before these fields existed: flag the newest card of each table
        # and domain, give it its history and its domain (idempotent, cheap when done)
        self.env.cr.execute(
            SQL(
                """
                WITH ranked AS (
                    SELECT id, overall, scope, name,
                           row_number() OVER (PARTITION BY scope, name ORDER BY date DESC, id DESC) AS n
                    FROM ipwb_dq_scorecard
                ), latest AS (
                    SELECT r.id, r.scope, r.name,
                           (SELECT jsonb_agg(h.overall ORDER BY h.n DESC)
                            FROM ranked h WHERE h.scope = r.scope AND h.name = r.name AND h.n <= %(points)s)
                           AS history
                    FROM ranked r WHERE r.n = 1
                )
                UPDATE ipwb_dq_scorecard c
                SET is_latest = true,
                    score_history = COALESCE(c.score_history, l.history),
                    domain_name = COALESCE(
                        c.domain_name,
                        CASE WHEN l.scope = 'domain' THEN l.name ELSE (
                            SELECT k.domain FROM ipwb_dq_check k
                            WHERE k.table_ref = l.name AND k.domain IS NOT NULL ORDER BY k.id LIMIT 1
                        ) END
                    )
                FROM latest l
                WHERE c.id = l.id AND c.is_latest IS NOT TRUE
                  AND NOT EXISTS (
                      SELECT 1 FROM ipwb_dq_scorecard o
                      WHERE o.scope = l.scope AND o.name = l.name AND o.is_latest
                  )
                """,
                points=HISTORY_POINTS,
            )
        )

    @api.depends("overall", "previous_overall")
    def _compute_trend(self):
        for card in self:
            card.trend = card.overall - card.previous_overall if card.previous_overall else 0.0

    @api.model
    def _weights(self):
        params = self.env["ir.config_parameter"].sudo()
        return {
            dim: float(params.get_param(f"ipwb_guardian.weight_{dim}", default=DEFAULT_WEIGHTS[dim]))
            for dim in DIMENSIONS
        }

    @api.model
    def _threshold(self):
        value = self.env["ir.config_parameter"].sudo().get_param("ipwb_guardian.score_threshold")
        return float(value) if value else DEFAULT_THRESHOLD

    @api.model
    def _latest_results(self, domain):
        """The newest result of every active check matching ``domain`` (check fields)."""
        checks = self.env["ipwb.dq.check"].sudo().search(domain)
        Result = self.env["ipwb.dq.result"].sudo()
        if not checks:
            return Result
        # one query for every check (not its whole history per check): a refresh costs the
        # same after a year of runs as after the first
        Result.flush_model(["check_id", "run_date"])
        self.env.cr.execute(
            SQL(
                "SELECT DISTINCT ON (check_id) id FROM %s WHERE check_id IN %s "
                "ORDER BY check_id, run_date DESC, id DESC",
                SQL.identifier(Result._table),
                tuple(checks.ids),
            )
        )
        return Result.browse([row[0] for row in self.env.cr.fetchall()])

    @api.model
    def _refresh(self, results):
        """New table and domain scorecards from the latest results; alerts on drops."""
        weights = self._weights()
        cards = self.browse()
        targets = [
            ("table", ref, [("table_ref", "=", ref)]) for ref in sorted(set(results.mapped("table_ref")))
        ]
        domains = sorted({d for d in results.mapped("domain") if d})
        targets += [("domain", name, [("domain", "=", name)]) for name in domains]
        for scope, name, domain in targets:
            latest = self._latest_results(domain)
            if not latest:
                continue
            card = score_ratios(
                [(r.dimension or "validity", r.pass_ratio, r.status == "pass") for r in latest], weights
            )
            previous = self.search([("scope", "=", scope), ("name", "=", name)], limit=1)
            values = {dim: card.dimensions.get(dim, 0.0) for dim in DIMENSIONS}
            if scope == "domain":
                domain_name = name
            else:
                domain_name = next((d for d in latest.mapped("domain") if d), False)
            history = list((previous.score_history or []) if previous else [])
            history = [*history, round(card.overall, 2)][-HISTORY_POINTS:]
            values.update(
                {
                    "name": name,
                    "scope": scope,
                    "overall": card.overall,
                    "checks_count": card.checks,
                    "failed_count": card.failed,
                    "previous_overall": previous.overall if previous else 0.0,
                    "is_latest": True,
                    "domain_name": domain_name,
                    "score_history": history,
                }
            )
            self.search([("scope", "=", scope), ("name", "=", name), ("is_latest", "=", True)]).write(
                {"is_latest": False}
            )
            new = self.create(values)
            new._maybe_alert(previous, latest)
            cards |= new
        return cards

    def _maybe_alert(self, previous, results):
        """Alert once when the score falls below the threshold (not again while it stays low)."""
        self.ensure_one()
        threshold = self._threshold()
        if self.overall >= threshold or (previous and previous.overall < threshold):
            return
        dims = {d: self[d] for d in DIMENSIONS if any((r.dimension or "") == d for r in results)}
        text = score_alert_text(self.name, self.overall, threshold, dims)
        self.alerted = True
        url = self.env["ir.config_parameter"].sudo().get_param("ipwb_guardian.webhook_url")
        if url:
            try:
                post_webhook(url, text, policy=self.env["ipwb.outbound.policy"]._ipwb_policy())
            except (IpwbError, UserError) as exc:
                _logger.warning("Guardian alert for %s not delivered: %s", self.name, exc)
                self.message_post(body=self.env._("Alert webhook failed: %s", exc))
        owners = results.mapped("check_id.owner_id")
        for owner in owners or self.env.user:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=owner.id,
                summary=self.env._("Guardian score of %s dropped", self.name),
                note=text,
            )
