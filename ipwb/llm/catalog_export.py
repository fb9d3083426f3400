"""The NL→SQL catalog of a warehouse, read from the warehouse itself (never written by hand).

:func:`catalog_data` turns an introspection snapshot into ``Catalog.from_data`` input (the
same shape the Odoo side builds from ``ipwb.table``/``ipwb.column``); :func:`export_yaml`
writes it as a stable, diff-friendly snapshot (``ipwb genie catalog-export``), so offline
evaluation in CI reads exactly what the live warehouse had.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import yaml

from ipwb.llm.catalog import Catalog
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.introspect import Snapshot, introspect_warehouse

HEADER = (
    "# NL->SQL catalog snapshot exported from a live warehouse by `ipwb genie catalog-export`.\n"
    "# Do not edit: export again (the warehouse is the source of truth).\n"
)


def catalog_data(snapshot: Snapshot) -> dict[str, Any]:
    """``Catalog.from_data`` input: tables, views and their columns with database comments."""
    known = {f"{t.schema}.{t.name}" for t in snapshot.tables()}
    tables = []
    for table in sorted(snapshot.tables(), key=lambda t: (t.schema, t.name)):
        fks = [
            {
                "columns": list(fk.columns),
                "references": f"{fk.ref_schema}.{fk.ref_table}",
                "ref_columns": list(fk.ref_columns),
            }
            for fk in table.foreign_keys
            if f"{fk.ref_schema}.{fk.ref_table}" in known
        ]
        entry: dict[str, Any] = {
            "schema": table.schema,
            "name": table.name,
            "description": table.comment or "",
            "columns": [
                {"name": c.name, "type": c.data_type, "description": c.comment or ""}
                for c in sorted(table.columns, key=lambda c: c.attnum)
            ],
        }
        if fks:
            entry["foreign_keys"] = fks
        tables.append(entry)
    return {"tables": tables}


def live_catalog(config: WarehouseConfig, schemas: Sequence[str] | None = None) -> Catalog:
    """The catalog of the warehouse as it is now (optionally only ``schemas``)."""
    return Catalog.from_data(catalog_data(introspect_warehouse(config, schemas or None)))


def export_yaml(config: WarehouseConfig, schemas: Sequence[str] | None = None) -> str:
    """The snapshot file's text; validated by loading it back before it is returned."""
    data = catalog_data(introspect_warehouse(config, schemas or None))
    Catalog.from_data(data)
    return HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
