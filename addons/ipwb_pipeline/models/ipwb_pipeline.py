# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import logging
import os
import re
from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ipwb.dag import expand_backfill
from ipwb.errors import IpwbError
from ipwb.pipeline.schedule import is_due, next_fire, plan_cron
from ipwb.specs import ParamSpec, PipelineSpec, check_text, dumps
from ipwb.specs.model import from_data, to_data

_logger = logging.getLogger(__name__)

#: pipeline technical names double as spec file names (specs/pipelines/<code>.yaml)
PIPELINE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,62}$")
#: "file:line:col: " in front of a spec problem
_PROBLEM_PREFIX = re.compile(r"^[^:]*:(\d+):\d+: ")
#: "  - id: name" opening a step in a dumped spec
_STEP_LINE = re.compile(r"^  - id: ([a-z][a-z0-9_]*)\s*$")
DEFAULT_BUDGET = 5.0


class IpwbPipeline(models.Model):
    """A data pipeline: a DAG of steps kept in git as specs/pipelines/<code>.yaml.

    Lifecycle draft → validated (the engine's checks pass) → production (a human promotes
    it). A schedule is an ``ir.cron`` owned by the pipeline, active only in production.
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
    last_run_state = fields.Selection(
        [
            ("queued", "Queued"),
            ("running", "Running"),
            ("succeeded", "Succeeded"),
            ("failed", "Failed"),
            ("cancelled", "Cancelled"),
        ],
        string="Last Run",
        compute="_compute_run_stats",
    )
    run_count_7d = fields.Integer(string="Runs (7 d)", compute="_compute_run_stats")
    success_rate_7d = fields.Float(
        string="Success Rate (7 d)",
        compute="_compute_run_stats",
        digits=(5, 1),
        help="Share of the runs finished in the last 7 days that succeeded, in percent.",
    )
    validation_message = fields.Text(readonly=True, copy=False)
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
        since = fields.Datetime.now() - timedelta(days=7)
        Run = self.env["ipwb.pipeline.run"]
        for pipeline in self:
            last = (
                Run.search([("pipeline_id", "=", pipeline.id)], order="id desc", limit=1)
                if pipeline.id
                else Run
            )
            pipeline.last_run_id = last
            pipeline.last_run_state = last.state if last else False
            finished = (
                Run.search(
                    [
                        ("pipeline_id", "=", pipeline.id),
                        ("state", "in", ("succeeded", "failed")),
                        ("date_end", ">=", since),
                    ]
                )
                if pipeline.id
                else Run
            )
            pipeline.run_count_7d = len(finished)
            ok = len(finished.filtered(lambda run: run.state == "succeeded"))
            pipeline.success_rate_7d = 100.0 * ok / len(finished) if finished else 0.0

    @api.depends(
        "name",
        "code",
        "description",
        "domain_name",
        "schedule",
        "budget_per_run",
        "alert_channel",
        "params_json",
        "owner_label",
        "owner_id",
        "step_ids.name",
        "step_ids.kind",
        "step_ids.config",
        "step_ids.depends_on_ids",
        "step_ids.retries",
        "step_ids.retry_backoff_s",
        "step_ids.timeout_s",
        "step_ids.enabled",
        "step_ids.description",
    )
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
        self.ensure_one()
        key_order = tuple(json.loads(self.spec_key_order or "[]"))
        params = tuple(from_data(ParamSpec, p) for p in json.loads(self.params_json or "[]"))
        budget = self.budget_per_run
        if "budget_usd" not in key_order and budget == DEFAULT_BUDGET:
            budget = None
        elif budget is not None and float(budget).is_integer():
            budget = int(budget)
        steps = tuple(step._to_spec() for step in self.step_ids.sorted(lambda s: (s.sequence, s.id)))
        return PipelineSpec(
            name=self.code,
            owner=self._owner_for_spec(),
            description=self.description or "",
            domain=self.domain_name or "",
            schedule=self.schedule or None,
            budget_usd=budget,
            alert_channel=self.alert_channel or None,
            params=params,
            steps=steps,
            key_order=key_order,
        )

    def _validation_problems(self):
        """Every problem the engine finds (graph, kinds, configs, schedule), step-named."""
        self.ensure_one()
        try:
            spec = self._to_spec()
        except (IpwbError, ValueError, TypeError) as exc:
            return [str(exc)]
        text = dumps(spec)
        result = check_text(text, "pipeline", f"{self.code}.yaml")
        names = [step.id for step in spec.steps]
        starts = [
            (number, match.group(1))
            for number, line in enumerate(text.splitlines(), 1)
            if (match := _STEP_LINE.match(line))
        ]
        problems = []
        for problem in result.problems:
            located = _PROBLEM_PREFIX.match(problem)
            text = _PROBLEM_PREFIX.sub("", problem)
            if located and not text.startswith("steps["):
                line = int(located.group(1))
                owner = [name for number, name in starts if number <= line]
                if owner:
                    text = self.env._("step %(step)s: %(problem)s", step=owner[-1], problem=text)
            text = re.sub(
                r"^steps\[(\d+)\]",
                lambda m: (
                    self.env._("step %s", names[int(m.group(1))])
                    if int(m.group(1)) < len(names)
                    else m.group(0)
                ),
                text,
            )
            problems.append(text)
        if not spec.steps:
            problems.append(self.env._("A pipeline needs at least one step."))
        return problems

    def _raise_problems(self, problems, title=None):
        raise ValidationError(
            (title or self.env._("Pipeline %s is not valid:", self.name))
            + "\n"
            + "\n".join(f"• {p}" for p in problems)
        )

    def action_validate(self):
        for pipeline in self:
            problems = pipeline._validation_problems()
            if problems:
                pipeline.validation_message = "\n".join(problems)
                pipeline._raise_problems(problems)
            pipeline.write({"state": "validated", "validation_message": False})
        return True

    def action_reset_to_draft(self):
        self.write({"state": "draft"})

    def action_promote(self):
        """Move validated pipelines to production (a human decision, never automatic)."""
        not_validated = self.filtered(lambda pipeline: pipeline.state != "validated")
        if not_validated:
            raise UserError(
                self.env._(
                    "Only validated pipelines can go to production: %s",
                    ", ".join(not_validated.mapped("name")),
                )
            )
        self.write({"state": "production"})

    def _structure_changed(self):
        """A step was added, edited or removed: validated pipelines go back to draft."""
        to_draft = self.filtered(lambda p: p.state == "validated")
        if to_draft:
            to_draft.write({"state": "draft"})

    # -- spec import / export ----------------------------------------------------------------
    @api.model
    def _specs_dir(self):
        path = self.env["ir.config_parameter"].sudo().get_param("ipwb_pipeline.specs_dir") or ""
        return path.strip()

    def action_write_spec(self):
        """Write specs/pipelines/<code>.yaml into the configured specs directory."""
        self.ensure_one()
        base = self._specs_dir()
        if not base:
            raise UserError(
                self.env._("No specs directory is configured (Workbench › Configuration › Pipelines).")
            )
        target_dir = os.path.join(base, "pipelines")
        if not os.path.isdir(target_dir):
            raise UserError(self.env._("Directory %s does not exist.", target_dir))
        path = os.path.join(target_dir, f"{self.code}.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(dumps(self._to_spec()))
        self.message_post(body=self.env._("Spec written to %s", path))
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {"message": self.env._("Spec written to %s", path), "type": "success", "sticky": False},
        }

    def action_sync_from_specs_dir(self):
        """Re-read specs/pipelines/<code>.yaml from the specs directory into this pipeline."""
        self.ensure_one()
        base = self._specs_dir()
        path = os.path.join(base, "pipelines", f"{self.code}.yaml") if base else ""
        if not path or not os.path.isfile(path):
            raise UserError(self.env._("No spec file %s to read.", path or f"pipelines/{self.code}.yaml"))
        with open(path, encoding="utf-8") as handle:
            self.import_spec_text(handle.read(), source=path)
        return True

    @api.model
    def import_spec_text(self, text, source="pipeline.yaml"):
        """Create or update (by technical name) the pipeline a spec describes.

        Every problem is reported at once, with its line number, in a ValidationError; an
        invalid spec changes nothing.
        """
        result = check_text(text or "", "pipeline", source)
        if result.spec is None:
            raise ValidationError(
                self.env._(
                    "The spec %(file)s has %(count)s problem(s):", file=source, count=len(result.problems)
                )
                + "\n"
                + "\n".join(f"• {p}" for p in result.problems)
            )
        spec = result.spec
        owner = self.env["res.users"]
        if spec.owner:
            owner = self.env["res.users"].search(
                ["|", ("login", "=", spec.owner), ("email", "=", spec.owner)], limit=1
            )
        values = {
            "name": spec.name.replace("_", " ").capitalize(),
            "code": spec.name,
            "description": spec.description or False,
            "domain_name": spec.domain or False,
            "owner_label": spec.owner,
            "schedule": spec.schedule or False,
            "budget_per_run": spec.budget_usd if spec.budget_usd is not None else DEFAULT_BUDGET,
            "alert_channel": spec.alert_channel or False,
            "params_json": json.dumps([to_data(p) for p in spec.params]),
            "spec_key_order": json.dumps(list(spec.key_order)),
        }
        if owner:
            values["owner_id"] = owner.id
        pipeline = self.with_context(active_test=False).search([("code", "=", spec.name)], limit=1)
        if pipeline:
            values.pop("name")
            pipeline.write(values)
        else:
            pipeline = self.create(values)
        pipeline._sync_steps(spec.steps)
        pipeline.state = "draft"
        return pipeline

    def _sync_steps(self, step_specs):
        self.ensure_one()
        Step = self.env["ipwb.pipeline.step"].with_context(ipwb_pipeline_sync=True)
        existing = {step.name: step for step in self.step_ids}
        keep = Step
        for sequence, step_spec in enumerate(step_specs, 1):
            values = Step._values_from_spec(step_spec)
            values["sequence"] = sequence
            step = existing.get(step_spec.id)
            if step:
                step.with_context(ipwb_pipeline_sync=True).write(values)
            else:
                step = Step.create({**values, "pipeline_id": self.id})
            keep |= step
        (self.step_ids - keep).with_context(ipwb_pipeline_sync=True).unlink()
        by_name = {step.name: step for step in keep}
        for step_spec in step_specs:
            deps = [by_name[d].id for d in step_spec.depends_on if d in by_name]
            by_name[step_spec.id].with_context(ipwb_pipeline_sync=True).write(
                {"depends_on_ids": [fields.Command.set(deps)]}
            )
        self.env["ipwb.pipeline.step"]._check_graph(self)

    # -- runs ----------------------------------------------------------------------------------
    def _check_runnable(self):
        for pipeline in self:
            if pipeline.state == "draft":
                raise UserError(self.env._("Validate pipeline %s before running it.", pipeline.name))
            if not pipeline.step_ids:
                raise UserError(self.env._("Pipeline %s has no step to run.", pipeline.name))

    def _enqueue(self, trigger="manual", params=None):
        """Create queued runs (one per pipeline) and wake the run worker up."""
        runs = self.env["ipwb.pipeline.run"]
        for pipeline in self:
            runs |= runs.create(
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
        self.ensure_one()
        self._check_runnable()
        try:
            periods = expand_backfill(
                start, end, granularity, extra={k: str(v) for k, v in self._default_params().items()}
            )
        except IpwbError as exc:
            raise UserError(
                self.env._("Backfill of %(name)s: %(error)s", name=self.name, error=exc)
            ) from None
        runs = self.env["ipwb.pipeline.run"]
        for params in periods:
            runs |= runs.create(
                {
                    "pipeline_id": self.id,
                    "trigger": "backfill",
                    "params": json.dumps(params, sort_keys=True),
                    "requested_by_id": self.env.user.id,
                }
            )
        runs._trigger_worker()
        return runs

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
        pipelines = super().create(vals_list)
        pipelines._sync_cron()
        return pipelines

    def write(self, vals):
        result = super().write(vals)
        if {"schedule", "state", "active", "name", "owner_id"} & set(vals):
            self._sync_cron()
        return result

    def unlink(self):
        crons = self.sudo().mapped("cron_id")
        result = super().unlink()
        crons.unlink()
        return result

    def _sync_cron(self):
        """Create/update/archive each pipeline's schedule cron (active only in production)."""
        Cron = self.env["ir.cron"].sudo()
        model = self.env["ir.model"]._get_id(self._name)
        now = fields.Datetime.now()
        for pipeline in self.sudo():
            if not pipeline.schedule:
                if pipeline.cron_id:
                    pipeline.cron_id.active = False
                continue
            plan = plan_cron(pipeline.schedule, now)
            values = {
                "name": f"Pipeline: {pipeline.name} ({pipeline.schedule})",
                "model_id": model,
                "state": "code",
                "code": f"model._cron_scheduled_run({pipeline.id})",
                "interval_number": plan.interval_number,
                "interval_type": plan.interval_type,
                "user_id": (pipeline.owner_id or self.env.ref("base.user_root")).id,
                "active": pipeline.active and pipeline.state == "production",
            }
            if pipeline.cron_id:
                if (
                    pipeline.cron_id.interval_number != plan.interval_number
                    or pipeline.cron_id.interval_type != plan.interval_type
                    or not pipeline.cron_id.active
                ):
                    values["nextcall"] = plan.nextcall
                pipeline.cron_id.write(values)
            else:
                values["nextcall"] = plan.nextcall
                pipeline.cron_id = Cron.create(values)
            if values["active"] and not plan.exact:
                pipeline.cron_id._trigger(at=plan.nextcall)

    @api.model
    def _cron_scheduled_run(self, pipeline_id):
        """Body of a pipeline's schedule cron: queue a run when a fire time passed."""
        pipeline = self.browse(pipeline_id).exists()
        if not pipeline or pipeline.state != "production" or not pipeline.schedule:
            return
        now = fields.Datetime.now()
        if not is_due(pipeline.schedule, pipeline.last_scheduled_at or None, now):
            return
        pipeline.last_scheduled_at = now
        pipeline._enqueue("schedule")
        plan = plan_cron(pipeline.schedule, now)
        if not plan.exact and pipeline.cron_id:
            pipeline.cron_id._trigger(at=next_fire(pipeline.schedule, now))

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
