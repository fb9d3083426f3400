"""ipwb.sql.write_scope on a corpus: allowed step scripts pass, each refused one is refused
with exactly the expected reasons at the expected line/column (fixtures/write_scope.yaml)."""

from __future__ import annotations

import doctest
from pathlib import Path
from typing import Any

import pytest
import yaml

import ipwb.sql.write_scope
import ipwb.warehouse.layers
from ipwb.errors import QueryRefused
from ipwb.sql.write_scope import (
    ScopeCode,
    WriteScopeRefused,
    check_write_scope,
    ensure_write_scope,
    invalid_targets,
)

CORPUS: dict[str, Any] = yaml.safe_load(
    (Path(__file__).parent / "fixtures" / "write_scope.yaml").read_text(encoding="utf-8")
)
TARGETS: list[str] = CORPUS["defaults"]["targets"]


def _id(case: dict[str, Any]) -> str:
    return " ".join(case["sql"].split())[:50]


@pytest.mark.parametrize("module", [ipwb.sql.write_scope, ipwb.warehouse.layers])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


@pytest.mark.parametrize("case", CORPUS["allowed"], ids=_id)
def test_allowed_scripts_have_no_problem(case: dict[str, Any]) -> None:
    problems = check_write_scope(case["sql"], case.get("targets", TARGETS))
    assert problems == (), [str(p) for p in problems]
    ensure_write_scope(case["sql"], case.get("targets", TARGETS))


@pytest.mark.parametrize("case", CORPUS["refused"], ids=_id)
def test_refused_scripts_name_the_reason_and_position(case: dict[str, Any]) -> None:
    problems = check_write_scope(case["sql"], case.get("targets", TARGETS))
    assert [[p.code.value, p.line, p.col] for p in problems] == case["problems"], [str(p) for p in problems]
    for problem in problems:
        # a script that cannot even be split into statements has no statement to show
        assert problem.message
        assert problem.statement or problem.code in (ScopeCode.EMPTY, ScopeCode.PARSE_ERROR)
        assert f"line {problem.line}, column {problem.col}" in str(problem)
    with pytest.raises(WriteScopeRefused) as refused:
        ensure_write_scope(case["sql"], case.get("targets", TARGETS))
    assert isinstance(refused.value, QueryRefused)
    assert refused.value.problems == problems
    assert f"[{problems[0].code.value}]" in str(refused.value)


def test_every_problem_of_a_script_is_reported_with_its_statement() -> None:
    script = (
        "insert into gold.daily select 1;\nGRANT ALL ON gold.daily TO public;\n\n  drop schema silver cascade"
    )
    problems = check_write_scope(script, ["gold.daily"])
    assert [(p.code, p.line, p.col) for p in problems] == [
        (ScopeCode.PRIVILEGE_CHANGE, 2, 1),
        (ScopeCode.OBJECT_NOT_ALLOWED, 4, 3),
    ]
    assert problems[0].statement == "GRANT ALL ON gold.daily TO public"
    assert str(problems[1]).startswith("line 4, column 3 in `drop schema silver cascade`: DROP SCHEMA")


def test_quoted_names_are_compared_as_postgresql_resolves_them() -> None:
    assert check_write_scope('insert into "gold"."daily" select 1', ["gold.daily"]) == ()
    assert check_write_scope("insert into GOLD.Daily select 1", ["gold.daily"]) == ()
    (problem,) = check_write_scope('insert into "Gold"."daily" select 1', ["gold.daily"])
    assert problem.code == ScopeCode.NOT_WRITABLE_SCHEMA


def test_a_temporary_name_does_not_cover_a_qualified_table() -> None:
    script = "create temp table daily (a int); insert into gold.daily select 1"
    (problem,) = check_write_scope(script, ["silver.sales"])
    assert (problem.code, problem.col) == (ScopeCode.UNDECLARED_TARGET, 46)
    (problem,) = check_write_scope("create temp table gold.x (a int)", [])
    assert problem.code == ScopeCode.NOT_WRITABLE_SCHEMA


def test_declared_targets_must_be_in_writable_layers() -> None:
    assert invalid_targets(["gold.a", "bronze_stage.b", "platinum.c"]) == []
    assert [p.split(":")[0] for p in invalid_targets(["public.users", "bi.vat", "Gold.a", "gold"])] == [
        "public.users",
        "bi.vat",
        "Gold.a",
        "gold",
    ]
    # a script cannot widen the writable layers by declaring a target elsewhere
    (problem,) = check_write_scope("insert into public.users select 1", ["public.users"])
    assert problem.code == ScopeCode.NOT_WRITABLE_SCHEMA
