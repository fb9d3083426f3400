"""Lineage of a dbt project from its ``manifest.json``: table edges, and column edges from SQL.

Table edges come from what dbt itself knows: each model/seed/snapshot's
``depends_on.nodes`` (models, seeds, snapshots and sources), named by their warehouse
relation ``schema.alias`` (sources: ``schema.identifier``) — the names
:mod:`ipwb.sql.lineage` and the catalog's lineage store use. An ephemeral model has no
relation: edges pass through it to what it reads. Column edges are extracted from each
node's ``compiled_code`` (present for the nodes the invocation compiled) with
:func:`ipwb.sql.lineage.extract_lineage`, the node being the query's target; dbt's
``"database"."schema"."table"`` names are brought back to ``schema.table``. What column
lineage could not resolve (``select *`` without a catalog, unparseable SQL) becomes an
issue, never an error; a file that is not a manifest raises :class:`~ipwb.errors.SpecError`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any

from ipwb.errors import SpecError, SqlSyntaxError
from ipwb.sql.lineage import (
    CatalogSchema,
    ColumnEdge,
    LineageIssue,
    LineageResult,
    TableEdge,
    extract_lineage,
)

#: node types that materialise a relation (tests, analyses, operations do not)
RELATION_TYPES = ("model", "seed", "snapshot")


def load_manifest(source: Mapping[str, Any] | str | os.PathLike[str]) -> Mapping[str, Any]:
    """A manifest mapping from a mapping, or from the path of ``manifest.json``."""
    if isinstance(source, Mapping):
        data: Any = source
    else:
        try:
            data = json.loads(Path(source).read_text(encoding="utf-8"))
        except OSError as exc:
            raise SpecError(f"cannot read dbt manifest {source}: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise SpecError(f"dbt manifest {source} is not JSON: {exc}") from None
    if not isinstance(data, Mapping) or not isinstance(data.get("nodes"), Mapping):
        raise SpecError("not a dbt manifest: no `nodes` mapping")
    return data


def _relations(manifest: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, list[str]]]:
    """``unique_id`` → ``schema.table`` of every relation, and ephemeral model → its deps."""
    relations: dict[str, str] = {}
    ephemeral: dict[str, list[str]] = {}
    for uid, node in manifest["nodes"].items():
        if not isinstance(node, Mapping) or node.get("resource_type") not in RELATION_TYPES:
            continue
        if (node.get("config") or {}).get("materialized") == "ephemeral":
            ephemeral[uid] = list((node.get("depends_on") or {}).get("nodes") or [])
            continue
        relations[uid] = f"{node['schema']}.{node.get('alias') or node['name']}".lower()
    for uid, source in (manifest.get("sources") or {}).items():
        if isinstance(source, Mapping):
            relations[uid] = f"{source['schema']}.{source.get('identifier') or source['name']}".lower()
    return relations, ephemeral


def _upstream(uid: str, relations: dict[str, str], ephemeral: dict[str, list[str]]) -> list[str]:
    """Relations ``uid`` stands for: itself, or what an ephemeral chain reads."""
    found: list[str] = []
    stack, seen = [uid], set()
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        if current in relations:
            found.append(relations[current])
        stack.extend(ephemeral.get(current, ()))
    return found


def _two_part(name: str) -> str:
    """``db.schema.table`` → ``schema.table`` (a dbt target is one warehouse database)."""
    parts = name.split(".")
    return ".".join(parts[1:]) if len(parts) == 3 else name


def manifest_lineage(
    manifest: Mapping[str, Any] | str | os.PathLike[str],
    *,
    only: Collection[str] | None = None,
    columns: bool = True,
    schema: CatalogSchema | None = None,
) -> LineageResult:
    """Edges into every relation-building node (or the ``only`` unique ids) of a manifest.

    ``schema`` (``{schema: {table: {column: type}}}``) lets column lineage expand ``*``.
    """
    data = load_manifest(manifest)
    relations, ephemeral = _relations(data)
    tables: dict[TableEdge, None] = {}
    column_edges: dict[ColumnEdge, None] = {}
    issues: list[LineageIssue] = []
    for uid, node in sorted(data["nodes"].items()):
        if uid not in relations or (only is not None and uid not in only):
            continue
        target = relations[uid]
        for dep in (node.get("depends_on") or {}).get("nodes") or []:
            for source in _upstream(dep, relations, ephemeral):
                if source != target:
                    tables[TableEdge(source, target)] = None
        code = node.get("compiled_code")
        if not columns or not code or node.get("resource_type") != "model":
            continue
        try:
            found = extract_lineage(code, schema=schema, query_target=target)
        except SqlSyntaxError as exc:
            issues.append(LineageIssue("partial", f"{target}: compiled SQL not parsed: {exc}", 0))
            continue
        for edge in found.columns:
            source = _two_part(edge.source_table)
            column_edges[ColumnEdge(source, edge.source_column, target, edge.target_column, edge.kind)] = None
        issues += [LineageIssue(i.kind, f"{target}: {i.message}", i.statement) for i in found.issues]
    return LineageResult(tuple(tables), tuple(column_edges), tuple(issues))
