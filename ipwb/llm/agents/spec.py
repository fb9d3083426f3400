"""Agents as plain data: tools, the agent, what a tool handler returns, run states.

Nothing the model says is trusted: a tool must be one the user's groups allow, its
arguments must validate against the tool's JSON schema, and a tool marked
``needs_approval`` runs only after a human approved the call (see :mod:`.graph`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Any

import jsonschema

from ipwb.errors import ConfigurationError

DONE, WAITING, STEP_LIMIT, REFUSED, FAILED = "done", "waiting_approval", "step_limit", "refused", "failed"
RUNNING = "running"
#: states a run never leaves
FINAL_STATES = frozenset({DONE, STEP_LIMIT, REFUSED, FAILED})


@dataclasses.dataclass(frozen=True)
class ToolSpec:
    """A tool as plain data: what the model sees, plus the rules the runtime enforces."""

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


#: ``handler(tool, arguments, call_id)``: ``call_id`` is the model's tool call id, stable
#: across a resume, so a tool that calls out uses it as its idempotency key.
ToolHandler = Callable[[ToolSpec, dict[str, Any], str], ToolOutcome]


@dataclasses.dataclass(frozen=True)
class AgentSpec:
    name: str
    system_prompt: str
    tools: tuple[ToolSpec, ...] = ()
    model: str | None = None
    max_steps: int = 8

    @property
    def recursion_limit(self) -> int:
        """LangGraph supersteps a run may take: at most four per model turn (model,
        approval request, approval, tools) plus the closing model turn — a backstop
        behind the explicit ``max_steps`` count (LangGraph's own default is 10000).

        >>> AgentSpec("a", "p", max_steps=3).recursion_limit
        17
        """
        return 4 * self.max_steps + 5
