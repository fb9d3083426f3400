# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""A large lineage fixture: 511 tables, 720 table edges, 1021 column edges, around one hub.

120 bronze sources feed ``silver.lgt_hub``, which feeds 300 gold marts, each feeding one of
90 platinum KPI tables. Only the hub is a catalog table (with columns); the rest are lineage
names, placed in their lanes by their schema.
"""

from ipwb.sql.lineage import ColumnEdge, LineageResult, TableEdge

HUB = "silver.lgt_hub"
SOURCES, MARTS, KPIS = 120, 300, 90
TABLE_COUNT = 1 + SOURCES + MARTS + KPIS
TABLE_EDGES = SOURCES + 2 * MARTS


def source(i):
    return f"bronze.lgt_src_{i:03d}"


def mart(i):
    return f"gold.lgt_mart_{i:03d}"


def kpi(i):
    return f"platinum.lgt_kpi_{i % KPIS:03d}"


def build_big_lineage(env):
    """Record the fixture (source ``manual``) and return the hub's ``ipwb.table``."""
    tables, columns = [], [ColumnEdge(source(0), "status", HUB, None, "filter")]
    for i in range(SOURCES):
        tables.append(TableEdge(source(i), HUB))
        columns.append(ColumnEdge(source(i), "amount", HUB, "amount"))
    for i in range(MARTS):
        tables += [TableEdge(HUB, mart(i)), TableEdge(mart(i), kpi(i))]
        columns += [
            ColumnEdge(HUB, "amount", mart(i), "total", "aggregate"),
            ColumnEdge(HUB, "customer", mart(i), "customer"),
            ColumnEdge(mart(i), "total", kpi(i), "value", "aggregate"),
        ]
    connection = env.ref("ipwb_catalog.connection_embedded_warehouse")
    hub = env["ipwb.table"].create(
        {"name": "lgt_hub", "schema_name": "silver", "connection_id": connection.id, "layer": "silver"}
    )
    env["ipwb.column"].create(
        [
            {"table_id": hub.id, "name": name, "ordinal": n, "data_type": kind}
            for n, (name, kind) in enumerate(
                [("id", "integer"), ("customer", "text"), ("amount", "numeric(12,2)")], start=1
            )
        ]
    )
    result = LineageResult(tables=tuple(tables), columns=tuple(columns))
    env["ipwb.lineage.edge"]._record_lineage(result, "manual", "lineage-graph-fixture")
    return hub
