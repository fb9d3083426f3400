"""specs/schemas/*.json cover every example under specs/: each pipeline, table and domain
file validates against its kind's JSON Schema (plain jsonschema, no ipwb loader), the copies
equal the schemas packaged with the engine, and no example lies outside a known kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from jsonschema import Draft202012Validator

from ipwb.specs import validate_paths
from ipwb.specs.schemas import SPEC_KINDS, load_schema
from ipwb.specs.validate import detect_kind

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "specs"
#: YAML under specs/ that is not a spec: Genie's evaluation set (own loader) and
#: the files of dbt projects (dbt validates those)
DBT_FILES = {
    p.relative_to(SPECS).as_posix()
    for project in SPECS.rglob("dbt_project.yml")
    for p in project.parent.rglob("*.y*ml")
}
NOT_SPECS = {"genie/finance_eval.yaml"} | DBT_FILES
EXAMPLES = sorted(p for p in SPECS.rglob("*.y*ml") if p.relative_to(SPECS).as_posix() not in NOT_SPECS)


def schema(kind: str) -> dict[str, object]:
    data: dict[str, object] = json.loads((SPECS / "schemas" / f"{kind}.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("kind", SPEC_KINDS)
def test_schema_copies_equal_the_packaged_schemas(kind: str) -> None:
    assert schema(kind) == load_schema(kind), (
        f"specs/schemas/{kind}.json drifted: cp ipwb/specs/schemas/{kind}.json specs/schemas/"
    )
    Draft202012Validator.check_schema(schema(kind))


def test_every_yaml_under_specs_is_a_spec_of_a_known_kind() -> None:
    kinds = {path.relative_to(SPECS).as_posix(): detect_kind(path) for path in EXAMPLES}
    assert all(kinds.values()), [name for name, kind in kinds.items() if not kind]
    assert set(kinds.values()) == set(SPEC_KINDS)  # every schema has at least one example
    report = validate_paths([SPECS])
    assert sorted(Path(p).relative_to(SPECS).as_posix() for p in report.skipped) == sorted(NOT_SPECS)
    assert sorted(Path(f.source) for f in report.files) == EXAMPLES
    assert report.ok, "\n".join(report.problems)


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.relative_to(SPECS).as_posix())
def test_example_validates_against_its_json_schema(path: Path) -> None:
    kind = detect_kind(path)
    assert kind is not None
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    errors = sorted(Draft202012Validator(schema(kind)).iter_errors(data), key=lambda e: list(e.path))
    assert not errors, [f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors]


def test_the_schemas_reject_what_they_do_not_describe() -> None:
    table = yaml.safe_load((SPECS / "tables" / "gold" / "gold_daily_sales.yaml").read_text(encoding="utf-8"))
    validator = Draft202012Validator(schema("table"))
    assert validator.is_valid(table)
    assert not validator.is_valid({**table, "colums": []})  # unknown key
    assert not validator.is_valid({k: v for k, v in table.items() if k != "owner"})  # required
    assert not validator.is_valid({**table, "layer": "copper"})
