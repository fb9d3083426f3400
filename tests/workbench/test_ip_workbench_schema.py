"""The ``ip_workbench`` publication on a real PostgreSQL: row-level security by the grants of
the relations a row reveals, upgrade-safe re-publication, refusals, documentation, and the
Superset datasets' SQL."""

from __future__ import annotations

import datetime as dt
import pathlib
import uuid
from collections.abc import Iterator

import psycopg2
import pytest
import yaml
from psycopg2 import sql

from ipwb.errors import ConfigurationError
from ipwb.warehouse.metadata_publish import ensure_schema, publish
from ipwb.warehouse.metadata_tables import SCHEMA, TABLES, TABLES_BY_NAME, all_columns, markdown

ROOT = pathlib.Path(__file__).resolve().parents[2]
SUPERSET = ROOT / "addons" / "ipwb_workbench" / "data" / "superset"
NOW = dt.datetime(2026, 1, 5, 12, 0)


def _row(table_name: str, /, **values: object) -> tuple[object, ...]:
    table = TABLES_BY_NAME[table_name]
    return tuple(values.get(column) for column in table.column_names)


@pytest.fixture
def warehouse(scratch_db: str) -> Iterator[tuple[psycopg2.extensions.connection, dict[str, str], int]]:
    """A database with an open and a secret table, and two login roles: one may read the secret."""
    suffix = uuid.uuid4().hex[:8]
    roles = {"cleared": f"ipwb_t_cleared_{suffix}", "other": f"ipwb_t_other_{suffix}"}
    conn = psycopg2.connect(scratch_db)
    with conn.cursor() as cur:
        cur.execute("CREATE SCHEMA gold; CREATE TABLE gold.open (x int); CREATE TABLE gold.secret (x int)")
        for role in roles.values():
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN PASSWORD 'pw-test-only'").format(sql.Identifier(role)))
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA gold TO {}").format(sql.Identifier(roles["cleared"])))
        cur.execute(sql.SQL("GRANT SELECT ON gold.secret TO {}").format(sql.Identifier(roles["cleared"])))
        cur.execute("SELECT 'gold.secret'::regclass::oid")
        secret_oid = cur.fetchone()[0]
    conn.commit()
    try:
        yield conn, roles, secret_oid
    finally:
        conn.rollback()
        with conn.cursor() as cur:
            for role in roles.values():
                cur.execute(sql.SQL("DROP OWNED BY {}").format(sql.Identifier(role)))
                cur.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))
        conn.commit()
        conn.close()


def _rows(secret_oid: int) -> dict[str, list[tuple[object, ...]]]:
    return {
        "tables": [
            _row(
                "tables",
                id=1,
                full_name="gold.open",
                schema_name="gold",
                table_name="open",
                restricted_oids=[],
            ),
            _row(
                "tables",
                id=2,
                full_name="gold.secret",
                schema_name="gold",
                table_name="secret",
                restricted=True,
                restricted_oids=[secret_oid],
            ),
            _row("tables", id=3, full_name="gold.unscanned", restricted=True, restricted_oids=[0]),
        ],
        "lineage": [
            _row(
                "lineage",
                id=1,
                source_table="gold.open",
                target_table="gold.secret",
                restricted_oids=[secret_oid],
            ),
        ],
        "runs": [
            _row(
                "runs",
                id=1,
                state="succeeded",
                trigger="schedule",
                finished_at=NOW,
                domain="finance",
                restricted_oids=[],
            ),
            _row(
                "runs",
                id=2,
                state="failed",
                trigger="schedule",
                finished_at=NOW,
                domain="finance",
                restricted_oids=[],
            ),
        ],
        "dq_scores": [
            _row("dq_scores", id=1, scope="table", name="gold.open", overall=90, restricted_oids=[])
        ],
        "cost_tracker": [
            _row("cost_tracker", id=1, spent_at=NOW, source="llm", amount_usd=1.5, restricted_oids=[])
        ],
        "pipelines": [
            _row("pipelines", id=1, code="p", state="production", updated_at=NOW, restricted_oids=[])
        ],
    }


def _as(dsn_conn: psycopg2.extensions.connection, role: str, query: str) -> list[tuple[object, ...]]:
    params = dsn_conn.get_dsn_parameters()
    conn = psycopg2.connect(
        host=params["host"], port=params["port"], dbname=params["dbname"], user=role, password="pw-test-only"
    )
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            return cur.fetchall()
    finally:
        conn.close()


