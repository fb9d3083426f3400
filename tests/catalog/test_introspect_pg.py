"""Introspection and scan diff against a real PostgreSQL warehouse."""

from __future__ import annotations

from collections.abc import Iterator

import psycopg2
import psycopg2.extensions
import pytest
from psycopg2 import sql

from ipwb.errors import WarehouseError
from ipwb.sql.lineage import extract_view_lineage
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.introspect import ColumnRef, count_relations, introspect, introspect_warehouse
from ipwb.warehouse.scan import KnownSchema, KnownTable, apply_plan, diff_snapshot

DDL = """
CREATE SCHEMA bronze; COMMENT ON SCHEMA bronze IS 'raw landing';
CREATE SCHEMA silver;
CREATE TABLE bronze.customer (id integer PRIMARY KEY, name text NOT NULL DEFAULT 'n/a', "Mixed Case" date);
COMMENT ON TABLE bronze.customer IS 'Customers from the ERP';
COMMENT ON COLUMN bronze.customer.name IS 'Display name';
CREATE TABLE bronze.orders (
    id bigserial, line integer, customer_id integer REFERENCES bronze.customer (id),
    amount numeric(12, 2), PRIMARY KEY (id, line));
INSERT INTO bronze.customer SELECT g, 'c' || g FROM generate_series(1, 100) g;
ANALYZE bronze.customer;
CREATE VIEW silver.customer_orders AS
    SELECT c.name, sum(o.amount) AS total FROM bronze.customer c JOIN bronze.orders o ON o.customer_id = c.id
    GROUP BY c.name;
CREATE MATERIALIZED VIEW silver.totals AS SELECT count(*) AS n FROM bronze.orders;
"""


@pytest.fixture
def wh(scratch_db: str) -> Iterator[psycopg2.extensions.connection]:
    conn = psycopg2.connect(scratch_db)
    with conn.cursor() as cur:
        cur.execute(DDL)
    conn.commit()
    try:
        yield conn
    finally:
        conn.close()


def run(conn: psycopg2.extensions.connection, statement: str) -> None:
    with conn.cursor() as cur:
        cur.execute(statement)
    conn.commit()


def known_after(known: list[KnownTable], schemas: list[KnownSchema], conn: psycopg2.extensions.connection):  # type: ignore[no-untyped-def]
    snapshot = introspect(conn)
    plan = diff_snapshot(known, snapshot, schemas)
    tables, new_schemas = apply_plan(known, plan, schemas)
    assert diff_snapshot(tables, introspect(conn), new_schemas).is_empty, "second scan must be empty"
    return plan, tables, new_schemas


def test_snapshot_content(wh: psycopg2.extensions.connection) -> None:
    snap = introspect(wh)
    assert [s.name for s in snap.schemas] == ["bronze", "public", "silver"]
    assert snap.schemas[0].comment == "raw landing"
    assert [(t.schema, t.name, t.kind) for t in snap.tables()] == [
        ("bronze", "customer", "table"),
        ("bronze", "orders", "table"),
        ("silver", "customer_orders", "view"),
        ("silver", "totals", "materialized_view"),
    ]
    customer = snap.table("bronze", "customer")
    assert customer is not None
    assert customer.comment == "Customers from the ERP"
    assert customer.row_estimate == 100 and customer.total_bytes > 0
    assert [
        (c.attnum, c.name, c.data_type, c.nullable, c.default, c.comment, c.is_primary_key)
        for c in customer.columns
    ] == [
        (1, "id", "integer", False, None, None, True),
        (2, "name", "text", False, "'n/a'::text", "Display name", False),
        (3, "Mixed Case", "date", True, None, None, False),
    ]
    orders = snap.table("bronze", "orders")
    assert orders is not None
    assert orders.primary_key == ("id", "line")
    assert orders.row_estimate is None  # never analysed
    assert [c.name for c in orders.columns if c.is_primary_key] == ["id", "line"]
    (fk,) = orders.foreign_keys
    assert (fk.columns, fk.ref_schema, fk.ref_table, fk.ref_columns) == (
        ("customer_id",),
        "bronze",
        "customer",
        ("id",),
    )
    assert orders.column("customer_id").references == (ColumnRef("bronze", "customer", "id"),)  # type: ignore[union-attr]
    assert orders.column("amount").data_type == "numeric(12,2)"  # type: ignore[union-attr]
    view = snap.table("silver", "customer_orders")
    assert view is not None and "sum(o.amount)" in (view.view_definition or "")
    assert [c.name for c in view.columns] == ["name", "total"]
    assert snap.to_lineage_schema()["bronze"]["orders"]["amount"] == "numeric(12,2)"


