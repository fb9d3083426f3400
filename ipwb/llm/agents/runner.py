"""Drive an agent graph: start a run, resume it after an approval, read its state.

The runner holds no run state: everything lives in the checkpointer under the run's
thread id, so the process that resumes a run (another worker, after a restart) only needs
the same agent definition and a checkpointer on the same store.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Iterator
from typing import Any

from langchain_core.messages import convert_to_openai_messages
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.errors import GraphRecursionError
from langgraph.graph import StateGraph
from langgraph.types import Command

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.llm.agents.custom import GraphFactory
from ipwb.llm.agents.graph import AgentRuntime, build_graph
from ipwb.llm.agents.spec import FAILED, RUNNING, WAITING, AgentSpec, ToolHandler
from ipwb.llm.gateway import Gateway, SessionBudget
from ipwb.llm.records import TraceStep


@dataclasses.dataclass(frozen=True)
class RunView:
    """A run as its checkpoint holds it."""

    run_id: str
    status: str
    answer: str = ""
    error: str = ""
    cost_usd: float = 0.0
    model_turns: int = 0
    #: calls waiting for approval: {"id", "tool", "arguments", "summary"}
    pending: tuple[dict[str, Any], ...] = ()
    steps: tuple[TraceStep, ...] = ()
    messages: tuple[dict[str, Any], ...] = ()


class AgentRunner:
    def __init__(
        self,
        spec: AgentSpec,
        gateway: Gateway,
        handler: ToolHandler,
        *,
        checkpointer: BaseCheckpointSaver[Any],
        user_groups: Collection[str] = (),
        budget: SessionBudget | None = None,
        graph_factory: GraphFactory | None = None,
    ) -> None:
        self.spec = spec
        self.gateway = gateway
        runtime = AgentRuntime(spec, gateway, handler, user_groups, budget)
        graph = (graph_factory or build_graph)(runtime)
        if not isinstance(graph, StateGraph):
            raise ConfigurationError(
                f"Agent {spec.name!r}: the graph must be an uncompiled StateGraph, not {type(graph).__name__}"
            )
        self.graph = graph.compile(checkpointer=checkpointer)

    def _config(self, run_id: str) -> Any:
        return {"configurable": {"thread_id": run_id}, "recursion_limit": self.spec.recursion_limit}

    def start(self, message: str, *, user: str, run_id: str) -> RunView:
        self.gateway.require_model()
        if self.graph.get_state(self._config(run_id)).values:
            raise IpwbError(f"Agent run {run_id} already started")
        state = {
            "messages": [
                {"role": "system", "content": self.spec.system_prompt},
                {"role": "user", "content": message},
            ],
            "run_id": run_id,
            "user": user,
            "status": RUNNING,
            "model_turns": 0,
            "cost_usd": 0.0,
            "queue": [],
            "steps": [],
        }
        return self._drive(state, run_id)

    def resume(self, run_id: str, *, approved: bool, approver: str, reason: str = "") -> RunView:
        """Approve (the batch runs) or reject (the model is told why) the waiting calls."""
        current = self.view(run_id)
        if current.status != WAITING:
            raise IpwbError(f"Agent run {run_id} is not waiting for an approval (status {current.status})")
        self.gateway.require_model()
        decision = {"approved": approved, "approver": approver, "reason": reason}
        return self._drive(Command(resume=decision), run_id)

    def view(self, run_id: str) -> RunView:
        snapshot = self.graph.get_state(self._config(run_id))
        values = snapshot.values or {}
        pending = tuple(call for item in snapshot.interrupts for call in (item.value or {}).get("calls", ()))
        status = WAITING if pending else values.get("status", "")
        if status == RUNNING and not snapshot.next:
            status = FAILED
        return RunView(
            run_id=run_id,
            status=status or "unknown",
            answer=values.get("answer", ""),
            error=values.get("error", ""),
            cost_usd=values.get("cost_usd", 0.0),
            model_turns=values.get("model_turns", 0),
            pending=pending,
            steps=tuple(TraceStep.from_dict(s) for s in values.get("steps") or ()),
            messages=tuple(convert_to_openai_messages(values.get("messages") or [])),
        )

    def _drive(self, graph_input: Any, run_id: str) -> RunView:
        config = self._config(run_id)
        try:
            for step in self._stream(graph_input, config):
                self.gateway.sinks.step(step)
        except GraphRecursionError:
            error = f"Stopped after {self.spec.recursion_limit} graph steps (recursion limit)"
            self.graph.update_state(config, {"status": FAILED, "error": error})
        return self.view(run_id)

    def _stream(self, graph_input: Any, config: Any) -> Iterator[TraceStep]:
        """Each node update's trace steps, as the node finishes."""
        for chunk in self.graph.stream(graph_input, config, stream_mode="updates"):
            for node, update in chunk.items():
                if node.startswith("__") or not isinstance(update, dict):
                    continue
                for data in update.get("steps") or ():
                    yield TraceStep.from_dict(data)
