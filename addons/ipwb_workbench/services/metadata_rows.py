# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Rows of the ``ip_workbench`` tables from the workbench's records.

The publication is the workbench's own metadata, written by the system (not a user's
action), so the records are read as superuser; what a warehouse role may then see of a
restricted table is decided in the warehouse by row-level security (``restricted_oids``,
see :mod:`ipwb.warehouse.metadata_tables`).
"""

#: an oid no relation has: a restricted table not scanned yet is hidden from every reader
UNKNOWN_OID = 0


def _oid(table):
    try:
        return int(table.oid) if table.oid else UNKNOWN_OID
    except ValueError:
        return UNKNOWN_OID


def _hidden_oids(tables):
    return [_oid(table) for table in tables if table.restricted]


def _text(value):
    return value or None


def collect(env, connection):
    """``{table name: rows}`` for every ``ip_workbench`` table, for the given warehouse."""
    env = env(su=True)
    tables = (
        env["ipwb.table"]
        .with_context(active_test=False)
        .search([("connection_id", "=", connection.id)], order="id")
    )
    by_full_name = {table.full_name: table for table in tables}

    def reveals(*names):
        return _hidden_oids([by_full_name[name] for name in names if name in by_full_name])

    rows = {
        "tables": [
            (
                t.id,
                int(t.oid) if t.oid and t.oid.isdigit() else None,
                t.schema_name,
                t.name,
                t.full_name,
                t.kind,
                _text(t.layer),
                _text(t.domain),
                _text(t.owner_id.name),
                _text(t.team_id.full_name),
                t.restricted,
                t.active,
                int(t.row_count or 0),
                int(t.total_bytes or 0),
                t.slo_freshness_hours,
                t.slo_completeness_pct,
                _text(t.description),
                _hidden_oids(t),
            )
            for t in tables
        ],
        "columns": [
            (
                c.id,
                c.table_id.id,
                c.table_id.full_name,
                c.name,
                c.ordinal,
                _text(c.data_type),
                c.nullable,
                c.is_primary_key,
                c.is_pii,
                _text(c.description),
                _hidden_oids(c.table_id),
            )
            for c in env["ipwb.column"].search([("table_id", "in", tables.ids)], order="id")
        ],
        "lineage": [
            (
                e.id,
                e.edge_type,
                e.source_table,
                _text(e.source_column),
                e.target_table,
                _text(e.target_column),
                e.source,
                reveals(e.source_table, e.target_table),
            )
            for e in env["ipwb.lineage.edge"].search(
                [("connection_id", "in", [connection.id, False])], order="id"
            )
        ],
        "dq_scores": [
            (
                s.id,
                s.scope,
                s.name,
                s.date,
                s.completeness,
                s.uniqueness,
                s.consistency,
                s.validity,
                s.timeliness,
                s.overall,
                s.checks_count,
                s.failed_count,
                reveals(s.name) if s.scope == "table" else [],
            )
            for s in env["ipwb.dq.scorecard"].search([], order="id")
        ],
    }
    pipelines = env["ipwb.pipeline"].with_context(active_test=False).search([], order="id")
    rows["pipelines"] = [
        (
            p.id,
            p.code,
            p.name,
            _text(p.domain_name),
            p.state,
            p.active,
            _text(p.owner_id.name),
            _text(p.schedule),
            p.budget_per_run,
            len(p.step_ids),
            p.write_date,
            [],
        )
        for p in pipelines
    ]
    rows["pipeline_specs"] = [(p.id, p.code, p.spec_yaml, p.steps_changed_at or None, []) for p in pipelines]
    rows["runs"] = [
        (
            r.id,
            r.pipeline_id.id,
            r.pipeline_id.code,
            _text(r.domain_name),
            r.state,
            r.trigger,
            r.date_start or None,
            r.date_end or None,
            r.duration,
            r.cost_usd,
            r.attempt,
            [],
        )
        for r in env["ipwb.pipeline.run"].search([], order="id")
    ]
    rows["cost_tracker"] = [
        (
            e.id,
            e.date,
            e.source,
            _text(e.description),
            _text(e.model_name),
            e.tokens_in,
            e.tokens_out,
            e.compute_seconds,
            e.amount_usd,
            _text(e.user_id.name),
            _text(e.domain_name),
            [],
        )
        for e in env["ipwb.cost.entry"].search([], order="id")
    ]
    return rows
