"""What the gateway and the agent loop report, and where it goes.

Every model attempt (including refusals and cache hits) becomes a :class:`CallRecord`;
every agent step becomes a :class:`TraceStep`. They are delivered to *sinks*: the Odoo side
implements one that writes the cost ledger and the trace model, tests use
:class:`MemorySink`, and :mod:`ipwb.llm.langfuse_sink` exports to Langfuse. A failing sink
is logged and skipped: observability must never break the feature being observed.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

_logger = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class CallRecord:
    """One attempt at one model (or a refusal / cache hit, which reach no model)."""

    call_id: str
    attempt: int
    user: str
    feature: str
    prompt: Sequence[Mapping[str, Any]]
    #: configured entry name and litellm model string; empty for refusals
    model_name: str = ""
    model: str = ""
    response: str = ""
    tokens_in: int = 0
    tokens_out: int = 0
    latency_ms: float = 0.0
    cost_usd: float = 0.0
    #: "litellm", "override", "unknown" (no price known), or "none" (no call made)
    cost_source: str = "none"
    error: str = ""
    #: "", "timeout", "connection", "server", "rate_limited", "client", "refused", …
    error_kind: str = ""
    cached: bool = False
    session: str = ""
    started_at: float = 0.0
    metadata: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.error

    def as_dict(self) -> dict[str, Any]:
        """Plain data for persistence (JSON-serialisable if the prompt is)."""
        data = dataclasses.asdict(self)
        data["prompt"] = [dict(m) for m in self.prompt]
        data["metadata"] = dict(self.metadata)
        return data


@dataclasses.dataclass(frozen=True)
class TraceStep:
    """One step of an agent run: a model turn, a tool call, an approval, or the end."""

    run_id: str
    index: int
    #: "model", "tool", "tool_error", "approval_wait", "approved", "rejected", "final",
    #: "refused" (budget), "step_limit", "failed"
    kind: str
    user: str
    agent: str
    tool: str = ""
    arguments: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    output: str = ""
    error: str = ""
    call_ids: tuple[str, ...] = ()
    #: records the step touched, as (model, id) pairs given back by the tool
    touched: tuple[tuple[str, int], ...] = ()
    cost_usd: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["arguments"] = dict(self.arguments)
        data["call_ids"] = list(self.call_ids)
        data["touched"] = [list(t) for t in self.touched]
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> TraceStep:
        fields = dict(data)
        fields["call_ids"] = tuple(fields.get("call_ids") or ())
        fields["touched"] = tuple((str(m), int(i)) for m, i in fields.get("touched") or ())
        return cls(**fields)


@runtime_checkable
class Sink(Protocol):
    """Receives records; implement either or both methods (see :class:`BaseSink`)."""

    def record_call(self, record: CallRecord) -> None: ...

    def record_step(self, step: TraceStep) -> None: ...


class BaseSink:
    """No-op defaults so a sink only implements what it stores."""

    def record_call(self, record: CallRecord) -> None:
        return None

    def record_step(self, step: TraceStep) -> None:
        return None


class MemorySink(BaseSink):
    """Keeps everything in lists: tests, the CLI, and the "test agent" playground."""

    def __init__(self) -> None:
        self.calls: list[CallRecord] = []
        self.steps: list[TraceStep] = []

    def record_call(self, record: CallRecord) -> None:
        self.calls.append(record)

    def record_step(self, step: TraceStep) -> None:
        self.steps.append(step)

    @property
    def total_cost(self) -> float:
        return sum(c.cost_usd for c in self.calls)


class SinkFanout:
    """Delivers to several sinks, isolating each from the others' failures."""

    def __init__(self, sinks: Iterable[Sink] = ()) -> None:
        self.sinks: list[Sink] = list(sinks)

    def add(self, sink: Sink) -> None:
        self.sinks.append(sink)

    def call(self, record: CallRecord) -> None:
        for sink in self.sinks:
            try:
                sink.record_call(record)
            except Exception:  # a sink bug must not fail the user's request
                _logger.exception("LLM call sink %s failed", type(sink).__name__)

    def step(self, step: TraceStep) -> None:
        for sink in self.sinks:
            try:
                sink.record_step(step)
            except Exception:
                _logger.exception("LLM trace sink %s failed", type(sink).__name__)
