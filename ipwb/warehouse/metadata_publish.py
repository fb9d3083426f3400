"""Write the ``ip_workbench`` schema (see :mod:`ipwb.warehouse.metadata_tables`).

Run as the warehouse owner (the workbench's writer role). Tables are created if missing
and widened with new columns, never dropped, so readers' grants and saved BI queries
survive upgrades; each refresh replaces every row in one transaction, so readers see
either the old or the new publication.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import psycopg2.extensions
from psycopg2 import sql
from psycopg2.extras import execute_values

from ipwb.errors import ConfigurationError
from ipwb.warehouse.metadata_tables import RESTRICTED_OIDS, SCHEMA, TABLES, TABLES_BY_NAME, all_columns

Row = Sequence[object]

_SCHEMA_COMMENT = "InsightPulse Workbench metadata, published by the workbench (read-only)."

#: the policy: every relation the row reveals must be readable by the current role
_POLICY = sql.SQL(
    "NOT EXISTS (SELECT 1 FROM pg_catalog.unnest({col}) AS r(relid)"
    " WHERE NOT coalesce(pg_catalog.has_table_privilege(r.relid, 'SELECT'), false))"
)


def _existing_roles(cur: psycopg2.extensions.cursor, roles: Iterable[str]) -> list[str]:
    # to_regrole, not pg_roles: the hardened warehouse hides pg_roles from its owner
    found = []
    for role in roles:
        cur.execute("SELECT pg_catalog.to_regrole(pg_catalog.quote_ident(%s)) IS NOT NULL", (role,))
        row = cur.fetchone()
        if row and row[0]:
            found.append(role)
    return found


def ensure_schema(conn: psycopg2.extensions.connection, readers: Iterable[str] = ()) -> None:
    """Create (or widen) the schema's tables, comments, row-level security and the grants of
    the ``readers`` roles that exist. Idempotent; the caller commits."""
    with conn.cursor() as cur:
        schema = sql.Identifier(SCHEMA)
        cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(schema))
        cur.execute(sql.SQL("COMMENT ON SCHEMA {} IS {}").format(schema, sql.Literal(_SCHEMA_COMMENT)))
        for table in TABLES:
            ident = sql.Identifier(SCHEMA, table.name)
            columns = all_columns(table)
            cur.execute(
                sql.SQL("CREATE TABLE IF NOT EXISTS {} ({})").format(
                    ident,
                    sql.SQL(", ").join(
                        sql.SQL("{} {}").format(sql.Identifier(c.name), sql.SQL(c.pg_type)) for c in columns
                    ),
                )
            )
            for column in columns:
                cur.execute(
                    sql.SQL("ALTER TABLE {} ADD COLUMN IF NOT EXISTS {} {}").format(
                        ident, sql.Identifier(column.name), sql.SQL(column.pg_type)
                    )
                )
                cur.execute(
                    sql.SQL("COMMENT ON COLUMN {} IS {}").format(
                        sql.Identifier(SCHEMA, table.name, column.name), sql.Literal(column.comment)
                    )
                )
            cur.execute(sql.SQL("COMMENT ON TABLE {} IS {}").format(ident, sql.Literal(table.comment)))
            cur.execute(sql.SQL("ALTER TABLE {} ENABLE ROW LEVEL SECURITY").format(ident))
            cur.execute(sql.SQL("DROP POLICY IF EXISTS ipwb_visible ON {}").format(ident))
            cur.execute(
                sql.SQL("CREATE POLICY ipwb_visible ON {} FOR SELECT USING ({})").format(
                    ident, _POLICY.format(col=sql.Identifier(RESTRICTED_OIDS))
                )
            )
        for role in _existing_roles(cur, readers):
            cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(schema, sql.Identifier(role)))
            cur.execute(
                sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(schema, sql.Identifier(role))
            )


def publish(
    conn: psycopg2.extensions.connection,
    rows: Mapping[str, Iterable[Row]],
    readers: Iterable[str] = (),
) -> dict[str, int]:
    """Replace the rows of the given tables (each row in :attr:`MetaTable.column_names`
    order, ``restricted_oids`` last) and return the count per table. The caller commits."""
    unknown = sorted(set(rows) - set(TABLES_BY_NAME))
    if unknown:
        raise ConfigurationError(f"Not a table of {SCHEMA}: {', '.join(unknown)}")
    ensure_schema(conn, readers)
    counts: dict[str, int] = {}
    with conn.cursor() as cur:
        for name, table_rows in rows.items():
            table = TABLES_BY_NAME[name]
            ident = sql.Identifier(SCHEMA, name)
            values = [tuple(row) for row in table_rows]
            width = len(table.column_names)
            bad = next((row for row in values if len(row) != width), None)
            if bad is not None:
                raise ConfigurationError(f"{SCHEMA}.{name} has {width} columns, a row has {len(bad)}")
            cur.execute(sql.SQL("DELETE FROM {}").format(ident))
            if values:
                statement = sql.SQL("INSERT INTO {} ({}) VALUES %s").format(
                    ident, sql.SQL(", ").join(map(sql.Identifier, table.column_names))
                )
                execute_values(cur, statement.as_string(cur), values, page_size=1000)
            counts[name] = len(values)
    return counts
