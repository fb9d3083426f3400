"""The agent as an explicit LangGraph ``StateGraph``.

``model`` → (route) → ``ask`` → ``approval`` → ``tools`` → ``model`` …, ending when the
model calls no tool. The model node calls the gateway (LiteLLM, budgets, traces) and
validates the proposed calls there and then: a tool the user's groups do not allow, JSON
that does not parse or arguments outside the tool's schema go straight back to the model
as tool errors; the rest wait in ``queue``. If any queued call needs approval, ``ask``
records the request and ``approval`` interrupts *once for the whole batch, before any call
ran* — LangGraph re-executes an interrupted node from its start on resume, so that node
has no side effect before :func:`~langgraph.types.interrupt`. ``tools`` runs the queue,
passing each call id to the handler as its idempotency key.

Every node returns its trace steps in the state (``steps``), so a node update *is* its
trace: the runner forwards them to the gateway's sinks as they stream.
"""

from __future__ import annotations

import dataclasses
import json
import operator
from collections.abc import Collection, Mapping
from typing import Annotated, Any, TypedDict

from langchain_core.messages import AnyMessage, convert_to_openai_messages
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.types import interrupt

from ipwb.errors import IpwbError
from ipwb.llm.agents.spec import (
    DONE,
    FAILED,
    FINAL_STATES,
    REFUSED,
    STEP_LIMIT,
    AgentSpec,
    ToolHandler,
    ToolSpec,
)
from ipwb.llm.backend import ToolCall
from ipwb.llm.errors import BudgetExceeded
from ipwb.llm.gateway import Gateway, SessionBudget
from ipwb.llm.records import TraceStep


class AgentState(TypedDict, total=False):
    messages: Annotated[list[AnyMessage], add_messages]
    run_id: str
    user: str
    status: str
    answer: str
    error: str
    model_turns: int
    cost_usd: float
    #: validated calls of the last model turn not run yet: {"id", "name", "arguments", "approval"}
    queue: list[dict[str, Any]]
    steps: Annotated[list[dict[str, Any]], operator.add]


@dataclasses.dataclass
class AgentRuntime:
    """What the nodes need besides the state; rebuilt by every process that drives a run."""

    spec: AgentSpec
    gateway: Gateway
    handler: ToolHandler
    user_groups: Collection[str] = ()
    budget: SessionBudget | None = None

    @property
    def tools(self) -> dict[str, ToolSpec]:
        """The tools the *user* may use: the others are neither offered nor run."""
        return {t.name: t for t in self.spec.tools if not t.group or t.group in self.user_groups}


class _Steps:
    """Trace steps of one node update, indexed after those already in the state."""

    def __init__(self, runtime: AgentRuntime, state: AgentState) -> None:
        self.agent = runtime.spec.name
        self.run_id = state.get("run_id", "")
        self.user = state.get("user", "")
        self.first = len(state.get("steps") or ())
        self.items: list[dict[str, Any]] = []

    def add(self, kind: str, **fields: Any) -> None:
        step = TraceStep(
            run_id=self.run_id,
            index=self.first + len(self.items),
            kind=kind,
            user=self.user,
            agent=self.agent,
            **fields,
        )
        self.items.append(step.as_dict())


def tool_message(call_id: str, output: Any) -> dict[str, Any]:
    text = output if isinstance(output, str) else json.dumps(output, default=str)
    return {"role": "tool", "tool_call_id": call_id, "content": text}


def summary(tool: ToolSpec | None, name: str, arguments: Mapping[str, Any]) -> str:
    """One line for the approver: what would run, with which arguments.

    >>> summary(None, "post", {"amount": 15})
    'post(amount=15)'
    """
    args = ", ".join(f"{k}={json.dumps(v, default=str)}" for k, v in arguments.items())
    head = f"{name}({args})"
    return f"{head}: {tool.description}" if tool and tool.description else head