def test_schema_restriction_and_no_system_schemas(wh: psycopg2.extensions.connection) -> None:
    snap = introspect(wh, ["silver"])
    assert [s.name for s in snap.schemas] == ["silver"]
    assert snap.schema_filter == ("silver",)
    everything = introspect(wh)
    assert not {s.name for s in everything.schemas} & {"pg_catalog", "information_schema", "pg_toast"}


def test_introspect_leaves_connection_usable(wh: psycopg2.extensions.connection) -> None:
    wh.autocommit = False
    introspect(wh)
    assert wh.status == psycopg2.extensions.STATUS_READY and wh.autocommit is False
    run(wh, "CREATE TABLE public.after_scan (x int)")  # not read-only afterwards
    with wh.cursor() as cur:  # inside an open transaction: uses it, leaves it open
        cur.execute("SELECT 1")
        assert introspect(wh).table("public", "after_scan") is not None
        assert wh.status == psycopg2.extensions.STATUS_IN_TRANSACTION
    wh.rollback()


def test_scan_lifecycle_drop_recreate_rename(wh: psycopg2.extensions.connection) -> None:
    plan, known, schemas = known_after([], [], wh)
    assert len(plan.create) == 4 and plan.summary()["schemas_created"] == 3

    run(wh, "ALTER TABLE bronze.customer RENAME COLUMN name TO full_name")
    plan, known, schemas = known_after(known, schemas, wh)
    (upd,) = [u for u in plan.update if u.known_key == ("bronze", "customer")]
    assert upd.columns.renames == (("name", "full_name"),)
    assert upd.columns.create == () and upd.columns.archive == ()

    run(wh, "DROP MATERIALIZED VIEW silver.totals")
    plan, known, schemas = known_after(known, schemas, wh)
    assert plan.archive == (("silver", "totals"),) and plan.create == ()
    assert {k.key: k.active for k in known}[("silver", "totals")] is False

    run(wh, "CREATE MATERIALIZED VIEW silver.totals AS SELECT count(*) AS n, 1 AS one FROM bronze.orders")
    plan, known, schemas = known_after(known, schemas, wh)
    (react,) = plan.reactivate
    assert react.known_key == ("silver", "totals") and react.recreated
    assert [c.name for c in react.columns.create] == ["one"]
    assert plan.create == ()

    run(
        wh,
        "ALTER TABLE bronze.orders RENAME TO sales_order; ALTER TABLE bronze.sales_order SET SCHEMA silver",
    )
    plan, known, schemas = known_after(known, schemas, wh)
    assert plan.table_renames == ((("bronze", "orders"), ("silver", "sales_order")),)
    assert plan.create == () and plan.archive == ()

    run(wh, 'ALTER TABLE bronze.customer DROP COLUMN "Mixed Case"; DROP SCHEMA silver CASCADE')
    plan, known, schemas = known_after(known, schemas, wh)
    assert sorted(plan.archive) == [
        ("silver", "customer_orders"),
        ("silver", "sales_order"),
        ("silver", "totals"),
    ]
    assert plan.archive_schemas == ("silver",)
    (upd,) = plan.update
    assert upd.columns.archive == ("Mixed Case",)


def test_unreachable_warehouse_is_a_warehouse_error() -> None:
    config = WarehouseConfig(dbname="nowhere", host="127.0.0.1", port=1, connect_timeout=2)
    with pytest.raises(WarehouseError, match="Cannot connect to warehouse"):
        introspect_warehouse(config)


def test_introspect_warehouse_by_config(scratch_db: str) -> None:
    config = WarehouseConfig.from_dsn(scratch_db)
    snap = introspect_warehouse(config)
    assert snap.database == config.dbname
    assert [s.name for s in snap.schemas] == ["public"]


def test_view_lineage_from_a_real_snapshot(wh: psycopg2.extensions.connection) -> None:
    run(wh, 'CREATE VIEW silver."Top Customers" AS SELECT * FROM silver.customer_orders WHERE total > 10')
    snap = introspect(wh)
    views = [(f"{t.schema}.{t.name}", t.view_definition or "") for t in snap.tables() if t.view_definition]
    result = extract_view_lineage(views, schema=snap.to_lineage_schema())
    assert result.issues == ()
    assert {(e.source, e.target) for e in result.tables} == {
        ("bronze.customer", "silver.customer_orders"),
        ("bronze.orders", "silver.customer_orders"),
        ("bronze.orders", "silver.totals"),
        ("silver.customer_orders", "silver.Top Customers"),
    }
    assert {
        (e.source_table, e.source_column, e.target_table, e.target_column, e.kind) for e in result.columns
    } == {
        ("bronze.customer", "name", "silver.customer_orders", "name", "direct"),
        ("bronze.orders", "amount", "silver.customer_orders", "total", "aggregate"),
        ("bronze.customer", "id", "silver.customer_orders", None, "filter"),
        ("bronze.orders", "customer_id", "silver.customer_orders", None, "filter"),
        ("silver.customer_orders", "name", "silver.Top Customers", "name", "direct"),
        ("silver.customer_orders", "total", "silver.Top Customers", "total", "direct"),
        ("silver.customer_orders", "total", "silver.Top Customers", None, "filter"),
    }


