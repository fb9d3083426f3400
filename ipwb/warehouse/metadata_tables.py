"""The ``ip_workbench`` schema: the workbench's metadata, published in the warehouse.

One definition per table, column by column, with the comment written into PostgreSQL
(``COMMENT ON``) and into the README (:func:`markdown`). The tables are derived data:
the workbench rewrites them after catalog scans, pipeline runs and cost entries, and
hourly; nobody else writes them.

Every table has ``restricted_oids``: the warehouse relations whose restriction the row
reveals (a restricted table, its columns, a lineage edge touching it, its DQ scores).
Row-level security shows a row only to roles that may ``SELECT`` every one of them, so
the metadata of a restricted table stays as hidden as its data.
"""

from __future__ import annotations

from dataclasses import dataclass

#: the schema's name, as the seed's Supabase project calls it
SCHEMA = "ip_workbench"

#: the column every table carries for row-level security (see module docstring)
RESTRICTED_OIDS = "restricted_oids"


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    comment: str


@dataclass(frozen=True)
class MetaTable:
    name: str
    comment: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return (*(c.name for c in self.columns), RESTRICTED_OIDS)


def _c(name: str, pg_type: str, comment: str) -> Column:
    return Column(name, pg_type, comment)


_RESTRICTED = Column(
    RESTRICTED_OIDS,
    "oid[]",
    "Warehouse relations (pg_class oids) whose restriction this row reveals; the row is shown "
    "only to roles that may SELECT all of them (0: a restricted table not scanned yet, never shown).",
)

