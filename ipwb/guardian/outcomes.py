"""Stored test outcomes: did the declared dbt/DQ tests of a table *pass*?

Step 5 of the cycle and the promotion gate judge tests by their latest outcome, not by
their declaration alone. Outcomes come from wherever they are kept:

* dbt: ``target/run_results.json`` with the ``manifest.json`` written beside it (the
  manifest says which table, column and generic test each test node is);
* a plain JSON/YAML file: ``[{table, name, status, column?, test?, message?}]`` or
  ``{"schema.table": {"test name": "pass", …}}`` or ``{"schema.table": [{name, status …}]}``;
* Odoo: the latest ``ipwb.dq.result`` of each ``ipwb.dq.check`` (built by the addon).

A declared test without an outcome is ``not_run``. :func:`tally` matches the declared
tests of one table with its outcomes (by column and test kind; outcomes nobody declared in
the spec — DQ checks, extra dbt tests — count as tests of the table too).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import SpecError

#: statuses of an outcome; anything but ``pass`` is not passing
STATUSES = ("pass", "fail", "error", "not_run")
_ALIASES = {
    "pass": "pass",
    "passed": "pass",
    "success": "pass",
    "ok": "pass",
    "fail": "fail",
    "failed": "fail",
    "warn": "fail",  # a dbt test of severity warn that found rows: not passing
    "error": "error",
    "runtime error": "error",
    "skipped": "not_run",
    "not_run": "not_run",
    "never": "not_run",
}


@dataclass(frozen=True)
class TestOutcome:
    """The latest outcome of one test of ``table`` (``schema.table``)."""

    __test__ = False  # not a pytest class

    table: str
    name: str
    status: str  # pass | fail | error | not_run
    column: str = ""
    test: str = ""  # not_null | unique | accepted_values | relationships | custom_sql …
    message: str = ""

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass(frozen=True)
class DeclaredTest:
    """A test written in a table spec (column test), with where it was written."""

    table: str
    column: str
    test: str
    path: tuple[str | int, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.column} {self.test}"


@dataclass(frozen=True)
class Tally:
    """Declared tests of a table matched with outcomes (``not_run`` when none matched)."""

    table: str
    entries: tuple[tuple[DeclaredTest | None, TestOutcome], ...]

    @property
    def total(self) -> int:
        return len(self.entries)

    @property
    def passed(self) -> int:
        return sum(1 for _, outcome in self.entries if outcome.passed)

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 1.0

    def not_passing(self) -> list[tuple[DeclaredTest | None, TestOutcome]]:
        return [(declared, outcome) for declared, outcome in self.entries if not outcome.passed]


def normalize_status(value: object) -> str:
    status = _ALIASES.get(str(value).strip().lower())
    if status is None:
        raise SpecError(f"test status {value!r} is not one of {', '.join(STATUSES)} (or a dbt status)")
    return status


def tally(table: str, declared: Sequence[DeclaredTest], outcomes: Iterable[TestOutcome]) -> Tally:
    """Each declared test with its outcome, plus the table's outcomes nobody declared."""
    pool = [o for o in outcomes if o.table == table]
    entries: list[tuple[DeclaredTest | None, TestOutcome]] = []
    for test in declared:
        match = next((o for o in pool if o.column == test.column and o.test == test.test), None)
        if match is None:
            entries.append((test, TestOutcome(table, test.name, "not_run", test.column, test.test)))
        else:
            pool.remove(match)
            entries.append((test, match))
    entries += [(None, outcome) for outcome in pool]
    return Tally(table, tuple(entries))


def describe(outcome: TestOutcome) -> str:
    """``test 'email not_null' fails: 3 rows`` — why an outcome is not passing."""
    verb = {"fail": "fails", "error": "could not run", "not_run": "has not run yet"}.get(outcome.status, "")
    detail = f": {outcome.message}" if outcome.message and outcome.status != "not_run" else ""
    return f"test {outcome.name!r} {verb}{detail}"


# -- loading ------------------------------------------------------------------------------
def _from_item(item: Any, table: str = "") -> TestOutcome:
    if not isinstance(item, Mapping):
        raise SpecError(f"test outcome {item!r} must be a mapping with name and status")
    table = str(item.get("table") or table)
    if "." not in table or not item.get("name") or "status" not in item:
        raise SpecError(f"test outcome {dict(item)!r} needs table (schema.table), name and status")
    return TestOutcome(
        table,
        str(item["name"]),
        normalize_status(item["status"]),
        str(item.get("column") or ""),
        str(item.get("test") or ""),
        str(item.get("message") or ""),
    )


def load_outcomes(data: Any) -> list[TestOutcome]:
    """Outcomes from plain data (list of outcomes, or ``{table: {name: status} | [outcome]}``)."""
    if isinstance(data, list):
        return [_from_item(item) for item in data]
    if not isinstance(data, Mapping):
        raise SpecError("test results must be a list of outcomes or a mapping of schema.table → outcomes")
    found: list[TestOutcome] = []
    for table, tests in data.items():
        if isinstance(tests, Mapping):
            found += [_from_item({"name": n, "status": s}, str(table)) for n, s in tests.items()]
        elif isinstance(tests, list):
            found += [_from_item(item, str(table)) for item in tests]
        else:
            raise SpecError(f"test results of {table!r} must be a mapping of test → status or a list")
    return found


def _tested_table(node: Mapping[str, Any], nodes: Mapping[str, Any]) -> str:
    for parent_id in node.get("depends_on", {}).get("nodes", []):
        parent = nodes.get(parent_id)
        if parent and parent.get("resource_type") in ("model", "source", "seed", "snapshot"):
            name = parent.get("alias") or parent.get("identifier") or parent.get("name")
            return f"{parent.get('schema')}.{name}"
    return ""


def load_dbt_results(run_results: Mapping[str, Any], manifest: Mapping[str, Any]) -> list[TestOutcome]:
    """Outcomes of the test nodes of a dbt ``run_results.json`` (models and seeds ignored)."""
    nodes = {**manifest.get("nodes", {}), **manifest.get("sources", {})}
    found: list[TestOutcome] = []
    for result in run_results.get("results", []):
        node = nodes.get(result.get("unique_id", ""))
        if node is None or node.get("resource_type") != "test":
            continue
        metadata = node.get("test_metadata") or {}
        failures = result.get("failures")
        message = str(result.get("message") or (f"{failures} failing row(s)" if failures else ""))
        found.append(
            TestOutcome(
                _tested_table(node, nodes) or "?.?",
                str(node.get("name")),
                normalize_status(result.get("status")),
                str(node.get("column_name") or ""),
                str(metadata.get("name") or "custom_sql"),
                message,
            )
        )
    return found


def read_results(path: str | Path) -> list[TestOutcome]:
    """A results file: dbt's ``run_results.json`` (manifest beside it) or plain outcomes."""
    source = Path(path)
    try:
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise SpecError(f"{source}: cannot read test results: {exc}") from None
    version = (
        str((data or {}).get("metadata", {}).get("dbt_schema_version", "")) if isinstance(data, dict) else ""
    )
    if "run-results" not in version:
        try:
            return load_outcomes(data)
        except SpecError as exc:
            raise SpecError(f"{source}: {exc}") from None
    manifest_path = source.with_name("manifest.json")
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SpecError(f"{source}: dbt run results need the manifest.json beside them: {exc}") from None
    return load_dbt_results(data, manifest)
