"""Checks JSON Schema cannot express: the step graph, step kinds and their configs,
schedules, parameter defaults, column types, and layer consistency.

Each check takes a typed spec and returns :class:`~ipwb.specs.schemas.Issue` objects whose
paths index the source document, so they are reported on the right line like schema
errors. Table naming conventions by layer (``gold_…``) are a Guardian lint rule, not here.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from ipwb.dag.graph import Problem, validate_nodes
from ipwb.errors import SpecError
from ipwb.specs.kinds import step_kinds
from ipwb.specs.model import DomainSpec, ParamSpec, PipelineSpec, Spec, TableSpec
from ipwb.specs.schedule import parse_schedule
from ipwb.specs.schemas import Issue, validate_data

#: PostgreSQL types a column may declare (with optional ``(n)``/``(p, s)`` and ``[]``)
COLUMN_TYPES: tuple[str, ...] = (
    "smallint",
    "integer",
    "int",
    "bigint",
    "numeric",
    "decimal",
    "real",
    "double precision",
    "money",
    "text",
    "varchar",
    "character varying",
    "char",
    "character",
    "boolean",
    "date",
    "time",
    "timestamp",
    "timestamptz",
    "timestamp with time zone",
    "timestamp without time zone",
    "interval",
    "uuid",
    "json",
    "jsonb",
    "bytea",
    "inet",
)
_TYPE_RE = re.compile(
    r"^(?P<base>[a-z ]+?)\s*(?:\(\s*\d+\s*(?:,\s*\d+\s*)?\))?\s*(?:\[\])?$",
)


def _duplicates(values: list[str]) -> list[str]:
    return [v for v, n in Counter(values).items() if n > 1]


def _graph_issue(spec: PipelineSpec, problem: Problem) -> Issue:
    """Place a DAG problem on the step (or the very ``depends_on`` entry) it is about."""
    indexes = [i for i, s in enumerate(spec.steps) if s.id == problem.step]
    if not indexes:
        return Issue(("steps",), problem.message)
    index = indexes[-1] if problem.code == "duplicate_id" else indexes[0]
    step = spec.steps[index]
    if problem.ref is not None and problem.ref in step.depends_on:
        position = step.depends_on.index(problem.ref)
        if problem.code == "duplicate_dependency":  # point at the repetition
            position = len(step.depends_on) - 1 - step.depends_on[::-1].index(problem.ref)
        return Issue(("steps", index, "depends_on", position), problem.message)
    return Issue(("steps", index, "id"), problem.message)


def _param_issue(index: int, param: ParamSpec) -> Issue | None:
    value, kind = param.default, param.type
    if value is None:
        return None
    ok = {
        "string": isinstance(value, str),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
        "date": isinstance(value, str),
    }[kind]
    if ok and kind == "date":
        try:
            dt.date.fromisoformat(value)
        except ValueError:
            ok = False
    if ok:
        return None
    return Issue(
        ("params", index, "default"), f"default {value!r} of parameter {param.name!r} is not a {kind}"
    )


def check_pipeline(spec: PipelineSpec) -> list[Issue]:
    issues = [_graph_issue(spec, p) for p in validate_nodes(s.node() for s in spec.steps)]
    kinds = step_kinds()
    for index, step in enumerate(spec.steps):
        kind = kinds.get(step.kind)
        if kind is None:
            hint = difflib.get_close_matches(step.kind, list(kinds), n=1)
            suggestion = f"did you mean {hint[0]!r}? " if hint else ""
            issues.append(
                Issue(
                    ("steps", index, "kind"),
                    f"unknown step kind {step.kind!r} ({suggestion}known: {', '.join(sorted(kinds))})",
                )
            )
            continue
        prefix = ("steps", index, "config")
        config_issues = validate_data(kind.config_schema, step.config, prefix)
        if not config_issues and kind.check is not None:
            config_issues = [Issue((*prefix, *path), message) for path, message in kind.check(step.config)]
        issues.extend(config_issues)
    if spec.schedule is not None:
        try:
            parse_schedule(spec.schedule)
        except SpecError as exc:
            issues.append(Issue(("schedule",), str(exc)))
    names = [p.name for p in spec.params]
    for name in _duplicates(names):
        issues.append(
            Issue(
                ("params", len(names) - 1 - names[::-1].index(name), "name"), f"duplicate parameter {name!r}"
            )
        )
    issues.extend(i for n, p in enumerate(spec.params) if (i := _param_issue(n, p)) is not None)
    return issues


def column_type_known(declared: str) -> bool:
    """Whether a declared column type is a PostgreSQL type the engine understands.

    >>> [column_type_known(t) for t in ("numeric(14, 2)", "varchar(80)", "text[]", "money2", "string")]
    [True, True, True, False, False]
    """
    match = _TYPE_RE.match(declared.strip().lower())
    return bool(match) and " ".join(match.group("base").split()) in COLUMN_TYPES  # type: ignore[union-attr]


def check_table(spec: TableSpec) -> list[Issue]:
    issues: list[Issue] = []
    names = [c.name for c in spec.columns]
    for name in _duplicates(names):
        index = len(names) - 1 - names[::-1].index(name)
        issues.append(Issue(("columns", index, "name"), f"duplicate column {name!r}"))
    for index, column in enumerate(spec.columns):
        if not column_type_known(column.type):
            issues.append(
                Issue(
                    ("columns", index, "type"),
                    f"column {column.name!r}: unknown type {column.type!r} (use a PostgreSQL type such as "
                    "text, integer, numeric(14, 2), date, timestamptz, boolean, jsonb)",
                )
            )
        tests = [t.name for t in column.tests]
        for test in _duplicates(tests):
            issues.append(
                Issue(
                    ("columns", index, "tests", tests.index(test)),
                    f"column {column.name!r}: test {test!r} twice",
                )
            )
    return issues


def check_domain(spec: DomainSpec) -> list[Issue]:
    issues: list[Issue] = []
    if spec.layers:
        for index, table in enumerate(spec.tables):
            layer = table.split(".", 1)[0]
            if layer not in spec.layers:
                issues.append(
                    Issue(
                        ("tables", index),
                        f"table {table!r} is in layer {layer!r}, which domain {spec.name!r} does not declare "
                        f"(layers: {', '.join(spec.layers)})",
                    )
                )
    return issues


SEMANTIC_CHECKS: dict[str, Callable[[Any], list[Issue]]] = {
    "pipeline": check_pipeline,
    "table": check_table,
    "domain": check_domain,
}


def check(spec: Spec) -> list[Issue]:
    """All semantic issues of one spec."""
    return SEMANTIC_CHECKS[spec.spec_kind](spec)