def test_rows_of_restricted_tables_only_for_roles_that_may_read_them(warehouse) -> None:
    conn, roles, secret_oid = warehouse
    counts = publish(conn, _rows(secret_oid), readers=roles.values())
    conn.commit()
    assert counts["tables"] == 3
    query = f"SELECT full_name FROM {SCHEMA}.tables ORDER BY id"
    assert _as(conn, roles["cleared"], query) == [("gold.open",), ("gold.secret",)]
    assert _as(conn, roles["other"], query) == [("gold.open",)]
    lineage = f"SELECT count(*) FROM {SCHEMA}.lineage"
    assert _as(conn, roles["cleared"], lineage) == [(1,)]
    assert _as(conn, roles["other"], lineage) == [(0,)]
    # the owner (the workbench's writer) sees everything it published
    with conn.cursor() as cur:
        cur.execute(query)
        assert len(cur.fetchall()) == 3


def test_publishing_again_keeps_tables_grants_and_widens_old_tables(warehouse) -> None:
    conn, roles, secret_oid = warehouse
    publish(conn, _rows(secret_oid), readers=[roles["other"]])
    conn.commit()
    state = (
        "SELECT c.relname, c.oid, c.relacl::text FROM pg_class c"
        f" WHERE c.relnamespace = '{SCHEMA}'::regnamespace AND c.relkind = 'r' ORDER BY 1"
    )
    with conn.cursor() as cur:
        cur.execute(state)
        before = cur.fetchall()
        # a publication from an older version lacked a column: the next one adds it back
        cur.execute(
            sql.SQL("ALTER TABLE {} DROP COLUMN description").format(sql.Identifier(SCHEMA, "tables"))
        )
    conn.commit()
    publish(conn, _rows(secret_oid), readers=[roles["other"]])
    conn.commit()
    with conn.cursor() as cur:
        cur.execute(state)
        assert cur.fetchall() == before
        cur.execute(f"SELECT count(*) FROM {SCHEMA}.tables WHERE description IS NULL")
        assert cur.fetchone() == (3,)
    assert [row[0] for row in before] == sorted(t.name for t in TABLES)


def test_every_column_is_commented(warehouse) -> None:
    conn, _roles, _oid = warehouse
    ensure_schema(conn)
    with conn.cursor() as cur:
        for table in TABLES:
            for column in all_columns(table):
                cur.execute(
                    "SELECT col_description(%s::regclass, attnum) FROM pg_attribute"
                    " WHERE attrelid = %s::regclass AND attname = %s",
                    (f"{SCHEMA}.{table.name}", f"{SCHEMA}.{table.name}", column.name),
                )
                assert cur.fetchone() == (column.comment,), (table.name, column.name)


def test_bad_rows_are_refused_and_change_nothing(warehouse) -> None:
    conn, _roles, secret_oid = warehouse
    publish(conn, _rows(secret_oid))
    conn.commit()
    with pytest.raises(ConfigurationError, match="Not a table of ip_workbench: users"):
        publish(conn, {"users": []})
    conn.rollback()
    with pytest.raises(ConfigurationError, match="has 12 columns, a row has 2"):
        publish(conn, {"runs": [(1, 2)]})
    conn.rollback()
    with conn.cursor() as cur:
        cur.execute(f"SELECT count(*) FROM {SCHEMA}.runs")
        assert cur.fetchone() == (2,)


def test_readme_documents_every_column() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert markdown() in readme, (
        "README's ip_workbench section differs from ipwb.warehouse.metadata_tables.markdown()"
    )


def test_superset_datasets_run_against_the_published_schema(warehouse) -> None:
    conn, roles, secret_oid = warehouse
    publish(conn, _rows(secret_oid), readers=[roles["other"]])
    conn.commit()
    datasets = sorted((SUPERSET / "datasets").rglob("*.yaml"))
    assert len(datasets) == 6
    uuids = set()
    for path in datasets:
        dataset = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert dataset["schema"] == SCHEMA
        names = [c["column_name"] for c in dataset["columns"]]
        if dataset["sql"]:
            query = dataset["sql"]
        else:
            table = TABLES_BY_NAME[dataset["table_name"]]
            assert names == [c.name for c in table.columns], path.name
            query = f"SELECT * FROM {SCHEMA}.{table.name}"
        rows = _as(conn, roles["other"], f"SELECT {', '.join(names)} FROM ({query}) AS q")
        assert rows, path.name
        uuids.add(dataset["uuid"])
    for path in (SUPERSET / "charts").glob("*.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["dataset_uuid"] in uuids, path.name
    success = _as(
        conn,
        roles["other"],
        yaml.safe_load(
            (SUPERSET / "datasets/ipwb_warehouse/run_success_daily.yaml").read_text(encoding="utf-8")
        )["sql"],
    )
    assert [(row[1], row[2], float(row[3])) for row in success] == [("finance", 2, 50.0)]
