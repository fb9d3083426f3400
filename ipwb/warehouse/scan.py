"""Diff the catalog the Odoo side knows against a fresh :class:`Snapshot` → a :class:`ScanPlan`.

Pure functions over plain data, so the scanner's rules are tested without Odoo and the
addon only *applies* a plan. The rules:

* a table is matched by ``(schema, name)`` first, then by ``oid`` (same oid, new name:
  a **rename** or a move to another schema);
* a matched table whose oid changed was dropped and **re-created**: its columns are
  matched by name only (attnums of another relation mean nothing);
* a known table that is gone is **archived**, never deleted (descriptions, owner and
  tags stay); an archived table that shows up again is **reactivated**;
* within one oid a column is matched by ``attnum`` first (same attnum, new name: a column
  **rename**), then by name; a gone column is archived;
* tables in schemas the snapshot did not scan are left alone.

Applying the plan and diffing again against the same snapshot gives an empty plan
(:func:`known_from_snapshot` and :func:`apply_plan` state that contract executably).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Sequence

from ipwb.warehouse.introspect import ColumnInfo, ColumnRef, SchemaInfo, Snapshot, TableInfo

TableKey = tuple[str, str]

#: table attributes compared to decide an update (besides renames and columns)
TABLE_FIELDS: tuple[str, ...] = ("oid", "kind", "comment", "row_estimate", "total_bytes", "view_definition")
#: column attributes compared to decide an update
COLUMN_FIELDS: tuple[str, ...] = (
    "attnum",
    "name",
    "data_type",
    "nullable",
    "default",
    "comment",
    "is_primary_key",
    "references",
)
SCHEMA_FIELDS: tuple[str, ...] = ("oid", "owner", "comment")


@dataclasses.dataclass(frozen=True, slots=True)
class KnownColumn:
    """A column as the catalog stores it (``attnum`` may be unknown: ``None``)."""

    name: str
    attnum: int | None = None
    data_type: str = ""
    nullable: bool = True
    default: str | None = None
    comment: str | None = None
    is_primary_key: bool = False
    references: tuple[ColumnRef, ...] = ()
    active: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class KnownTable:
    """A table as the catalog stores it; ``active=False`` means archived."""

    schema: str
    name: str
    oid: int | None = None
    kind: str = "table"
    comment: str | None = None
    row_estimate: int | None = None
    total_bytes: int = 0
    view_definition: str | None = None
    columns: tuple[KnownColumn, ...] = ()
    active: bool = True

    @property
    def key(self) -> TableKey:
        return (self.schema, self.name)


@dataclasses.dataclass(frozen=True, slots=True)
class KnownSchema:
    name: str
    oid: int | None = None
    owner: str = ""
    comment: str | None = None
    active: bool = True


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnUpdate:
    """Known column ``known_name`` now looks like ``column``; ``changed`` lists the fields."""

    known_name: str
    column: ColumnInfo
    changed: tuple[str, ...]
    reactivate: bool = False

    @property
    def renamed(self) -> bool:
        return "name" in self.changed


@dataclasses.dataclass(frozen=True, slots=True)
class ColumnPlan:
    create: tuple[ColumnInfo, ...] = ()
    update: tuple[ColumnUpdate, ...] = ()
    #: names of known active columns that are gone
    archive: tuple[str, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not (self.create or self.update or self.archive)

    @property
    def renames(self) -> tuple[tuple[str, str], ...]:
        """``(old name, new name)`` of the columns renamed in place."""
        return tuple((u.known_name, u.column.name) for u in self.update if u.renamed)


@dataclasses.dataclass(frozen=True, slots=True)
class TableUpdate:
    """Known table ``known_key`` is now ``table``.

    ``changed`` lists changed :data:`TABLE_FIELDS` (plus ``"schema"``/``"name"`` on a
    rename); ``recreated`` is set when the oid changed under the same name.
    """

    known_key: TableKey
    table: TableInfo
    changed: tuple[str, ...]
    columns: ColumnPlan
    reactivate: bool = False

    @property
    def renamed_from(self) -> TableKey | None:
        return self.known_key if self.known_key != self.table.key else None

    @property
    def recreated(self) -> bool:
        return "oid" in self.changed and self.renamed_from is None


@dataclasses.dataclass(frozen=True, slots=True)
class SchemaUpdate:
    schema: SchemaInfo
    changed: tuple[str, ...]
    reactivate: bool = False


@dataclasses.dataclass(frozen=True, slots=True)
class ScanPlan:
    """Everything the catalog must do to mirror a snapshot. Empty when already in sync."""

    create_schemas: tuple[SchemaInfo, ...] = ()
    update_schemas: tuple[SchemaUpdate, ...] = ()
    archive_schemas: tuple[str, ...] = ()
    create: tuple[TableInfo, ...] = ()
    #: matched active tables that changed (including renames and column changes)
    update: tuple[TableUpdate, ...] = ()
    #: matched archived tables (always listed, changed or not)
    reactivate: tuple[TableUpdate, ...] = ()
    archive: tuple[TableKey, ...] = ()

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in dataclasses.fields(self))

    @property
    def table_renames(self) -> tuple[tuple[TableKey, TableKey], ...]:
        return tuple((u.known_key, u.table.key) for u in (*self.update, *self.reactivate) if u.renamed_from)

    @property
    def table_operations(self) -> int:
        """Table-level steps of the plan (archive, update, reactivate, create): its batch unit."""
        return len(self.archive) + len(self.update) + len(self.reactivate) + len(self.create)

    def head(self, limit: int) -> ScanPlan:
        """The plan's schema steps and its first ``limit`` table steps, as a plan of its own.

        A large scan is applied one head at a time, each in its own transaction, diffing
        again in between: each step stands alone (a table with all its columns), so the
        remainder of the next diff is exactly the rest of this plan.

        >>> plan = ScanPlan(create=(TableInfo(1, "s", "a", "table"), TableInfo(2, "s", "b", "table")),
        ...                 archive=(("s", "gone"),))
        >>> first = plan.head(2)
        >>> first.archive, [t.name for t in first.create], first.table_operations
        ((('s', 'gone'),), ['a'], 2)
        >>> plan.head(10) == plan
        True
        """
        if limit < 1:
            raise ValueError("a batch holds at least one table step")
        left = limit
        taken: dict[str, tuple[object, ...]] = {}
        for name in ("archive", "update", "reactivate", "create"):
            steps: tuple[object, ...] = getattr(self, name)
            taken[name] = steps[:left]
            left -= len(taken[name])
        return dataclasses.replace(self, **taken)  # type: ignore[arg-type]

    def rest(self, limit: int) -> ScanPlan:
        """The table steps after :meth:`head` ``(limit)`` (its schema steps are done by then).

        >>> plan = ScanPlan(create=(TableInfo(1, "s", "a", "table"), TableInfo(2, "s", "b", "table")),
        ...                 archive=(("s", "gone"),), archive_schemas=("old",))
        >>> later = plan.rest(2)
        >>> [t.name for t in later.create], later.archive_schemas, plan.rest(3).is_empty
        (['b'], (), True)
        """
        skip = limit
        left: dict[str, tuple[object, ...]] = {}
        for name in ("archive", "update", "reactivate", "create"):
            steps: tuple[object, ...] = getattr(self, name)
            left[name] = steps[skip:]
            skip = max(0, skip - len(steps))
        return ScanPlan(**left)  # type: ignore[arg-type]

    def summary(self) -> dict[str, int]:
        """Counts per action, for logs and the scan's chatter message."""
        updates = (*self.update, *self.reactivate)
        return {
            "schemas_created": len(self.create_schemas),
            "schemas_archived": len(self.archive_schemas),
            "tables_created": len(self.create),
            "tables_updated": len(self.update),
            "tables_reactivated": len(self.reactivate),
            "tables_archived": len(self.archive),
            "tables_renamed": len(self.table_renames),
            "columns_created": sum(len(u.columns.create) for u in updates),
            "columns_updated": sum(len(u.columns.update) for u in updates),
            "columns_archived": sum(len(u.columns.archive) for u in updates),
            "columns_renamed": sum(len(u.columns.renames) for u in updates),
        }