TABLES: tuple[MetaTable, ...] = (
    MetaTable(
        "pipelines",
        "Pipelines of the workbench (ipwb.pipeline), archived ones included.",
        (
            _c("id", "integer", "Workbench id of the pipeline."),
            _c("code", "text", "Technical name (the spec file's name)."),
            _c("name", "text", "Name as written by its author."),
            _c("domain", "text", "Business domain, e.g. finance."),
            _c("state", "text", "draft, validated or production."),
            _c("active", "boolean", "False when archived."),
            _c("owner", "text", "Name of the user whose rights the runs use."),
            _c("schedule", "text", "Cron expression of the schedule, empty when run by hand."),
            _c("budget_per_run_usd", "numeric", "Cost budget of one run (USD), 0 for none."),
            _c("step_count", "integer", "Number of steps."),
            _c("updated_at", "timestamp", "Last change of the pipeline record (UTC)."),
        ),
    ),
    MetaTable(
        "pipeline_specs",
        "The YAML spec of each pipeline, as `ipwb spec validate` reads it.",
        (
            _c("pipeline_id", "integer", "pipelines.id"),
            _c("code", "text", "Technical name of the pipeline."),
            _c("spec_yaml", "text", "The pipeline as a YAML spec (steps, dependencies, parameters)."),
            _c("steps_changed_at", "timestamp", "Last change of the steps (UTC)."),
        ),
    ),
    MetaTable(
        "tables",
        "Warehouse relations of the catalog (ipwb.table) with their governance.",
        (
            _c("id", "integer", "Workbench id of the catalog entry."),
            _c("table_oid", "oid", "pg_class oid of the relation when scanned."),
            _c("schema_name", "text", "Schema of the relation."),
            _c("table_name", "text", "Name of the relation."),
            _c("full_name", "text", "schema.name"),
            _c("kind", "text", "table, partitioned_table, view, materialized_view or foreign_table."),
            _c("layer", "text", "bronze, silver, gold or platinum."),
            _c("domain", "text", "Business domain."),
            _c("owner", "text", "Name of the owning user."),
            _c("team", "text", "Owner team (a workbench user group)."),
            _c("restricted", "boolean", "Readable only by the owner team and administrators."),
            _c("active", "boolean", "False once the relation was dropped."),
            _c("row_count", "bigint", "Row estimate at the last scan."),
            _c("total_bytes", "bigint", "Size on disk at the last scan."),
            _c("slo_freshness_hours", "numeric", "Freshness SLO in hours (0: none)."),
            _c("slo_completeness_pct", "numeric", "Completeness SLO in percent (0: none)."),
            _c("description", "text", "Description written by people."),
        ),
    ),
    MetaTable(
        "columns",
        "Columns of the cataloged relations (ipwb.column).",
        (
            _c("id", "integer", "Workbench id of the column entry."),
            _c("table_id", "integer", "tables.id"),
            _c("table_full_name", "text", "schema.name of the relation."),
            _c("column_name", "text", "Name of the column."),
            _c("ordinal", "integer", "Position among the relation's columns (1-based)."),
            _c("data_type", "text", "PostgreSQL type as declared."),
            _c("nullable", "boolean", "Accepts NULL."),
            _c("is_primary_key", "boolean", "Part of the primary key."),
            _c("is_pii", "boolean", "Holds personal data (set by Architects)."),
            _c("description", "text", "Description written by people."),
        ),
    ),
    MetaTable(
        "lineage",
        "Table- and column-level lineage edges (ipwb.lineage.edge).",
        (
            _c("id", "integer", "Workbench id of the edge."),
            _c("edge_type", "text", "table or column."),
            _c("source_table", "text", "schema.name read."),
            _c("source_column", "text", "Column read (column edges)."),
            _c("target_table", "text", "schema.name written."),
            _c("target_column", "text", "Column written (column edges)."),
            _c(
                "origin",
                "text",
                "Where the edge was learnt: pipeline_step, dbt, query_history, manual or view.",
            ),
        ),
    ),
    MetaTable(
        "runs",
        "Pipeline runs (ipwb.pipeline.run).",
        (
            _c("id", "integer", "Workbench id of the run."),
            _c("pipeline_id", "integer", "pipelines.id"),
            _c("pipeline_code", "text", "Technical name of the pipeline."),
            _c("domain", "text", "Business domain of the pipeline."),
            _c("state", "text", "queued, running, succeeded, failed or cancelled."),
            _c("trigger", "text", "manual, schedule, backfill or rerun."),
            _c("started_at", "timestamp", "Start (UTC)."),
            _c("finished_at", "timestamp", "End (UTC)."),
            _c("duration_s", "numeric", "Duration in seconds."),
            _c("cost_usd", "numeric", "Cost of the run (USD)."),
            _c("attempt", "integer", "Attempt number (retries)."),
        ),
    ),
    MetaTable(
        "dq_scores",
        "Guardian scorecards (ipwb.dq.scorecard): scores out of 100 per table or domain and day.",
        (
            _c("id", "integer", "Workbench id of the scorecard."),
            _c("scope", "text", "table or domain."),
            _c("name", "text", "schema.table, or the domain's name."),
            _c("scored_at", "timestamp", "When the checks ran (UTC)."),
            _c("completeness", "numeric", "Completeness dimension (0-100)."),
            _c("uniqueness", "numeric", "Uniqueness dimension (0-100)."),
            _c("consistency", "numeric", "Consistency dimension (0-100)."),
            _c("validity", "numeric", "Validity dimension (0-100)."),
            _c("timeliness", "numeric", "Timeliness dimension (0-100)."),
            _c("overall", "numeric", "Guardian score (0-100)."),
            _c("checks_count", "integer", "Checks run."),
            _c("failed_count", "integer", "Checks not passing."),
        ),
    ),
    MetaTable(
        "cost_tracker",
        "The cost ledger (ipwb.cost.entry): LLM calls, pipeline runs and warehouse compute.",
        (
            _c("id", "integer", "Workbench id of the entry."),
            _c("spent_at", "timestamp", "When the cost was incurred (UTC)."),
            _c("source", "text", "What was priced: llm, pipeline or warehouse."),
            _c("description", "text", "What the entry is for."),
            _c("model_name", "text", "LLM model or compute profile priced."),
            _c("tokens_in", "integer", "Prompt tokens."),
            _c("tokens_out", "integer", "Completion tokens."),
            _c("compute_seconds", "numeric", "Compute time priced (s)."),
            _c("amount_usd", "numeric", "Amount (USD)."),
            _c("user_name", "text", "User the cost is attributed to."),
            _c("domain", "text", "Business domain of the work."),
        ),
    ),
)

TABLES_BY_NAME = {table.name: table for table in TABLES}


def markdown() -> str:
    """The README's column documentation of the schema (kept equal by a test)."""
    lines: list[str] = []
    for table in TABLES:
        lines += [f"**`{SCHEMA}.{table.name}`** — {table.comment}", ""]
        lines += ["| column | type | meaning |", "| --- | --- | --- |"]
        lines += [f"| `{c.name}` | {c.pg_type} | {c.comment} |" for c in (*table.columns, _RESTRICTED)]
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def all_columns(table: MetaTable) -> tuple[Column, ...]:
    return (*table.columns, _RESTRICTED)
