# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The overview's usage figures (Genie traces, SQL editor history, cost ledger); see
:mod:`.overview_tiles` for how each is measured under the user's rights."""

import datetime

from odoo.tools import SQL

from ipwb.overview.tiles import SQL_FAST_MS, Tile, daily_series, format_value

from .overview_tiles import _grouped, _number, _query


def ai_usage(scope):
    """Two tiles from one query: AI queries per day and the agents' p90 latency."""
    env = scope.env
    model = "ipwb.llm.trace"
    keys = ("ai_queries", "agent_latency_p90")
    labels = (env._("AI queries per day"), env._("Agent latency p90"))
    domain = scope.since("create_date") + scope.by_team("user_id")
    query = _query(env, model, domain)
    if query is None:
        return [
            Tile(k, lab, None, scope.targets[k], hidden=True) for k, lab in zip(keys, labels, strict=True)
        ]
    agent = SQL("s.agent_run_id IS NOT NULL")
    total, days = _grouped(
        env,
        model,
        query,
        "create_date",
        [
            SQL("count(*)"),
            SQL("percentile_cont(0.9) WITHIN GROUP (ORDER BY s.latency_ms) FILTER (WHERE %s)", agent),
            SQL("count(*) FILTER (WHERE %s)", agent),
        ],
    )
    count, p90 = int(total[0] or 0), _number(total[1])
    return [
        Tile(
            keys[0],
            labels[0],
            count / scope.days,
            scope.targets[keys[0]],
            detail=env._("%s LLM calls in the period", count),
            series=daily_series([(d, float(n)) for d, n, _p, _a in days], scope.today, scope.days),
            link=scope.link(model, labels[0], domain, ("list", "graph", "form")),
        ),
        Tile(
            keys[1],
            labels[1],
            p90,
            scope.targets[keys[1]],
            display=f"{format_value(p90, 0)} ms" if p90 is not None else "",
            detail=env._("over %s agent model calls", int(total[2] or 0)),
            series=daily_series([(d, _number(p)) for d, _n, p, _a in days], scope.today, scope.days),
            link=scope.link(model, labels[1], [*domain, ("agent_run_id", "!=", False)]),
        ),
    ]


def sql_latency(scope):
    env = scope.env
    model = "ipwb.query.history"
    key, label = "sql_fast_share", env._("SQL editor queries under 3 s")
    domain = [("status", "=", "success"), *scope.since("create_date"), *scope.by_team("user_id")]
    query = _query(env, model, domain)
    if query is None:
        return Tile(key, label, None, scope.targets[key], hidden=True)
    total, days = _grouped(
        env,
        model,
        query,
        "create_date",
        [
            SQL("100.0 * avg(CASE WHEN s.duration_ms < %s THEN 1 ELSE 0 END)", SQL_FAST_MS),
            SQL("percentile_cont(0.9) WITHIN GROUP (ORDER BY s.duration_ms)"),
            SQL("count(*)"),
        ],
    )
    share, p90 = _number(total[0]), _number(total[1])
    return Tile(
        key,
        label,
        share,
        scope.targets[key],
        display=f"{format_value(share)} %" if share is not None else "",
        detail=env._(
            "p90 %(p90)s ms over %(count)s queries", p90=format_value(p90, 0), count=int(total[2] or 0)
        ),
        series=daily_series([(d, _number(p)) for d, _s, p, _n in days], scope.today, scope.days),
        link=scope.link(model, label, domain),
    )


def cost(scope, budget):
    """Two tiles from one query: cost per user this month and the monthly budget used."""
    env = scope.env
    model = "ipwb.cost.entry"
    keys = ("cost_per_user", "budget_use")
    labels = (env._("Cost per user this month"), env._("Monthly budget used"))
    month_start = datetime.datetime.combine(scope.today.replace(day=1), datetime.time())
    start = min(scope.start, month_start)
    domain = [("date", ">=", start), *scope.by_domain("domain_name"), *scope.by_team("user_id")]
    query = _query(env, model, domain)
    if query is None:
        return [
            Tile(k, lab, None, scope.targets[k], hidden=True) for k, lab in zip(keys, labels, strict=True)
        ]
    in_month = SQL("s.date >= %s", month_start)
    total, days = _grouped(
        env,
        model,
        query,
        "date",
        [
            SQL("sum(s.amount_usd) FILTER (WHERE %s)", in_month),
            SQL("count(DISTINCT s.user_id) FILTER (WHERE %s)", in_month),
            SQL("sum(s.amount_usd) FILTER (WHERE s.date >= %s)", scope.start),
        ],
    )
    spent, users = float(total[0] or 0.0), int(total[1] or 0)
    per_user = spent / users if users else None
    use = 100.0 * spent / budget if budget else None
    series = daily_series(
        [(d, _number(p)) for d, _m, _u, p in days if d >= scope.start.date()], scope.today, scope.days
    )
    month_domain = [("date", ">=", month_start), *domain[1:]]
    return [
        Tile(
            keys[0],
            labels[0],
            per_user,
            scope.targets[keys[0]],
            display=f"{format_value(per_user, 2)} USD" if per_user is not None else "",
            detail=env._("%(spent)s USD over %(users)s users", spent=f"{spent:.2f}", users=users),
            series=series,
            link=scope.link(model, labels[0], month_domain, ("list", "pivot", "graph", "form")),
        ),
        Tile(
            keys[1],
            labels[1],
            use,
            scope.targets[keys[1]],
            display=f"{format_value(use)} %" if use is not None else "",
            detail=env._("budget %s USD a month", format_value(budget, 2)),
            link=scope.link(model, labels[1], month_domain, ("list", "pivot", "graph", "form")),
        ),
    ]
