# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import datetime
import logging

from odoo.addons.ipwb_pipeline.services import run_worker

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ipwb.errors import IpwbError

from ..services import evaluation

_logger = logging.getLogger(__name__)

ORCHESTRATOR_GROUP = "ipwb_catalog.group_ipwb_ai_orchestrator"
#: a run still "running" after this long lost its worker (a restart): it is failed
STALE_AFTER = datetime.timedelta(hours=6)


class IpwbGenieEvalRun(models.Model):
    """One measurement of one LLM model on an evaluation set, over a warehouse.

    Written by the system only (users read; AI Orchestrators queue runs through the
    wizard): the figures are what the harness computed, nobody can edit an accuracy.
    """

    _name = "ipwb.genie.eval.run"
    _description = "Genie Evaluation Run"
    _order = "id desc"

    name = fields.Char(compute="_compute_name", store=True)
    eval_set = fields.Selection(selection="_selection_eval_set", string="Evaluation Set", required=True)
    llm_model_id = fields.Many2one("ipwb.llm.model", string="LLM Model", ondelete="set null", index=True)
    model_name = fields.Char(string="Model", required=True, help="Kept when the model record is deleted.")
    litellm_model = fields.Char(string="Model Identifier")
    connection_id = fields.Many2one("ipwb.connection", string="Warehouse", required=True, ondelete="cascade")
    user_id = fields.Many2one("res.users", string="Requested By", required=True, ondelete="cascade")
    state = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        default="queued",
        required=True,
        index=True,
    )
    date_queued = fields.Datetime(default=fields.Datetime.now, required=True)
    date_start = fields.Datetime(string="Started")
    date_end = fields.Datetime(string="Finished")
    questions = fields.Integer()
    evaluated = fields.Integer(help="Questions whose reference query ran (the accuracy's denominator).")
    correct = fields.Integer()
    accuracy = fields.Float(
        string="Execution Accuracy (%)",
        digits=(5, 1),
        aggregator="avg",
        help="Share of evaluated questions answered right: the model's rows equal the reference "
        "query's rows (as a multiset, ordered when the reference sorts; numbers to 4 decimals), "
        "or no query for a question that must be refused.",
    )
    recall = fields.Float(string="Schema Recall (%)", digits=(5, 1), aggregator="avg")
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6))
    summary = fields.Text()
    error = fields.Text()
    result_ids = fields.One2many("ipwb.genie.eval.result", "run_id", string="Questions")

    @api.model
    def _selection_eval_set(self):
        return evaluation.available_sets()

    @api.depends("model_name", "eval_set", "date_queued")
    def _compute_name(self):
        for run in self:
            when = fields.Datetime.to_string(run.date_queued)[:16] if run.date_queued else ""
            run.name = f"{run.model_name or '?'} · {run.eval_set or '?'} · {when}"

    # -- queueing (the wizard) -------------------------------------------------------------
    @api.model
    def _queue(self, llm_model, connection, eval_set):
        """Queue a run for the current user; the worker cron executes it with their rights."""
        if not self.env.user.has_group(ORCHESTRATOR_GROUP):
            raise AccessError(self.env._("Only AI Orchestrators can run Genie evaluations."))
        llm_model.check_access("read")
        connection.check_access("read")
        evaluation.set_path(self.env, eval_set)
        # sudo: runs are written by the system only (users cannot forge figures)
        run = self.sudo().create(
            {
                "eval_set": eval_set,
                "llm_model_id": llm_model.id,
                "model_name": llm_model.name,
                "litellm_model": llm_model.litellm_model,
                "connection_id": connection.id,
                "user_id": self.env.uid,
            }
        )
        cron = self.env.ref("ipwb_genie.ir_cron_genie_eval_worker", raise_if_not_found=False)
        if cron:
            cron.sudo()._trigger()
        return run.with_env(self.env)

    # -- the worker ------------------------------------------------------------------------
    @api.model
    def _cron_run_queued(self, limit=None):
        """Execute queued runs, oldest first, each claimed with SKIP LOCKED (several workers)."""
        self._fail_stale()
        done = self.browse()
        while limit is None or len(done) < limit:
            self.env.flush_all()  # the claim below reads the table, not the ORM cache
            self.env.cr.execute(
                SQL(
                    "SELECT id FROM %s WHERE state = 'queued' AND NOT id = ANY(%s)"
                    " ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED",
                    SQL.identifier(self._table),
                    done.ids,
                )
            )
            row = self.env.cr.fetchone()
            if not row:
                break
            run = self.browse(row[0]).sudo()
            run.write({"state": "running", "date_start": fields.Datetime.now()})
            self._commit()
            run._execute()
            self._commit()
            done |= run
        return done

    def _commit(self):
        # the worker commits per run by design (a long run must not hold one transaction
        # with its claim); like the pipeline worker, never inside a test
        run_worker.commit(self.env)

    def _fail_stale(self):
        stale = self.sudo().search(
            [("state", "=", "running"), ("date_start", "<", fields.Datetime.now() - STALE_AFTER)]
        )
        stale.write({"state": "failed", "date_end": fields.Datetime.now(), "error": "The worker stopped."})

    def _execute(self):
        """Evaluate as the requesting user (their catalog, their warehouse role), then store
        the figures as the system."""
        self.ensure_one()
        user = self.user_id
        try:
            if not user.active or not user.has_group(ORCHESTRATOR_GROUP):
                raise AccessError(self.env._("%s may no longer run Genie evaluations.", user.name))
            as_user = self.with_user(user).with_context(lang=user.lang)
            report, cost = evaluation.evaluate(as_user.env, as_user)
        except (IpwbError, UserError, AccessError) as exc:
            _logger.info("Genie evaluation %s failed: %s", self.id, exc)
            self.write({"state": "failed", "date_end": fields.Datetime.now(), "error": str(exc)})
            return
        self._store(report, cost)

    def _store(self, report, cost):
        accuracy = report.execution_accuracy
        self.write(
            {
                "state": "done",
                "date_end": fields.Datetime.now(),
                "questions": len(report.results),
                "evaluated": len(report.executed),
                "correct": report.correct_count,
                "accuracy": 100.0 * accuracy if accuracy is not None else 0.0,
                "recall": 100.0 * report.recall_at_k,
                "cost_usd": cost,
                "summary": report.table(),
                "error": False,
            }
        )
        self.env["ipwb.genie.eval.result"].sudo().create(
            [
                {
                    "run_id": self.id,
                    "sequence": index,
                    "case_id": result.case.id,
                    "question": result.case.question,
                    "expect": result.case.expect,
                    "tags": ", ".join(result.case.tags),
                    "reference_sql": result.case.sql or result.case.probe or False,
                    "generated_sql": result.generated_sql or False,
                    "outcome": {None: "not_counted", True: "right", False: "wrong"}[result.correct],
                    "reason": result.reason.value if result.reason else False,
                    "detail": result.detail or False,
                    "attempts": result.attempts,
                    "recall": 100.0 * result.recall,
                }
                for index, result in enumerate(report.results)
            ]
        )

    def action_view_results(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Questions of %s", self.name),
            "res_model": "ipwb.genie.eval.result",
            "view_mode": "list,form",
            "domain": [("run_id", "=", self.id)],
            "context": {"search_default_wrong": 1},
        }
