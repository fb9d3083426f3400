# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import re

from odoo.addons.ipwb_catalog import rpc_args

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError

from ipwb.errors import IpwbError
from ipwb.pipeline.schedule import plan_cron
from ipwb.specs import dumps

from ..services import pipeline_gate, pipeline_rights, pipeline_schedule, pipeline_spec
from ..services.pipeline_spec import DEFAULT_BUDGET
from ..services.run_stats import run_stats
from .ipwb_pipeline_run import CONCURRENCY_POLICIES, RUN_STATES

#: pipeline technical names double as spec file names (specs/pipelines/<code>.yaml)
PIPELINE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")


class IpwbPipeline(models.Model):
    """A data pipeline: a DAG of steps kept in git as specs/pipelines/<code>.yaml.

    Lifecycle draft → validated (the engine's checks pass) → production (a human promotes
    it). A schedule is an ``ir.cron`` owned by the pipeline, active only in production.

    Rights (services/pipeline_rights.py): a run acts with the rights of the pipeline's
    owner, never the superuser's (no owner, an archived or share owner, or OdooBot: the run
    is refused). Whoever changes the steps of a pipeline they do not own becomes its owner
    (Workbench administrators excepted). A step change sends the pipeline back to draft and
    records its author; someone else must promote it to production.
    """

    _name = "ipwb.pipeline"
    _description = "Data Pipeline"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "name, id"

    name = fields.Char(required=True, tracking=True)
    code = fields.Char(
        string="Technical Name",
        required=True,
        copy=False,
        tracking=True,
        help="Lower-case identifier; the spec lives in specs/pipelines/<technical name>.yaml.",
    )
    description = fields.Text()
    active = fields.Boolean(default=True)
    domain_name = fields.Char(string="Domain", tracking=True)
    owner_id = fields.Many2one(
        "res.users", string="Owner", default=lambda self: self.env.user, tracking=True, index=True
    )
    owner_label = fields.Char(
        string="Spec Owner",
        help="Owner as written in the spec (a team address); defaults to the owner's email.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("validated", "Validated"), ("production", "Production")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    budget_per_run = fields.Float(
        string="Budget per Run (USD)", digits=(16, 2), default=DEFAULT_BUDGET, tracking=True
    )
    budget_mode = fields.Selection(
        [("warn", "Warn"), ("block", "Block")],
        default="warn",
        required=True,
        tracking=True,
        help="Over budget, a run either goes on and warns the owner, or stops before its next step.",
    )
    alert_channel = fields.Char(help="Chat channel named in failure alerts (e.g. #data-alerts).")
    concurrency = fields.Selection(
        CONCURRENCY_POLICIES,
        string="Concurrent Runs",
        default="queue",
        required=True,
        tracking=True,
        help="A trigger while a run is active: Queue waits (one at a time), Refuse refuses, Parallel runs.",
    )
    schedule = fields.Char(
        tracking=True,
        help="Cron expression ('30 2 * * *') or interval ('every 15 min'); runs only in production.",
    )
    cron_id = fields.Many2one(
        "ir.cron", string="Scheduled Action", readonly=True, copy=False, ondelete="set null"
    )
    last_scheduled_at = fields.Datetime(readonly=True, copy=False)
    params_json = fields.Text(
        string="Parameters",
        default="[]",
        help="Run parameters as a JSON list of {name, type, default, description}.",
    )
    spec_key_order = fields.Char(
        readonly=True, copy=False, help="Key order of the imported spec (technical)."
    )
    step_ids = fields.One2many("ipwb.pipeline.step", "pipeline_id", string="Steps", copy=True)
    step_count = fields.Integer(compute="_compute_step_count")
    run_ids = fields.One2many("ipwb.pipeline.run", "pipeline_id", string="Runs")
    last_run_id = fields.Many2one("ipwb.pipeline.run", compute="_compute_run_stats")
    last_run_state = fields.Selection(RUN_STATES, string="Last Run", compute="_compute_run_stats")
    run_count_7d = fields.Integer(string="Runs (7 d)", compute="_compute_run_stats")
    success_rate_7d = fields.Float(
        string="Success Rate (7 d)",
        compute="_compute_run_stats",
        digits=(5, 1),
        help="Share of the runs finished in the last 7 days that succeeded, in percent.",
    )
    validation_message = fields.Text(readonly=True, copy=False)
    steps_changed_by_id = fields.Many2one(
        "res.users",
        string="Steps Changed By",
        readonly=True,
        copy=False,
        help="Who last created, edited or deleted a step: someone else must promote the pipeline.",
    )
    steps_changed_at = fields.Datetime(string="Steps Changed On", readonly=True, copy=False)
    spec_yaml = fields.Text(string="Spec (YAML)", compute="_compute_spec_yaml")

    _sql_constraints = [
        ("code_unique", "unique(code)", "Another pipeline already uses this technical name."),
    ]

    # -- constraints -------------------------------------------------------------------------
    @api.constrains("code")
    def _check_code(self):
        for pipeline in self:
            if not PIPELINE_CODE.match(pipeline.code or ""):
                raise ValidationError(
                    self.env._(
                        "Technical name %s must start with a letter and use only lower-case letters, "
                        "digits and underscores.",
                        pipeline.code,
                    )
                )

    @api.constrains("budget_per_run")
    def _check_budget(self):
        for pipeline in self:
            if pipeline.budget_per_run < 0:
                raise ValidationError(self.env._("The budget per run cannot be negative."))

    @api.constrains("schedule")
    def _check_schedule(self):
        for pipeline in self.filtered("schedule"):
            try:
                plan_cron(pipeline.schedule, fields.Datetime.now())
            except IpwbError as exc:
                raise ValidationError(
                    self.env._("Schedule of %(name)s: %(error)s", name=pipeline.name, error=exc)
                ) from None

    @api.constrains("params_json")
    def _check_params_json(self):
        for pipeline in self:
            try:
                params = json.loads(pipeline.params_json or "[]")
            except ValueError as exc:
                raise ValidationError(
                    self.env._(
                        "Parameters of %(name)s are not JSON: %(error)s", name=pipeline.name, error=exc
                    )
                ) from None
            if not isinstance(params, list) or not all(isinstance(p, dict) and p.get("name") for p in params):
                raise ValidationError(self.env._("Parameters must be a JSON list of objects with a name."))

    # -- computes ----------------------------------------------------------------------------
    @api.depends("step_ids")
    def _compute_step_count(self):
        for pipeline in self:
            pipeline.step_count = len(pipeline.step_ids)

    def _compute_run_stats(self):
        last_ids, finished = run_stats(self)
        Run = self.env["ipwb.pipeline.run"]
        for pipeline in self:
            pipeline.last_run_id = last = Run.browse(last_ids.get(pipeline.id) or ())
            pipeline.last_run_state = last.state if last else False
            counts = finished.get(pipeline.id, {})
            pipeline.run_count_7d = total = sum(counts.values())
            pipeline.success_rate_7d = 100.0 * counts.get("succeeded", 0) / total if total else 0.0

    @api.depends(*pipeline_spec.SPEC_DEPENDS)
    def _compute_spec_yaml(self):
        for pipeline in self:
            try:
                pipeline.spec_yaml = dumps(pipeline._to_spec())
            except (IpwbError, ValueError) as exc:
                pipeline.spec_yaml = f"# cannot export: {exc}"

    # -- spec conversion ---------------------------------------------------------------------
    def _owner_for_spec(self):
        self.ensure_one()
        return self.owner_label or self.owner_id.email or self.owner_id.login or "unknown"

    def _to_spec(self):
        """The pipeline as an engine :class:`PipelineSpec` (key order of an import kept)."""
        return pipeline_spec.to_spec(self)

    def _validation_problems(self):
        """Every problem the engine finds (graph, kinds, configs, schedule), step-named."""
        return pipeline_spec.validation_problems(self)

    def _raise_problems(self, problems, title=None):
        raise ValidationError(
            (title or self.env._("Pipeline %s is not valid:", self.name))
            + "\n"
            + "\n".join(f"• {p}" for p in problems)
        )

    def action_validate(self):
        rpc_args.check_records(self, self.env._("The pipeline"))
        self.check_access("write")
        for pipeline in self:
            problems = pipeline._validation_problems()
            if problems:
                pipeline.validation_message = "\n".join(problems)
                pipeline._raise_problems(problems)
            # state moves only through this action (checked above): written by the system
            pipeline.sudo().write({"state": "validated", "validation_message": False})
        return True

    def action_reset_to_draft(self):
        self.write({"state": "draft"})

    def action_promote(self):
        """Move validated pipelines to production (a human decision, never automatic).

        The Guardian gate must pass (or be waived) for every gold/platinum table they write,
        and the promoter must not be the last person who changed the steps (two-person rule).
        """
        self.check_access("write")
        not_validated = self.filtered(lambda pipeline: pipeline.state != "validated")
        if not_validated:
            raise UserError(
                self.env._(
                    "Only validated pipelines can go to production: %s",
                    ", ".join(not_validated.mapped("name")),
                )
            )
        pipeline_rights.check_promoter(self)
        pipeline_gate.check_promotion(self)
        self.sudo().write({"state": "production"})

    def _structure_changed(self):
        """A step was added, edited or removed (in this env): the editor becomes the owner
        unless a Workbench administrator, the change is recorded, the pipeline goes back to
        draft (see services/pipeline_rights.py)."""
        pipeline_rights.steps_changed(self)

    def _run_user(self):
        """The user a run executes as: the owner, refused when none, archived, share or OdooBot."""
        return pipeline_rights.run_user(self)

    # -- spec import / export (see services/pipeline_spec.py) -------------------------------
    @api.model
    def _specs_dir(self):
        return pipeline_spec.specs_dir(self.env)

    def action_write_spec(self):
        """Write specs/pipelines/<code>.yaml into the configured specs directory."""
        return pipeline_spec.write_spec(self)

    def action_sync_from_specs_dir(self):
        """Re-read specs/pipelines/<code>.yaml from the specs directory into this pipeline."""
        return pipeline_spec.sync_from_specs_dir(self)

    @api.model
    def import_spec_text(self, text, source="pipeline.yaml"):
        """Create or update (by technical name) the pipeline a spec describes.

        Every problem is reported at once, with its line number, in a ValidationError; an
        invalid spec changes nothing.
        """
        return pipeline_spec.import_spec_text(self, text, source=source)

    def _sync_steps(self, step_specs):
        pipeline_spec.sync_steps(self, step_specs)

    # -- runs ----------------------------------------------------------------------------------
    def _check_runnable(self):
        for pipeline in self:
            if pipeline.state == "draft":
                raise UserError(self.env._("Validate pipeline %s before running it.", pipeline.name))
            if not pipeline.step_ids:
                raise UserError(self.env._("Pipeline %s has no step to run.", pipeline.name))
            pipeline._run_user()

    def _enqueue(self, trigger="manual", params=None):
        """Create queued runs (one per pipeline) and wake the run worker up.

        Runs are written by the system only: whoever may edit the pipeline may queue it; a
        *refuse* pipeline gets no second active run (see ``_create_guarded``)."""
        self.check_access("write")
        runs = self.env["ipwb.pipeline.run"].sudo()
        for pipeline in self:
            runs |= runs._create_guarded(
                {
                    "pipeline_id": pipeline.id,
                    "trigger": trigger,
                    "params": json.dumps(params or pipeline._default_params(), sort_keys=True),
                    "requested_by_id": self.env.user.id,
                }
            )
        runs._trigger_worker()
        return runs

    def _default_params(self):
        self.ensure_one()
        return {
            p["name"]: p["default"]
            for p in json.loads(self.params_json or "[]")
            if p.get("default") is not None
        }

    def action_run_now(self):
        """Queue a run and trigger the worker cron: the run never executes in this request."""
        rpc_args.check_records(self, self.env._("The pipeline"))
        self._check_runnable()
        runs = self._enqueue("manual")
        if len(runs) == 1:
            return {
                "type": "ir.actions.act_window",
                "res_model": "ipwb.pipeline.run",
                "res_id": runs.id,
                "view_mode": "form",
                "target": "current",
            }
        return True

    def action_backfill(self, start, end, granularity="day"):
        """Queue one parameterised run per period of [start, end] (whole days/weeks/months)."""
        return pipeline_schedule.backfill(self, start, end, granularity)

    def action_open_runs(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("ipwb_pipeline.ipwb_pipeline_run_action")
        action["domain"] = [("pipeline_id", "=", self.id)]
        action["context"] = {"default_pipeline_id": self.id}
        return action

    def action_open_canvas(self):
        self.ensure_one()
        return {
            "type": "ir.actions.client",
            "tag": "ipwb_pipeline.canvas",
            "name": self.env._("Canvas: %s", self.name),
            "params": {"pipeline_id": self.id},
        }

    # -- schedules (ir.cron owned by the pipeline) ---------------------------------------------
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._check_owner_assignment(vals.get("owner_id"))
            pipeline_rights.check_system_fields(self.env, vals)
        pipelines = super().create(vals_list)
        pipelines._sync_cron()
        return pipelines

    def write(self, vals):
        pipeline_rights.check_system_fields(self.env, vals)
        if "owner_id" in vals and any(p.owner_id.id != vals["owner_id"] for p in self):
            self._check_owner_assignment(vals["owner_id"])
        result = super().write(vals)
        if pipeline_rights.RUN_CONFIG_FIELDS & set(vals):
            self._structure_changed()
        if {"schedule", "state", "active", "name", "owner_id"} & set(vals):
            self._sync_cron()
        return result

    def unlink(self):
        crons = self.sudo().mapped("cron_id")
        result = super().unlink()
        crons.unlink()
        return result

    @api.model
    def _may_assign_owner(self, owner_id):
        """Runs use the owner's rights: only an administrator may make someone else owner."""
        return pipeline_rights.may_assign_owner(self.env, owner_id)

    @api.model
    def _check_owner_assignment(self, owner_id):
        if not self._may_assign_owner(owner_id):
            raise AccessError(pipeline_rights.owner_assignment_refused(self.env))

    def _sync_cron(self):
        """Create/update/archive each pipeline's schedule cron (active only in production)."""
        pipeline_schedule.sync_cron(self)

    @api.model
    def _cron_scheduled_run(self, pipeline_id):
        """Body of a pipeline's schedule cron: queue a run when a fire time passed."""
        pipeline_schedule.scheduled_run(self, pipeline_id)

    # -- alerts --------------------------------------------------------------------------------
    def _alert_failure(self, run):
        """Activity for the owner (and a chat alert, sent by the run after commit)."""
        self.ensure_one()
        if self.owner_id:
            self.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=self.owner_id.id,
                summary=self.env._("Pipeline run %s failed", run.display_name),
                note=run.error or "",
            )