class _Nodes:
    """The graph's nodes and routes, bound to one runtime."""

    def __init__(self, runtime: AgentRuntime) -> None:
        self.runtime = runtime

    def model(self, state: AgentState) -> dict[str, Any]:
        steps = _Steps(self.runtime, state)
        turns = state.get("model_turns", 0)
        if turns >= self.runtime.spec.max_steps:
            error = f"Stopped after {self.runtime.spec.max_steps} model steps without a final answer"
            steps.add(STEP_LIMIT, error=error)
            return {"status": STEP_LIMIT, "error": error, "steps": steps.items}
        tools = self.runtime.tools
        if self.runtime.budget is not None:  # the spending so far lives in the state, not the process
            self.runtime.budget.spent = state.get("cost_usd", 0.0)
        try:
            result = self.runtime.gateway.complete(
                convert_to_openai_messages(state["messages"]),
                user=state.get("user", ""),
                feature=f"agent:{self.runtime.spec.name}",
                tools=[t.as_openai() for t in tools.values()] or None,
                model=self.runtime.spec.model,
                session=self.runtime.budget,
                use_cache=False,
                metadata={"run_id": state.get("run_id", "")},
            )
        except BudgetExceeded as exc:
            steps.add("refused", error=str(exc))
            return {"status": REFUSED, "error": str(exc), "steps": steps.items}
        except IpwbError as exc:
            steps.add(FAILED, error=str(exc))
            return {"status": FAILED, "error": str(exc), "steps": steps.items}
        update: dict[str, Any] = {
            "model_turns": turns + 1,
            "cost_usd": state.get("cost_usd", 0.0) + result.cost_usd,
        }
        steps.add(
            "model",
            output=result.completion.response_text(),
            call_ids=(result.call_id,),
            cost_usd=result.cost_usd,
        )
        if not result.tool_calls:
            steps.add("final", output=result.content)
            update.update(status=DONE, answer=result.content, queue=[], steps=steps.items)
            update["messages"] = [{"role": "assistant", "content": result.content}]
            return update
        queue: list[dict[str, Any]] = []
        refusals: list[dict[str, Any]] = []
        parts: list[dict[str, Any]] = []
        for call in result.tool_calls:
            arguments, error = _validate(tools, call)
            # convert_to_messages needs JSON arguments; the refusal tells the model what was wrong
            parts.append(ToolCall(call.id, call.name, json.dumps(arguments or {})).as_message_part())
            if error:
                steps.add("tool_error", tool=call.name, error=error)
                refusals.append(tool_message(call.id, {"error": error}))
                continue
            approval = tools[call.name].needs_approval
            queue.append({"id": call.id, "name": call.name, "arguments": arguments, "approval": approval})
        assistant = {"role": "assistant", "content": result.content or "", "tool_calls": parts}
        update.update(messages=[assistant, *refusals], queue=queue, steps=steps.items)
        return update

    def route(self, state: AgentState) -> str:
        if state.get("status") in FINAL_STATES:
            return END
        queue = state.get("queue") or []
        if not queue:
            return "model"
        return "ask" if any(c["approval"] for c in queue) else "tools"

    def ask(self, state: AgentState) -> dict[str, Any]:
        steps = _Steps(self.runtime, state)
        for call in state.get("queue") or []:
            if call["approval"]:
                steps.add("approval_wait", tool=call["name"], arguments=call["arguments"])
        return {"steps": steps.items}

    def approval(self, state: AgentState) -> dict[str, Any]:
        queue = state.get("queue") or []
        tools = self.runtime.tools
        waiting = [c for c in queue if c["approval"]]
        # nothing before this line may have a side effect: the node restarts on resume
        decision = interrupt(
            {
                "calls": [
                    {
                        "id": c["id"],
                        "tool": c["name"],
                        "arguments": c["arguments"],
                        "summary": summary(tools.get(c["name"]), c["name"], c["arguments"]),
                    }
                    for c in waiting
                ]
            }
        )
        approved, approver, reason = _decision(decision)
        steps = _Steps(self.runtime, state)
        if approved:
            for call in waiting:
                steps.add("approved", tool=call["name"], arguments=call["arguments"], output=approver)
            return {"queue": [{**c, "approval": False} for c in queue], "steps": steps.items}
        why = reason or "no reason given"
        messages = []
        for call in waiting:
            steps.add("rejected", tool=call["name"], arguments=call["arguments"], error=why, output=approver)
            messages.append(
                tool_message(call["id"], {"error": f"The call was rejected by {approver}: {why}"})
            )
        rest = [c for c in queue if not c["approval"]]
        return {"queue": rest, "messages": messages, "steps": steps.items}

    def after_approval(self, state: AgentState) -> str:
        return "tools" if state.get("queue") else "model"

    def tools_node(self, state: AgentState) -> dict[str, Any]:
        steps = _Steps(self.runtime, state)
        allowed = self.runtime.tools
        messages = []
        for call in state.get("queue") or []:
            tool = allowed.get(call["name"])
            if tool is None:  # the user lost the group while the call waited
                error = f"tool {call['name']!r} is no longer permitted for this user"
                steps.add("tool_error", tool=call["name"], error=error)
                messages.append(tool_message(call["id"], {"error": error}))
                continue
            try:
                outcome = self.runtime.handler(tool, call["arguments"], call["id"])
            except IpwbError as exc:  # tool failures go back to the model, which may recover
                steps.add("tool_error", tool=tool.name, arguments=call["arguments"], error=str(exc))
                messages.append(tool_message(call["id"], {"error": str(exc)}))
                continue
            message = tool_message(call["id"], outcome.output)
            messages.append(message)
            steps.add(
                "tool",
                tool=tool.name,
                arguments=call["arguments"],
                output=message["content"],
                touched=tuple(outcome.touched),
            )
        return {"queue": [], "messages": messages, "steps": steps.items}


def build_graph(runtime: AgentRuntime) -> StateGraph[AgentState]:
    """The agent's graph, not compiled: the caller compiles it with its checkpointer."""
    nodes = _Nodes(runtime)
    graph = StateGraph(AgentState)
    graph.add_node("model", nodes.model)
    graph.add_node("ask", nodes.ask)
    graph.add_node("approval", nodes.approval)
    graph.add_node("tools", nodes.tools_node)
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", nodes.route, ["model", "ask", "tools", END])
    graph.add_edge("ask", "approval")
    graph.add_conditional_edges("approval", nodes.after_approval, ["tools", "model"])
    graph.add_edge("tools", "model")
    return graph


def _validate(tools: Mapping[str, ToolSpec], call: ToolCall) -> tuple[Any, str]:
    """(arguments, "") for a call that may run, else (parsed arguments or None, the error)."""
    tool = tools.get(call.name)
    if tool is None:
        return None, f"unknown tool {call.name!r} (or not permitted for this user)"
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError as exc:
        return None, f"arguments are not valid JSON: {exc}"
    problems = tool.validation_errors(arguments)
    if problems:
        return (arguments if isinstance(arguments, dict) else None), "invalid arguments: " + "; ".join(
            problems
        )
    return arguments, ""


def _decision(value: Any) -> tuple[bool, str, str]:
    """The resume value: ``{"approved": bool, "approver": str, "reason": str}``."""
    if not isinstance(value, Mapping) or not isinstance(value.get("approved"), bool):
        raise IpwbError(f"An approval decision must be {{'approved': true|false, ...}}, not {value!r}")
    return value["approved"], str(value.get("approver") or "?"), str(value.get("reason") or "")
