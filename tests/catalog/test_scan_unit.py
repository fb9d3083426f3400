"""Pure scan-diff rules: matching, renames, archive/reactivate, idempotency."""

from __future__ import annotations

import dataclasses
import datetime
import doctest

import pytest

import ipwb.warehouse.introspect
import ipwb.warehouse.scan
from ipwb.warehouse.introspect import ColumnInfo, ColumnRef, SchemaInfo, Snapshot, TableInfo
from ipwb.warehouse.scan import (
    KnownColumn,
    KnownTable,
    apply_plan,
    diff_columns,
    diff_snapshot,
    known_from_snapshot,
)

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)


def col(attnum: int, name: str, data_type: str = "integer", **kw: object) -> ColumnInfo:
    return ColumnInfo(attnum, name, data_type, kw.pop("nullable", True), **kw)  # type: ignore[arg-type]


def table(oid: int, schema: str, name: str, *cols: ColumnInfo, **kw: object) -> TableInfo:
    return TableInfo(oid, schema, name, kw.pop("kind", "table"), columns=cols, **kw)  # type: ignore[arg-type]


def snap(*tables: TableInfo, schema_filter: tuple[str, ...] | None = None) -> Snapshot:
    names = sorted({t.schema for t in tables} | set(schema_filter or ()))
    schemas = tuple(
        SchemaInfo(i, n, "owner", None, tuple(t for t in tables if t.schema == n))
        for i, n in enumerate(names)
    )
    return Snapshot("wh", "15", NOW, schemas, schema_filter)


def mirror(known: list[KnownTable], snapshot: Snapshot) -> list[KnownTable]:
    """Apply the plan and check the idempotency contract on the way."""
    plan = diff_snapshot(known, snapshot)
    tables, _ = apply_plan(known, plan)
    again = diff_snapshot(tables, snapshot)
    assert (again.create, again.update, again.reactivate, again.archive) == ((), (), (), ())
    return tables


ORDERS = table(
    10, "bronze", "orders", col(1, "id", nullable=False, is_primary_key=True), col(2, "amt", "numeric")
)
CUSTOMERS = table(11, "bronze", "customers", col(1, "id"), col(2, "name", "text"))
BASE = snap(ORDERS, CUSTOMERS)


def test_doctests() -> None:
    for module in (ipwb.warehouse.scan, ipwb.warehouse.introspect):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


def test_first_scan_creates_everything_and_second_is_empty() -> None:
    plan = diff_snapshot([], BASE)
    assert [t.key for t in plan.create] == [("bronze", "orders"), ("bronze", "customers")]
    assert [s.name for s in plan.create_schemas] == ["bronze"]
    tables, schemas = known_from_snapshot(BASE)
    assert diff_snapshot(tables, BASE, schemas).is_empty


def test_dropped_table_is_archived_then_reactivated_by_name() -> None:
    known = mirror([], BASE)
    dropped = snap(ORDERS)
    plan = diff_snapshot(known, dropped)
    assert plan.archive == (("bronze", "customers"),)
    assert plan.create == () and plan.update == ()
    known = mirror(known, dropped)
    archived = {k.key: k.active for k in known}
    assert archived == {("bronze", "orders"): True, ("bronze", "customers"): False}
    # re-created with a new oid and a changed column set: matched by name, reactivated
    recreated = snap(
        ORDERS,
        table(99, "bronze", "customers", col(1, "id"), col(2, "full_name", "text"), col(3, "name", "text")),
    )
    plan = diff_snapshot(known, recreated)
    assert plan.create == () and plan.archive == ()
    (react,) = plan.reactivate
    assert react.known_key == ("bronze", "customers") and react.recreated and react.reactivate
    # new oid: columns matched by name only, so no bogus rename id/name → full_name
    assert [c.name for c in react.columns.create] == ["full_name"]
    assert {u.known_name: u.changed for u in react.columns.update} == {"name": ("attnum",)}
    assert react.columns.renames == ()
    mirror(known, recreated)


def test_column_rename_detected_by_attnum() -> None:
    known = mirror([], BASE)
    renamed = snap(
        table(
            10,
            "bronze",
            "orders",
            col(1, "id", nullable=False, is_primary_key=True),
            col(2, "amount", "numeric"),
        ),
        CUSTOMERS,
    )
    plan = diff_snapshot(known, renamed)
    (upd,) = plan.update
    assert upd.known_key == ("bronze", "orders") and upd.changed == ()
    assert upd.columns.renames == (("amt", "amount"),)
    assert upd.columns.create == () and upd.columns.archive == ()
    assert plan.summary()["columns_renamed"] == 1
    mirror(known, renamed)


def test_column_swap_by_attnum() -> None:
    known = [KnownTable("s", "t", 1, columns=(KnownColumn("a", 1, "int"), KnownColumn("b", 2, "int")))]
    new = snap(table(1, "s", "t", col(1, "b", "int"), col(2, "a", "int")))
    (upd,) = diff_snapshot(known, new).update
    assert sorted(upd.columns.renames) == [("a", "b"), ("b", "a")]


def test_dropped_and_readded_column_is_archived_and_created() -> None:
    known = mirror([], BASE)
    new = snap(
        table(
            10, "bronze", "orders", col(1, "id", nullable=False, is_primary_key=True), col(3, "amt", "bigint")
        ),
        CUSTOMERS,
    )
    (upd,) = diff_snapshot(known, new).update
    # attnum 2 is gone, attnum 3 is new; the name matches the old record, so it is reused
    assert upd.columns.archive == ()
    assert [(u.known_name, u.changed) for u in upd.columns.update] == [("amt", ("attnum", "data_type"))]


