"""Typed specs: pipelines, tables, domains, and their conversion to and from plain data.

Why ``key_order``: a spec read from git and written back (canvas export, ``ipwb`` tools)
must not reshuffle the author's keys, or every save becomes a noisy diff. Each spec
remembers the order its keys were read in (ignored by ``==``); :func:`to_data` writes those
keys first, in that order, then any other field that differs from its default, in field
order. A default-valued field absent from the source stays absent.

Conversion assumes the data passed the JSON Schema (:mod:`ipwb.specs.schemas`); it does not
re-validate.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ipwb.dag.graph import Graph, Node
from ipwb.dag.scheduler import RetryPolicy


def _key_order() -> Any:
    """The ``key_order`` field: remembered for dumping, ignored by ``==`` and ``repr``."""
    return field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class ParamSpec:
    """A run parameter (backfills set ``start_date``/``end_date``)."""

    name: str
    type: str = "string"  # string | integer | number | boolean | date
    default: Any = None
    description: str = ""
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class PositionSpec:
    """Where the canvas draws a step (top-left corner, canvas units); layout only, never
    part of the graph."""

    x: float
    y: float
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class StepSpec:
    """One pipeline step; ``config`` is kind-specific (see :mod:`ipwb.specs.kinds`).

    ``position`` is optional: specs written by hand may omit it (the canvas lays such
    steps out), the canvas export writes it once a step has been placed.
    """

    id: str
    kind: str
    description: str = ""
    depends_on: tuple[str, ...] = ()
    config: dict[str, Any] = field(default_factory=dict)
    retries: int = 0
    retry_backoff_s: float = 60
    timeout_s: float = 3600
    enabled: bool = True
    position: PositionSpec | None = None
    key_order: tuple[str, ...] = _key_order()

    def node(self) -> Node:
        return Node(self.id, self.depends_on, self.enabled)

    def retry_policy(self) -> RetryPolicy:
        return RetryPolicy(max_retries=self.retries, backoff_s=self.retry_backoff_s, timeout_s=self.timeout_s)


@dataclass(frozen=True)
class PipelineSpec:
    """``specs/pipelines/<name>.yaml``."""

    spec_kind: ClassVar[str] = "pipeline"

    name: str
    owner: str
    description: str = ""
    domain: str = ""
    #: the name people read (``name`` is the technical one, the spec's file name)
    title: str = ""
    schedule: str | None = None
    budget_usd: float | None = None
    alert_channel: str | None = None
    #: a trigger while a run is active: "queue" (None: the default), "refuse" or "parallel"
    concurrency: str | None = None
    params: tuple[ParamSpec, ...] = ()
    steps: tuple[StepSpec, ...] = ()
    key_order: tuple[str, ...] = _key_order()

    def step(self, step_id: str) -> StepSpec:
        for step in self.steps:
            if step.id == step_id:
                return step
        raise KeyError(step_id)

    def graph(self) -> Graph:
        """The steps as a validated :class:`~ipwb.dag.Graph` (raises ``GraphError``)."""
        return Graph(step.node() for step in self.steps)

    def retry_policies(self) -> dict[str, RetryPolicy]:
        return {step.id: step.retry_policy() for step in self.steps}


@dataclass(frozen=True)
class SloSpec:
    """Service level objective of a table: data no older than N hours, N % complete."""

    freshness_hours: float | None = None
    completeness_pct: float | None = None
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class AccessSpec:
    """Who may read a table: warehouse roles granted ``SELECT`` and/or an RLS ``USING`` expression."""

    grants: tuple[str, ...] = ()
    rls: str = ""
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class ColumnTest:
    """``not_null`` / ``unique`` (bare names) or ``{accepted_values: {values: [...]}}`` /
    ``{relationships: {to: layer.table, field: column}}``."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_data(cls, data: Any) -> ColumnTest:
        if isinstance(data, str):
            return cls(data)
        ((name, args),) = data.items()
        return cls(name, dict(args))

    def to_data(self) -> Any:
        return {self.name: dict(self.args)} if self.args else self.name


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    type: str
    description: str = ""
    pii: bool = False
    masking: str = ""  # hash | redact | partial | null: how a PII column is masked when exposed
    tests: tuple[ColumnTest, ...] = ()
    key_order: tuple[str, ...] = _key_order()


@dataclass(frozen=True)
class TableSpec:
    """``specs/tables/<layer>/<name>.yaml``: a warehouse table, its SLO and columns."""

    spec_kind: ClassVar[str] = "table"

    name: str
    layer: str
    owner: str
    description: str = ""
    domain: str = ""
    restricted: bool = False
    access: AccessSpec | None = None
    slo: SloSpec | None = None
    columns: tuple[ColumnSpec, ...] = ()
    key_order: tuple[str, ...] = _key_order()

    @property
    def qualified_name(self) -> str:
        return f"{self.layer}.{self.name}"


@dataclass(frozen=True)
class DomainSpec:
    """``specs/domains/<name>.yaml``: a business domain, its team, layers and tables."""

    spec_kind: ClassVar[str] = "domain"

    name: str
    owner_team: str
    description: str = ""
    layers: tuple[str, ...] = ()
    #: name prefix of the listed tables instead of ``<layer>_`` (e.g. ``fin_``); schema stays the layer
    table_prefix: str = ""
    tables: tuple[str, ...] = ()
    key_order: tuple[str, ...] = _key_order()


Spec = PipelineSpec | TableSpec | DomainSpec
SPEC_CLASSES: dict[str, type[PipelineSpec] | type[TableSpec] | type[DomainSpec]] = {
    "pipeline": PipelineSpec,
    "table": TableSpec,
    "domain": DomainSpec,
}


def _convert_in(hint: Any, value: Any) -> Any:
    """Plain data → the typed value of a field annotated ``hint``."""
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        if value is None:
            return None
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _convert_in(inner[0], value) if len(inner) == 1 else value
    if origin is tuple:
        (item, _) = typing.get_args(hint)
        return tuple(_convert_in(item, v) for v in value)
    if origin is dict:
        return dict(value)
    if isinstance(hint, type) and (hasattr(hint, "from_data") or dataclasses.is_dataclass(hint)):
        return hint.from_data(value) if hasattr(hint, "from_data") else from_data(hint, value)
    return value


_HINTS: dict[type[Any], dict[str, Any]] = {}


def _hints(cls: type[Any]) -> dict[str, Any]:
    """Resolved field annotations, cached (``get_type_hints`` is slow on 1000-step specs)."""
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def from_data(cls: type[Any], data: dict[str, Any]) -> Any:
    """Build dataclass ``cls`` from schema-valid ``data``, remembering its key order."""
    hints = _hints(cls)
    kwargs = {
        f.name: _convert_in(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)
        if f.name in data and f.name != "key_order"
    }
    return cls(**kwargs, key_order=tuple(data))


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _convert_out(value: Any) -> Any:
    if hasattr(value, "to_data"):
        return value.to_data()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_data(value)
    if isinstance(value, tuple | list):
        return [_convert_out(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert_out(v) for k, v in value.items()}
    return value


def to_data(spec: Any) -> dict[str, Any]:
    """Plain, JSON-shaped data of a spec: source key order first, then non-default fields."""
    fields = {f.name: f for f in dataclasses.fields(spec) if f.name != "key_order"}
    order = [k for k in spec.key_order if k in fields]
    order += [n for n in fields if n not in order and getattr(spec, n) != _default(fields[n])]
    return {name: _convert_out(getattr(spec, name)) for name in order}
