# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import logging
import os
from datetime import datetime, timezone

from odoo import api, fields, models, tools
from odoo.exceptions import UserError

from ipwb.dag import StepState, StepStatus
from ipwb.dbt.lineage import manifest_lineage
from ipwb.errors import ConfigurationError, IntegrationError, IpwbError, OutboundRefused
from ipwb.guardian.checks import CheckSpec
from ipwb.guardian.runner import run_check
from ipwb.integrations.webhook import call_webhook
from ipwb.pipeline.budget import compute_cost
from ipwb.pipeline.dbtstep import run_dbt
from ipwb.pipeline.sqlstep import run_sql_step
from ipwb.specs.kinds import declared_targets
from ipwb.warehouse.connection import WarehouseConfig

from ..services import sql_scope
from .step_kinds import BUILTIN_KIND_SELECTION, STEP_EXECUTORS

_logger = logging.getLogger(__name__)

#: odoo.conf keys of the warehouse writer role (pipelines write; the SQL editor reads)
WRITER_KEYS = ("ipwb_warehouse_writer_user", "ipwb_warehouse_writer_password")
#: bytes of a webhook's answer read and stored on the step run
RESPONSE_BYTES = 4096
#: the repository's specs/ folder, used when no specs directory is configured
REPO_SPECS = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", "..", "..", "specs"))


def _epoch(value):
    return value.replace(tzinfo=timezone.utc).timestamp() if value else None


def _from_epoch(value):
    return datetime.fromtimestamp(value, tz=timezone.utc).replace(tzinfo=None) if value else False


