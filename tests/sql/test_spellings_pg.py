"""The normaliser reads names as PostgreSQL does: checked against the real server.

Nothing here trusts :mod:`ipwb.sql.pglex`'s own idea of PostgreSQL: every identifier of
the refused-spellings corpus is given to the server as a column label
(``SELECT 1 AS <spelling>``) and the label the server returns must be the canonical name
the guard saw; every refused statement marked ``calls`` is planned (``EXPLAIN VERBOSE``,
nothing runs) and the plan must call that function; what the guard cannot read, the
server cannot either.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import psycopg2
import psycopg2.extensions
import pytest

from ipwb.sql import functions
from ipwb.sql.classify import classify
from ipwb.sql.pglex import Kind, lex
from ipwb.sql.reasons import ReasonCode

from .spellings import IDENTIFIERS, INVALID, NOT_CALLS, REFUSED, STRINGS, ids

#: a 63-byte function name (NAMEDATALEN - 1), created in the scratch database
LONG_NAME = "ipwb_truncation_probe_" + "x" * 41


@pytest.fixture(scope="module")
def cursor(module_db: str) -> Iterator[psycopg2.extensions.cursor]:
    conn = psycopg2.connect(module_db, options="-c standard_conforming_strings=on")
    try:
        with conn.cursor() as cur:
            cur.execute("CREATE SEQUENCE s; CREATE TABLE t (a int)")
            cur.execute(f"CREATE FUNCTION {LONG_NAME}() RETURNS text LANGUAGE sql AS $$ SELECT 'reached' $$")
        conn.commit()
        conn.set_session(readonly=True)
        with conn.cursor() as cur:
            yield cur
    finally:
        conn.rollback()
        conn.close()


def _server(cursor: psycopg2.extensions.cursor, sql: str) -> Any:
    """Run ``sql`` inside a savepoint (an error leaves the transaction usable)."""
    cursor.execute("SAVEPOINT spelling")
    try:
        cursor.execute(sql)
        return cursor.fetchall(), [column.name for column in cursor.description or ()]
    finally:
        cursor.execute("ROLLBACK TO SAVEPOINT spelling")


def _corpus_identifiers() -> list[tuple[str, str]]:
    """(spelling, canonical name) of every identifier in the corpus statements."""
    found: dict[str, str] = dict(IDENTIFIERS)
    for sql in [entry["sql"] for entry in REFUSED] + [entry["sql"] for entry in NOT_CALLS]:
        for token in lex(sql):
            if token.kind in (Kind.WORD, Kind.QUOTED):
                found.setdefault(sql[token.start : token.end], token.value)
    return sorted(found.items())


@pytest.mark.parametrize(("spelling", "name"), _corpus_identifiers())
def test_server_reads_each_identifier_as_the_normaliser(
    cursor: psycopg2.extensions.cursor, spelling: str, name: str
) -> None:
    _, labels = _server(cursor, f"SELECT 1 AS {spelling}")
    assert labels == [name]


@pytest.mark.parametrize(("spelling", "value"), STRINGS)
def test_server_reads_each_string_as_the_normaliser(
    cursor: psycopg2.extensions.cursor, spelling: str, value: str
) -> None:
    rows, _ = _server(cursor, f"SELECT {spelling}::text")
    assert rows == [(value,)]


def _plan_strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Function Name":
                yield f"{value}("
            yield from _plan_strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _plan_strings(item)
    elif isinstance(node, str):
        yield node


CALLS = [entry for entry in REFUSED if "calls" in entry]


@pytest.mark.parametrize("entry", CALLS, ids=ids(CALLS))
def test_server_resolves_each_refused_spelling_to_the_function(
    cursor: psycopg2.extensions.cursor, entry: dict[str, Any]
) -> None:
    rows, _ = _server(cursor, f"EXPLAIN (VERBOSE, COSTS OFF, FORMAT JSON) {entry['sql']}")
    plan = rows[0][0] if isinstance(rows[0][0], list) else json.loads(rows[0][0])
    called = [text for text in _plan_strings(plan) if f"{entry['calls']}(" in text]
    assert called, f"{entry['id']}: the plan calls no {entry['calls']}(): {plan}"


MISSING = [entry for entry in REFUSED if "pg_error" in entry]


@pytest.mark.parametrize("entry", MISSING, ids=ids(MISSING))
def test_case_variants_are_other_names_for_the_server(
    cursor: psycopg2.extensions.cursor, entry: dict[str, Any]
) -> None:
    with pytest.raises(psycopg2.Error) as error:
        _server(cursor, f"EXPLAIN {entry['sql']}")
    assert error.value.pgcode == entry["pg_error"], str(error.value)


@pytest.mark.parametrize("entry", NOT_CALLS + INVALID, ids=ids(NOT_CALLS) + ids(INVALID))
def test_server_refuses_what_the_guard_reads_as_no_call_or_cannot_read(
    cursor: psycopg2.extensions.cursor, entry: dict[str, Any]
) -> None:
    with pytest.raises(psycopg2.Error) as error:
        _server(cursor, f"EXPLAIN {entry['sql']}")
    assert error.value.pgcode == entry["sqlstate"], str(error.value)


def test_a_truncated_spelling_reaches_the_truncated_name(
    cursor: psycopg2.extensions.cursor, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL cuts a long name to 63 bytes: a 70-character spelling calls the function
    whose name is its first 63 bytes, and the guard checks that cut name."""
    spelling = f"SELECT {LONG_NAME.upper()}XXXXXXX()"
    rows, _ = _server(cursor, spelling)
    assert rows == [("reached",)]
    assert classify(spelling).statements[0].functions == (LONG_NAME,)
    denied = functions.DENIED[ReasonCode.ADMIN_FUNCTION] | {LONG_NAME}
    monkeypatch.setitem(functions.DENIED, ReasonCode.ADMIN_FUNCTION, denied)
    assert ReasonCode.ADMIN_FUNCTION in {reason.code for reason in classify(spelling).reasons}
