"""Lossless round-trip: dump(load(x)) keeps content and key order; load(dump(spec)) == spec."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from ipwb.specs import (
    ColumnSpec,
    ColumnTest,
    DomainSpec,
    ParamSpec,
    PipelineSpec,
    SloSpec,
    StepSpec,
    TableSpec,
    dumps,
    load_file,
    loads,
)
from ipwb.specs.model import to_data
from ipwb.specs.yamlio import parse

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(
    p for kind in ("pipelines", "tables", "domains") for p in (ROOT / "specs" / kind).rglob("*.y*ml")
)
HAND_WRITTEN = Path(__file__).parent / "fixtures" / "valid" / "pipelines" / "hand_written.yaml"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_are_in_stable_format(path: Path) -> None:
    """Files written by the canvas/``ipwb spec format`` come back byte for byte."""
    spec = load_file(path)
    assert dumps(spec) == path.read_text(encoding="utf-8")


@pytest.mark.parametrize("path", [*EXAMPLES, HAND_WRITTEN], ids=lambda p: p.name)
def test_load_dump_load_is_identity(path: Path) -> None:
    spec = load_file(path)
    again = loads(dumps(spec), spec.spec_kind)
    assert again == spec
    assert dumps(again) == dumps(spec)  # idempotent


def test_hand_written_spec_keeps_key_order_and_content() -> None:
    source = parse(HAND_WRITTEN.read_text(), "hand_written.yaml").data
    spec = load_file(HAND_WRITTEN)
    dumped = parse(dumps(spec)).data
    assert dumped == source  # same content, defaults not added
    assert (
        list(dumped)
        == list(source)
        == ["steps", "owner", "name", "alert_channel", "budget_usd", "concurrency", "schedule"]
    )
    assert list(dumped["steps"][0]) == ["kind", "id", "config"]
    assert list(dumped["steps"][0]["config"]) == ["target", "sql"]
    payload = dumped["steps"][1]["config"]["payload"]
    assert payload == {
        "ok": "yes",
        "when": "2024-01-01",
        "code": "010",
        "ratio": 100000.0,
        "text": "line one\nline two\n",
    }


def test_programmatic_spec_round_trips_with_awkward_strings() -> None:
    awkward = [
        "yes",
        "no",
        "on",
        "null",
        "~",
        "010",
        "1e5",
        "0x1F",
        "2024-01-01",
        "12:30",
        "- x",
        "#x",
        "a: b",
    ]
    awkward += [
        "₱1,000 — ñ",
        "  padded  ",
        "",
        "tab\there",
        "multi\nline\n",
        "no trailing newline\nx",
        "'q'",
        '"dq"',
    ]
    spec = PipelineSpec(
        name="awkward",
        owner="o",
        description="line one\nline two\n",
        budget_usd=4.99,
        params=(ParamSpec("start_date", "date", "2024-01-01"), ParamSpec("flag", "boolean", False)),
        steps=(
            StepSpec("a", "sql", config={"sql": "select 1\nfrom dual\n"}),
            StepSpec(
                "b", "server_action", depends_on=("a",), config={"action": "m.x"}, retries=2, enabled=False
            ),
            StepSpec("c", "n8n_webhook", config={"url": "http://h/x", "payload": {"values": awkward}}),
        ),
    )
    text = dumps(spec)
    assert loads(text, "pipeline") == spec
    assert "retries: 2" in text and "timeout_s" not in text  # only non-defaults are written


def test_random_strings_survive(tmp_path: Path) -> None:
    rng = random.Random(1234)
    alphabet = "ab01:-#'\" \n\t{}[],&*!|>%@`?yesnoul.eE+~\\"
    for _ in range(200):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 12)))
        spec = DomainSpec("d", "team", description=value)
        assert loads(dumps(spec), "domain") == spec, repr(value)


def test_table_and_domain_specs_round_trip() -> None:
    table = TableSpec(
        name="gold_x",
        layer="gold",
        owner="o",
        restricted=True,
        slo=SloSpec(freshness_hours=24, completeness_pct=99.5),
        columns=(
            ColumnSpec("id", "bigint", tests=(ColumnTest("not_null"), ColumnTest("unique"))),
            ColumnSpec(
                "status",
                "text",
                pii=True,
                tests=(ColumnTest("accepted_values", {"values": ["open", "closed"]}),),
            ),
            ColumnSpec(
                "parent", "bigint", tests=(ColumnTest("relationships", {"to": "gold.gold_y", "field": "id"}),)
            ),
        ),
    )
    assert loads(dumps(table), "table") == table
    domain = DomainSpec("sales", "team", layers=("bronze", "gold"), tables=("gold.gold_x",))
    assert loads(dumps(domain), "domain") == domain
    assert to_data(domain) == {
        "name": "sales",
        "owner_team": "team",
        "layers": ["bronze", "gold"],
        "tables": ["gold.gold_x"],
    }


def test_key_order_does_not_affect_equality() -> None:
    one = loads("name: d\nowner_team: t\n", "domain")
    two = loads("owner_team: t\nname: d\n", "domain")
    assert one == two
    assert dumps(one) != dumps(two)