def _changed(known: object, new: object, fields: Sequence[str]) -> tuple[str, ...]:
    return tuple(f for f in fields if getattr(known, f) != getattr(new, f))


def diff_columns(known: Iterable[KnownColumn], new: Sequence[ColumnInfo], same_relation: bool) -> ColumnPlan:
    """Match columns (by attnum first when ``same_relation``, then by name) and diff them.

    >>> old = (KnownColumn("amt", 2, "numeric"), KnownColumn("gone", 3, "text"))
    >>> plan = diff_columns(old, (ColumnInfo(2, "amount", "numeric", True),), same_relation=True)
    >>> plan.renames, plan.archive
    ((('amt', 'amount'),), ('gone',))
    """
    pool = list(known)
    by_attnum = {c.attnum: c for c in pool if c.attnum is not None} if same_relation else {}
    matched: dict[int, KnownColumn] = {}
    for i, col in enumerate(new):
        hit = by_attnum.get(col.attnum)
        if hit is not None:
            matched[i] = hit
    taken = {id(c) for c in matched.values()}
    # name match prefers an active column, then the most recently seen archived one
    by_name: dict[str, KnownColumn] = {}
    for c in sorted(pool, key=lambda c: c.active):
        if id(c) not in taken:
            by_name[c.name] = c
    for i, col in enumerate(new):
        if i not in matched and col.name in by_name:
            hit = by_name.pop(col.name)
            matched[i] = hit
            taken.add(id(hit))
    create: list[ColumnInfo] = []
    update: list[ColumnUpdate] = []
    for i, col in enumerate(new):
        hit = matched.get(i)
        if hit is None:
            create.append(col)
            continue
        changed = _changed(hit, col, COLUMN_FIELDS)
        if changed or not hit.active:
            update.append(ColumnUpdate(hit.name, col, changed, reactivate=not hit.active))
    archive = tuple(c.name for c in pool if c.active and id(c) not in taken)
    return ColumnPlan(tuple(create), tuple(update), archive)