def test_table_rename_detected_by_oid() -> None:
    known = mirror([], BASE)
    new = snap(
        dataclasses.replace(ORDERS, schema="silver", name="sales_order"),
        CUSTOMERS,
    )
    plan = diff_snapshot(known, new)
    assert plan.create == () and plan.archive == ()
    assert plan.table_renames == ((("bronze", "orders"), ("silver", "sales_order")),)
    (upd,) = plan.update
    assert upd.changed == ("schema", "name") and upd.columns.is_empty and not upd.recreated
    mirror(known, new)


def test_metadata_changes_are_updates() -> None:
    known = mirror([], BASE)
    cust = CUSTOMERS
    new = snap(
        ORDERS,
        dataclasses.replace(
            cust,
            comment="Customers",
            row_estimate=5,
            columns=(
                cust.columns[0],
                dataclasses.replace(cust.columns[1], comment="Full name", nullable=False),
            ),
        ),
    )
    (upd,) = diff_snapshot(known, new).update
    assert upd.changed == ("comment", "row_estimate")
    assert [(u.known_name, u.changed) for u in upd.columns.update] == [("name", ("nullable", "comment"))]


def test_foreign_key_change_is_a_column_update() -> None:
    known = mirror([], BASE)
    orders = ORDERS
    fk = ColumnRef("bronze", "customers", "id")
    new = snap(
        CUSTOMERS,
        dataclasses.replace(orders, columns=(*orders.columns, col(3, "customer_id", references=(fk,)))),
    )
    (upd,) = diff_snapshot(known, new).update
    assert [c.references for c in upd.columns.create] == [(fk,)]
    mirror(known, new)


def test_schema_filter_leaves_other_schemas_alone() -> None:
    known = mirror([], snap(*BASE.tables(), table(20, "gold", "kpi", col(1, "v"))))
    only_gold = snap(table(20, "gold", "kpi", col(1, "v")), schema_filter=("gold",))
    plan = diff_snapshot(known, only_gold)
    assert (plan.create, plan.update, plan.archive) == ((), (), ())
    empty_gold = snap(schema_filter=("gold",))
    assert diff_snapshot(known, empty_gold).archive == (("gold", "kpi"),)


def test_archived_known_without_match_stays_quiet() -> None:
    known = [KnownTable("s", "old", 5, active=False)]
    plan = diff_snapshot(known, snap(schema_filter=("s",)))
    assert (plan.create, plan.update, plan.reactivate, plan.archive) == ((), (), (), ())


def test_diff_columns_prefers_active_name_match() -> None:
    known = (KnownColumn("x", None, "int", active=False), KnownColumn("x", None, "int"))
    plan = diff_columns(known, (col(4, "x", "int"),), same_relation=False)
    assert [(u.reactivate, u.changed) for u in plan.update] == [(False, ("attnum",))]
    assert plan.archive == ()


@pytest.mark.parametrize("n", [1, 50])
def test_plan_is_idempotent_for_random_like_changes(n: int) -> None:
    tables = [table(100 + i, "s", f"t{i}", *(col(j, f"c{j}") for j in range(1, 6))) for i in range(n)]
    known = mirror([], snap(*tables))
    changed = [
        dataclasses.replace(t, name=t.name + "_r") if i % 3 == 0 else t for i, t in enumerate(tables) if i % 5
    ]
    mirror(known, snap(*changed))


def test_plan_applied_in_batches_equals_one_pass() -> None:
    # a churned catalog: archives, a re-created table, a rename, column changes, new tables
    before = snap(
        table(1, "s", "keep", col(1, "id")),
        table(2, "s", "gone", col(1, "id")),
        table(3, "s", "recreated", col(1, "id"), col(2, "v", "text")),
        table(4, "s", "old_name", col(1, "id")),
        table(5, "s", "changed", col(1, "amt", "numeric")),
        table(6, "s", "gone_too", col(1, "id")),
    )
    after = snap(
        table(1, "s", "keep", col(1, "id")),
        table(30, "s", "recreated", col(1, "id")),
        table(4, "s", "new_name", col(1, "id")),
        table(5, "s", "changed", col(1, "amount", "numeric")),
        *(table(100 + i, "s", f"n{i}", col(1, "id")) for i in range(5)),
    )
    known, schemas = known_from_snapshot(before)
    whole = diff_snapshot(known, after, schemas)
    one_pass = apply_plan(known, whole, schemas)
    for size in (1, 2, 3, 7):
        state, rest, batches = (known, schemas), whole, 0
        while not rest.is_empty:
            state = apply_plan(*state[:1], rest.head(size), state[1])
            rediffed = diff_snapshot(state[0], after, state[1])
            rest = rest.rest(size)
            # the next diff of the catalog is exactly the rest of the plan (what the addon caches)
            assert rediffed.table_operations == rest.table_operations
            assert {t.key for t in rediffed.create} == {t.key for t in rest.create}
            assert set(rediffed.archive) == set(rest.archive)
            batches += 1
        assert batches == -(-whole.table_operations // size)
        assert sorted(state[0], key=lambda t: t.key) == sorted(one_pass[0], key=lambda t: t.key)
    with pytest.raises(ValueError):
        whole.head(0)
