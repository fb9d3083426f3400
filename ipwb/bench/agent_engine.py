"""``ipwb bench agent``: end-to-end latency of a 3-tool agent on LangGraph against the
loopback OpenAI peer, and the runtime's own overhead per graph step (everything except
the model calls, which include LiteLLM and the peer's answer time).

Each run: the model proposes the three tools in one batch, they run, the model answers —
two model turns and three graph steps (model, tools, model).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
import uuid
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver

from ipwb.errors import IpwbError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.llm.agents.runner import AgentRunner
from ipwb.llm.agents.spec import DONE, AgentSpec, ToolOutcome, ToolSpec
from ipwb.llm.config import GatewayConfig
from ipwb.llm.gateway import Gateway
from ipwb.testing.openai_peer import OpenAIPeer

TOOLS = tuple(
    ToolSpec(
        name=name,
        description=f"Bench tool {name}",
        parameters={"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]},
    )
    for name in ("alpha", "beta", "gamma")
)
SPEC = AgentSpec("bench", "You call the tools, then answer.", TOOLS, max_steps=4)


@dataclasses.dataclass(frozen=True)
class AgentBench:
    runs: int
    checkpointer: str
    p50_ms: float
    p90_ms: float
    model_call_ms_mean: float
    overhead_per_step_ms_p50: float
    overhead_per_step_ms_p90: float
    steps_per_run: int
    #: the machine's 1/5/15-minute load average when the runs ended (the figures are noisy under load)
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)

    def lines(self) -> list[str]:
        return [
            f"agent runs: {self.runs} (3 tools, {self.steps_per_run} graph steps each, {self.checkpointer})",
            f"end to end: p50 {self.p50_ms:.1f} ms, p90 {self.p90_ms:.1f} ms",
            f"model call (LiteLLM + loopback peer): mean {self.model_call_ms_mean:.1f} ms",
            "runtime overhead per step (all but model calls): "
            f"p50 {self.overhead_per_step_ms_p50:.2f} ms, p90 {self.overhead_per_step_ms_p90:.2f} ms"
            " (goal < 20 ms)",
            "load average (1/5/15 min): " + " / ".join(f"{value:.2f}" for value in self.load_average),
        ]


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def bench_agent(runs: int, checkpointer: BaseCheckpointSaver[Any] | None = None) -> AgentBench:
    saver = checkpointer or InMemorySaver()
    with OpenAIPeer() as peer:
        entry = {
            "name": "peer",
            "model": "openai/peer",
            "api_base": peer.base_url,
            "api_key": "sk-bench",
            "max_retries": 0,
        }
        gateway = Gateway(
            GatewayConfig.from_data({"models": [entry], "retry_backoff": 0, "cache_ttl": 0}),
            outbound=OutboundPolicy.from_entries([peer.base_url]),
        )
        model_time = [0.0]
        complete = gateway.complete

        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return complete(*args, **kwargs)
            finally:
                model_time[0] += time.perf_counter() - started

        setattr(gateway, "complete", timed)  # noqa: B010 - time the model calls apart

        def handler(tool: ToolSpec, arguments: dict[str, Any], call_id: str) -> ToolOutcome:
            return ToolOutcome({"tool": tool.name, "n": arguments["n"]})

        runner = AgentRunner(SPEC, gateway, handler, checkpointer=saver)
        totals: list[float] = []
        overheads: list[float] = []
        model_calls: list[float] = []
        steps = 3
        for index in range(runs + 1):  # the first run warms imports and caches up: not counted
            peer.tool_calls(*((t.name, {"n": index}) for t in TOOLS))
            peer.reply(f"done {index}")
            model_time[0] = 0.0
            started = time.perf_counter()
            view = runner.start("Call the tools", user="bench", run_id=uuid.uuid4().hex)
            total = time.perf_counter() - started
            if view.status != DONE:
                raise IpwbError(f"bench run ended {view.status}: {view.error}")
            if index:
                totals.append(total * 1000)
                model_calls.append(model_time[0] * 1000 / 2)
                overheads.append((total - model_time[0]) * 1000 / steps)
    return AgentBench(
        runs=runs,
        checkpointer=type(saver).__name__,
        p50_ms=_quantile(totals, 0.5),
        p90_ms=_quantile(totals, 0.9),
        model_call_ms_mean=statistics.fmean(model_calls),
        overhead_per_step_ms_p50=_quantile(overheads, 0.5),
        overhead_per_step_ms_p90=_quantile(overheads, 0.9),
        steps_per_run=steps,
        load_average=os.getloadavg(),
    )
