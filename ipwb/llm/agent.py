"""Agents: a bounded tool-calling loop with argument validation and human approval.

The model proposes tool calls; nothing it says is trusted: a tool must be one the user's
groups allow, its arguments must validate against the tool's JSON schema, and a tool marked
``needs_approval`` does not run at all — the run stops in ``waiting_approval`` with the
pending call, is stored by the caller (:meth:`AgentRun.to_dict`), and continues with
:meth:`AgentRunner.resume` once a human approved or rejected it. Every model turn and tool
call becomes a :class:`~ipwb.llm.records.TraceStep` delivered to the gateway's sinks.
The loop stops after ``max_steps`` model turns and when a budget refuses a call.

What a tool *does* is the caller's: the Odoo side dispatches n8n webhooks, SQL templates
and server actions through the ``handler`` callable.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

import jsonschema

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.llm.backend import ToolCall
from ipwb.llm.errors import BudgetExceeded
from ipwb.llm.gateway import Gateway, SessionBudget
from ipwb.llm.records import TraceStep

DONE, WAITING, STEP_LIMIT, REFUSED, FAILED = "done", "waiting_approval", "step_limit", "refused", "failed"


@dataclasses.dataclass(frozen=True)
class ToolSpec:
    """A tool as plain data: what the model sees, plus the rules the loop enforces."""

    name: str
    description: str
    parameters: Mapping[str, Any] = dataclasses.field(
        default_factory=lambda: {"type": "object", "properties": {}}
    )
    needs_approval: bool = False
    #: group the *user* needs for the tool to be offered at all ("" = everyone)
    group: str = ""

    def __post_init__(self) -> None:
        try:
            jsonschema.Draft202012Validator.check_schema(dict(self.parameters))
        except jsonschema.SchemaError as exc:
            raise ConfigurationError(
                f"Tool {self.name!r} has an invalid argument schema: {exc.message}"
            ) from None

    def as_openai(self) -> dict[str, Any]:
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": dict(self.parameters),
            },
        }

    def validation_errors(self, arguments: Any) -> list[str]:
        validator = jsonschema.Draft202012Validator(dict(self.parameters))
        errors = sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]


@dataclasses.dataclass(frozen=True)
class ToolOutcome:
    """What a handler returns: JSON-serialisable output and the records it touched."""

    output: Any
    touched: tuple[tuple[str, int], ...] = ()


ToolHandler = Callable[[ToolSpec, dict[str, Any]], ToolOutcome]


@dataclasses.dataclass(frozen=True)
class AgentSpec:
    name: str
    system_prompt: str
    tools: tuple[ToolSpec, ...] = ()
    model: str | None = None
    max_steps: int = 8


@dataclasses.dataclass
class AgentRun:
    """The whole state of a run; plain data so a waiting run can be stored and resumed."""

    run_id: str
    agent: str
    user: str
    status: str = "running"
    messages: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    steps: list[TraceStep] = dataclasses.field(default_factory=list)
    #: tool calls of the current model turn not handled yet; the first is pending if waiting
    queue: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    model_turns: int = 0
    answer: str = ""
    error: str = ""
    cost_usd: float = 0.0

    @property
    def pending(self) -> dict[str, Any] | None:
        """The call waiting for approval: ``{"id", "name", "arguments"}``."""
        return self.queue[0] if self.status == WAITING and self.queue else None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["steps"] = [s.as_dict() for s in self.steps]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgentRun:
        fields = dict(data)
        fields["steps"] = [TraceStep.from_dict(s) for s in fields.get("steps") or []]
        return cls(**fields)


class AgentRunner:
    def __init__(
        self,
        spec: AgentSpec,
        gateway: Gateway,
        handler: ToolHandler,
        *,
        user_groups: Collection[str] = (),
        budget: SessionBudget | None = None,
    ) -> None:
        self.spec = spec
        self.gateway = gateway
        self.handler = handler
        self.budget = budget
        self.tools = {t.name: t for t in spec.tools if not t.group or t.group in user_groups}

    def start(self, message: str, *, user: str, run_id: str | None = None) -> AgentRun:
        self.gateway.require_model()
        run = AgentRun(run_id or uuid.uuid4().hex, self.spec.name, user)
        run.messages = [
            {"role": "system", "content": self.spec.system_prompt},
            {"role": "user", "content": message},
        ]
        return self._continue(run)

    def resume(self, run: AgentRun, *, approved: bool, approver: str, reason: str = "") -> AgentRun:
        """Run (approved) or refuse (rejected) the pending call, then carry on."""
        pending = run.pending
        if pending is None:
            raise IpwbError(f"Agent run {run.run_id} is not waiting for an approval (status {run.status})")
        run.queue.pop(0)
        run.status = "running"
        tool = self.tools.get(pending["name"])
        if approved and tool is not None:
            self._step(run, "approved", tool=pending["name"], arguments=pending["arguments"], output=approver)
            self._execute(run, tool, pending["id"], pending["arguments"])
        elif approved:
            self._reject(run, pending, f"tool {pending['name']!r} is no longer permitted for this user")
        else:
            why = reason or "no reason given"
            self._step(run, "rejected", tool=pending["name"], arguments=pending["arguments"], error=why)
            self._tool_message(run, pending["id"], {"error": f"The call was rejected by {approver}: {why}"})
        return self._continue(run)

    # -- the loop --------------------------------------------------------------------------
    def _continue(self, run: AgentRun) -> AgentRun:
        if not self._drain_queue(run):
            return run
        offered = [t.as_openai() for t in self.tools.values()] or None
        while run.model_turns < self.spec.max_steps:
            run.model_turns += 1
            try:
                result = self.gateway.complete(
                    run.messages,
                    user=run.user,
                    feature=f"agent:{self.spec.name}",
                    tools=offered,
                    model=self.spec.model,
                    session=self.budget,
                    use_cache=False,
                    metadata={"run_id": run.run_id},
                )
            except BudgetExceeded as exc:
                return self._stop(run, REFUSED, str(exc))
            except IpwbError as exc:
                return self._stop(run, FAILED, str(exc))
            run.cost_usd += result.cost_usd
            run.messages.append(result.completion.assistant_message())
            self._step(
                run,
                "model",
                output=result.completion.response_text(),
                call_ids=(result.call_id,),
                cost=result.cost_usd,
            )
            if not result.tool_calls:
                run.answer = result.content
                run.status = DONE
                self._step(run, "final", output=result.content)
                return run
            run.queue = [_call_dict(c) for c in result.tool_calls]
            if not self._drain_queue(run):
                return run
        return self._stop(
            run, STEP_LIMIT, f"Stopped after {self.spec.max_steps} model steps without a final answer"
        )

    def _drain_queue(self, run: AgentRun) -> bool:
        """Handle queued calls in order; False when one waits for approval."""
        while run.queue:
            call = run.queue[0]
            tool = self.tools.get(call["name"])
            if tool is None:
                run.queue.pop(0)
                self._reject(run, call, f"unknown tool {call['name']!r} (or not permitted for this user)")
                continue
            try:
                arguments = json.loads(call["raw_arguments"] or "{}")
            except ValueError as exc:
                run.queue.pop(0)
                self._reject(run, call, f"arguments are not valid JSON: {exc}")
                continue
            problems = tool.validation_errors(arguments)
            if problems:
                run.queue.pop(0)
                self._reject(run, call, "invalid arguments: " + "; ".join(problems))
                continue
            call["arguments"] = arguments
            if tool.needs_approval:
                run.status = WAITING
                self._step(run, "approval_wait", tool=tool.name, arguments=arguments)
                return False
            run.queue.pop(0)
            self._execute(run, tool, call["id"], arguments)
        return True

    def _execute(self, run: AgentRun, tool: ToolSpec, call_id: str, arguments: dict[str, Any]) -> None:
        try:
            outcome = self.handler(tool, arguments)
        except IpwbError as exc:  # tool failures go back to the model, which may recover
            self._step(run, "tool_error", tool=tool.name, arguments=arguments, error=str(exc))
            self._tool_message(run, call_id, {"error": str(exc)})
            return
        text = self._tool_message(run, call_id, outcome.output)
        self._step(run, "tool", tool=tool.name, arguments=arguments, output=text, touched=outcome.touched)

    def _reject(self, run: AgentRun, call: Mapping[str, Any], error: str) -> None:
        self._step(run, "tool_error", tool=str(call["name"]), error=error)
        self._tool_message(run, str(call["id"]), {"error": error})

    def _tool_message(self, run: AgentRun, call_id: str, output: Any) -> str:
        text = output if isinstance(output, str) else json.dumps(output, default=str)
        run.messages.append({"role": "tool", "tool_call_id": call_id, "content": text})
        return text

    def _stop(self, run: AgentRun, status: str, error: str) -> AgentRun:
        run.status, run.error = status, error
        self._step(run, "refused" if status == REFUSED else status, error=error)
        return run

    def _step(
        self,
        run: AgentRun,
        kind: str,
        *,
        tool: str = "",
        arguments: Mapping[str, Any] | None = None,
        output: str = "",
        error: str = "",
        call_ids: Sequence[str] = (),
        touched: Sequence[tuple[str, int]] = (),
        cost: float = 0.0,
    ) -> None:
        step = TraceStep(
            run_id=run.run_id,
            index=len(run.steps),
            kind=kind,
            user=run.user,
            agent=run.agent,
            tool=tool,
            arguments=dict(arguments or {}),
            output=output,
            error=error,
            call_ids=tuple(call_ids),
            touched=tuple(touched),
            cost_usd=cost,
        )
        run.steps.append(step)
        self.gateway.sinks.step(step)


def _call_dict(call: ToolCall) -> dict[str, Any]:
    return {"id": call.id, "name": call.name, "raw_arguments": call.arguments, "arguments": {}}
