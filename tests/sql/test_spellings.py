"""Every spelling PostgreSQL accepts for a refused function is refused (issue #19, 4).

Table-driven from ``fixtures/refused_spellings.yaml``; the same corpus is checked against
a real server in ``test_spellings_pg.py`` (that the spellings really mean what the
normaliser says) and through Genie's SQL check in ``tests/llm/test_sqlcheck.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from ipwb.errors import SqlSyntaxError
from ipwb.sql.canonical import canonicalize
from ipwb.sql.classify import classify
from ipwb.sql.pglex import Kind, lex, truncate
from ipwb.sql.reasons import ReasonCode

from .spellings import ALLOWED, IDENTIFIERS, INVALID, NOT_CALLS, REFUSED, STRINGS, ids


@pytest.mark.parametrize("entry", REFUSED, ids=ids(REFUSED))
def test_every_spelling_of_a_refused_function_is_refused(entry: dict[str, Any]) -> None:
    classification = classify(entry["sql"])
    codes = [reason.code.value for reason in classification.reasons]
    assert entry["reason"] in codes, f"{entry['id']}: expected {entry['reason']}, got {codes}"
    assert not classification.is_read_only
    if ReasonCode(entry["reason"]).forbidden:
        assert classification.refusals(allow_write=True), "refused even with writes allowed"


@pytest.mark.parametrize("entry", REFUSED, ids=ids(REFUSED))
def test_reason_points_at_the_call(entry: dict[str, Any]) -> None:
    """The position is one of the text the user typed (canonical text has other offsets)."""
    reason = next(r for r in classify(entry["sql"]).reasons if r.code.value == entry["reason"])
    assert reason.line is not None and reason.col is not None
    line = entry["sql"].split("\n")[reason.line - 1]
    assert line[reason.col - 1 :].strip(), "points inside the statement"


@pytest.mark.parametrize("sql", ALLOWED + [entry["sql"] for entry in NOT_CALLS])
def test_look_alikes_and_ordinary_sql_stay_allowed(sql: str) -> None:
    classification = classify(sql)
    assert classification.is_read_only, classification.reasons


@pytest.mark.parametrize("entry", INVALID, ids=ids(INVALID))
def test_what_postgresql_cannot_read_is_refused(entry: dict[str, Any]) -> None:
    reasons = classify(entry["sql"]).reasons
    assert [r.code for r in reasons] == [ReasonCode.PARSE_ERROR], reasons
    assert reasons[0].line == 1 and reasons[0].col is not None


@pytest.mark.parametrize(("spelling", "name"), IDENTIFIERS)
def test_identifier_normalisation(spelling: str, name: str) -> None:
    tokens = [t for t in lex(spelling) if t.kind not in (Kind.SPACE, Kind.COMMENT)]
    assert [(t.kind in (Kind.WORD, Kind.QUOTED), t.value) for t in tokens] == [(True, name)]


@pytest.mark.parametrize(("spelling", "value"), STRINGS)
def test_string_decoding(spelling: str, value: str) -> None:
    tokens = [t for t in lex(spelling) if t.kind not in (Kind.SPACE, Kind.COMMENT)]
    assert [(t.kind, t.value) for t in tokens] == [(Kind.STRING, value)]


def test_truncation_never_splits_a_character() -> None:
    assert truncate("a" * 62 + "é") == "a" * 62
    assert truncate("a" * 61 + "é") == "a" * 61 + "é"
    assert truncate("a" * 63) == "a" * 63


def test_positions_map_back_to_the_source() -> None:
    sql = "SELECT U&\"\\0061\" AS x,\n       /* long comment */ U&\"\\0070g_notify\"('c', 'x')"
    (reason,) = classify(sql).reasons
    assert (reason.code, reason.line, reason.col) == (ReasonCode.ADMIN_FUNCTION, 2, 27)
    multi = classify('SELECT U&"\\0061";\n  SELECT "b"')
    assert [(s.text, s.line, s.col) for s in multi.statements] == [
        ('SELECT U&"\\0061"', 1, 1),
        ('SELECT "b"', 2, 3),
    ]


def test_adjacent_names_do_not_fuse() -> None:
    """``U&"a"U&"b"`` is a column and its alias; ``"a""b"`` would be one name."""
    assert canonicalize('SELECT U&"a"U&"b"').text == 'select "a" "b"'


def test_lexer_errors_carry_a_position() -> None:
    with pytest.raises(SqlSyntaxError) as error:
        canonicalize('SELECT 1,\n  U&"\\zzzz"')
    assert (error.value.line, error.value.col) == (2, 3)
