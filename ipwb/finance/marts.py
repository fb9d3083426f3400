"""The finance marts: silver and gold rebuilt from bronze, fingerprints, gold readers.

The SQL lives in ``ipwb/finance/sql/*.sql`` (run in name order); schema names are composed
in as identifiers with :mod:`psycopg2.sql`, never pasted as text. Two reference tables are
seeded from :mod:`ipwb.finance.bir` first: tax tag → 2550Q line, aggregate line → members.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Sequence
from decimal import Decimal
from importlib import resources
from typing import Any

import psycopg2
import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from ipwb.errors import WarehouseError
from ipwb.finance import silver
from ipwb.finance.bir import VAT_AGGREGATES, VAT_AGGREGATES_WITH_BASE, VAT_TAG_LINES
from ipwb.finance.warehouse import BI_VIEWS, ENTITIES, GOLD_TABLES, SILVER_TABLES, FinanceSchemas


def rendered_sql(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> list[tuple[str, str]]:
    """The build files with the schema names filled in (for lineage and documentation)."""
    idents = schemas.identifiers()
    return [(name, sql.SQL(text).format(**idents).as_string(conn)) for name, text in sql_files()]


def sql_files() -> list[tuple[str, str]]:
    """``(name, text)`` of the silver and gold build files, in execution order."""
    folder = resources.files("ipwb.finance").joinpath("sql")
    names = sorted(p.name for p in folder.iterdir() if p.name.endswith(".sql"))
    return [(name, folder.joinpath(name).read_text(encoding="utf-8")) for name in names]


def _seed_maps(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> None:
    """Reference tables the SQL joins: tax-tag → 2550Q line, aggregate line → member lines."""
    tag_map = sql.Identifier(schemas.silver, "fin_vat_tag_map")
    agg_map = sql.Identifier(schemas.silver, "fin_vat_aggregate_map")
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(tag_map))
    cur.execute(
        sql.SQL(
            "CREATE TABLE {} (tag_formula text PRIMARY KEY, line_code text NOT NULL,"
            " line_name text NOT NULL, amount_column text NOT NULL)"
        ).format(tag_map)
    )
    psycopg2.extras.execute_values(
        cur,
        sql.SQL("INSERT INTO {} VALUES %s").format(tag_map).as_string(cur),
        [(tag, line.code, line.name, line.column) for tag, line in sorted(VAT_TAG_LINES.items())],
    )
    cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(agg_map))
    cur.execute(
        sql.SQL(
            "CREATE TABLE {} (line_code text NOT NULL, line_name text NOT NULL, member_code text NOT NULL,"
            " sign integer NOT NULL, with_base boolean NOT NULL, PRIMARY KEY (line_code, member_code))"
        ).format(agg_map)
    )
    psycopg2.extras.execute_values(
        cur,
        sql.SQL("INSERT INTO {} VALUES %s").format(agg_map).as_string(cur),
        [
            (code, name, member, sign, code in VAT_AGGREGATES_WITH_BASE)
            for code, (name, _formula) in VAT_AGGREGATES.items()
            for member, sign in expand(code)
        ],
    )
    cur.execute(sql.SQL("ANALYZE {}, {}").format(tag_map, agg_map))  # recreated: see analyze()


def expand(code: str) -> list[tuple[str, int]]:
    """Leaf lines (with sign) of an aggregate 2550Q line.

    >>> sorted(expand("56"))[:2]
    [('31', 1), ('32', 1)]
    >>> ('36', -1) in expand("56")
    True
    """
    if code not in VAT_AGGREGATES:
        return [(code, 1)]
    terms = re.findall(r"([+-]?)\s*(\d+)", VAT_AGGREGATES[code][1].replace(" ", ""))
    leaves: dict[str, int] = {}
    for sign_text, member in terms:
        sign = -1 if sign_text == "-" else 1
        for leaf, leaf_sign in expand(member):
            leaves[leaf] = leaves.get(leaf, 0) + sign * leaf_sign
    return [(leaf, sign) for leaf, sign in leaves.items() if sign]


def _layer_of(name: str) -> str:
    """The layer of a build file: ``NN_<layer>[_topic].sql``.

    >>> _layer_of("30_gold_filings.sql"), _layer_of("10_silver.sql")
    ('gold', 'silver')
    """
    return "".join(name.removesuffix(".sql").split("_")[1:2])


def _run_files(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, layer: str, seed: bool = False
) -> None:
    idents = schemas.identifiers()
    name = "seed"
    try:
        with conn.cursor() as cur:
            if layer == "gold":
                cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(idents["gold"]))
            if seed:
                _seed_maps(cur, schemas)
            for name, text in sql_files():
                if _layer_of(name) == layer:
                    cur.execute(sql.SQL(text).format(**idents))
    except psycopg2.Error as exc:
        raise WarehouseError(f"Finance build failed in {name}: {str(exc).strip().splitlines()[0]}") from None


def build_silver(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, full: bool = False
) -> dict[str, int]:
    """Bring silver up to date with bronze (the caller commits); row count per silver table.
    Incremental unless ``full`` or a full rebuild is due (:mod:`ipwb.finance.silver`)."""
    build_silver_layer(conn, schemas, full=full)
    return row_counts(conn, schemas, layers=("silver",))


def _silver_sql() -> str:
    return "\n".join(text for name, text in sql_files() if _layer_of(name) == "silver")


def build_silver_layer(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, full: bool = False
) -> silver.SilverBuild:
    """Silver from bronze: only the rows of the records loaded since the last build, or
    whole (first build, silver SQL changed, ``full``). The caller commits."""
    silver_sql = _silver_sql()
    with conn.cursor() as cur:
        reason, since = silver.why_full(cur, schemas, silver_sql)
        upto = silver.max_load_seq(conn, schemas)
    reason = reason or ("asked for" if full else "")
    if not reason and upto == since:
        _seed(conn, schemas)
        analyze(conn, schemas, ("silver",), only_never_analyzed=True)
        return silver.SilverBuild(False, "", {}, upto)
    analyze(conn, schemas, ("bronze",), only_never_analyzed=True)
    if reason:
        _run_files(conn, schemas, "silver", seed=True)
        with conn.cursor() as cur:
            silver.record_state(cur, schemas, silver_sql, upto)
        analyze(conn, schemas, ("silver",))
        return silver.SilverBuild(True, reason, {}, upto)
    _seed(conn, schemas)
    scope = silver.build_incremental(conn, schemas, silver_sql, since, upto)
    analyze(conn, schemas, ("silver",), only_never_analyzed=True)
    return silver.SilverBuild(False, "", scope, upto)


def analyze(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    layers: Sequence[str],
    only_never_analyzed: bool = False,
) -> list[str]:
    """ANALYZE a layer's tables (or only those never analyzed); the names analyzed.

    A table created or refilled by a build has no planner statistics until autovacuum
    comes by, up to a minute later, and a gate or the next layer's SQL reading it
    meanwhile is planned blind: at mid volume one silver check's join of 125k tax rows
    ran as 52 sequential scans (1.2 s) instead of a hash join (20 ms). An incremental
    build changes too few rows to need it: ``only_never_analyzed`` (``reltuples < 0``)
    then catches only a table a failed or older build left without statistics.
    """
    tables = _layer_tables(schemas, layers)
    if only_never_analyzed:
        with conn.cursor() as cur:
            cur.execute(
                "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE c.reltuples < 0 AND (n.nspname, c.relname) IN %s",
                (tuple(tables),),
            )
            never = set(cur.fetchall())
        tables = [table for table in tables if table in never]
    if tables:
        try:
            with conn.cursor() as cur:
                cur.execute(
                    sql.SQL("ANALYZE {}").format(sql.SQL(", ").join(sql.Identifier(*t) for t in tables))
                )
        except psycopg2.Error as exc:
            raise WarehouseError(
                f"Finance build failed in ANALYZE: {str(exc).strip().splitlines()[0]}"
            ) from None
    return [f"{schema}.{name}" for schema, name in tables]


def _seed(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> None:
    try:
        with conn.cursor() as cur:
            _seed_maps(cur, schemas)
    except psycopg2.Error as exc:
        raise WarehouseError(f"Finance build failed in seed: {str(exc).strip().splitlines()[0]}") from None


def build_gold(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> dict[str, int]:
    """Rebuild gold from silver into ``schemas.gold`` (the staging schema for
    ``schemas.staged()``); the caller commits. Row count per gold table."""
    if not schemas.staging:
        _drop_bi_views(conn, schemas)
    _run_files(conn, schemas, "gold")
    analyze(conn, schemas, ("gold",))  # small tables: the reconciliation and gates read them next
    return row_counts(conn, schemas, layers=("gold",))


def _drop_bi_views(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> None:
    # the bi views depend on the gold tables about to be replaced (recreated after)
    with conn.cursor() as cur:
        for view in BI_VIEWS:
            cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(sql.Identifier(schemas.bi, view)))


def publish_gold(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> dict[str, int]:
    """Move the staged gold tables into gold, replacing the published ones (the caller
    commits, then recreates the ``bi`` views). Row count per published gold table."""
    published = dataclasses.replace(schemas, staging=False)
    stage = schemas.gold_stage
    _drop_bi_views(conn, published)
    try:
        with conn.cursor() as cur:
            for table in GOLD_TABLES:
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(published.gold, table)))
                cur.execute(
                    sql.SQL("ALTER TABLE {} SET SCHEMA {}").format(
                        sql.Identifier(stage, table), sql.Identifier(published.gold)
                    )
                )
    except psycopg2.Error as exc:
        raise WarehouseError(f"Publishing gold failed: {str(exc).strip().splitlines()[0]}") from None
    return row_counts(conn, published, layers=("gold",))


def build(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> dict[str, int]:
    """Rebuild silver and gold from bronze (one transaction, the caller commits).

    The ``bi`` views are dropped first (they depend on gold): call
    :func:`ipwb.finance.bi.create_bi_views` afterwards. Returns the row count of every
    silver and gold table.
    """
    counts = build_silver(conn, schemas)
    counts.update(build_gold(conn, schemas))
    return counts


def _layer_tables(schemas: FinanceSchemas, layers: Sequence[str]) -> list[tuple[str, str]]:
    tables: list[tuple[str, str]] = []
    if "bronze" in layers:
        tables += [(schemas.bronze, f"odoo_{entity}") for entity in ENTITIES]
    if "silver" in layers:
        tables += [(schemas.silver, name) for name in SILVER_TABLES]
    if "gold" in layers:
        tables += [(schemas.gold, name) for name in GOLD_TABLES]
    return tables


def row_counts(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    layers: Sequence[str] = ("bronze", "silver", "gold"),
) -> dict[str, int]:
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        for schema, table in _layer_tables(schemas, layers):
            cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, table)))
            row = cur.fetchone()
            counts[f"{schema}.{table}"] = int(row[0]) if row else 0
    return counts


def fingerprints(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    layers: Sequence[str] = ("bronze", "silver", "gold"),
) -> dict[str, tuple[int, str]]:
    """``(row count, md5 of the sorted rows)`` per table: equal fingerprints, equal data.

    Whole rows are hashed, bronze load bookkeeping (``load_seq``, ``loaded_at``) included:
    a no-op re-run leaves it untouched, so a changed fingerprint means a real change.
    """
    result: dict[str, tuple[int, str]] = {}
    with conn.cursor() as cur:
        for schema, table in _layer_tables(schemas, layers):
            cur.execute(
                sql.SQL(
                    "SELECT count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM {} t"
                ).format(sql.Identifier(schema, table))
            )
            row = cur.fetchone()
            assert row is not None
            result[f"{schema}.{table}"] = (int(row[0]), str(row[1]))
    return result


def fetch_dicts(
    conn: psycopg2.extensions.connection, query: sql.Composable, params: Sequence[Any] = ()
) -> list[dict[str, Any]]:
    with conn.cursor(cursor_factory=psycopg2.extras.RealDictCursor) as cur:
        cur.execute(query, params)
        return [dict(r) for r in cur.fetchall()]


def gold_vat_lines(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    date_from: datetime.date,
    date_to: datetime.date,
) -> dict[tuple[int, str, str, str], Decimal]:
    """Gold 2550M leaf lines of the months in ``[date_from, date_to]``:
    ``{(company_id, YYYY-MM, line_code, column): amount}``, column ``tax_base`` or ``balance``."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT company_id, to_char(period_month, 'YYYY-MM') AS month, line_code, tax_base, vat FROM {} "
            "WHERE period_month BETWEEN date_trunc('month', %s::date) AND %s AND NOT is_aggregate"
        ).format(sql.Identifier(schemas.gold, "fin_vat_2550m")),
        (date_from, date_to),
    )
    result: dict[tuple[int, str, str, str], Decimal] = {}
    for row in rows:
        company = int(row["company_id"])
        result[(company, row["month"], row["line_code"], "tax_base")] = Decimal(row["tax_base"])
        result[(company, row["month"], row["line_code"], "balance")] = Decimal(row["vat"])
    return result


