"""Canvas positions in pipeline specs: optional per step, round-trip losslessly, bad ones are
reported with their line, and specs without positions load as before."""

from __future__ import annotations

from pathlib import Path

import pytest

from ipwb.specs import PipelineSpec, PositionSpec, StepSpec, check_text, dumps, load_file, loads

ROOT = Path(__file__).resolve().parents[2]

PLACED = """name: placed
owner: me@example.com
steps:
  - id: extract
    kind: sql
    config:
      sql: select 1
    position:
      x: 40
      y: 120.5
  - id: load
    kind: sql
    depends_on: [extract]
    position:
      y: -20
      x: 260
    config:
      sql: select 2
  - id: notify
    kind: sql
    depends_on: [load]
    config:
      sql: select 3
"""


def test_positions_load_and_round_trip_losslessly() -> None:
    spec = loads(PLACED, "pipeline")
    assert isinstance(spec, PipelineSpec)
    assert spec.step("extract").position == PositionSpec(40, 120.5)
    assert spec.step("load").position == PositionSpec(260, -20)
    assert spec.step("notify").position is None
    assert dumps(spec) == PLACED  # key order inside position kept too
    assert loads(dumps(spec), "pipeline") == spec
    assert set(spec.graph()) == {"extract", "load", "notify"}  # layout is no input of the graph


def test_programmatic_positions_are_written_only_when_set() -> None:
    spec = PipelineSpec(
        "p",
        "me",
        steps=(
            StepSpec("a", "sql", config={"sql": "select 1"}, position=PositionSpec(10, 20)),
            StepSpec("b", "sql", config={"sql": "select 1"}),
        ),
    )
    text = dumps(spec)
    assert "    position:\n      x: 10\n      y: 20\n" in text
    assert text.count("position:") == 1
    assert loads(text, "pipeline") == spec


@pytest.mark.parametrize(
    ("position", "line", "fragment"),
    [
        ("{x: 1}", 8, "missing required key 'y'"),
        ("{x: left, y: 2}", 8, "'left' is not of type 'number'"),
        ("{x: 1, y: 2, z: 3}", 8, "unknown key 'z'"),
        ("{x: true, y: 2}", 8, "is not of type 'number'"),
        ("{x: 1, y: 99999999}", 8, "is greater than the maximum"),
        ("[1, 2]", 8, "is not of type 'object'"),
    ],
)
def test_bad_positions_are_reported_with_their_line(position: str, line: int, fragment: str) -> None:
    text = PLACED.replace("    position:\n      x: 40\n      y: 120.5\n", f"    position: {position}\n")
    result = check_text(text, "pipeline", "placed.yaml")
    assert result.spec is None
    assert any(p.startswith(f"placed.yaml:{line}:") and fragment in p for p in result.problems), (
        result.problems
    )


def test_specs_without_positions_still_load() -> None:
    for path in sorted((ROOT / "specs" / "pipelines").glob("*.yaml")):
        spec = load_file(path)
        assert isinstance(spec, PipelineSpec)
        assert "position:" in path.read_text(encoding="utf-8") or all(s.position is None for s in spec.steps)
