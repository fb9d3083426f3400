"""The warehouse catalog as NL→SQL sees it: plain data in, immutable dataclasses out.

The Odoo side builds this from ``ipwb.table``/``ipwb.column`` records and the CLI from a
live warehouse (:mod:`ipwb.llm.catalog_export`) or a snapshot ``ipwb genie catalog-export``
wrote; both give the same shape::

    tables:
      - schema: silver
        name: invoices
        description: Posted customer and vendor invoices
        columns:
          - {name: invoice_id, type: bigint, description: Surrogate key}
        foreign_keys:
          - {columns: [partner_id], references: silver.partners, ref_columns: [partner_id]}
    synonyms:            # optional, domain vocabulary for retrieval
      vendor: [supplier, payee]

Keeping it independent of the live database lets retrieval and validation run offline
(evaluation, CI) and on hundreds of tables without a round-trip per question.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import SpecError


@dataclasses.dataclass(frozen=True)
class Column:
    name: str
    type: str = "text"
    description: str = ""


@dataclasses.dataclass(frozen=True)
class ForeignKey:
    columns: tuple[str, ...]
    #: qualified ``schema.table`` the key points at
    references: str
    ref_columns: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Table:
    schema: str
    name: str
    description: str = ""
    columns: tuple[Column, ...] = ()
    foreign_keys: tuple[ForeignKey, ...] = ()

    @property
    def qualified(self) -> str:
        return f"{self.schema}.{self.name}"

    def column(self, name: str) -> Column | None:
        return next((c for c in self.columns if c.name == name), None)


@dataclasses.dataclass(frozen=True)
class Catalog:
    tables: tuple[Table, ...]
    synonyms: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        index = {table.qualified: table for table in self.tables}
        adjacency: dict[str, set[str]] = {name: set() for name in index}
        for table in self.tables:
            for fk in table.foreign_keys:
                if fk.references in index and fk.references != table.qualified:
                    adjacency[table.qualified].add(fk.references)
                    adjacency[fk.references].add(table.qualified)
        # frozen dataclass: derived lookups are set once here
        object.__setattr__(self, "_index", index)
        object.__setattr__(self, "_adjacency", adjacency)

    def get(self, qualified: str) -> Table | None:
        index: dict[str, Table] = self.__dict__["_index"]
        return index.get(qualified.lower())

    def by_name(self, name: str) -> list[Table]:
        """Tables called ``name`` in any schema (an unqualified reference may be ambiguous)."""
        return [t for t in self.tables if t.name == name.lower()]

    def neighbours(self, qualified: str) -> set[str]:
        """Tables one foreign-key hop away, in either direction."""
        adjacency: dict[str, set[str]] = self.__dict__["_adjacency"]
        return set(adjacency.get(qualified, ()))

    def mapping_schema(self) -> dict[str, dict[str, dict[str, str]]]:
        """``{schema: {table: {column: type}}}`` for ``sqlglot.schema.MappingSchema``."""
        nested: dict[str, dict[str, dict[str, str]]] = {}
        for table in self.tables:
            nested.setdefault(table.schema, {})[table.name] = {c.name: c.type for c in table.columns}
        return nested

    def subset(self, names: Iterable[str]) -> Catalog:
        wanted = set(names)
        return Catalog(tuple(t for t in self.tables if t.qualified in wanted), self.synonyms)

    # -- loading ---------------------------------------------------------------------------
    @classmethod
    def from_data(cls, data: Mapping[str, Any]) -> Catalog:
        problems: list[str] = []
        tables: list[Table] = []
        for i, raw in enumerate(data.get("tables") or []):
            try:
                tables.append(_table(raw))
            except (KeyError, TypeError, ValueError) as exc:
                problems.append(f"tables[{i}]: {exc}")
        catalog = cls(tuple(tables), _synonyms(data.get("synonyms") or {}))
        seen: set[str] = set()
        for table in tables:
            if table.qualified in seen:
                problems.append(f"{table.qualified}: defined twice")
            seen.add(table.qualified)
            for fk in table.foreign_keys:
                target = catalog.get(fk.references)
                if target is None:
                    problems.append(f"{table.qualified}: foreign key to unknown table {fk.references}")
                    continue
                missing = [c for c in fk.columns if table.column(c) is None]
                missing += [c for c in fk.ref_columns if target.column(c) is None]
                if missing:
                    problems.append(f"{table.qualified}: foreign key names unknown column(s) {missing}")
        if problems:
            raise SpecError("Invalid catalog", problems)
        return catalog

    @classmethod
    def load(cls, path: str | Path) -> Catalog:
        try:
            data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise SpecError(f"Cannot read catalog {path}: {exc}") from None
        if not isinstance(data, Mapping):
            raise SpecError(f"Catalog {path} must be a mapping with a 'tables' list")
        return cls.from_data(data)


def _table(raw: Mapping[str, Any]) -> Table:
    if not isinstance(raw, Mapping):
        raise TypeError("a table must be a mapping")
    columns = tuple(
        Column(str(c["name"]).lower(), str(c.get("type", "text")), str(c.get("description", "")))
        for c in raw.get("columns") or []
    )
    fks = tuple(
        ForeignKey(
            tuple(str(c).lower() for c in fk["columns"]),
            str(fk["references"]).lower(),
            tuple(str(c).lower() for c in fk.get("ref_columns") or fk["columns"]),
        )
        for fk in raw.get("foreign_keys") or []
    )
    return Table(
        str(raw["schema"]).lower(), str(raw["name"]).lower(), str(raw.get("description", "")), columns, fks
    )


def _synonyms(raw: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    return {str(k).lower(): tuple(str(v).lower() for v in (vals or [])) for k, vals in raw.items()}
