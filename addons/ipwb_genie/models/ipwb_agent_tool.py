# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
import json
import re

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ipwb.errors import IpwbError
from ipwb.integrations.webhook import call_webhook
from ipwb.llm.agents import ToolOutcome, ToolSpec
from ipwb.sql.params import convert
from ipwb.warehouse.execute import execute
from ipwb.warehouse.pool import process_pool

from ..services.warehouse import jsonable

#: OpenAI function names
TOOL_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")
#: rows of a SQL tool's result handed back to the model
TOOL_ROWS = 50
WEBHOOK_TIMEOUT = 30
#: bytes of a webhook tool's answer read (and handed to the model, stored on the agent step)
WEBHOOK_BYTES = 4096
DEFAULT_SCHEMA = '{"type": "object", "properties": {}, "additionalProperties": false}'


class IpwbAgentTool(models.Model):
    """Something an agent may do: call an n8n webhook, run a read-only SQL template with
    bound ``{{name}}`` parameters, start a pipeline run, or run an Odoo server action.

    The model only proposes calls: their arguments must validate against the JSON schema,
    the requester needs the tool's group, and a tool that needs approval waits for a
    human of the agent's approver group.
    """

    _name = "ipwb.agent.tool"
    _description = "Genie Agent Tool"
    _order = "name, id"

    name = fields.Char(required=True, help="Function name the model sees (letters, digits, _ and -).")
    description = fields.Text(required=True, help="Tells the model what the tool does and when to use it.")
    active = fields.Boolean(default=True)
    kind = fields.Selection(
        [
            ("sql", "SQL template (read-only)"),
            ("n8n", "n8n webhook"),
            ("pipeline", "Pipeline trigger"),
            ("server_action", "Server action"),
        ],
        required=True,
        default="sql",
    )
    sql_template = fields.Text(
        string="SQL Template", help="Parameters as {{name}}, bound, never substituted."
    )
    connection_id = fields.Many2one("ipwb.connection", string="Warehouse", ondelete="restrict")
    webhook_url = fields.Char(string="Webhook URL")
    server_action_id = fields.Many2one("ir.actions.server", string="Server Action", ondelete="restrict")
    pipeline_id = fields.Many2one(
        "ipwb.pipeline",
        string="Pipeline",
        ondelete="restrict",
        help="Pipeline a call starts, with the requester's rights (who may not run it gets an error).",
    )
    parameters_schema = fields.Text(
        string="Arguments (JSON Schema)",
        required=True,
        default=DEFAULT_SCHEMA,
        help="JSON Schema the model's arguments must satisfy before the tool runs.",
    )
    group_id = fields.Many2one(
        "res.groups", string="Required Group", help="Only users of this group are offered the tool."
    )
    needs_approval = fields.Boolean(
        help="Each call waits until a user of the agent's approver group approves it."
    )

    _sql_constraints = [("name_unique", "unique(name)", "Another tool already has this name.")]

    @api.constrains("name", "description", "parameters_schema")
    def _check_spec(self):
        for tool in self:
            if not TOOL_NAME.match(tool.name or ""):
                raise ValidationError(
                    self.env._("Tool name %s may only use letters, digits, _ and - (64 at most).", tool.name)
                )
            tool._tool_spec()

    @api.constrains("kind", "sql_template", "webhook_url", "server_action_id", "pipeline_id")
    def _check_kind(self):
        for tool in self:
            if tool.kind == "sql" and not (tool.sql_template or "").strip():
                raise ValidationError(self.env._("Tool %s needs a SQL template.", tool.name))
            if tool.kind == "n8n" and not (tool.webhook_url or "").startswith(("http://", "https://")):
                raise ValidationError(self.env._("Tool %s needs an http(s) webhook URL.", tool.name))
            if tool.kind == "server_action" and not tool.server_action_id:
                raise ValidationError(self.env._("Tool %s needs a server action.", tool.name))
            if tool.kind == "pipeline" and not tool.pipeline_id:
                raise ValidationError(self.env._("Tool %s needs a pipeline.", tool.name))

    def _schema(self):
        try:
            schema = json.loads(self.parameters_schema or "{}")
        except ValueError as exc:
            raise ValidationError(
                self.env._(
                    "The argument schema of tool %(tool)s is not JSON: %(error)s", tool=self.name, error=exc
                )
            ) from None
        if not isinstance(schema, dict) or schema.get("type") != "object":
            raise ValidationError(
                self.env._(
                    'The argument schema of tool %s must be a JSON object with "type": "object".', self.name
                )
            )
        return schema

    def _tool_spec(self):
        self.ensure_one()
        try:
            return ToolSpec(
                name=self.name,
                description=self.description or "",
                parameters=self._schema(),
                needs_approval=self.needs_approval,
                group=str(self.group_id.id) if self.group_id else "",
            )
        except IpwbError as exc:
            raise ValidationError(str(exc)) from None

    # -- execution (called by the agent graph, arguments already validated) --------------
    def _run_tool(self, env, arguments, call_id="", thread_id=""):
        """Run with ``env`` (the requester's); every failure becomes an ``IpwbError`` the
        model sees, so it may recover. ``call_id`` (the model's tool call id) is the
        idempotency key of calls leaving Odoo: a step re-executed after a crash sends the
        same key again (a pipeline run is keyed by ``thread_id`` and ``call_id``: models
        number their call ids per conversation)."""
        self.ensure_one()
        try:
            if self.kind == "sql":
                return self._run_sql(env, arguments)
            if self.kind == "n8n":
                return self._run_webhook(arguments, call_id)
            if self.kind == "pipeline":
                key = f"{thread_id}:{call_id}" if call_id else ""
                return self._run_pipeline(env, arguments, key)
            return self._run_server_action(env, arguments)
        except IpwbError:
            raise
        except (UserError, ValidationError, ValueError) as exc:
            raise IpwbError(f"Tool {self.name} failed: {exc}") from None

    def _run_sql(self, env, arguments):
        connection = self.connection_id or env["ipwb.connection"]._get_default()
        names = set(convert(self.sql_template).names)
        params = {k: v for k, v in arguments.items() if k in names}
        result = execute(
            connection._user_warehouse_config(env.user),
            self.sql_template,
            params,
            timeout_s=float(connection.statement_timeout),
            max_rows=min(connection.max_rows, TOOL_ROWS),
            pool=process_pool(),
            pool_generation=connection._pool_generation(),
        )
        rows = [
            dict(zip(result.column_names, (jsonable(v) for v in row), strict=False)) for row in result.rows
        ]
        return ToolOutcome({"rows": rows, "truncated": result.truncated})

    def _run_webhook(self, arguments, call_id=""):
        """POST through the outbound policy (allow-listed hosts only); a refusal or an HTTP
        error is an ``IpwbError`` the model sees. At most WEBHOOK_BYTES of the answer are read."""
        policy = self.env["ipwb.outbound.policy"]._ipwb_policy()
        answer = call_webhook(
            self.webhook_url,
            arguments,
            policy=policy,
            timeout_s=WEBHOOK_TIMEOUT,
            max_bytes=WEBHOOK_BYTES,
            headers={"Idempotency-Key": call_id} if call_id else None,
        )
        try:
            return ToolOutcome(answer.json())
        except ValueError:
            return ToolOutcome(answer.body)

    def _run_pipeline(self, env, arguments, call_id=""):
        """Queue a run through the pipeline addon's own API in the requester's env (its
        access checks apply: who may not run the pipeline gets the error). ``call_id`` is
        stored on the run: a step re-executed after a crash or resume finds the run its
        first execution queued and starts no second one."""
        pipeline = env["ipwb.pipeline"].browse(self.pipeline_id.id).exists()
        if not pipeline:
            raise IpwbError(f"Tool {self.name}: its pipeline no longer exists")
        pipeline.check_access("write")
        Run = env["ipwb.pipeline.run"]
        run = Run.sudo().search([("agent_call_key", "=", call_id)], limit=1) if call_id else Run
        started = not run
        if started:
            pipeline._check_runnable()
            declared = {p.get("name") for p in json.loads(pipeline.sudo().params_json or "[]")}
            params = {**pipeline._default_params(), **{k: v for k, v in arguments.items() if k in declared}}
            run = pipeline._enqueue("manual", params)
            if call_id:
                # the runs are the system's records (the pipeline addon writes them with sudo)
                run.sudo().agent_call_key = call_id
        run = run.sudo()
        return ToolOutcome(
            {"pipeline": run.pipeline_id.code, "run_id": run.id, "state": run.state, "started": started},
            (("ipwb.pipeline.run", run.id),),
        )

    def _run_server_action(self, env, arguments):
        # only browsed in the requester's env: run() reads the action as superuser but
        # checks the requester's groups and write access on the model, as from a button
        action = env["ir.actions.server"].browse(self.server_action_id.id)
        model = self.server_action_id.sudo().model_id.model
        res_id = arguments.get("res_id")
        context = {"active_model": model, "ipwb_agent_arguments": arguments}
        touched = ()
        if isinstance(res_id, int):
            record = env[model].browse(res_id).exists()
            if not record:
                raise IpwbError(f"{model} record {res_id} does not exist")
            context.update(active_id=res_id, active_ids=[res_id])
            touched = ((model, res_id),)
        result = action.with_context(**context).run()
        return ToolOutcome({"status": "done", "action": bool(result)}, touched)
