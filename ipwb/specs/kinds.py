"""Registry of pipeline step kinds and the warehouse layers specs may name.

Why a registry: the pipeline schema cannot enumerate step kinds, because addons add their
own (``ipwb_finance_bir`` may add a BIR export step). Each kind brings a JSON Schema for its
``config``; spec validation looks the kind up here and validates the config against it, so
a new kind is one :func:`register_step_kind` call away, in the engine or in an addon.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ipwb.errors import ConfigurationError

#: warehouse layers, in data-flow order (also the warehouse schema names)
LAYERS: tuple[str, ...] = ("bronze", "silver", "gold", "platinum")
IDENTIFIER = r"[a-z][a-z0-9_]*"
#: ``layer.table`` references used by steps and domains
TABLE_REF_PATTERN = rf"^({'|'.join(LAYERS)})\.{IDENTIFIER}$"


#: extra config check beyond JSON Schema: returns (path inside config, message) pairs
ConfigCheck = Callable[[Mapping[str, Any]], list[tuple[tuple[str | int, ...], str]]]


@dataclass(frozen=True)
class StepKind:
    """A step kind: its name, what it does, the JSON Schema of its ``config``, and an
    optional ``check`` for rules JSON Schema expresses poorly (run only on schema-valid config).
    """

    name: str
    description: str
    config_schema: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})
    check: ConfigCheck | None = None


def _one_sql_source(config: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    given = [k for k in ("sql", "file") if k in config]
    if len(given) == 1:
        return []
    if not given:
        return [((), "an sql step needs `sql` (inline SQL) or `file` (a path under specs/)")]
    return [(("file",), "give either `sql` or `file`, not both")]


_lock = threading.Lock()
_registry: dict[str, StepKind] = {}


def register_step_kind(kind: StepKind, *, replace: bool = False) -> StepKind:
    """Add a step kind; re-registering a name needs ``replace=True`` (no silent override)."""
    with _lock:
        if kind.name in _registry and not replace:
            raise ConfigurationError(f"step kind {kind.name!r} is already registered")
        _registry[kind.name] = kind
    return kind


def unregister_step_kind(name: str) -> None:
    """Remove a step kind (tests, addon uninstall)."""
    with _lock:
        _registry.pop(name, None)


def step_kinds() -> Mapping[str, StepKind]:
    """A read-only snapshot of the registered kinds."""
    with _lock:
        return MappingProxyType(dict(_registry))


def _object(properties: Mapping[str, Any], *, required: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        "type": "object",
        "properties": dict(properties),
        "required": list(required),
        "additionalProperties": False,
    }


_TABLE_REF = {"type": "string", "pattern": TABLE_REF_PATTERN}
_TEXT = {"type": "string", "minLength": 1}

BUILTIN_KINDS: tuple[StepKind, ...] = (
    StepKind(
        "sql",
        "SQL executed in the warehouse (exactly one of `sql` or `file`); lineage is recorded",
        _object(
            {
                "sql": _TEXT,
                "file": _TEXT,
                "target": _TABLE_REF,
                "materialization": {"enum": ["table", "view", "incremental", "none"]},
            }
        ),
        _one_sql_source,
    ),
    StepKind(
        "dbt",
        "dbt-core command on the selected models of a project",
        _object(
            {
                "command": {"enum": ["build", "run", "test", "seed", "snapshot"]},
                "select": _TEXT,
                "project": _TEXT,
                "full_refresh": {"type": "boolean"},
            },
            required=("select",),
        ),
    ),
    StepKind(
        "n8n_webhook",
        "POST to an n8n webhook after the previous steps committed; the response is stored",
        _object(
            {
                "url": {"type": "string", "pattern": r"^https?://\S+$"},
                "method": {"enum": ["POST", "PUT", "GET"]},
                "payload": {"type": "object"},
                "timeout_s": {"type": "number", "exclusiveMinimum": 0},
            },
            required=("url",),
        ),
    ),
    StepKind(
        "quality_gate",
        "Guardian checks on a table; a failing blocking check fails the run",
        _object(
            {
                "table": _TABLE_REF,
                "checks": {"type": "array", "items": _TEXT, "minItems": 1, "uniqueItems": True},
                "blocking": {"type": "boolean"},
                "min_score": {"type": "number", "minimum": 0, "maximum": 100},
            },
            required=("table",),
        ),
    ),
    StepKind(
        "server_action",
        "An Odoo server action, by XML id (module.record); `targets` lists the tables it writes",
        _object(
            {
                "action": {"type": "string", "pattern": rf"^{IDENTIFIER}\.\w+$"},
                # an action's writes cannot be read from SQL: declared so Guardian gates them
                "targets": {"type": "array", "items": _TABLE_REF, "minItems": 1, "uniqueItems": True},
            },
            required=("action",),
        ),
    ),
)

for _kind in BUILTIN_KINDS:
    register_step_kind(_kind)