def _diff_schemas(
    known: Sequence[KnownSchema], snapshot: Snapshot
) -> tuple[tuple[SchemaInfo, ...], tuple[SchemaUpdate, ...], tuple[str, ...]]:
    by_name = {s.name: s for s in known}
    create: list[SchemaInfo] = []
    update: list[SchemaUpdate] = []
    for schema in snapshot.schemas:
        hit = by_name.get(schema.name)
        if hit is None:
            create.append(schema)
            continue
        changed = _changed(hit, schema, SCHEMA_FIELDS)
        if changed or not hit.active:
            update.append(SchemaUpdate(schema, changed, reactivate=not hit.active))
    present = {s.name for s in snapshot.schemas}
    archive = tuple(
        s.name for s in known if s.active and s.name not in present and snapshot.covers_schema(s.name)
    )
    return tuple(create), tuple(update), archive


def diff_snapshot(
    known_tables: Iterable[KnownTable], snapshot: Snapshot, known_schemas: Sequence[KnownSchema] = ()
) -> ScanPlan:
    """The plan that turns the known catalog into a mirror of ``snapshot``.

    >>> t = TableInfo(7, "s", "t", "table")
    >>> snap = Snapshot("wh", "15", None, (SchemaInfo(1, "s", "o", None, (t,)),))
    >>> diff_snapshot([], snap).create[0].key
    ('s', 't')
    >>> tables, schemas = known_from_snapshot(snap)
    >>> diff_snapshot(tables, snap, schemas).is_empty
    True
    """
    known = [k for k in known_tables if snapshot.covers_schema(k.schema)]
    new_tables = list(snapshot.tables())
    by_key: dict[TableKey, KnownTable] = {}
    for k in sorted(known, key=lambda k: k.active):  # an active record wins a key clash
        by_key[k.key] = k
    matched: dict[int, KnownTable] = {}
    for i, table in enumerate(new_tables):
        if table.key in by_key:
            matched[i] = by_key[table.key]
    taken = {id(k) for k in matched.values()}
    by_oid = {k.oid: k for k in known if k.oid is not None and id(k) not in taken}
    for i, table in enumerate(new_tables):
        hit = by_oid.get(table.oid) if i not in matched else None
        if hit is not None and id(hit) not in taken:
            matched[i] = hit
            taken.add(id(hit))

    create: list[TableInfo] = []
    update: list[TableUpdate] = []
    reactivate: list[TableUpdate] = []
    for i, table in enumerate(new_tables):
        hit = matched.get(i)
        if hit is None:
            create.append(table)
            continue
        changed = _changed(hit, table, TABLE_FIELDS)
        if hit.key != table.key:
            changed = (*(f for f in ("schema", "name") if getattr(hit, f) != getattr(table, f)), *changed)
        columns = diff_columns(hit.columns, table.columns, same_relation=hit.oid == table.oid)
        entry = TableUpdate(hit.key, table, changed, columns, reactivate=not hit.active)
        if not hit.active:
            reactivate.append(entry)
        elif changed or not columns.is_empty:
            update.append(entry)
    archive = tuple(k.key for k in known if k.active and id(k) not in taken)
    create_schemas, update_schemas, archive_schemas = _diff_schemas(known_schemas, snapshot)
    return ScanPlan(
        create_schemas=create_schemas,
        update_schemas=update_schemas,
        archive_schemas=archive_schemas,
        create=tuple(create),
        update=tuple(update),
        reactivate=tuple(reactivate),
        archive=archive,
    )


