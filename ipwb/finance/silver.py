"""Silver, incrementally: only the silver rows of bronze records loaded since the last build.

Every bronze row carries ``load_seq`` (one sequence for the domain); a record that changes,
is tombstoned or comes back to an earlier version gets a higher ``load_seq``. The silver
build records the highest ``load_seq`` it saw (``fin_silver_state``); the next build takes
the records loaded after it, widens them to every record whose silver rows they can change
(a move line changes its move; a move brings all its lines; a partner the moves and payments
that show its TIN; a tax the moves whose lines use it), copies the bronze of that *scope*
into temporary tables, runs **the same silver SQL** on them, and replaces the scope's rows
in silver (delete + insert, in the caller's transaction). Rows outside the scope do not
depend on anything that changed, so the result is the full rebuild's, row for row.

A full rebuild runs when there is no state yet, when the silver SQL (or this module's scope
rules, :data:`SCOPE_VERSION`) changed, when bronze was recreated (another load sequence),
when a silver table is missing, or when asked for.

Writers of bronze hold the domain's lock (the pipeline's steps do, see
``ipwb_finance_bir.services.pipeline_steps.warehouse``): a load committed while silver is
built could otherwise carry a ``load_seq`` below the recorded one and be missed.
"""

from __future__ import annotations

import dataclasses
import hashlib

import psycopg2
import psycopg2.extensions
from psycopg2 import sql

from ipwb.errors import WarehouseError
from ipwb.finance.warehouse import ENTITIES, SILVER_TABLES, FinanceSchemas

#: bump when the scope rules below change: the next build is then a full one
SCOPE_VERSION = "1"

STATE_TABLE = "fin_silver_state"

#: silver table → the rows an incremental build replaces: ``(column, entity)`` pairs, all
#: of which must hold the entity's scope (``None``: the whole table, small, whose bronze is
#: copied whole). Silver has a line under a move of the scope only if that line is in the
#: scope too (the scope holds every line bronze has for its moves): the line_id condition
#: narrows nothing but lets the delete use the primary key instead of reading the table.
_REPLACED: dict[str, tuple[tuple[str, str], ...] | None] = {
    "fin_companies": None,
    "fin_taxes": None,
    "fin_partners": (("partner_id", "res_partner"),),
    "fin_invoices": (("move_id", "account_move"),),
    "fin_invoice_lines": (("line_id", "account_move_line"), ("move_id", "account_move")),
    "fin_tax_amounts": (("line_id", "account_move_line"), ("move_id", "account_move")),
    "fin_tax_tag_amounts": (("line_id", "account_move_line"), ("move_id", "account_move")),
    "fin_payments": (("payment_id", "account_payment"),),
    "fin_expenses": (("expense_id", "hr_expense"),),
}
_WHOLE = ("res_company", "account_tax")
_TEMP = sql.Identifier("pg_temp")


@dataclasses.dataclass(frozen=True)
class SilverBuild:
    """What a silver build did: ``full`` or not, why, the records it rebuilt per entity
    (incremental builds), and the load sequence it is up to date with."""

    full: bool
    reason: str
    scope: dict[str, int]
    load_seq: int


