"""Step-kind registry, schedules, and the examples in specs/ validating."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from ipwb.errors import ConfigurationError, SpecError
from ipwb.specs import (
    LAYERS,
    IntervalSchedule,
    PipelineSpec,
    StepKind,
    load_file,
    loads,
    parse_schedule,
    register_step_kind,
    step_kinds,
    unregister_step_kind,
    validate_paths,
)
from ipwb.specs.schemas import load_schema

ROOT = Path(__file__).resolve().parents[2]

PIPELINE = """name: p
owner: o
steps:
  - id: export
    kind: {kind}
    config: {config}
"""


def test_every_spec_under_specs_validates() -> None:
    report = validate_paths([ROOT / "specs"])
    assert report.ok, "\n".join(report.problems)
    kinds = {f.kind for f in report.files}
    assert kinds == {"pipeline", "table", "domain"}


def test_example_pipeline_builds_its_graph_and_policies() -> None:
    spec = load_file(ROOT / "specs" / "pipelines" / "example_daily_sales.yaml")
    assert isinstance(spec, PipelineSpec)
    graph = spec.graph()
    assert graph.order[0] == "load_pos_extract" and graph.leaves() == ("notify_finance",)
    policy = spec.retry_policies()["load_pos_extract"]
    assert (policy.max_retries, policy.backoff_s, policy.timeout_s) == (3, 120, 900)
    assert {s.kind for s in spec.steps} <= set(step_kinds())


def test_builtin_kinds_are_registered() -> None:
    assert {"sql", "dbt", "n8n_webhook", "quality_gate", "server_action"} <= set(step_kinds())


@pytest.fixture
def bir_export_kind() -> Iterator[StepKind]:
    kind = StepKind(
        "bir_export",
        "write a BIR alphalist file",
        {"type": "object", "required": ["form"], "properties": {"form": {"enum": ["1601EQ", "2550Q"]}}},
    )
    register_step_kind(kind)
    yield kind
    unregister_step_kind("bir_export")


def test_an_addon_can_register_a_step_kind(bir_export_kind: StepKind) -> None:
    spec = loads(PIPELINE.format(kind="bir_export", config="{form: 2550Q}"), "pipeline")
    assert isinstance(spec, PipelineSpec) and spec.steps[0].kind == "bir_export"
    with pytest.raises(SpecError) as exc:
        loads(PIPELINE.format(kind="bir_export", config="{form: 2307}"), "pipeline", "p.yaml")
    assert exc.value.problems[0].startswith("p.yaml:6:20: steps[0].config.form:")
    with pytest.raises(ConfigurationError, match="already registered"):
        register_step_kind(bir_export_kind)
    register_step_kind(bir_export_kind, replace=True)


def test_unregistered_kind_is_refused() -> None:
    with pytest.raises(SpecError, match="unknown step kind 'bir_export'"):
        loads(PIPELINE.format(kind="bir_export", config="{}"), "pipeline")


def test_schema_layers_match_the_engine() -> None:
    assert tuple(load_schema("table")["$defs"]["layer"]["enum"]) == LAYERS
    assert tuple(load_schema("domain")["properties"]["layers"]["items"]["enum"]) == LAYERS


@pytest.mark.parametrize(
    ("text", "ir_cron"),
    [
        ("every 1h", (1, "hours")),
        ("every 90 minutes", (90, "minutes")),
        ("every 2 days", (2, "days")),
        ("every 1w", (1, "weeks")),
        ("every 14 d", (2, "weeks")),
    ],
)
def test_intervals(text: str, ir_cron: tuple[int, str]) -> None:
    schedule = parse_schedule(text)
    assert isinstance(schedule, IntervalSchedule) and schedule.ir_cron() == ir_cron


@pytest.mark.parametrize(
    ("text", "after", "expected"),
    [
        ("30 2 * * *", dt.datetime(2024, 1, 1, 2, 30), dt.datetime(2024, 1, 2, 2, 30)),
        ("*/15 * * * *", dt.datetime(2024, 1, 1, 10, 7, 59), dt.datetime(2024, 1, 1, 10, 15)),
        ("0 9 * * mon-fri", dt.datetime(2024, 1, 5, 9, 0), dt.datetime(2024, 1, 8, 9, 0)),
        ("0 0 1 */3 *", dt.datetime(2024, 2, 10), dt.datetime(2024, 4, 1)),
        ("0 0 13 * 5", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 5)),  # dom OR dow (Vixie)
        ("0 0 29 2 *", dt.datetime(2024, 3, 1), dt.datetime(2028, 2, 29)),
        ("@monthly", dt.datetime(2024, 12, 31, 23, 59), dt.datetime(2025, 1, 1)),
        ("0 12 * * 7", dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 7, 12, 0)),  # 7 = Sunday
    ],
)
def test_cron_next_fire_time(text: str, after: dt.datetime, expected: dt.datetime) -> None:
    assert parse_schedule(text).next_after(after) == expected  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "schedule is empty"),
        ("every 30s", "at least one minute"),
        ("every 5 fortnights", "unknown interval unit 'fortnights'"),
        ("every hour", "intervals look like"),
        ("@sometimes", "unknown macro"),
        ("* * * *", "5 fields"),
        ("60 * * * *", "minute value 60 is out of range 0-59"),
        ("0 0 32 * *", "day of month value 32 is out of range 1-31"),
        ("0 0 * 13 *", "month value 13 is out of range 1-12"),
        ("0 0 * * 8", "day of week value 8 is out of range 0-7"),
        ("0 0 * foo *", "month value 'foo' is not a number"),
        ("10-5 * * * *", "runs backwards"),
        ("*/0 * * * *", "must be a positive number"),
        ("0 0 30 2 *", "never fires"),
    ],
)
def test_invalid_schedules_are_named(text: str, fragment: str) -> None:
    with pytest.raises(SpecError) as exc:
        parse_schedule(text)
    assert fragment in str(exc.value)
