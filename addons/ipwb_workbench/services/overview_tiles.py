# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The overview's figures: one grouped query per tile, under the caller's access rights.

Every query starts from ``Model._search(domain)``, which checks the model's access rights
and adds the record rules of the current user; the aggregates (percentiles, filtered
counts, per-day series with ``GROUPING SETS``) are composed around it with ``odoo.tools.SQL``.
A model the user may not read gives a hidden tile, never a figure computed as superuser.
"""

import datetime

from odoo.exceptions import AccessError
from odoo.tools import SQL

from ipwb.overview.tiles import Tile, daily_series, format_value


class Scope:
    """The filters and period of one overview request."""

    def __init__(self, env, days, domain_name="", team=None, targets=None):
        self.env = env
        self.days = days
        self.domain_name = domain_name
        self.team = team
        self.targets = targets
        self.now = datetime.datetime.now().replace(microsecond=0)
        self.today = self.now.date()
        self.start = datetime.datetime.combine(
            self.today - datetime.timedelta(days=days - 1), datetime.time()
        )

    def since(self, field):
        return [(field, ">=", self.start)]

    def by_domain(self, field):
        return [(field, "=", self.domain_name)] if self.domain_name else []

    def by_team(self, user_field):
        return [(f"{user_field}.groups_id", "in", self.team.ids)] if self.team else []

    def by_owner_team(self):
        return [("team_id", "=", self.team.id)] if self.team else []

    def link(self, model, name, domain, views=("list", "form")):
        return {
            "type": "ir.actions.act_window",
            "res_model": model,
            "name": name,
            "domain": domain,
            "views": [[False, view] for view in views],
            "target": "current",
        }


def _query(env, model, domain):
    """The rights-checked query of ``model`` records matching ``domain``, or None (no access)."""
    try:
        return env[model]._search(domain)
    except AccessError:
        return None


def _col(env, model, query, fname):
    return env[model]._field_to_sql(query.table, fname, query)


def _grouped(env, model, query, day_field, aggregates):
    """Per-day and whole-period aggregates of ``query`` in one statement.

    ``aggregates`` are SQL expressions over the inner row aliases; the answer is
    ``(total_row, [(day, *values)])``.
    """
    inner = query.select(
        SQL("(%s)::date AS day", _col(env, model, query, day_field)),
        SQL("%s.*", SQL.identifier(query.table)),
    )
    env.cr.execute(
        SQL(
            "SELECT GROUPING(s.day), s.day, %s FROM (%s) s GROUP BY GROUPING SETS ((s.day), ())",
            SQL(", ").join(aggregates),
            inner,
        )
    )
    total, days = None, []
    for row in env.cr.fetchall():
        if row[0]:
            total = row[2:]
        else:
            days.append((row[1], *row[2:]))
    return total or (None,) * len(aggregates), days


def _number(value):
    return None if value is None else float(value)


def active_users(scope):
    env = scope.env
    key, label = "active_users", env._("Active workbench users")
    domain = [
        *scope.since("create_date"),
        ("create_uid.groups_id", "in", env.ref("ipwb_catalog.group_ipwb_user").ids),
        *scope.by_team("create_uid"),
    ]
    query = _query(env, "res.users.log", domain)
    if query is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    total, days = _grouped(env, "res.users.log", query, "create_date", [SQL("count(DISTINCT s.create_uid)")])
    return Tile(
        key,
        label,
        _number(total[0]) or 0.0,
        scope.targets[key],
        detail=env._("distinct users who logged in (daily series below)"),
        series=daily_series([(d, float(v)) for d, v in days], scope.today, scope.days),
        link=scope.link(
            "res.users",
            label,
            [("log_ids.create_date", ">=", str(scope.start)), ("groups_id", "in", domain[1][2])]
            + ([("groups_id", "in", scope.team.ids)] if scope.team else []),
        ),
    )


def pipelines_production(scope):
    env = scope.env
    key, label = "pipelines_production", env._("Pipelines in production")
    domain = [("state", "=", "production"), *scope.by_domain("domain_name"), *scope.by_team("owner_id")]
    try:
        groups = env["ipwb.pipeline"]._read_group(domain, ["domain_name"], ["__count"])
    except AccessError:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    breakdown = {name or env._("no domain"): float(count) for name, count in groups}
    return Tile(
        key,
        label,
        float(sum(breakdown.values())),
        scope.targets[key],
        detail=env._("by domain"),
        breakdown=breakdown,
        link=scope.link("ipwb.pipeline", label, domain, ("list", "kanban", "form")),
    )


def run_success_rate(scope):
    env = scope.env
    model = "ipwb.pipeline.run"
    key, label = "run_success_rate", env._("Scheduled runs succeeded")
    domain = [
        ("trigger", "=", "schedule"),
        ("state", "in", ("succeeded", "failed")),
        *scope.since("date_end"),
        *scope.by_domain("domain_name"),
        *scope.by_team("pipeline_owner_id"),
    ]
    query = _query(env, model, domain)
    if query is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    rate = SQL("100.0 * avg(CASE WHEN s.state = 'succeeded' THEN 1 ELSE 0 END)")
    total, days = _grouped(env, model, query, "date_end", [rate, SQL("count(*)")])
    value = _number(total[0])
    return Tile(
        key,
        label,
        value,
        scope.targets[key],
        display=f"{format_value(value)} %" if value is not None else "",
        detail=env._("%s scheduled runs finished", int(total[1] or 0)),
        series=daily_series([(d, float(r)) for d, r, _n in days], scope.today, scope.days),
        link=scope.link(model, label, domain, ("list", "graph", "form")),
    )


def tables_cataloged(scope):
    env = scope.env
    model = "ipwb.table"
    key, label = "tables_cataloged", env._("Tables cataloged")
    domain = scope.by_domain("domain") + scope.by_owner_team()
    query = _query(env, model, domain)
    if query is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    table = SQL.identifier(query.table)
    env.cr.execute(
        SQL(
            """SELECT GROUPING(s.layer) = 1, s.layer, s.day, count(*)
                 FROM (%s) s GROUP BY GROUPING SETS ((s.layer), (s.day))""",
            query.select(
                SQL("COALESCE(%s.layer, '') AS layer", table),
                SQL(
                    "CASE WHEN %s.create_date >= %s THEN %s.create_date::date END AS day",
                    table,
                    scope.start,
                    table,
                ),
            ),
        )
    )
    breakdown, new = {}, []
    for by_day, layer, day, count in env.cr.fetchall():
        if not by_day:  # GROUPING(layer) = 0: a row of the per-layer set
            breakdown[layer or env._("no layer")] = float(count)
        elif day is not None:
            new.append((day, float(count)))
    return Tile(
        key,
        label,
        float(sum(breakdown.values())),
        scope.targets[key],
        detail=env._("by layer; new tables per day below"),
        breakdown=breakdown,
        series=daily_series(new, scope.today, scope.days),
        link=scope.link(model, label, domain),
    )


def gold_ready(scope):
    env = scope.env
    model = "ipwb.table"
    key, label = "gold_ready", env._("Gold tables ready")
    domain = [("layer", "=", "gold"), *scope.by_domain("domain"), *scope.by_owner_team()]
    query = _query(env, model, domain)
    if query is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    table = SQL.identifier(query.table)
    owner = SQL("%s.owner_id IS NOT NULL", table)
    slo = SQL(
        "(COALESCE(%s.slo_freshness_hours, 0) > 0 OR COALESCE(%s.slo_completeness_pct, 0) > 0)", table, table
    )
    tests = SQL("EXISTS (SELECT 1 FROM ipwb_dq_check c WHERE c.active AND c.table_ref = %s.full_name)", table)
    lineage = SQL(
        "EXISTS (SELECT 1 FROM ipwb_lineage_edge e"
        " WHERE e.target_table_id = %s.id OR e.target_table = %s.full_name)",
        table,
        table,
    )
    env.cr.execute(
        query.select(
            SQL("count(*)"),
            SQL("count(*) FILTER (WHERE %s)", owner),
            SQL("count(*) FILTER (WHERE %s)", slo),
            SQL("count(*) FILTER (WHERE %s)", tests),
            SQL("count(*) FILTER (WHERE %s)", lineage),
            SQL("count(*) FILTER (WHERE %s AND %s AND %s AND %s)", owner, slo, tests, lineage),
        )
    )
    total, with_owner, with_slo, with_tests, with_lineage, ready = env.cr.fetchone()
    value = 100.0 * ready / total if total else None
    return Tile(
        key,
        label,
        value,
        scope.targets[key],
        display=f"{format_value(value)} %" if value is not None else "",
        detail=env._(
            "%(ready)s of %(total)s gold tables have owner, SLO, tests and lineage", ready=ready, total=total
        ),
        breakdown={
            env._("owner"): float(with_owner),
            env._("SLO"): float(with_slo),
            env._("tests"): float(with_tests),
            env._("lineage"): float(with_lineage),
        },
        link=scope.link(model, label, domain),
    )


def dq_score(scope):
    env = scope.env
    model = "ipwb.dq.scorecard"
    key, label = "dq_score", env._("Guardian DQ score")
    domain = [("scope", "=", "table"), *scope.since("date")]
    query = _query(env, model, domain)
    tables = _query(env, "ipwb.table", scope.by_domain("domain") + scope.by_owner_team())
    if query is None or tables is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    if scope.domain_name or scope.team:
        query.add_where(
            SQL(
                "%s.name IN %s",
                SQL.identifier(query.table),
                tables.subselect(SQL.identifier(tables.table, "full_name")),
            )
        )
    alias = SQL.identifier(query.table)
    latest = SQL(
        "row_number() OVER (PARTITION BY %s.name ORDER BY %s.date DESC, %s.id DESC) = 1", alias, alias, alias
    )
    env.cr.execute(
        SQL(
            """SELECT GROUPING(s.day), s.day, avg(s.overall), avg(s.overall) FILTER (WHERE s.latest),
                      count(*) FILTER (WHERE s.latest)
                 FROM (%s) s GROUP BY GROUPING SETS ((s.day), ())""",
            query.select(
                SQL("%s.date::date AS day", alias), SQL("%s.overall", alias), SQL("%s AS latest", latest)
            ),
        )
    )
    value, count, days = None, 0, []
    for grouped, day, avg_all, avg_latest, latest_count in env.cr.fetchall():
        if grouped:
            value, count = _number(avg_latest), latest_count or 0
        else:
            days.append((day, _number(avg_all)))
    return Tile(
        key,
        label,
        value,
        scope.targets[key],
        detail=env._("average of the latest score of %s tables", count),
        series=daily_series(days, scope.today, scope.days),
        link=scope.link(model, label, [("scope", "=", "table")], ("list", "graph", "form")),
    )
