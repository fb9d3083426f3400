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
from ipwb.warehouse import layers

#: warehouse layers, in data-flow order (the one list lives in :mod:`ipwb.warehouse.layers`)
LAYERS: tuple[str, ...] = layers.LAYERS
#: schemas a step may write: the layers and their ``_stage`` schemas
WRITABLE_SCHEMAS: tuple[str, ...] = layers.WRITABLE_SCHEMAS

IDENTIFIER = r"[a-z][a-z0-9_]*"
#: ``layer.table`` references used by steps and domains
TABLE_REF_PATTERN = rf"^({'|'.join(LAYERS)})\.{IDENTIFIER}$"
#: a table a step declares it writes: ``schema.table`` (the schema is checked by :func:`_sql_step`)
WRITE_TARGET_PATTERN = rf"^{IDENTIFIER}\.{IDENTIFIER}$"


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


def declared_targets(config: Mapping[str, Any]) -> tuple[str, ...]:
    """The tables a step declares it writes: its ``target`` and its ``targets``, in order.

    >>> declared_targets({"target": "gold.a", "targets": ["gold_stage.a", "gold.a"]})
    ('gold.a', 'gold_stage.a')
    """
    found: list[str] = []
    if isinstance(config.get("target"), str):
        found.append(config["target"])
    targets = config.get("targets")
    if isinstance(targets, list):
        found += [t for t in targets if isinstance(t, str)]
    return tuple(dict.fromkeys(found))


def _sql_step(config: Mapping[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    """One SQL source, and declared ``targets`` only in the schemas a pipeline may write."""
    problems: list[tuple[tuple[str | int, ...], str]] = [
        (
            ("targets", index),
            f"{target} is not in a schema a pipeline may write ({', '.join(WRITABLE_SCHEMAS)})",
        )
        for index, target in enumerate(config.get("targets") or [])
        if target.split(".", 1)[0] not in WRITABLE_SCHEMAS
    ]
    given = [k for k in ("sql", "file") if k in config]
    if not given:
        problems.append(((), "an sql step needs `sql` (inline SQL) or `file` (a path under specs/)"))
    elif len(given) > 1:
        problems.append((("file",), "give either `sql` or `file`, not both"))
    return problems


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
        "SQL executed in the warehouse (exactly one of `sql` or `file`); lineage is recorded. It may "
        "write only its `target` and `targets` (schema.table in a layer or a layer's _stage schema)",
        _object(
            {
                "sql": _TEXT,
                "file": _TEXT,
                "target": _TABLE_REF,
                # every other table the SQL writes (ipwb.sql.write_scope refuses the rest)
                "targets": {
                    "type": "array",
                    "items": {"type": "string", "pattern": WRITE_TARGET_PATTERN},
                    "uniqueItems": True,
                },
                "materialization": {"enum": ["table", "view", "incremental", "none"]},
            }
        ),
        _sql_step,
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
        "Guardian checks on a table (`table`) or on several (`tables`: one gate for a layer, run as "
        "one Guardian batch); a failing blocking check fails the run",
        {
            **_object(
                {
                    "table": _TABLE_REF,
                    "tables": {"type": "array", "items": _TABLE_REF, "minItems": 1, "uniqueItems": True},
                    "checks": {"type": "array", "items": _TEXT, "minItems": 1, "uniqueItems": True},
                    "blocking": {"type": "boolean"},
                    "min_score": {"type": "number", "minimum": 0, "maximum": 100},
                },
            ),
            "oneOf": [{"required": ["table"]}, {"required": ["tables"]}],
        },
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
