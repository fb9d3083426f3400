"""Generic Odoo → bronze extraction for scaffolded domains (the ``odoo_extract`` step kind).

A step ``kind: odoo_extract`` with ``config: {model, fields, target}`` loads the records of
an Odoo model into ``target`` (a ``bronze.*`` table), as JSON rows of the selected fields:

- the table keeps one row per record *version* (``(source_id, version)`` key, version = hash
  of the payload), so a re-run that finds nothing changed adds nothing;
- the watermark (``bronze.odoo_watermark``, one row per target) holds the last
  ``(write_date, id)`` seen; the next run reads from it again minus an overlap (rows committed
  late), the versions make the overlap free;
- records deleted in Odoo get a tombstone row (``is_deleted``).

The addon reads Odoo and hands :class:`ipwb.finance.warehouse.SourceRow` rows over; nothing
here imports Odoo. Table names are checked ``bronze.<identifier>`` references.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable

import psycopg2.extensions
import psycopg2.extras
from psycopg2 import sql

from ipwb.errors import ConfigurationError
from ipwb.finance.versions import canonical_json
from ipwb.finance.warehouse import SourceRow, Watermark
from ipwb.specs.kinds import IDENTIFIER, StepKind, register_step_kind, step_kinds

KIND = "odoo_extract"
_TARGET = re.compile(rf"^bronze\.{IDENTIFIER}$")

STEP_KIND = StepKind(
    KIND,
    "Odoo records of a model (selected fields) into a bronze table as versioned JSON rows;"
    " watermark on write_date, idempotent, deletions as tombstones",
    {
        "type": "object",
        "properties": {
            "model": {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"},
            "fields": {
                "type": "array",
                "items": {"type": "string", "pattern": rf"^{IDENTIFIER}$"},
                "minItems": 1,
                "uniqueItems": True,
            },
            "target": {"type": "string", "pattern": _TARGET.pattern},
        },
        "required": ["model", "fields", "target"],
        "additionalProperties": False,
    },
)
if KIND not in step_kinds():
    register_step_kind(STEP_KIND)


def _table(target: str) -> sql.Identifier:
    if not _TARGET.match(target or ""):
        raise ConfigurationError(f"odoo_extract target {target!r} must be bronze.<table>")
    schema, name = target.split(".", 1)
    return sql.Identifier(schema, name)


_WATERMARK = sql.Identifier("bronze", "odoo_watermark")


def ensure_table(conn: psycopg2.extensions.connection, target: str) -> None:
    """Create the bronze table (the scaffold's layout) and the watermark table (idempotent)."""
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA IF NOT EXISTS bronze")
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                " source_id bigint NOT NULL,"
                " version text NOT NULL,"
                " source_write_date timestamp,"
                " is_deleted boolean NOT NULL DEFAULT false,"
                " payload jsonb NOT NULL,"
                " load_seq bigserial,"
                " loaded_at timestamptz NOT NULL DEFAULT now(),"
                " PRIMARY KEY (source_id, version))"
            ).format(_table(target))
        )
        cur.execute(
            sql.SQL(
                "CREATE TABLE IF NOT EXISTS {} (target text PRIMARY KEY, last_write_date timestamp,"
                " last_id bigint NOT NULL DEFAULT 0, updated_at timestamptz NOT NULL DEFAULT now())"
            ).format(_WATERMARK)
        )


def get_watermark(conn: psycopg2.extensions.connection, target: str) -> Watermark:
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL("SELECT last_write_date, last_id FROM {} WHERE target = %s").format(_WATERMARK), (target,)
        )
        row = cur.fetchone()
    return Watermark(target, row[0], int(row[1])) if row else Watermark(target)


def set_watermark(
    conn: psycopg2.extensions.connection, target: str, write_date: datetime.datetime, last_id: int
) -> None:
    """Advance the target's watermark (never backwards)."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "INSERT INTO {t} AS w (target, last_write_date, last_id) VALUES (%s, %s, %s)"
                " ON CONFLICT (target) DO UPDATE SET last_write_date = excluded.last_write_date,"
                " last_id = excluded.last_id, updated_at = now()"
                " WHERE w.last_write_date IS NULL"
                "    OR (excluded.last_write_date, excluded.last_id) > (w.last_write_date, w.last_id)"
            ).format(t=_WATERMARK),
            (target, write_date, last_id),
        )


def upsert_rows(conn: psycopg2.extensions.connection, target: str, rows: Iterable[SourceRow]) -> int:
    """Load rows; returns how many new versions were written (0 when nothing changed)."""
    values = [(r.source_id, r.version, r.write_date, r.deleted, canonical_json(r.payload)) for r in rows]
    if not values:
        return 0
    table = _table(target)
    with conn.cursor() as cur:
        cur.execute(
            "CREATE TEMP TABLE IF NOT EXISTS odoo_extract_stage (source_id bigint, version text,"
            " source_write_date timestamp, is_deleted boolean, payload jsonb) ON COMMIT DROP"
        )
        cur.execute("TRUNCATE odoo_extract_stage")
        psycopg2.extras.execute_values(
            cur, "INSERT INTO odoo_extract_stage VALUES %s", values, page_size=1000
        )
        cur.execute(
            sql.SQL(
                "INSERT INTO {table} (source_id, version, source_write_date, is_deleted, payload)"
                " SELECT DISTINCT ON (s.source_id) s.source_id, s.version, s.source_write_date,"
                "        s.is_deleted, s.payload"
                " FROM odoo_extract_stage s"
                " LEFT JOIN LATERAL (SELECT t.version FROM {table} t WHERE t.source_id = s.source_id"
                "                    ORDER BY t.load_seq DESC LIMIT 1) cur ON true"
                " WHERE cur.version IS DISTINCT FROM s.version"
                " ORDER BY s.source_id"
                " ON CONFLICT (source_id, version) DO UPDATE SET"
                "   load_seq = nextval(pg_get_serial_sequence({name}, 'load_seq')), loaded_at = now()"
            ).format(table=table, name=sql.Literal(target))
        )
        written = cur.rowcount
        cur.execute("TRUNCATE odoo_extract_stage")
    return int(written)


def live_ids(conn: psycopg2.extensions.connection, target: str) -> set[int]:
    """Ids whose latest version is not a tombstone."""
    with conn.cursor() as cur:
        cur.execute(
            sql.SQL(
                "SELECT source_id FROM (SELECT DISTINCT ON (source_id) source_id, is_deleted FROM {}"
                " ORDER BY source_id, load_seq DESC) latest WHERE NOT is_deleted"
            ).format(_table(target))
        )
        return {int(r[0]) for r in cur.fetchall()}
