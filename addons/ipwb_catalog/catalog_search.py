# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Catalog search: table and column names, descriptions, comments and tags, ranked in SQL.

Ranking tiers, each band 100 wide so that the boosts (at most :data:`MAX_BOOST` = 59) never
lift a hit across a tier boundary: exact name 1000 > exact column 900 > prefix 800 > column
prefix 700 > substring 600 > column substring 500 > fuzzy (pg_trgm similarity) 300..399 /
column fuzzy 200..299 > description/comment/tag 100 / column text 90. Boosts: +20 gold/platinum
layer, +20 owned by the searching user, usage ``min(19, ceil(log2(1 + usage_count)))``
(:func:`usage_boost`; ``usage_count`` = distinct query-history queries reading the table in
the last 90 days). They reorder hits inside a tier only.

Speed (issue #3: p95 < 50 ms at 100k tables / 1M columns): a query matching every table (a
column name such as ``amount``) must not rank every match. The candidates are gathered by
index-served subqueries (trigram GIN for ``ILIKE`` and ``%`` / ``<%``, thresholds set per
query), each LIMITed to :data:`CANDIDATES`: exact, prefix and substring of table and column
names; fuzzy names and description/comment/tag text only when those name tiers found fewer
tables than the page size (below every name hit, they could not reach the page); and the
boosted tables (gold/platinum, owned, used) on their own, so a boost is never lost to a limit.
Only the candidates are scored (their best matching column among the candidate columns),
ranked and counted for the facets: a crowded tier is sampled, and ``total`` and the facet
counts are over the ranked candidate window, not over every match in the catalog. An empty
query lists boosted tables, then the others by name, from two index-ordered LIMITed scans.
Record rules apply: every candidate subquery is restricted to ``_search``'s query, so
restricted tables stay hidden. Archived tables and columns are outside the indexes the search
reads (partial on ``active``, see ``create_active_trigram_indexes``), and every subquery says
``active`` so that the planner may use them: a warehouse where tables come and go searches as
fast as a fresh one.
"""

import math

from odoo.exceptions import UserError
from odoo.tools import SQL

from . import catalog_cache, rpc_args
from .catalog_facets import facet_domain, facets_of
from .rpc_args import INT4_MAX

#: longest query searched; longer input is cut (never an error)
MAX_QUERY = 200
MAX_LIMIT = 200
#: matches counted for the facets (the ranked window)
FACET_WINDOW = 2000
#: rows taken by each candidate subquery before ranking
CANDIDATES = 250
#: highest usage boost
MAX_USAGE_BOOST = 19
#: gold/platinum (+20), owned (+20) and usage together
MAX_BOOST = 20 + 20 + MAX_USAGE_BOOST
#: tier floors (a fuzzy hit adds 99 x similarity to its floor)
EXACT, COLUMN_EXACT, PREFIX, COLUMN_PREFIX, SUBSTRING, COLUMN_SUBSTRING = 1000, 900, 800, 700, 600, 500
FUZZY, COLUMN_FUZZY, TEXT, COLUMN_TEXT = 300, 200, 100, 90
#: pg_trgm thresholds of ``%`` and ``<%``, set per query (the server's defaults)
SIMILARITY, WORD_SIMILARITY = 0.3, 0.6


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


def _score_sql(q, has_trigram):
    """Scores of a table (own name/text) and of a column, and the conditions that find them."""
    ql = q.lower()
    exact = like_escape(q)
    prefix = exact + "%"
    anywhere = "%" + exact + "%"
    if has_trigram:
        fuzzy_t = SQL("GREATEST(similarity(t.name, %s), word_similarity(%s, t.name))", q, q)
        # the column score reads sim.s/sim.w, computed once per column (see catalog_search)
        fuzzy_c = SQL("GREATEST(sim.s, sim.w)")
        near_c_score = SQL("(sim.s >= %s OR sim.w >= %s)", SIMILARITY, WORD_SIMILARITY)
        # a literal "%" is written "%%%%" in an SQL() with arguments: formatting the
        # arguments in halves it, and psycopg2 halves it again
        near_t = SQL("(t.name %%%% %s OR %s <%%%% t.name)", q, q)
        near_c = SQL("(c.name %%%% %s OR %s <%%%% c.name)", q, q)
    else:
        fuzzy_t = fuzzy_c = SQL("0")
        near_t = near_c = near_c_score = SQL("FALSE")
    tag_ids = SQL(
        "SELECT r.ipwb_table_id FROM ipwb_table_ipwb_tag_rel r"
        " JOIN ipwb_tag g ON g.id = r.ipwb_tag_id WHERE g.name ILIKE %s",
        anywhere,
    )
    text_t = SQL(
        "(t.description ILIKE %(any)s OR t.comment ILIKE %(any)s OR t.id IN (%(tags)s))",
        any=anywhere,
        tags=tag_ids,
    )
    text_c = SQL("(c.description ILIKE %(any)s OR c.comment ILIKE %(any)s)", any=anywhere)
    table_score = SQL(
        """CASE WHEN lower(t.name) = %(ql)s OR lower(t.full_name) = %(ql)s THEN %(exact)s
                WHEN t.name ILIKE %(prefix)s OR t.full_name ILIKE %(prefix)s THEN %(prefix_s)s
                WHEN t.full_name ILIKE %(any)s THEN %(substring)s
                WHEN %(near)s THEN %(fuzzy_s)s + 99 * %(fuzzy)s
                WHEN %(text)s THEN %(text_s)s
                ELSE 0 END""",
        ql=ql,
        prefix=prefix,
        any=anywhere,
        near=near_t,
        fuzzy=fuzzy_t,
        text=text_t,
        exact=EXACT,
        prefix_s=PREFIX,
        substring=SUBSTRING,
        fuzzy_s=FUZZY,
        text_s=TEXT,
    )
    column_score = SQL(
        """CASE WHEN lower(c.name) = %(ql)s THEN %(exact)s
                WHEN c.name ILIKE %(prefix)s THEN %(prefix_s)s
                WHEN c.name ILIKE %(any)s THEN %(substring)s
                WHEN %(near)s THEN %(fuzzy_s)s + 99 * %(fuzzy)s
                WHEN %(text)s THEN %(text_s)s
                ELSE 0 END""",
        ql=ql,
        prefix=prefix,
        any=anywhere,
        near=near_c_score,
        fuzzy=fuzzy_c,
        text=text_c,
        exact=COLUMN_EXACT,
        prefix_s=COLUMN_PREFIX,
        substring=COLUMN_SUBSTRING,
        fuzzy_s=COLUMN_FUZZY,
        text_s=COLUMN_TEXT,
    )
    # every condition of each score, split into forms an index serves (an OR with a subquery
    # is never a BitmapOr): exact, prefix, anywhere/fuzzy, then text
    table_filters = (
        SQL("(t.name ILIKE %(q)s OR t.full_name ILIKE %(q)s)", q=exact),
        SQL("(t.name ILIKE %(q)s OR t.full_name ILIKE %(q)s)", q=prefix),
        SQL("t.full_name ILIKE %s", anywhere),
        near_t,
        SQL("(t.description ILIKE %(any)s OR t.comment ILIKE %(any)s)", any=anywhere),
        SQL("t.id IN (%s)", tag_ids),
    )
    column_filters = (
        SQL("c.name ILIKE %s", exact),
        SQL("c.name ILIKE %s", prefix),
        SQL("c.name ILIKE %s", anywhere),
        near_c,
        text_c,
    )
    return table_score, column_score, table_filters, column_filters


def _tier(score):
    for floor, name in ((EXACT, "exact"), (PREFIX, "prefix"), (SUBSTRING, "substring"), (FUZZY, "fuzzy")):
        if score >= floor:
            return name
    return "text"


def _boosted(alias, uid):
    return SQL(
        "(%(t)s.layer IN ('gold', 'platinum') OR %(t)s.owner_id = %(uid)s OR %(t)s.usage_count > 0)",
        t=SQL.identifier(alias),
        uid=uid,
    )


def _candidates(env, visible, table_filters, column_filters, limit):
    """CTEs ``strong`` and ``cand``: ``(table id, matching column id)`` from LIMITed subqueries.

    The name tiers (exact, prefix, substring of tables and columns) always run; fuzzy and text
    matches rank below every name hit, so they are searched only when the name tiers found
    fewer than ``limit`` tables (otherwise they could not reach the page). Boosted (gold,
    owned, used) tables have their own subqueries, so a boost is never lost to the LIMIT of a
    crowded tier.
    """
    boosted = _boosted("t", env.uid)

    def tables(condition):
        return SQL(
            "(SELECT t.id, NULL::int AS column_id FROM ipwb_table t"
            " WHERE t.active AND %s AND t.id IN %s LIMIT %s)",
            condition,
            visible,
            CANDIDATES,
        )

    def columns(condition):
        return SQL(
            "(SELECT c.table_id, c.id FROM ipwb_column c"
            " WHERE c.active AND %s AND c.table_id IN %s LIMIT %s)",
            condition,
            visible,
            CANDIDATES,
        )

    strong = [tables(cond) for cond in table_filters[:3]] + [columns(cond) for cond in column_filters[:3]]
    weak = [tables(cond) for cond in table_filters[3:]] + [columns(cond) for cond in column_filters[3:]]
    weak.append(tables(SQL("%s AND (%s)", boosted, SQL(" OR ").join(table_filters[2:]))))
    weak.append(
        SQL(
            "(SELECT c.table_id, c.id FROM ipwb_table t JOIN ipwb_column c ON c.table_id = t.id"
            " WHERE t.active AND %s AND c.active AND (%s) AND t.id IN %s LIMIT %s)",
            boosted,
            SQL(" OR ").join(column_filters[2:]),
            visible,
            CANDIDATES,
        )
    )
    return SQL(
        """strong AS MATERIALIZED (%(strong)s),
           cand AS MATERIALIZED (
               SELECT * FROM strong
               UNION
               SELECT w.* FROM (%(weak)s) w WHERE (SELECT count(DISTINCT s.id) FROM strong s) < %(limit)s
           )""",
        strong=SQL(" UNION ").join(strong),
        weak=SQL(" UNION ").join(weak),
        limit=limit,
    )


def catalog_search(Table, query, facets, limit):
    """``{"total", "results": [...], "facets": {...}}`` for the catalog search UI and API."""
    env = Table.env
    if not isinstance(query, str):
        raise UserError(env._("The catalog search takes text."))
    q = " ".join(query.replace("\x00", " ").split())[:MAX_QUERY]
    limit = rpc_args.whole_number(env, limit, env._("The result limit"), 1, INT4_MAX, default=20)
    limit = min(limit, MAX_LIMIT)
    for model in ("ipwb.table", "ipwb.column", "ipwb.tag"):
        env[model].flush_model()
    visible = Table._search(facet_domain(env, facets or {})).subselect()
    # the same search on the same catalog version, by the same user with the same visible
    # tables, gives the same answer: see catalog_cache
    version = catalog_cache.catalog_version(env.cr)
    if version is None:
        catalog_cache.bypassed()
        return _search(Table, q, limit, visible)
    key = catalog_cache.key_of(env, version, q, limit, visible)
    answer = catalog_cache.get(key)
    if answer is None:
        answer = _search(Table, q, limit, visible)
        catalog_cache.put(key, answer)
    elif answer["results"]:
        # a usage count moving within one boost step is no new version: the shown count is read
        env.cr.execute(
            SQL(
                "SELECT id, usage_count FROM ipwb_table WHERE id = ANY(%s)",
                [result["id"] for result in answer["results"]],
            )
        )
        usage = dict(env.cr.fetchall())
        for result in answer["results"]:
            result["usage"] = usage.get(result["id"], result["usage"])
    return answer


def _search(Table, q, limit, visible):
    env = Table.env
    boost = SQL(
        "(CASE WHEN t.layer IN ('gold', 'platinum') THEN 20 ELSE 0 END"
        " + CASE WHEN t.owner_id = %s THEN 20 ELSE 0 END"
        " + CASE WHEN t.usage_count > 0"
        " THEN LEAST(%s, CEIL(LOG(2, 1 + t.usage_count::numeric)))::int ELSE 0 END)",
        env.uid,
        MAX_USAGE_BOOST,
    )
    if not q:
        # boosted tables by boost, then the others by name: two index-served, LIMITed scans
        # instead of a sort of every table
        boosted = _boosted("t", env.uid)
        env.cr.execute(
            SQL(
                """SELECT id, score, NULL::int, 0::float, 0::float, 0 FROM (
                       (SELECT t.id, t.full_name, %(boost)s::float AS score FROM ipwb_table t
                         WHERE t.active AND %(boosted)s AND t.id IN %(visible)s
                         ORDER BY score DESC, t.full_name LIMIT %(window)s)
                       UNION ALL
                       (SELECT t.id, t.full_name, 0::float FROM ipwb_table t
                         WHERE t.active AND NOT COALESCE(%(boosted)s, FALSE) AND t.id IN %(visible)s
                         ORDER BY t.full_name LIMIT %(window)s)
                   ) listed
                   ORDER BY score DESC, full_name LIMIT %(window)s""",
                boost=boost,
                boosted=boosted,
                visible=visible,
                window=FACET_WINDOW,
            )
        )
    else:
        has_trigram = env.registry.has_trigram
        table_score, column_score, table_filters, column_filters = _score_sql(q, has_trigram)
        # JIT compilation costs more than this query (tens of ms) and never pays off here; the
        # trigram operators (served by the GIN indexes) and the column score use the same
        # thresholds (one round trip for all three settings)
        trigram = (
            SQL(
                ", set_config('pg_trgm.similarity_threshold', %s, true),"
                " set_config('pg_trgm.word_similarity_threshold', %s, true)",
                str(SIMILARITY),
                str(WORD_SIMILARITY),
            )
            if has_trigram
            else SQL()
        )
        env.cr.execute(SQL("SELECT set_config('jit', 'off', true)%s", trigram))
        similarities = (
            SQL("similarity(c.name, %s) AS s, word_similarity(%s, c.name) AS w", q, q)
            if has_trigram
            else SQL("0 AS s, 0 AS w")
        )
        env.cr.execute(
            SQL(
                """WITH %(candidates)s,
                   cols AS (
                       SELECT DISTINCT ON (c.table_id) c.table_id, c.id, %(column_score)s AS score
                         FROM ipwb_column c
                        CROSS JOIN LATERAL (SELECT %(similarities)s OFFSET 0) sim
                        WHERE c.id IN (SELECT column_id FROM cand)
                        ORDER BY c.table_id, score DESC, c.ordinal, c.id
                   ),
                   scored AS MATERIALIZED (
                       SELECT t.id, t.full_name, %(table_score)s AS own, cols.id AS column_id,
                              COALESCE(cols.score, 0) AS column_score, %(boost)s AS boost
                         FROM ipwb_table t
                         LEFT JOIN cols ON cols.table_id = t.id
                        WHERE t.id IN (SELECT id FROM cand)
                   )
                   SELECT id, GREATEST(own, column_score) + boost AS score, column_id, column_score, own,
                          (SELECT count(DISTINCT s.id) FROM strong s)
                     FROM scored
                    WHERE own > 0 OR column_score > 0
                    ORDER BY score DESC, full_name, id
                    LIMIT %(window)s""",
                candidates=_candidates(env, visible, table_filters, column_filters, limit),
                table_score=table_score,
                column_score=column_score,
                similarities=similarities,
                boost=boost,
                window=FACET_WINDOW,
            )
        )
    rows = env.cr.fetchall()
    facets_out = facets_of(Table, [row[0] for row in rows])
    # more matches exist than were counted: a candidate limit reached, the fuzzy/text tiers
    # skipped (a page of name hits), or the listing window full
    more = bool(rows) and (
        len(rows) >= (FACET_WINDOW if not q else CANDIDATES) or bool(q and rows[0][5] >= limit)
    )
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
            "description",
            "usage_count",
        ]
    )
    columns = env["ipwb.column"].browse([row[2] for row in rows if row[2]])
    columns.fetch(["name", "data_type", "description", "is_primary_key"])

    results = []
    for row, table in zip(rows, tables, strict=True):
        table_id, score, column_id, column_score, own_score = row[:5]
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
    total = facets_out.pop("__total")
    return {"query": q, "total": total, "more": more, "results": results, "facets": facets_out}
