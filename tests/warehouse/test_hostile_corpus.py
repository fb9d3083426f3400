"""The hostile corpus, run through the guarded executor against a real server.

Layer 1 (classification) must refuse every corpus entry before anything is sent — the
connection function is wrapped to count calls. Layers 2 and 3 are tested on their own
by bypassing classification: the READ ONLY transaction (as the superuser, the worst
case) and the restricted role must each refuse. After every statement the database must
be exactly as before: contents, schema, grants, roles, settings, files.
"""

from __future__ import annotations

import glob
import os
import pathlib
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from ipwb.sql.classify import Classification, StatementKind, StatementRefused
from ipwb.warehouse import execute as execute_module
from ipwb.warehouse import guard
from ipwb.warehouse.execute import execute
from ipwb.warehouse.guard import DatabaseRefused

from .conftest import HOSTILE_FILE_GLOB, Warehouse, snapshot

CORPUS_FILE = pathlib.Path(__file__).parent / "fixtures" / "hostile.yaml"
DATA = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
CORPUS: list[dict[str, Any]] = DATA["corpus"]
DATABASE_LAYER: list[dict[str, Any]] = DATA["database_layer"]


def test_corpus_is_large_enough() -> None:
    assert len([entry for entry in CORPUS if "reason" in entry]) >= 40
    assert len({entry["id"] for entry in CORPUS}) == len(CORPUS)


@pytest.fixture(scope="module")
def baseline(warehouse: Warehouse) -> dict[str, object]:
    for path in glob.glob(HOSTILE_FILE_GLOB):
        os.remove(path)
    return snapshot(warehouse)


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Names of the databases the executor connected to during the test."""
    opened: list[str] = []
    real_connect = guard.connect

    def counting_connect(config: Any, **extra: Any) -> Any:
        opened.append(config.dbname)
        return real_connect(config, **extra)

    monkeypatch.setattr(guard, "connect", counting_connect)
    yield opened


@pytest.mark.parametrize("entry", CORPUS, ids=[entry["id"] for entry in CORPUS])
def test_hostile_statement_is_refused_and_nothing_changes(
    entry: dict[str, Any], warehouse: Warehouse, baseline: dict[str, object], connections: list[str]
) -> None:
    config = warehouse.reader if entry.get("as") == "reader" else warehouse.admin
    if entry.get("refused_by") == "database":
        with pytest.raises(DatabaseRefused) as db_refusal:
            execute(config, entry["sql"], strict=bool(entry.get("strict")))
        assert db_refusal.value.pgcode in entry["sqlstate"], str(db_refusal.value)
        assert connections == [config.dbname]
    else:
        with pytest.raises(StatementRefused) as refusal:
            execute(config, entry["sql"], strict=bool(entry.get("strict")))
        codes = [code.value for code in refusal.value.codes]
        assert entry["reason"] in codes, f"{entry['id']}: expected {entry['reason']}, got {codes}"
        assert connections == [], "a refused statement must not reach the server"
        assert "refused" in str(refusal.value)
    assert snapshot(warehouse) == baseline


def _no_classification(sql: str, *, strict: bool = False) -> Classification:
    """Stand-in classifier that lets everything through (kind SHOW: plain cursor)."""
    return Classification(sql, StatementKind.SHOW, (), (), strict)


@pytest.mark.parametrize("entry", DATABASE_LAYER, ids=[entry["id"] for entry in DATABASE_LAYER])
def test_database_refuses_without_classification(
    entry: dict[str, Any], warehouse: Warehouse, baseline: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(execute_module.statement_cache, "classified", _no_classification)
    config = warehouse.reader if entry["as"] == "reader" else warehouse.admin
    with pytest.raises(DatabaseRefused) as refusal:
        execute(config, entry["sql"])
    assert refusal.value.pgcode in entry["sqlstate"], str(refusal.value)
    assert snapshot(warehouse) == baseline


def test_bypass_really_bypasses(warehouse: Warehouse, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guard against a vacuous layer-2 test: with the stand-in classifier a read runs."""
    monkeypatch.setattr(execute_module.statement_cache, "classified", _no_classification)
    result = execute(warehouse.admin, "SELECT token FROM sentinel")
    assert result.rows == ((warehouse.sentinel_token,),)


def test_reader_role_can_read(warehouse: Warehouse) -> None:
    result = execute(warehouse.reader, "SELECT owner FROM accounts ORDER BY id")
    assert [row[0] for row in result.rows] == ["alice", "bob", "carol", "dave", "O'Brien"]


def test_sentinel_intact_at_the_end(warehouse: Warehouse, baseline: dict[str, object]) -> None:
    assert snapshot(warehouse) == baseline
    assert warehouse.sentinel_token in str(baseline["sentinel"])
    assert baseline["hostile_files"] == []
