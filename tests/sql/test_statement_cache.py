"""Cached conversion, classification and query lineage give exactly the uncached answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from ipwb.errors import IpwbError
from ipwb.sql import statement_cache
from ipwb.sql.classify import classify
from ipwb.sql.lineage import extract_lineage
from ipwb.sql.params import convert

LINEAGE_FIXTURES = sorted(
    p
    for p in (Path(__file__).parent.parent / "lineage" / "fixtures").glob("*.yaml")
    if not p.name.startswith("_")
)
STATEMENTS = [yaml.safe_load(path.read_text())["sql"] for path in LINEAGE_FIXTURES] + [
    "SELECT * FROM accounts WHERE owner = {{who}} AND note LIKE '10%'",
    "DELETE FROM sentinel",
    "SET ROLE postgres",
    "SELECT pg_read_file('/etc/passwd')",
    "COPY accounts TO PROGRAM 'id'",
    "SELECT 1; DROP TABLE accounts",
    'SELECT query_history FROM "query"',
    "not sql at all (",
]


@pytest.fixture(autouse=True)
def fresh_caches() -> Iterator[None]:
    statement_cache.clear()
    yield
    statement_cache.clear()


def _outcome(compute: object, *args: object, **kwargs: object) -> object:
    assert callable(compute)
    try:
        return compute(*args, **kwargs)
    except IpwbError as exc:
        return (type(exc), str(exc))


@pytest.mark.parametrize("text", STATEMENTS)
def test_cached_answers_equal_uncached(text: str) -> None:
    for _ in range(2):  # a miss, then a hit
        assert statement_cache.converted(text) == convert(text)
        checkable = convert(text).checkable
        for strict in (False, True):
            assert statement_cache.classified(checkable, strict=strict) == classify(checkable, strict=strict)
        for target in ("query_history.7", "query_history.8"):
            assert _outcome(statement_cache.query_lineage, checkable, target) == _outcome(
                extract_lineage, checkable, query_target=target
            )


def test_repeated_statement_is_parsed_once() -> None:
    text = "SELECT a.owner, sum(a.balance) FROM public.accounts a GROUP BY a.owner"
    first = statement_cache.query_lineage(text, "query_history.1")
    second = statement_cache.query_lineage(text, "query_history.2")
    assert (statement_cache.QUERY_LINEAGE.misses, statement_cache.QUERY_LINEAGE.hits) == (1, 1)
    assert {edge.target for edge in first.tables} == {"query_history.1"}
    assert {edge.target for edge in second.tables} == {"query_history.2"}
    assert {edge.source for edge in second.tables} == {"public.accounts"}


def test_caches_are_bounded_and_skip_long_texts() -> None:
    cache = statement_cache.CLASSIFIED
    for index in range(cache.size + 10):
        statement_cache.classified(f"SELECT {index}")
    assert len(cache.keys()) == cache.size
    assert ("SELECT 0", False) not in cache.keys()  # noqa: SIM118 — LruCache is no mapping  # least recently used went first
    long_text = "SELECT 1" + " " * statement_cache.MAX_CACHED_CHARS
    statement_cache.classified(long_text)
    assert (long_text, False) not in cache.keys()  # noqa: SIM118 — LruCache is no mapping


def test_errors_are_not_cached() -> None:
    with pytest.raises(IpwbError):
        statement_cache.query_lineage("SELECT FROM WHERE (", "query_history.1")
    assert statement_cache.QUERY_LINEAGE.keys() == []
