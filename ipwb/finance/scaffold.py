"""New-domain template: bronze → silver → gold, specs and checks for a set of Odoo models.

Given a domain name, an owner and the models with the fields to keep, :func:`scaffold`
returns the text of every file a domain needs, keyed by its path under ``specs/``:

- ``domains/<domain>.yaml``, ``pipelines/<domain>.yaml`` (valid for ``ipwb spec validate``),
- ``tables/<domain>/<table>.yaml`` for each silver table and the gold monthly mart,
- ``sql/<domain>/*.sql``: bronze tables (the finance layout: versioned ``jsonb`` rows with
  tombstones), silver (latest version, typed columns) and gold (monthly counts and sums),
- the pipeline's first step per model is an ``odoo_extract`` step
  (:mod:`ipwb.finance.odoo_source`): the selected fields of the Odoo records into bronze,
  watermark on ``write_date``, idempotent,
- ``checks/<domain>.yaml``: Guardian checks (``ipwb.guardian.checks`` format).

Everything is derived from the field list, so the files agree with each other; names are
checked identifiers, never free text pasted into SQL.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from typing import Any

import yaml

from ipwb.errors import SpecError
from ipwb.finance import odoo_source
from ipwb.specs import dumps, loads

_IDENT = re.compile(r"^[a-z][a-z0-9_]{0,40}$")
_MODEL = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

#: Odoo field type → (PostgreSQL type, how the JSON value is cast)
ODOO_TYPES: dict[str, str] = {
    "char": "text",
    "text": "text",
    "html": "text",
    "selection": "text",
    "integer": "bigint",
    "many2one": "bigint",
    "float": "numeric(16, 4)",
    "monetary": "numeric(16, 2)",
    "boolean": "boolean",
    "date": "date",
    "datetime": "timestamp",
}
NUMERIC_TYPES = frozenset({"float", "monetary", "integer"})


@dataclasses.dataclass(frozen=True)
class SourceField:
    name: str
    ttype: str
    required: bool = False

    @property
    def pg_type(self) -> str:
        return ODOO_TYPES[self.ttype]


@dataclasses.dataclass(frozen=True)
class SourceModel:
    model: str
    fields: tuple[SourceField, ...]

    @property
    def table(self) -> str:
        return self.model.replace(".", "_")


def _problems(domain: str, owner: str, models: Sequence[SourceModel]) -> list[str]:
    problems = []
    if not _IDENT.match(domain or ""):
        problems.append(f"domain name {domain!r}: use lower-case letters, digits and _ (start with a letter)")
    if not (owner or "").strip():
        problems.append("an owner (team or e-mail) is required")
    if not models:
        problems.append("select at least one model")
    for model in models:
        if not _MODEL.match(model.model):
            problems.append(f"model {model.model!r} is not an Odoo model name")
        if not model.fields:
            problems.append(f"model {model.model}: select at least one field")
        for fld in model.fields:
            if not _IDENT.match(fld.name):
                problems.append(f"{model.model}.{fld.name}: not a storable field name")
            elif fld.ttype not in ODOO_TYPES:
                problems.append(
                    f"{model.model}.{fld.name}: type {fld.ttype!r} is not supported "
                    f"(supported: {', '.join(sorted(ODOO_TYPES))})"
                )
    return problems


def _dump(data: Any, kind: str | None = None) -> str:
    """YAML text; a spec (``kind``) goes through the spec model, in its stable format."""
    text = yaml.safe_dump(data, sort_keys=False, width=110, allow_unicode=True)
    return dumps(loads(text, kind)) if kind is not None else text


def _bronze_table(domain: str, model: SourceModel) -> str:
    return f"bronze.{domain}_{model.table}"


def _bronze_sql(domain: str, model: SourceModel) -> str:
    return (
        f"-- Bronze rows of {model.model}: one jsonb row per record version, tombstones for deletions.\n"
        f"-- The pipeline's {odoo_source.KIND} step creates and loads it.\n"
        f"CREATE TABLE IF NOT EXISTS {_bronze_table(domain, model)} (\n"
        "    source_id bigint NOT NULL,\n"
        "    version text NOT NULL,\n"
        "    source_write_date timestamp,\n"
        "    is_deleted boolean NOT NULL DEFAULT false,\n"
        "    payload jsonb NOT NULL,\n"
        "    load_seq bigserial,\n"
        "    loaded_at timestamptz NOT NULL DEFAULT now(),\n"
        "    PRIMARY KEY (source_id, version)\n"
        ");\n"
    )


def _silver_sql(domain: str, model: SourceModel) -> str:
    # Generated file text (never executed here); every name passed _problems' identifier check.
    target = f"silver.{domain}_{model.table}"
    columns = ["    b.source_id AS id"]
    columns += [
        f"    (b.payload ->> '{fld.name}')::{fld.pg_type} AS {fld.name}"
        for fld in model.fields
        if fld.name != "id"
    ]
    columns.append("    b.source_write_date AS updated_at")
    bronze = _bronze_table(domain, model)
    latest = f"SELECT DISTINCT ON (source_id) * FROM {bronze} ORDER BY source_id, load_seq DESC"  # noqa: S608
    lines = [
        f"-- Silver {model.model}: the latest version of each record, typed; tombstones dropped.",
        f"DROP TABLE IF EXISTS {target};",
        f"CREATE TABLE {target} AS",
        "SELECT",
        ",\n".join(columns),
        f"FROM ({latest}) b",
        "WHERE NOT b.is_deleted;",
        f"ALTER TABLE {target} ADD PRIMARY KEY (id);",
    ]
    return "\n".join(lines) + "\n"


def _period_field(model: SourceModel) -> SourceField | None:
    dated = [f for f in model.fields if f.ttype in ("date", "datetime")]
    return dated[0] if dated else None


def _gold(domain: str, model: SourceModel) -> tuple[str, str, list[tuple[str, str, str]]]:
    """Gold monthly mart of a model: (table name, SQL, [(column, type, description)])."""
    table = f"{domain}_{model.table}_monthly"
    period = _period_field(model)
    month = f"date_trunc('month', {period.name})::date" if period else "date_trunc('month', updated_at)::date"
    measures = [
        f for f in model.fields if f.ttype in NUMERIC_TYPES and f.name != "id" and f.ttype != "many2one"
    ]
    columns = [
        ("period_month", "date", f"First day of the month ({period.name if period else 'last update'})."),
        ("records", "bigint", f"Number of {model.model} records."),
    ]
    select = [f"{month} AS period_month", "count(*) AS records"]
    for fld in measures:
        select.append(f"sum({fld.name})::{fld.pg_type} AS {fld.name}_total")
        columns.append((f"{fld.name}_total", fld.pg_type, f"Sum of {fld.name}."))
    text = (
        f"-- Gold: {model.model} per month.\n"
        f"DROP TABLE IF EXISTS gold.{table};\n"
        f"CREATE TABLE gold.{table} AS\nSELECT " + ",\n       ".join(select) + "\n"
        f"FROM silver.{domain}_{model.table}\nGROUP BY 1;\n"
        f"ALTER TABLE gold.{table} ADD PRIMARY KEY (period_month);\n"
    )
    return table, text, columns


def scaffold(
    domain: str,
    owner: str,
    models: Sequence[SourceModel],
    *,
    schedule: str = "0 2 * * *",
    freshness_hours: float = 26,
) -> dict[str, str]:
    """Every file of a new domain, ``{path under specs/: text}``; raises :class:`SpecError`."""
    problems = _problems(domain, owner, models)
    if problems:
        raise SpecError(f"Cannot scaffold domain {domain!r}", problems)
    files: dict[str, str] = {}
    steps: list[dict[str, Any]] = []
    checks: list[dict[str, Any]] = []
    tables: list[str] = []
    for model in models:
        silver = f"{domain}_{model.table}"
        files[f"sql/{domain}/bronze_{model.table}.sql"] = _bronze_sql(domain, model)
        files[f"sql/{domain}/silver_{model.table}.sql"] = _silver_sql(domain, model)
        gold, gold_sql, gold_columns = _gold(domain, model)
        files[f"sql/{domain}/gold_{model.table}_monthly.sql"] = gold_sql
        steps += [
            {
                "id": f"extract_{model.table}",
                "kind": odoo_source.KIND,
                "description": f"Changed {model.model} records since the watermark into bronze (JSON rows).",
                "config": {"model": model.model, "fields": [f.name for f in model.fields],
                           "target": _bronze_table(domain, model)},
                "retries": 2,
                "retry_backoff_s": 60,
            },
            {
                "id": f"silver_{model.table}",
                "kind": "sql",
                "description": f"Typed, deduplicated {model.model}.",
                "depends_on": [f"extract_{model.table}"],
                "config": {"file": f"sql/{domain}/silver_{model.table}.sql", "target": f"silver.{silver}",
                           "materialization": "table"},
            },
            {
                "id": f"gold_{model.table}_monthly",
                "kind": "sql",
                "description": f"{model.model} per month.",
                "depends_on": [f"silver_{model.table}"],
                "config": {"file": f"sql/{domain}/gold_{model.table}_monthly.sql", "target": f"gold.{gold}",
                           "materialization": "table"},
            },
            {
                "id": f"check_{model.table}",
                "kind": "quality_gate",
                "depends_on": [f"gold_{model.table}_monthly"],
                "config": {"table": f"silver.{silver}", "checks": ["not_null", "unique", "freshness"],
                           "blocking": True},
            },
        ]  # fmt: skip
        silver_columns: list[dict[str, Any]] = [
            {"name": "id", "type": "bigint", "description": f"Odoo id of the {model.model} record.",
             "tests": ["not_null", "unique"]}
        ]  # fmt: skip
        for fld in model.fields:
            if fld.name == "id":
                continue
            column: dict[str, Any] = {
                "name": fld.name,
                "type": fld.pg_type,
                "description": f"{model.model}.{fld.name}",
            }
            if fld.required:
                column["tests"] = ["not_null"]
                checks.append({"name": f"{silver}_{fld.name}_not_null", "table": f"silver.{silver}",
                               "type": "not_null", "column": fld.name})  # fmt: skip
            silver_columns.append(column)
        silver_columns.append({"name": "updated_at", "type": "timestamp", "description": "Odoo write_date."})
        checks += [
            {"name": f"{silver}_id_unique", "table": f"silver.{silver}", "type": "unique", "column": "id"},
            {"name": f"{silver}_fresh", "table": f"silver.{silver}", "type": "freshness",
             "column": "updated_at", "max_age_hours": freshness_hours, "blocking": False,
             "severity": "warning"},
            {"name": f"{gold}_period_not_null", "table": f"gold.{gold}", "type": "not_null",
             "column": "period_month"},
        ]  # fmt: skip
        for layer, name, columns in (
            ("silver", silver, silver_columns),
            ("gold", gold, [{"name": c, "type": t, "description": d} for c, t, d in gold_columns]),
        ):
            files[f"tables/{domain}/{name}.yaml"] = _dump(
                {
                    "name": name,
                    "layer": layer,
                    "owner": owner,
                    "domain": domain,
                    "description": f"{model.model} ({layer}), scaffolded by the new-domain template.",
                    "slo": {"freshness_hours": freshness_hours},
                    "columns": columns,
                },
                "table",
            )
            tables.append(f"{layer}.{name}")
    files[f"domains/{domain}.yaml"] = _dump(
        {
            "name": domain,
            "owner_team": owner,
            "description": f"Odoo {', '.join(m.model for m in models)} from bronze to gold.",
            "layers": ["bronze", "silver", "gold"],
            "tables": tables,
        },
        "domain",
    )
    files[f"pipelines/{domain}.yaml"] = _dump(
        {
            "name": domain,
            "description": f"Scaffolded pipeline of {domain}: bronze, silver, gold and Guardian gates.",
            "domain": domain,
            "owner": owner,
            "schedule": schedule,
            "steps": steps,
        },
        "pipeline",
    )
    files[f"checks/{domain}.yaml"] = _dump({"checks": checks})
    return files
