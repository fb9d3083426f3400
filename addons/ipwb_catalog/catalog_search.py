# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Catalog search: one SQL query over table and column names, descriptions, comments and tags.

Ranking tiers (a higher tier always wins over a lower one, whatever the boosts):
exact name 1000 > prefix 500 > substring 300 > fuzzy (pg_trgm similarity, 60..99) >
description/comment/tag 50; a column hit ranks its table a little below the same tier for
the table's own name. Boosts (+20 each): gold/platinum layer, owned by the searching user;
usage boost ``min(19, ceil(log2(1 + usage_count)))`` (:func:`usage_boost`; ``usage_count`` is
the number of distinct query-history queries that read the table in the last 90 days). All
boosts together (at most 59) stay below the gaps between the name tiers exact/prefix/substring/
fuzzy (column sub-tiers included), so they reorder hits inside a tier only; the one exception is
a text hit (50), which gold + owned (+40) could already lift past the weakest fuzzy hits (60).
The trigram GIN indexes (``index="trigram"`` on names and descriptions) serve the
``ILIKE`` and ``%`` / ``<%`` conditions. Record rules apply: the candidate tables are
``_search``'s query, so restricted tables stay hidden.
"""

import math

from odoo.exceptions import UserError
from odoo.tools import SQL

#: longest query searched; longer input is cut (never an error)
MAX_QUERY = 200
MAX_LIMIT = 200
#: matches counted for the facets
FACET_WINDOW = 2000
FACETS = ("layer", "domain", "owner_id", "tag_ids", "kind", "connection_id")
#: highest usage boost: with gold and owned (+40) it stays below the next tier
MAX_USAGE_BOOST = 19


def usage_boost(usage_count):
    """``min(19, ceil(log2(1 + usage)))``: the search's usage boost (mirrors the SQL below).

    >>> [usage_boost(n) for n in (0, 1, 2, 3, 4, 1000, 10**9)]
    [0, 1, 2, 2, 3, 10, 19]
    """
    return min(MAX_USAGE_BOOST, math.ceil(math.log2(1 + max(usage_count or 0, 0))))


def like_escape(text):
    r"""Escape LIKE wildcards (backslash is PostgreSQL's default LIKE escape).

    >>> like_escape("50%_off\\")
    '50\\%\\_off\\\\'
    """
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _facet_domain(env, facets):
    domain = []
    for key, given in facets.items():
        if key not in FACETS:
            raise UserError(env._("Unknown catalog facet %s.", key))
        values = [v for v in (given if isinstance(given, list | tuple) else [given]) if v is not None]
        if not values:
            continue
        if key in ("owner_id", "tag_ids", "connection_id"):
            try:
                values = [int(v) for v in values]
            except (TypeError, ValueError):
                raise UserError(env._("Facet %s takes record ids.", key)) from None
        domain.append((key, "in", values))
    return domain


def _score_sql(q, has_trigram):
    """Scoring of tables (own name/text) and of their best column, as SQL expressions."""
    ql = q.lower()
    prefix = like_escape(q) + "%"
    anywhere = "%" + like_escape(q) + "%"
    if has_trigram:
        fuzzy_t = SQL("GREATEST(similarity(t.name, %s), word_similarity(%s, t.name))", q, q)
        fuzzy_c = SQL("GREATEST(similarity(c.name, %s), word_similarity(%s, c.name))", q, q)
        # a literal "%" is written "%%%%" in an SQL() with arguments: formatting the
        # arguments in halves it, and psycopg2 halves it again
        near_t = SQL("(t.name %%%% %s OR %s <%%%% t.name)", q, q)
        near_c = SQL("(c.name %%%% %s OR %s <%%%% c.name)", q, q)
    else:
        fuzzy_t = fuzzy_c = SQL("0")
        near_t = near_c = SQL("FALSE")
    tag_hit_t = SQL(
        """EXISTS (SELECT 1 FROM ipwb_table_ipwb_tag_rel r JOIN ipwb_tag g ON g.id = r.ipwb_tag_id
                    WHERE r.ipwb_table_id = t.id AND g.name ILIKE %s)""",
        anywhere,
    )
    table_score = SQL(
        """CASE WHEN lower(t.name) = %(ql)s OR lower(t.full_name) = %(ql)s THEN 1000
                WHEN t.name ILIKE %(prefix)s OR t.full_name ILIKE %(prefix)s THEN 500
                WHEN t.full_name ILIKE %(any)s THEN 300
                WHEN %(near)s THEN 60 + 39 * %(fuzzy)s
                WHEN t.description ILIKE %(any)s OR t.comment ILIKE %(any)s OR %(tag)s THEN 50
                ELSE 0 END""",
        ql=ql,
        prefix=prefix,
        any=anywhere,
        near=near_t,
        fuzzy=fuzzy_t,
        tag=tag_hit_t,
    )
    column_score = SQL(
        """CASE WHEN lower(c.name) = %(ql)s THEN 900
                WHEN c.name ILIKE %(prefix)s THEN 450
                WHEN c.name ILIKE %(any)s THEN 250
                WHEN %(near)s THEN 55 + 34 * %(fuzzy)s
                WHEN c.description ILIKE %(any)s OR c.comment ILIKE %(any)s THEN 40
                ELSE 0 END""",
        ql=ql,
        prefix=prefix,
        any=anywhere,
        near=near_c,
        fuzzy=fuzzy_c,
    )
    column_filter = SQL(
        "(c.name ILIKE %(any)s OR %(near)s OR c.description ILIKE %(any)s OR c.comment ILIKE %(any)s)",
        any=anywhere,
        near=near_c,
    )
    # every condition of table_score, in a form the trigram indexes serve
    table_filter = SQL(
        """(t.full_name ILIKE %(any)s OR %(near)s OR t.description ILIKE %(any)s OR t.comment ILIKE %(any)s
            OR t.id IN (SELECT r.ipwb_table_id FROM ipwb_table_ipwb_tag_rel r
                          JOIN ipwb_tag g ON g.id = r.ipwb_tag_id WHERE g.name ILIKE %(any)s))""",
        any=anywhere,
        near=near_t,
    )
    return table_score, table_filter, column_score, column_filter


def _tier(score):
    for floor, name in ((1000, "exact"), (500, "prefix"), (300, "substring"), (55, "fuzzy")):
        if score >= floor:
            return name
    return "text"


def catalog_search(Table, query, facets, limit):
    """``{"total", "results": [...], "facets": {...}}`` for the catalog search UI and API."""
    env = Table.env
    if not isinstance(query, str):
        raise UserError(env._("The catalog search takes text."))
    q = " ".join(query.replace("\x00", " ").split())[:MAX_QUERY]
    try:
        limit = max(1, min(int(limit or 20), MAX_LIMIT))
    except (TypeError, ValueError):
        raise UserError(env._("The result limit must be a number.")) from None
    for model in ("ipwb.table", "ipwb.column", "ipwb.tag"):
        env[model].flush_model()
    visible = Table._search(_facet_domain(env, facets or {}))
    boost = SQL(
        "(CASE WHEN t.layer IN ('gold', 'platinum') THEN 20 ELSE 0 END"
        " + CASE WHEN t.owner_id = %s THEN 20 ELSE 0 END"
        " + LEAST(%s, CEIL(LOG(2, 1 + GREATEST(COALESCE(t.usage_count, 0), 0)::numeric)))::int)",
        env.uid,
        MAX_USAGE_BOOST,
    )
    if not q:
        env.cr.execute(
            SQL(
                """SELECT t.id, %(boost)s::float AS score, NULL::int, 0::float, 0::float
                     FROM ipwb_table t WHERE t.id IN %(visible)s
                    ORDER BY score DESC, t.full_name LIMIT %(window)s""",
                boost=boost,
                visible=visible.subselect(),
                window=FACET_WINDOW,
            )
        )
    else:
        table_score, table_filter, column_score, column_filter = _score_sql(q, env.registry.has_trigram)
        # JIT compilation costs more than this query (tens of ms) and never pays off here
        env.cr.execute(SQL("SET LOCAL jit = off"))
        env.cr.execute(
            SQL(
                """WITH cand AS (
                       SELECT t.id FROM ipwb_table t WHERE t.id IN %(visible)s
                   ), own AS (
                       SELECT t.id, %(table_score)s AS score
                         FROM ipwb_table t JOIN cand ON cand.id = t.id
                        WHERE %(table_filter)s
                   ), cols AS (
                       SELECT DISTINCT ON (c.table_id) c.table_id, c.id, %(column_score)s AS score
                         FROM ipwb_column c JOIN cand ON cand.id = c.table_id
                        WHERE c.active AND %(column_filter)s
                        ORDER BY c.table_id, score DESC, c.ordinal, c.id
                   )
                   SELECT t.id,
                          GREATEST(COALESCE(own.score, 0), COALESCE(cols.score, 0)) + %(boost)s AS score,
                          cols.id, COALESCE(cols.score, 0), COALESCE(own.score, 0)
                     FROM ipwb_table t
                     LEFT JOIN own ON own.id = t.id
                     LEFT JOIN cols ON cols.table_id = t.id
                    WHERE t.id IN (SELECT id FROM own UNION SELECT table_id FROM cols)
                      AND (COALESCE(own.score, 0) > 0 OR COALESCE(cols.score, 0) > 0)
                    ORDER BY score DESC, t.full_name, t.id
                    LIMIT %(window)s""",
                visible=visible.subselect(),
                table_score=table_score,
                table_filter=table_filter,
                column_score=column_score,
                column_filter=column_filter,
                boost=boost,
                window=FACET_WINDOW,
            )
        )
    rows = env.cr.fetchall()
    facets_out = _facets(Table, [row[0] for row in rows])
    rows = rows[:limit]
    tables = Table.browse([row[0] for row in rows])
    tables.fetch(
        [
            "full_name",
            "name",
            "schema_name",
            "layer",
            "kind",
            "domain",
            "owner_id",
            "tag_ids",
            "comment",
            "usage_count",
        ]
    )
    columns = env["ipwb.column"].browse([row[2] for row in rows if row[2]])
    columns.fetch(["name", "data_type", "description", "is_primary_key"])

    results = []
    for (table_id, score, column_id, column_score, own_score), table in zip(rows, tables, strict=True):
        column = env["ipwb.column"].browse(column_id) if column_id else None
        results.append(
            {
                "id": table_id,
                "full_name": table.full_name,
                "name": table.name,
                "schema": table.schema_name,
                "layer": table.layer or False,
                "kind": table.kind,
                "domain": table.domain or False,
                "owner": table.owner_id.name or False,
                "description": (table.description or table.comment or "")[:280],
                "tags": table.tag_ids.mapped("name"),
                "usage": table.usage_count,
                "score": round(float(score), 2),
                "match": (_tier(own_score) if own_score >= column_score else "column") if q else "all",
                "column": column
                and {
                    "id": column.id,
                    "name": column.name,
                    "data_type": column.data_type,
                    "description": (column.description or "")[:200],
                    "primary_key": column.is_primary_key,
                    "best": column_score > own_score,
                },
            }
        )
    return {"query": q, "total": facets_out.pop("__total"), "results": results, "facets": facets_out}


def _facets(Table, ids):
    """``{facet: [[value, label, count], …]}`` over the matched tables, counted in SQL."""
    env = Table.env
    out = {"__total": len(ids)}
    if not ids:
        return out | {key: [] for key in ("layer", "domain", "owner_id", "tag_ids", "kind")}
    layer_labels = dict(Table._fields["layer"]._description_selection(env))
    kind_labels = dict(Table._fields["kind"]._description_selection(env))
    for key, labels in (("layer", layer_labels), ("kind", kind_labels), ("domain", {})):
        env.cr.execute(
            SQL(
                "SELECT %s, count(*) FROM ipwb_table WHERE id = ANY(%s) AND %s IS NOT NULL"
                " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
                SQL.identifier(key),
                list(ids),
                SQL.identifier(key),
            )
        )
        out[key] = [[value, labels.get(value, value), n] for value, n in env.cr.fetchall()]
    env.cr.execute(
        SQL(
            "SELECT owner_id, count(*) FROM ipwb_table WHERE id = ANY(%s) AND owner_id IS NOT NULL"
            " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
            list(ids),
        )
    )
    owners = env.cr.fetchall()
    names = {u.id: u.name for u in env["res.users"].browse([o for o, _n in owners])}
    out["owner_id"] = [[owner, names.get(owner), n] for owner, n in owners]
    env.cr.execute(
        SQL(
            "SELECT ipwb_tag_id, count(*) FROM ipwb_table_ipwb_tag_rel WHERE ipwb_table_id = ANY(%s)"
            " GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20",
            list(ids),
        )
    )
    tags = env.cr.fetchall()
    tag_names = {t.id: t.name for t in env["ipwb.tag"].browse([t for t, _n in tags])}
    out["tag_ids"] = [[tag, tag_names.get(tag), n] for tag, n in tags]
    return out
