"""Classification: reads pass, everything else is named with a code and a position."""

from __future__ import annotations

import pytest

from ipwb.sql import functions
from ipwb.sql.classify import StatementKind, StatementRefused, classify
from ipwb.sql.reasons import ReasonCode

READS = [
    "SELECT 1",
    "select id, owner from accounts where balance > 10 order by 2 limit 5 offset 1",
    "WITH t AS (SELECT 1 AS a) SELECT a FROM t",
    "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT * FROM r",
    "VALUES (1, 'a'), (2, 'b')",
    "TABLE accounts",
    "SELECT 1 UNION ALL SELECT 2 EXCEPT SELECT 3",
    "(SELECT 1)",
    "SELECT * FROM generate_series(1, 10) AS g",
    "SELECT owner, sum(balance) OVER (PARTITION BY owner) FROM accounts",
    "SELECT date_trunc('month', now()), to_char(now(), 'YYYY'), string_agg(owner, ',') FROM accounts",
    "SELECT '%'::text LIKE '%', 'a;b', \"weird;name\" FROM t",
    "SELECT jsonb_build_object('a', 1) -> 'a', ARRAY[1, 2][1], x::numeric(10, 2) FROM t",
    "SELECT current_setting('search_path'), pg_sleep(0)",
    "EXPLAIN SELECT * FROM accounts",
    "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) SELECT 1",
    "SHOW search_path",
    "SHOW ALL",
    "SELECT 1; ",
    "-- comment\nSELECT 1 /* trailing */",
]


@pytest.mark.parametrize("sql", READS)
def test_reads_are_read_only(sql: str) -> None:
    classification = classify(sql)
    assert classification.is_read_only, classification.reasons
    classification.check()


@pytest.mark.parametrize(
    ("sql", "code", "line", "col"),
    [
        ("SELECT 1;\n  DELETE FROM t", ReasonCode.MULTIPLE_STATEMENTS, 2, 3),
        ("SELECT a,\n       pg_read_file('x')\nFROM t", ReasonCode.SERVER_FILE_ACCESS, 2, 8),
        ("WITH d AS (\n  DELETE FROM t RETURNING *) SELECT * FROM d", ReasonCode.WRITE_IN_CTE, 2, 15),
        ("SELECT * FROM", ReasonCode.PARSE_ERROR, 1, 13),
        ("\n\nSET ROLE x", ReasonCode.ROLE_CHANGE, 3, 1),
    ],
)
def test_reasons_carry_line_and_column(sql: str, code: ReasonCode, line: int, col: int) -> None:
    reasons = {reason.code: reason for reason in classify(sql).reasons}
    assert code in reasons
    assert (reasons[code].line, reasons[code].col) == (line, col)


@pytest.mark.parametrize(
    "name",
    [
        *sorted(set().union(*functions.DENIED.values())),
        "dblink_open",
        "pg_advisory_xact_lock",
        "pg_stat_reset",
    ],
)
def test_every_denied_function_is_refused(name: str) -> None:
    codes = {reason.code for reason in classify(f"SELECT {name}(1)").reasons}
    assert functions.denial(name) in codes
    assert functions.denial(name) in {
        r.code for r in classify(f"SELECT * FROM pg_catalog.{name}(1) AS f").reasons
    }


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT E'\\''; DELETE FROM t; --'",  # backslash escape in an E-string
        "SELECT $tag$ $$ ; $tag$; DELETE FROM t",
        "SELECT 1 /* /* nested */ ; */; DELETE FROM t",
        'SELECT "a"";"; DELETE FROM t',
        "SELECT 'it''s'; DELETE FROM t",
    ],
)
def test_lexical_tricks_still_find_the_second_statement(sql: str) -> None:
    assert ReasonCode.MULTIPLE_STATEMENTS in {r.code for r in classify(sql).reasons}


def test_semicolons_inside_literals_do_not_split() -> None:
    sql = "SELECT 'a;b', $$ ; $$, \"c;d\", E'\\';' /* ; */ FROM t -- ;"
    classification = classify(sql)
    assert classification.is_read_only and len(classification.statements) == 1


def test_write_mode_keeps_forbidden_codes_only() -> None:
    classification = classify("WITH d AS (DELETE FROM t RETURNING *) SELECT pg_read_file('x') FROM d")
    assert {r.code for r in classification.refusals(allow_write=False)} == {
        ReasonCode.WRITE_IN_CTE,
        ReasonCode.SERVER_FILE_ACCESS,
    }
    assert {r.code for r in classification.refusals(allow_write=True)} == {ReasonCode.SERVER_FILE_ACCESS}
    classify("UPDATE t SET a = 1").check(allow_write=True)
    with pytest.raises(StatementRefused, match="even with writes allowed"):
        classify("COPY t TO PROGRAM 'x'").check(allow_write=True)


def test_strict_mode_allows_builtins_and_refuses_the_rest() -> None:
    ok = "SELECT lower(owner), coalesce(balance, 0), date_trunc('day', now()), pg_catalog.upper('x') FROM t"
    assert classify(ok, strict=True).is_read_only
    for sql in [
        "SELECT my_func()",
        "SELECT public.lower('x')",
        "SELECT * FROM myschema.tvf()",
        "SELECT pg_sleep(1)",
    ]:
        assert ReasonCode.FUNCTION_NOT_ALLOWED in {r.code for r in classify(sql, strict=True).reasons}, sql
        assert classify(sql).is_read_only, sql


def test_kinds() -> None:
    assert classify("").kind == StatementKind.EMPTY
    assert classify("SELECT 1; SELECT 2").kind == StatementKind.SCRIPT
    assert classify("EXPLAIN ANALYZE DELETE FROM t").kind == StatementKind.EXPLAIN
    assert classify("INSERT INTO t VALUES (1)").kind == StatementKind.DML
    assert classify("ALTER TABLE t ADD b int").kind == StatementKind.DDL
    assert classify("DO $$ BEGIN END $$").kind == StatementKind.PROCEDURAL
    assert classify("LISTEN x").kind == StatementKind.SESSION
    assert classify("FROBNICATE everything").kind == StatementKind.UNKNOWN


def test_refusal_message_lists_reasons_and_as_dict_is_json_ready() -> None:
    classification = classify("SELECT 1; SELECT nextval('s')")
    with pytest.raises(StatementRefused) as refusal:
        classification.check()
    assert "multiple_statements" in str(refusal.value) and "sequence_write" in str(refusal.value)
    as_dict = classification.as_dict()
    assert as_dict["kind"] == "script" and len(as_dict["statements"]) == 2  # type: ignore[arg-type]