class IpwbPipelineStepRun(models.Model):
    """One step of one run: a snapshot of the step's definition plus what happened."""

    _name = "ipwb.pipeline.step.run"
    _description = "Pipeline Step Run"
    _order = "run_id desc, sequence, id"

    run_id = fields.Many2one("ipwb.pipeline.run", required=True, ondelete="cascade", index=True)
    pipeline_id = fields.Many2one(related="run_id.pipeline_id", store=True)
    step_id = fields.Many2one("ipwb.pipeline.step", ondelete="set null")
    step_name = fields.Char(string="Step", required=True)
    kind = fields.Selection(BUILTIN_KIND_SELECTION, required=True)
    sequence = fields.Integer()
    config = fields.Text()
    depends_json = fields.Char(default="[]")
    enabled = fields.Boolean(default=True)
    retries = fields.Integer()
    retry_backoff_s = fields.Float()
    timeout_s = fields.Float(default=3600)
    state = fields.Selection(
        [(s.value, s.value.capitalize()) for s in StepState], default="pending", required=True, index=True
    )
    attempt = fields.Integer()
    not_before = fields.Datetime()
    date_start = fields.Datetime(string="Started")
    date_end = fields.Datetime(string="Finished")
    duration = fields.Float(string="Duration (s)", digits=(16, 3), aggregator="avg")
    rows_affected = fields.Integer()
    log = fields.Text()
    error = fields.Text()
    # what an external call answered, capped at RESPONSE_BYTES; readable only by those who may
    # edit pipelines (issue #19: an answer is not for every Workbench User)
    response = fields.Text(
        help="What an external call (webhook) answered (its first 4 KB).",
        groups="ipwb_catalog.group_ipwb_data_engineer",
    )
    cost_usd = fields.Float(string="Cost (USD)", digits=(16, 6), aggregator="sum")

    # -- scheduler state ----------------------------------------------------------------------
    def _engine_status(self):
        self.ensure_one()
        state = StepState(self.state)
        return StepStatus(
            state, self.attempt, _epoch(self.not_before), _epoch(self.date_start), self.error or ""
        )

    @api.model
    def _status_values(self, status):
        """The field values of an engine step status (what ``_store_status`` writes)."""
        values = {
            "state": status.state.value,
            "attempt": status.attempts,
            "not_before": _from_epoch(status.not_before),
        }
        if status.state in (StepState.FAILED, StepState.RETRYING, StepState.SKIPPED) and status.reason:
            values["error"] = status.reason
        return values

    def _store_status(self, status):
        self.write(self._status_values(status))

    # -- execution -----------------------------------------------------------------------------
    def _config_dict(self):
        self.ensure_one()
        try:
            value = json.loads(self.config or "{}")
        except ValueError:
            raise UserError(
                self.env._("Step %s has a configuration that is not JSON.", self.step_name)
            ) from None
        return value if isinstance(value, dict) else {}

    def _execute_kind(self, params):
        """Run the step through the method its kind registered; returns an outcome dict:
        ``rows_affected``, ``log``, ``response``, ``llm_usd``, ``after_commit`` (callable),
        ``failed`` (an error message: the step failed but what it wrote is kept)."""
        self.ensure_one()
        method = STEP_EXECUTORS.get(self.kind)
        if not method or not hasattr(self, method):
            raise UserError(self.env._("No executor is registered for step kind %s.", self.kind))
        return getattr(self, method)(self._config_dict(), params) or {}

    @api.model
    def _specs_dir(self):
        configured = self.env["ir.config_parameter"].sudo().get_param("ipwb_pipeline.specs_dir")
        return os.path.realpath((configured or "").strip() or REPO_SPECS)

    def _spec_path(self, relative):
        base = self._specs_dir()
        path = os.path.realpath(os.path.join(base, relative))
        if os.path.commonpath([base, path]) != base:
            raise UserError(self.env._("Path %s leaves the specs directory.", relative))
        return path

    @api.model
    def _writer_config(self):
        """Warehouse config of the default connection, with the writer role's credentials."""
        connection = self.env["ipwb.connection"].sudo()._get_default()
        try:
            base = connection._warehouse_config()
        except IpwbError as exc:
            raise UserError(
                self.env._("Warehouse %(name)s: %(error)s", name=connection.name, error=exc)
            ) from None
        if connection.credential_source == "server_config":
            user, password = (tools.config.get(key) or "" for key in WRITER_KEYS)
            if not user:
                raise UserError(
                    self.env._(
                        "The server configuration has no %s option: pipelines cannot write.", WRITER_KEYS[0]
                    )
                )
            return WarehouseConfig(
                dbname=base.dbname,
                host=base.host,
                port=base.port,
                user=user,
                password=password,
                sslmode=base.sslmode,
                application_name="ipwb-pipeline",
                forbidden_dbnames=base.forbidden_dbnames,
            )
        return base

    def _run_step_sql(self, config, params):
        if "file" in config:
            with open(self._spec_path(config["file"]), encoding="utf-8") as handle:
                script = handle.read()
        else:
            script = config.get("sql") or ""
        if not script.strip():
            raise UserError(self.env._("SQL step %s has no SQL.", self.step_name))
        # this run's own config snapshot is checked: it may differ from what was validated
        sql_scope.ensure_in_scope(self, config, script)
        result = run_sql_step(
            self._writer_config(), script, params, targets=declared_targets(config), timeout_s=self.timeout_s
        )
        lines = list(result.log)
        if result.lineage:
            lines.append("lineage: " + ", ".join(f"{e.source} → {e.target}" for e in result.lineage))
            lines += self._record_lineage(result.lineage_result)
        lines += [f"lineage issue: {issue}" for issue in result.lineage_issues]
        return {"rows_affected": result.rows_affected, "log": "\n".join(lines)}

    def _record_lineage(self, result, source="pipeline_step"):
        """Store the step's lineage in the catalog's store when ipwb_catalog provides one."""
        if "ipwb.lineage.edge" not in self.env or result is None:
            return ["lineage not stored: no lineage store (ipwb.lineage.edge) in this database"]
        Edge = self.env["ipwb.lineage.edge"].sudo()
        if not hasattr(Edge, "_record_lineage"):
            return ["lineage not stored: ipwb.lineage.edge has no _record_lineage()"]
        ref = f"{self.run_id.pipeline_id.code}.{self.step_name}"
        connection = self.env["ipwb.connection"].sudo()._get_default()
        counts = Edge._record_lineage(result, source, ref, connection=connection)
        return [f"lineage stored: {counts}"]

    def _run_step_dbt(self, config, params):
        project = self._spec_path(config.get("project") or "dbt")
        try:
            result = run_dbt(
                project,
                self._writer_config(),
                command=config.get("command", "build"),
                select=config.get("select", ""),
                full_refresh=bool(config.get("full_refresh")),
                timeout_s=self.timeout_s,
                variables=dict(params) or None,
            )
        except IpwbError as exc:
            exc.log = getattr(exc, "log", "")
            raise
        lines = [result.log[-20000:]]
        if result.manifest and result.built:
            # lineage of the relations this run built, from dbt's own manifest (source "dbt")
            lineage = manifest_lineage(result.manifest, only=set(result.built))
            lines.append("lineage: " + ", ".join(f"{e.source} → {e.target}" for e in lineage.tables))
            lines += self._record_lineage(lineage, source="dbt")
            lines += [f"lineage issue: {issue.message}" for issue in lineage.issues]
        return {"rows_affected": result.rows_affected, "log": "\n".join(lines)}

    def _run_step_n8n_webhook(self, config, params):
        """POST to the webhook. The worker committed this step as running before calling:
        nothing of the run is inside an open transaction while the request is in flight."""
        run = self.run_id
        payload = {
            "pipeline": run.pipeline_id.code,
            "run_id": run.id,
            "step": self.step_name,
            "params": params,
            **(config.get("payload") or {}),
        }
        timeout = float(config.get("timeout_s") or min(self.timeout_s, 30))
        policy = self.env["ipwb.outbound.policy"]._ipwb_policy()
        try:
            answer = call_webhook(
                config["url"],
                payload,
                policy=policy,
                method=config.get("method", "POST"),
                timeout_s=timeout,
                max_bytes=RESPONSE_BYTES,
            )
        except OutboundRefused as exc:
            raise UserError(self.env._("Outbound call refused: %s", exc)) from None
        except IntegrationError as exc:
            # the message names the URL without its secret path (ipwb.integrations.webhook)
            raise UserError(self.env._("Webhook call failed: %s", exc)) from None
        log = f"HTTP {answer.status} in {answer.duration_s:.2f} s ({answer.attempts} attempt(s))"
        if answer.truncated:
            log += self.env._("; answer truncated to its first %s bytes", RESPONSE_BYTES)
        return {"response": answer.body, "log": log}

    def _run_step_server_action(self, config, params):
        """Run a server action as the step's user (the pipeline owner, see the worker).

        The action's groups must include that user (clear refusal otherwise); Odoo's own
        ``run()`` then checks the same groups, or write access to the action's model when it
        has none, and the action executes with that user's rights, never the superuser's.
        """
        user = self.env.user
        action = self.env.ref(config.get("action") or "", raise_if_not_found=False)
        if not action or action._name != "ir.actions.server":
            raise UserError(
                self.env._(
                    "Step %(step)s: %(action)s is not a server action.",
                    step=self.step_name,
                    action=config.get("action"),
                )
            )
        groups = action.sudo().groups_id
        if not self.env.su and groups and not (groups & user.groups_id):
            raise UserError(
                self.env._(
                    "Step %(step)s: server action %(action)s is restricted to %(groups)s, and the "
                    "pipeline owner %(user)s is in none of them.",
                    step=self.step_name,
                    action=config.get("action"),
                    groups=", ".join(groups.mapped("full_name")),
                    user=user.login,
                )
            )
        run = self.run_id
        context = {
            "active_model": run._name,
            "active_id": run.id,
            "active_ids": run.ids,
            "ipwb_pipeline_params": params,
        }
        result = action.with_user(user).with_context(**context).run()
        return {
            "log": f"server action {action.display_name} ran",
            "response": json.dumps(result, default=str) if result else False,
        }

    def _run_step_quality_gate(self, config, params):
        """Guardian checks of a table (``table``) or of a layer's tables (``tables``), run as
        one Guardian batch: a failing blocking check fails the step (and the run)."""
        tables = [config["table"]] if config.get("table") else list(config.get("tables") or [])
        Check = self.env["ipwb.dq.check"].sudo()
        domain = [("table_ref", "in", tables)]
        if config.get("checks"):
            domain += ["|", ("name", "in", config["checks"]), ("check_type", "in", config["checks"])]
        checks = Check.search(domain)
        # a table of the gate without a check is a gap in the gate, never silently passed
        unchecked = [table for table in tables if table not in set(checks.mapped("table_ref"))]
        if not tables or unchecked:
            raise UserError(
                self.env._(
                    "Quality gate %(step)s: no Guardian check is declared on %(table)s.",
                    step=self.step_name,
                    table=", ".join(unchecked) or "-",
                )
            )
        blocking_default = config.get("blocking", True)
        several = len(tables) > 1
        lines, failures = [], []
        outcomes = self._evaluate_checks(checks)
        for check in checks.sorted(lambda c: (tables.index(c.table_ref), c.sequence, c.id)):
            passed, detail = outcomes.get(check.id) or (False, self.env._("no result"))
            where = f"{check.table_ref}: " if several else ""
            lines.append(f"{where}{'PASS' if passed else 'FAIL'} {check.name} ({check.check_type}): {detail}")
            if passed is False and (check.blocking and blocking_default):
                failures.append(f"{check.name} ({check.table_ref})" if several else check.name)
        log = "\n".join(lines)
        if failures:
            # reported, not raised: the failing results stay stored (Guardian's gates read them)
            return {"log": log, "failed": self.env._("blocking check(s) failed: %s", ", ".join(failures))}
        return {"log": log}

    def _evaluate_checks(self, checks):
        """``{check id: (passed, detail)}`` of a gate's checks: one Guardian batch when
        Guardian provides it (``_ipwb_gate_results``: one connection, a table's single-column
        checks in one scan, one scorecard refresh), else check by check."""
        if hasattr(checks, "_ipwb_gate_results"):
            return checks._ipwb_gate_results()
        return {check.id: self._evaluate_check(check) for check in checks}

    def _evaluate_check(self, check):
        """(passed, detail) of one Guardian check, run by the Guardian engine (read-only role).

        Guardian's own record method is used when it has one (``_ipwb_gate_result``);
        otherwise the check is turned into an engine ``CheckSpec`` and run with
        :func:`ipwb.guardian.runner.run_check` (generated SQL, READ ONLY, timeout).
        """
        if hasattr(check, "_ipwb_gate_result"):
            return check._ipwb_gate_result()
        try:
            if hasattr(check, "_to_check_spec"):
                spec = check._to_check_spec()
            else:
                params = {}
                for field_name in ("params", "params_json"):
                    if field_name in check._fields and check[field_name]:
                        try:
                            params = json.loads(check[field_name])
                        except ValueError:
                            params = {}
                spec = CheckSpec(
                    name=check.name,
                    table=check.table_ref,
                    check_type=check.check_type,
                    column=check.column_name or None,
                    params=params,
                    severity=check.severity,
                    blocking=check.blocking,
                )
            result = run_check(check.connection_id._warehouse_config(), spec)
        except IpwbError as exc:
            return False, str(exc)
        return (
            result.status == "pass",
            f"{result.status}: {result.message or result.failed} ({result.total} rows)",
        )

    # -- cost ------------------------------------------------------------------------------------
    def _record_cost(self, seconds, llm_usd=0.0, entry=None):
        """Price the step: compute seconds times the warehouse rate (+ LLM costs), linked to the run.

        ``entry``: the entry's run-wide values (description, user, domain, run) when the caller
        knows them (the worker, once per run: see ``ipwb.pipeline.run._cost_entry_values``)."""
        self.ensure_one()
        rate = self.env.context.get("ipwb_warehouse_rate")
        if rate is None:
            rate = self.env["ipwb.cost.price"].sudo()._rate_per_second("warehouse")
        try:
            amount = compute_cost(max(seconds, 0.0), rate, llm_usd)
        except ConfigurationError:
            amount = 0.0
        if entry is None:
            entry = self.run_id._cost_entry_values()
            entry["description"] = f"{entry['description']} / {self.step_name}"
        self.env["ipwb.cost.entry"].sudo().create(
            dict(
                entry,
                source="pipeline",
                model_name="warehouse",
                compute_seconds=max(seconds, 0.0),
                amount_usd=amount,
                res_model=self._name,
                res_id=self.id,
            )
        )
        self.cost_usd = amount
        return amount