def _qualified_lineage(snap_tables: list[tuple[str, str]]) -> set[tuple[str, str]]:
    result = extract_view_lineage(snap_tables)
    return {(e.source, e.target) for e in result.tables}


def test_view_definitions_are_qualified_whatever_the_search_path(
    wh: psycopg2.extensions.connection, scratch_db: str
) -> None:
    # pg_get_viewdef drops the schema of relations on the search_path: with bronze and silver
    # on it, a naive snapshot would read "FROM customer c JOIN orders o" and lose the lineage
    dbname = WarehouseConfig.from_dsn(scratch_db).dbname
    run(wh, f'ALTER DATABASE "{dbname}" SET search_path = silver, bronze, public')
    expected = {
        ("bronze.customer", "silver.customer_orders"),
        ("bronze.orders", "silver.customer_orders"),
        ("bronze.orders", "silver.totals"),
    }

    def views(snap):  # type: ignore[no-untyped-def]
        return [(f"{t.schema}.{t.name}", t.view_definition or "") for t in snap.tables() if t.view_definition]

    # a fresh session inherits the database's search_path
    fresh = introspect_warehouse(WarehouseConfig.from_dsn(scratch_db))
    assert all("bronze.orders" in sql for _name, sql in views(fresh)), views(fresh)
    assert _qualified_lineage(views(fresh)) == expected

    # an explicit session setting, introspected idle and inside the caller's transaction
    run(wh, "SET search_path = bronze, silver")
    assert _qualified_lineage(views(introspect(wh))) == expected
    with wh.cursor() as cur:
        cur.execute("SELECT 1")
        assert _qualified_lineage(views(introspect(wh))) == expected
        cur.execute("SHOW search_path")  # the caller's search_path is left as it was
        assert cur.fetchone() == ("bronze, silver",)
    wh.rollback()
    with wh.cursor() as cur:
        cur.execute("SHOW search_path")
        assert cur.fetchone() == ("bronze, silver",)


def test_scan_snapshot_outlives_the_roles_interactive_timeout(scratch_db: str) -> None:
    """The reader role's statement timeout is for users' queries; a scan of a large warehouse
    on a loaded machine needs longer (issue #20: 100k tables cancelled at 30 s)."""
    setup = psycopg2.connect(scratch_db)
    try:
        with setup.cursor() as cur:
            cur.execute(
                "DO $$ BEGIN FOR i IN 1..300 LOOP"
                " EXECUTE format('CREATE TABLE public.%I (id int PRIMARY KEY, a text, b numeric)', 't' || i);"
                " END LOOP; END $$"
            )
            cur.execute("SELECT current_database()")
            (name,) = cur.fetchone()  # type: ignore[misc]
            # what `ALTER ROLE ipwb_wh_reader SET statement_timeout` does, far shorter
            cur.execute(
                sql.SQL("ALTER DATABASE {} SET statement_timeout = '1ms'").format(sql.Identifier(name))
            )
        setup.commit()
    finally:
        setup.close()
    interactive = psycopg2.connect(scratch_db)
    try:
        with pytest.raises(WarehouseError, match="statement timeout"):
            introspect(interactive)
    finally:
        interactive.close()
    snapshot = introspect_warehouse(WarehouseConfig.from_dsn(scratch_db))
    assert len([t for t in snapshot.tables() if t.schema == "public"]) == 300


def test_count_relations_counts_what_a_scan_sees(wh: psycopg2.extensions.connection, scratch_db: str) -> None:
    # the cheap count that decides between a scan in the request and a batched one
    config = WarehouseConfig.from_dsn(scratch_db)
    snap = introspect(wh)
    assert count_relations(config) == sum(1 for _t in snap.tables()) > 0
    assert count_relations(config, ["silver"]) == sum(1 for t in snap.tables() if t.schema == "silver")
    assert count_relations(config, ["no_such_schema"]) == 0
    with pytest.raises(WarehouseError):
        count_relations(WarehouseConfig(dbname="nowhere", host="127.0.0.1", port=1, connect_timeout=2))
