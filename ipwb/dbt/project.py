"""Generate a dbt project for dbt-managed tables and the Guardian checks on them.

Checks on a table that is one of the project's models become that model's column tests
in ``models/schema.yml``; checks on other tables become tests of a dbt *source* (the
warehouse schema). not_null, unique, accepted_values and relationships map to dbt's
generic tests; custom SQL becomes a singular test (``tests/<name>.sql``); freshness and
volume have no dbt test equivalent and are listed in :attr:`DbtProject.not_converted`
(Guardian runs them itself).

``profiles.yml`` names no secret: host, port, user, password and database are read with
``env_var('IPWB_DBT_…')`` at run time (:func:`ipwb.dbt.runner.run_dbt` sets them), so the
generated directory can live anywhere, even in a repository. A ``generate_schema_name``
macro makes ``schema`` mean the warehouse schema itself (dbt's default would prefix it).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import SpecError
from ipwb.guardian.checks import CheckSpec

PROFILE = "ipwb"
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

PROFILES = {
    PROFILE: {
        "target": "warehouse",
        "outputs": {
            "warehouse": {
                "type": "postgres",
                "host": "{{ env_var('IPWB_DBT_HOST') }}",
                "port": "{{ env_var('IPWB_DBT_PORT') | as_number }}",
                "user": "{{ env_var('IPWB_DBT_USER') }}",
                "password": "{{ env_var('IPWB_DBT_PASSWORD') }}",
                "dbname": "{{ env_var('IPWB_DBT_DBNAME') }}",
                "schema": "{{ env_var('IPWB_DBT_SCHEMA', 'public') }}",
                "threads": 1,
                "connect_timeout": 10,
            }
        },
    }
}

SCHEMA_MACRO = """{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}
    {%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
"""


@dataclass(frozen=True)
class DbtModel:
    """A dbt-managed table: ``schema.name`` built from ``sql`` (a SELECT); ``sources`` are the
    ``schema.table`` refs it reads with ``{{ source('schema', 'table') }}``."""

    name: str
    schema: str
    sql: str
    materialized: str = "table"
    description: str = ""
    sources: tuple[str, ...] = ()

    @property
    def table_ref(self) -> str:
        return f"{self.schema}.{self.name}"


@dataclass
class DbtProject:
    path: Path
    models: list[DbtModel] = field(default_factory=list)
    tested: list[CheckSpec] = field(default_factory=list)
    not_converted: list[CheckSpec] = field(default_factory=list)


def _generic_test(check: CheckSpec, relation: str) -> Any:
    if check.check_type in ("not_null", "unique"):
        return {check.check_type: {"name": test_name(check)}}
    if check.check_type == "accepted_values":
        values = [str(v) for v in check.params["values"]]
        return {"accepted_values": {"name": test_name(check), "values": values, "quote": True}}
    if check.check_type == "relationships":
        return {
            "relationships": {
                "name": test_name(check),
                "to": relation,
                "field": check.params["field"],
            }
        }
    return None


def test_name(check: CheckSpec) -> str:
    """A dbt test name unique per check (dbt's default names can collide)."""
    slug = re.sub(r"[^a-z0-9]+", "_", check.name.lower()).strip("_") or "check"
    return f"guardian_{slug}"


def _relation(table_ref: str, models: dict[str, DbtModel]) -> str:
    if table_ref in models:
        return f"ref('{models[table_ref].name}')"
    schema, table = table_ref.split(".", 1)
    return f"source('{schema}', '{table}')"


def generate_project(
    directory: str | os.PathLike[str],
    *,
    models: Sequence[DbtModel] = (),
    checks: Sequence[CheckSpec] = (),
    name: str = "ipwb_guardian",
) -> DbtProject:
    """Write the project into ``directory`` (created) and say what became a dbt test."""
    if not _NAME.match(name):
        raise SpecError(f"dbt project name {name!r} must be a lower-case identifier")
    for model in models:
        if not (_NAME.match(model.name) and _NAME.match(model.schema)):
            raise SpecError(f"dbt model {model.table_ref!r} must be schema.name in lower-case identifiers")
    root = Path(directory)
    for sub in ("models", "tests", "macros"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    by_ref = {m.table_ref: m for m in models}
    project = DbtProject(root, list(models))
    columns: dict[str, dict[str, list[Any]]] = {}
    for check in checks:
        if check.check_type == "custom_sql":
            body = check.params["sql"].strip().rstrip(";")
            (root / "tests" / f"{test_name(check)}.sql").write_text(body + "\n", encoding="utf-8")
            project.tested.append(check)
            continue
        parent = check.params.get("to")
        test = _generic_test(check, _relation(str(parent), by_ref) if parent else "")
        if test is None or check.column is None:
            project.not_converted.append(check)
            continue
        columns.setdefault(check.table, {}).setdefault(check.column, []).append(test)
        project.tested.append(check)

    def column_list(table_ref: str) -> list[dict[str, Any]]:
        return [{"name": c, "data_tests": tests} for c, tests in columns.get(table_ref, {}).items()]

    schema_doc: dict[str, Any] = {"version": 2, "models": [], "sources": []}
    for model in models:
        header = f"{{{{ config(materialized='{model.materialized}', schema='{model.schema}') }}}}"
        body = f"{header}\n{model.sql.strip()}\n"
        (root / "models" / f"{model.name}.sql").write_text(body, encoding="utf-8")
        schema_doc["models"].append(
            {"name": model.name, "description": model.description, "columns": column_list(model.table_ref)}
        )
    sources: dict[str, list[dict[str, Any]]] = {}
    referenced = {c.table for c in checks} | {str(c.params.get("to")) for c in checks if c.params.get("to")}
    referenced |= {ref for model in models for ref in model.sources}
    for table_ref in sorted(referenced - set(by_ref) - {""}):
        schema, table = table_ref.split(".", 1)
        sources.setdefault(schema, []).append({"name": table, "columns": column_list(table_ref)})
    schema_doc["sources"] = [{"name": s, "schema": s, "tables": t} for s, t in sorted(sources.items())]
    (root / "models" / "schema.yml").write_text(yaml.safe_dump(schema_doc, sort_keys=False), encoding="utf-8")
    (root / "macros" / "generate_schema_name.sql").write_text(SCHEMA_MACRO, encoding="utf-8")
    (root / "profiles.yml").write_text(yaml.safe_dump(PROFILES, sort_keys=False), encoding="utf-8")
    dbt_project = {
        "name": name,
        "version": "1.0.0",
        "config-version": 2,
        "profile": PROFILE,
        "model-paths": ["models"],
        "test-paths": ["tests"],
        "macro-paths": ["macros"],
        "target-path": "target",
        "clean-targets": ["target"],
    }
    (root / "dbt_project.yml").write_text(yaml.safe_dump(dbt_project, sort_keys=False), encoding="utf-8")
    return project