def gold_ewt(
    conn: psycopg2.extensions.connection,
    schemas: FinanceSchemas,
    date_from: datetime.date,
    date_to: datetime.date,
) -> dict[tuple[int, str, str, str], tuple[Decimal, Decimal]]:
    """Gold expanded withholding on purchases of the months in ``[date_from, date_to]``:
    ``{(company_id, quarter, payee_tin, atc): (income_payment, tax_withheld)}``."""
    rows = fetch_dicts(
        conn,
        sql.SQL(
            "SELECT company_id, quarter, payee_tin, atc,"
            " sum(income_payment) AS base, sum(tax_withheld) AS tax FROM {}"
            " WHERE period_month BETWEEN date_trunc('month', %s::date) AND %s"
            " GROUP BY company_id, quarter, payee_tin, atc"
        ).format(sql.Identifier(schemas.gold, "fin_ewt_payee_atc")),
        (date_from, date_to),
    )
    return {
        (int(r["company_id"]), r["quarter"], r["payee_tin"], r["atc"]): (
            Decimal(r["base"]),
            Decimal(r["tax"]),
        )
        for r in rows
    }


def drop_domain_tables(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> None:
    """Drop the domain's own tables, views and sequence from its schemas (the schemas stay:
    other domains may share them). For resetting a test or sandbox warehouse."""
    gold = dataclasses.replace(schemas, staging=False).gold
    with conn.cursor() as cur:
        for view in BI_VIEWS:
            cur.execute(sql.SQL("DROP VIEW IF EXISTS {}").format(sql.Identifier(schemas.bi, view)))
        for schema in (gold, schemas.gold_stage):
            for table in GOLD_TABLES:
                cur.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schema, table)))
        for table in (*SILVER_TABLES, "fin_vat_tag_map", "fin_vat_aggregate_map", silver.STATE_TABLE):
            cur.execute(
                sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schemas.silver, table))
            )
        for table in (*(f"odoo_{entity}" for entity in ENTITIES), "fin_watermark"):
            cur.execute(
                sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(schemas.bronze, table))
            )
        cur.execute(
            sql.SQL("DROP SEQUENCE IF EXISTS {}").format(sql.Identifier(schemas.bronze, "fin_load_seq"))
        )
