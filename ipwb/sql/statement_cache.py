"""Bounded per-process caches of what is derived from a statement's text alone.

The SQL editor runs the same statements again and again (a page, the next page, a
refresh); placeholder conversion, classification and lineage depend only on the exact
text (and the ``strict`` flag), so a repeated statement is parsed once per process.
Entries are immutable (frozen dataclasses of tuples), texts longer than
:data:`MAX_CACHED_CHARS` are never kept, and each cache holds at most ``size`` entries,
least recently used out first. Errors are not cached: a refused or unreadable text is
checked again each time (it costs nothing to the server and stays exact).
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from ipwb.sql.classify import Classification, classify
from ipwb.sql.lineage import ColumnEdge, LineageResult, TableEdge, edge_sort_key, extract_lineage
from ipwb.sql.params import ParametrizedSql, convert

#: longer statements are computed every time (a cache must not pin megabytes of SQL)
MAX_CACHED_CHARS = 64_000
#: placeholder target of a cached query's lineage; no relation name can contain NUL
_QUERY = "\x00query"

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe LRU map.

    >>> cache: LruCache[str, int] = LruCache(2)
    >>> [cache.get_or_compute(k, len) for k in ("a", "bb", "a", "ccc")]
    [1, 2, 1, 3]
    >>> list(cache.keys()), cache.hits, cache.misses
    (['a', 'ccc'], 1, 3)
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._data: collections.OrderedDict[K, V] = collections.OrderedDict()
        self._lock = threading.Lock()

    def get_or_compute(self, key: K, compute: Callable[[K], V]) -> V:
        with self._lock:
            if key in self._data:
                self._data.move_to_end(key)
                self.hits += 1
                return self._data[key]
        value = compute(key)  # outside the lock: two threads may compute the same value once each
        with self._lock:
            self.misses += 1
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self.size:
                self._data.popitem(last=False)
        return value

    def keys(self) -> list[K]:
        with self._lock:
            return list(self._data)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self.hits = self.misses = 0


CONVERTED: LruCache[str, ParametrizedSql] = LruCache(512)
CLASSIFIED: LruCache[tuple[str, bool], Classification] = LruCache(512)
QUERY_LINEAGE: LruCache[str, LineageResult] = LruCache(256)


def converted(text: str) -> ParametrizedSql:
    """:func:`ipwb.sql.params.convert`, cached."""
    if len(text) > MAX_CACHED_CHARS:
        return convert(text)
    return CONVERTED.get_or_compute(text, convert)


def classified(checkable: str, *, strict: bool = False) -> Classification:
    """:func:`ipwb.sql.classify.classify`, cached by exact text and ``strict``."""
    if len(checkable) > MAX_CACHED_CHARS:
        return classify(checkable, strict=strict)
    return CLASSIFIED.get_or_compute((checkable, strict), lambda key: classify(key[0], strict=key[1]))


def query_lineage(checkable: str, query_target: str) -> LineageResult:
    """:func:`ipwb.sql.lineage.extract_lineage` of a query into ``query_target``, parsed
    once per text: the cached result flows into a placeholder renamed on the way out."""
    if len(checkable) > MAX_CACHED_CHARS:
        return extract_lineage(checkable, query_target=query_target)
    cached = QUERY_LINEAGE.get_or_compute(checkable, lambda text: extract_lineage(text, query_target=_QUERY))
    return _retarget(cached, query_target)


def _retarget(result: LineageResult, target: str) -> LineageResult:
    def table(edge: TableEdge) -> TableEdge:
        return dataclasses.replace(edge, target=target) if edge.target == _QUERY else edge

    def column(edge: ColumnEdge) -> ColumnEdge:
        return dataclasses.replace(edge, target_table=target) if edge.target_table == _QUERY else edge

    issues = tuple(
        dataclasses.replace(issue, message=issue.message.replace(_QUERY, target)) for issue in result.issues
    )
    return LineageResult(
        tables=tuple(sorted(table(edge) for edge in result.tables)),
        columns=tuple(sorted((column(edge) for edge in result.columns), key=edge_sort_key)),
        issues=issues,
    )


def clear() -> None:
    """Forget every cached statement (tests; nothing else needs it: entries never go stale)."""
    for cache in (CONVERTED, CLASSIFIED, QUERY_LINEAGE):
        cache.clear()


__all__ = ["LruCache", "classified", "clear", "converted", "query_lineage"]
