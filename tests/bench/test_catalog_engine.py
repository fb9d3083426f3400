"""Catalog-engine benchmark helper: builds what it says, the repeat scan is empty."""

from __future__ import annotations

import argparse
import json

import psycopg2
import pytest

from ipwb.bench import catalog_engine as bench_catalog
from ipwb.bench.catalog_engine import BENCH_COLUMNS, bench_catalog_engine, drop_bench_schema
from ipwb.warehouse.introspect import introspect


def test_bench_builds_and_scans(scratch_db: str) -> None:
    conn = psycopg2.connect(scratch_db)
    try:
        figures = bench_catalog_engine(conn, 25, schema="bench")
        assert (figures.tables, figures.columns) == (25, 25 * len(BENCH_COLUMNS))
        assert figures.repeat_plan_empty
        snap = introspect(conn, ["bench"])
        tables = list(snap.tables())
        assert [t.name for t in tables[:2]] == ["t_000000", "t_000001"]
        assert sum(len(t.foreign_keys) for t in tables) == 2  # every tenth table
        assert tables[0].primary_key == ("id",) and tables[0].comment == "Benchmark table 0"
        drop_bench_schema(conn, "bench", chunk=7)
        assert [s.name for s in introspect(conn).schemas] == ["public"]
    finally:
        conn.close()


def test_bench_command(scratch_db: str, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser()
    bench_catalog.add_parser(parser.add_subparsers())
    args = parser.parse_args(["catalog-engine", "--tables", "12", "--dsn", scratch_db, "--drop"])
    assert args.func(args) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["tables"] == 12 and figures["repeat_plan_empty"] is True
    assert {"scan_seconds", "tables_per_second", "introspect_seconds"} <= set(figures)
