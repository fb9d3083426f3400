"""Agents on LangGraph: a tool-calling graph with validated arguments, group-permitted
tools, one human approval per batch of calls, budgets, traces and durable checkpoints.

- :mod:`.spec` — tools and agents as plain data
- :mod:`.graph` — the ``StateGraph`` (model → route → approval → tools → model)
- :mod:`.runner` — start / resume / view a run by its thread id
- :mod:`.checkpoint` — a ``PostgresSaver`` in its own schema, on a lazily opened pool
"""

from ipwb.llm.agents.runner import AgentRunner, RunView
from ipwb.llm.agents.spec import (
    DONE,
    FAILED,
    FINAL_STATES,
    REFUSED,
    RUNNING,
    STEP_LIMIT,
    WAITING,
    AgentSpec,
    ToolHandler,
    ToolOutcome,
    ToolSpec,
)

__all__ = [
    "DONE",
    "FAILED",
    "FINAL_STATES",
    "REFUSED",
    "RUNNING",
    "STEP_LIMIT",
    "WAITING",
    "AgentRunner",
    "AgentSpec",
    "RunView",
    "ToolHandler",
    "ToolOutcome",
    "ToolSpec",
]