def _known_column(col: ColumnInfo) -> KnownColumn:
    return KnownColumn(
        name=col.name,
        attnum=col.attnum,
        data_type=col.data_type,
        nullable=col.nullable,
        default=col.default,
        comment=col.comment,
        is_primary_key=col.is_primary_key,
        references=col.references,
    )


def _known_table(table: TableInfo, extra_columns: Iterable[KnownColumn] = ()) -> KnownTable:
    return KnownTable(
        schema=table.schema,
        name=table.name,
        oid=table.oid,
        kind=table.kind,
        comment=table.comment,
        row_estimate=table.row_estimate,
        total_bytes=table.total_bytes,
        view_definition=table.view_definition,
        columns=(*(_known_column(c) for c in table.columns), *extra_columns),
    )


def known_from_snapshot(snapshot: Snapshot) -> tuple[list[KnownTable], list[KnownSchema]]:
    """The catalog state right after mirroring ``snapshot`` into an empty catalog."""
    tables = [_known_table(t) for t in snapshot.tables()]
    schemas = [KnownSchema(s.name, s.oid, s.owner, s.comment) for s in snapshot.schemas]
    return tables, schemas


def apply_plan(
    known_tables: Iterable[KnownTable], plan: ScanPlan, known_schemas: Iterable[KnownSchema] = ()
) -> tuple[list[KnownTable], list[KnownSchema]]:
    """Reference implementation of what the addon does with a plan, on plain data.

    Archived things stay in the result with ``active=False``; nothing is ever removed.
    """
    tables = {k.key: k for k in known_tables}
    for key in plan.archive:
        tables[key] = dataclasses.replace(tables[key], active=False)
    for update in (*plan.update, *plan.reactivate):
        old = tables.pop(update.known_key)
        archived_cols = [
            dataclasses.replace(c, active=False)
            for c in old.columns
            if c.name in update.columns.archive or not c.active
        ]
        kept = {u.column.name for u in update.columns.update} | {c.name for c in update.table.columns}
        leftover = [c for c in archived_cols if c.name not in kept]
        tables[update.table.key] = _known_table(update.table, leftover)
    for table in plan.create:
        tables[table.key] = _known_table(table)
    schemas = {s.name: s for s in known_schemas}
    for name in plan.archive_schemas:
        schemas[name] = dataclasses.replace(schemas[name], active=False)
    for info in (*plan.create_schemas, *(u.schema for u in plan.update_schemas)):
        schemas[info.name] = KnownSchema(info.name, info.oid, info.owner, info.comment)
    return list(tables.values()), list(schemas.values())