def signature(silver_sql: str) -> str:
    """Hash of the silver SQL and the scope rules: a change forces a full rebuild.

    >>> signature("a") == signature("a"), signature("a") == signature("b")
    (True, False)
    """
    text = f"{SCOPE_VERSION}\x1f{silver_sql}"
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _state(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> tuple[str, int, int] | None:
    cur.execute("SELECT to_regclass(%s)", (f"{schemas.silver}.{STATE_TABLE}",))
    row = cur.fetchone()
    if not row or row[0] is None:
        return None
    cur.execute(
        sql.SQL("SELECT signature, load_seq, sequence_oid FROM {}").format(
            sql.Identifier(schemas.silver, STATE_TABLE)
        )
    )
    state = cur.fetchone()
    return (str(state[0]), int(state[1]), int(state[2])) if state else None


def _sequence_oid(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> int:
    cur.execute("SELECT to_regclass(%s)::oid", (f"{schemas.bronze}.fin_load_seq",))
    row = cur.fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _max_load_seq(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> int:
    parts = [
        sql.SQL("SELECT max(load_seq) AS s FROM {}").format(sql.Identifier(schemas.bronze, f"odoo_{e}"))
        for e in ENTITIES
    ]
    cur.execute(sql.SQL("SELECT coalesce(max(s), 0) FROM ({}) m").format(sql.SQL(" UNION ALL ").join(parts)))
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _missing_silver(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> bool:
    cur.execute(
        "SELECT bool_or(to_regclass(t) IS NULL) FROM unnest(%s::text[]) t",
        ([f"{schemas.silver}.{table}" for table in SILVER_TABLES],),
    )
    row = cur.fetchone()
    return bool(row and row[0])


def why_full(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas, silver_sql: str) -> tuple[str, int]:
    """Why the next build must be a full one (``""``: it may be incremental), and the
    ``load_seq`` the last build was up to date with."""
    state = _state(cur, schemas)
    if state is None:
        return "first build", 0
    sig, load_seq, oid = state
    if sig != signature(silver_sql):
        return "silver SQL changed", load_seq
    if oid != _sequence_oid(cur, schemas):
        return "bronze recreated", load_seq
    if _missing_silver(cur, schemas):
        return "silver table missing", load_seq
    return "", load_seq


def record_state(
    cur: psycopg2.extensions.cursor, schemas: FinanceSchemas, silver_sql: str, load_seq: int
) -> None:
    table = sql.Identifier(schemas.silver, STATE_TABLE)
    cur.execute(
        sql.SQL(
            "CREATE TABLE IF NOT EXISTS {} (signature text NOT NULL, load_seq bigint NOT NULL,"
            " sequence_oid bigint NOT NULL, built_at timestamptz NOT NULL DEFAULT now())"
        ).format(table)
    )
    cur.execute(sql.SQL("DELETE FROM {}").format(table))
    cur.execute(
        sql.SQL("INSERT INTO {} (signature, load_seq, sequence_oid) VALUES (%s, %s, %s)").format(table),
        (signature(silver_sql), load_seq, _sequence_oid(cur, schemas)),
    )


def _bronze(schemas: FinanceSchemas, entity: str) -> sql.Identifier:
    return sql.Identifier(schemas.bronze, f"odoo_{entity}")


def _scope_ids(entity: str) -> sql.Composable:
    return sql.SQL("SELECT source_id FROM pg_temp.fin_scope WHERE entity = {}").format(sql.Literal(entity))


def _add(cur: psycopg2.extensions.cursor, entity: str, query: sql.Composable) -> None:
    """Add the ids ``query`` selects to the scope of ``entity``."""
    cur.execute(
        sql.SQL("INSERT INTO pg_temp.fin_scope (entity, source_id) SELECT DISTINCT %s, id FROM ({}) q(id)"
                " WHERE id IS NOT NULL ON CONFLICT DO NOTHING").format(query),
        (entity,),
    )  # fmt: skip


#: how the scope grows, in order: (entity, a query of more of its ids). Names: ``b_<entity>``
#: its bronze table, ``s_<table>`` a silver table, ``in_<entity>`` its scope so far, ``since``
_SCOPE_RULES: tuple[tuple[str, str], ...] = (
    # a changed line: the move it belongs to now and the move silver has it under
    ("account_move", "SELECT (payload ->> 'move_id')::bigint FROM {b_account_move_line}"
                     " WHERE load_seq > {since}"),
    ("account_move", "SELECT move_id FROM {s_fin_invoice_lines} WHERE line_id IN ({in_account_move_line})"),
    # a changed partner: the moves naming it as commercial partner, the payments naming it
    ("account_move", "SELECT source_id FROM {b_account_move}"
                     " WHERE (payload ->> 'commercial_partner_id')::bigint IN ({in_res_partner})"),
    ("account_payment", "SELECT payment_id FROM {s_fin_payments} WHERE partner_id IN ({in_res_partner})"),
    # a changed tax: the moves whose lines carry it (fin_tax_amounts joins the taxes); the
    # uncorrelated EXISTS is a one-time filter: no tax changed, no line is read
    ("account_move", "WITH t AS (SELECT source_id FROM {b_account_tax} WHERE load_seq > {since})"
                     " SELECT l.move_id FROM {s_fin_invoice_lines} l WHERE EXISTS (SELECT FROM t)"
                     " AND (l.tax_line_id IN (SELECT source_id FROM t) OR EXISTS (SELECT FROM"
                     " jsonb_array_elements_text(l.tax_ids) x(id)"
                     " WHERE x.id::bigint IN (SELECT source_id FROM t)))"),
    # a move brings every line bronze holds for it (the silver SQL keeps those of its version)
    ("account_move_line", "SELECT source_id FROM {b_account_move_line}"
                          " WHERE (payload ->> 'move_id')::bigint IN ({in_account_move})"),
    # the partners whose TIN, branch and name the scope's moves and payments show
    ("res_partner", "SELECT (payload ->> 'commercial_partner_id')::bigint FROM {b_account_move}"
                    " WHERE source_id IN ({in_account_move})"),
    ("res_partner", "SELECT (payload ->> 'partner_id')::bigint FROM {b_account_payment}"
                    " WHERE source_id IN ({in_account_payment})"),
)  # fmt: skip


def _collect_scope(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas, since: int) -> None:
    """``pg_temp.fin_scope``: per entity, the records whose silver rows are rebuilt."""
    cur.execute(
        "CREATE TEMP TABLE fin_scope (entity text NOT NULL, source_id bigint NOT NULL,"
        " PRIMARY KEY (entity, source_id))"
    )
    names: dict[str, sql.Composable] = {"since": sql.Literal(since)}
    for entity in ENTITIES:
        names[f"b_{entity}"] = _bronze(schemas, entity)
        names[f"in_{entity}"] = _scope_ids(entity)
    for table in SILVER_TABLES:
        names[f"s_{table}"] = sql.Identifier(schemas.silver, table)
    for entity in ENTITIES:  # the records loaded since the last build
        if entity not in _WHOLE:
            _add(cur, entity, sql.SQL("SELECT source_id FROM {} WHERE load_seq > {}").format(
                names[f"b_{entity}"], names["since"]))  # fmt: skip
    for entity, query in _SCOPE_RULES:
        _add(cur, entity, sql.SQL(query).format(**names))


def _copy_bronze(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> dict[str, int]:
    """The scope's bronze rows (every version) as ``pg_temp.odoo_<entity>``."""
    sizes: dict[str, int] = {}
    for entity in ENTITIES:
        target = sql.Identifier("pg_temp", f"odoo_{entity}")
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
        where: sql.Composable = sql.SQL("true")
        if entity not in _WHOLE:
            where = sql.SQL("source_id IN ({})").format(_scope_ids(entity))
        cur.execute(
            sql.SQL("CREATE TEMP TABLE {} AS SELECT * FROM {} WHERE {}").format(
                target, _bronze(schemas, entity), where
            )
        )
        cur.execute(sql.SQL("SELECT count(DISTINCT source_id) FROM {}").format(target))
        row = cur.fetchone()
        sizes[entity] = int(row[0]) if row else 0
    return sizes


def _replace(cur: psycopg2.extensions.cursor, schemas: FinanceSchemas) -> None:
    """Silver's rows of the scope replaced by the ones just built in ``pg_temp``.

    A changed line's move is in the scope (now and as silver had it), so the rows of the
    scope's moves are all the line rows that can change or vanish.
    """
    for table, rules in _REPLACED.items():
        target = sql.Identifier(schemas.silver, table)
        condition: sql.Composable = sql.SQL("true")
        if rules is not None:
            condition = sql.SQL(" AND ").join(
                sql.SQL("{} IN ({})").format(sql.Identifier(column), _scope_ids(entity))
                for column, entity in rules
            )
        cur.execute(sql.SQL("DELETE FROM {} WHERE {}").format(target, condition))
        cur.execute(
            sql.SQL("INSERT INTO {} SELECT * FROM {}").format(target, sql.Identifier("pg_temp", table))
        )


def _drop_temp(cur: psycopg2.extensions.cursor) -> None:
    for name in (*(f"odoo_{e}" for e in ENTITIES), *SILVER_TABLES, "fin_scope"):
        cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier("pg_temp", name)))


def build_incremental(
    conn: psycopg2.extensions.connection, schemas: FinanceSchemas, silver_sql: str, since: int, upto: int
) -> dict[str, int]:
    """Rebuild the silver rows of the records loaded after ``since`` (see the module doc);
    returns the number of records rebuilt per bronze entity. The caller commits."""
    idents = {**schemas.identifiers(), "bronze": _TEMP, "silver": _TEMP}
    step = "scope"
    try:
        with conn.cursor() as cur:
            # small queries over big tables: compiling them (JIT) costs more than running them
            cur.execute("SET LOCAL jit = off")
            _drop_temp(cur)
            _collect_scope(cur, schemas, since)
            sizes = _copy_bronze(cur, schemas)
            step = "silver SQL"
            cur.execute(sql.SQL(silver_sql).format(**idents))
            step = "replace"
            _replace(cur, schemas)
            _drop_temp(cur)
            record_state(cur, schemas, silver_sql, upto)
    except psycopg2.Error as exc:
        message = str(exc).strip().splitlines()[0]
        raise WarehouseError(f"Incremental silver build failed ({step}): {message}") from None
    return sizes


def max_load_seq(conn: psycopg2.extensions.connection, schemas: FinanceSchemas) -> int:
    """The highest ``load_seq`` in bronze: what a build started now is up to date with."""
    with conn.cursor() as cur:
        return _max_load_seq(cur, schemas)
