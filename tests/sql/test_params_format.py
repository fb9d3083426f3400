"""``{{name}}`` parameters and formatting/transpiling."""

from __future__ import annotations

import pytest

from ipwb.errors import ConfigurationError, ParameterError, SqlSyntaxError
from ipwb.sql.format import format_sql, transpile_sql
from ipwb.sql.params import bind, convert


@pytest.mark.parametrize(
    ("text", "expected_sql", "names"),
    [
        ("SELECT {{a}}, {{ b }}, {{a}}", "SELECT %(a)s, %(b)s, %(a)s", ("a", "b")),
        ("SELECT '{{a}}', \"{{a}}\", $$ {{a}} $$", "SELECT '{{a}}', \"{{a}}\", $$ {{a}} $$", ()),
        ("SELECT 1 -- {{a}} 100%\n, {{b}}", "SELECT 1 -- {{a}} 100%%\n, %(b)s", ("b",)),
        ("SELECT E'\\'{{a}}', {{b}}", "SELECT E'\\'{{a}}', %(b)s", ("b",)),
        ("SELECT a$b$ FROM t WHERE x = {{c}}", "SELECT a$b$ FROM t WHERE x = %(c)s", ("c",)),
        ("SELECT 5 % 2, '%' || {{p}}", "SELECT 5 %% 2, '%%' || %(p)s", ("p",)),
        ("SELECT {{1bad}}, {{}}", "SELECT {{1bad}}, {{}}", ()),
    ],
)
def test_convert(text: str, expected_sql: str, names: tuple[str, ...]) -> None:
    converted = convert(text)
    assert converted.sql == expected_sql
    assert converted.names == names
    assert len(converted.checkable) == len(text)


def test_bind_checks_names() -> None:
    assert bind("SELECT {{x}}", {"x": "'; DROP TABLE t; --"}) == (
        "SELECT %(x)s",
        {"x": "'; DROP TABLE t; --"},
    )
    with pytest.raises(ParameterError, match="x"):
        bind("SELECT {{x}}", {})
    with pytest.raises(ParameterError, match="y"):
        bind("SELECT {{x}}", {"x": 1, "y": 2})


def test_format_keeps_parameters_and_reports_errors() -> None:
    assert format_sql("select {{x}} as a") == "SELECT\n  {{x}} AS a;"
    with pytest.raises(SqlSyntaxError) as error:
        format_sql("SELECT 1;\nSELECT * FROM")
    assert error.value.line == 2


def test_transpile() -> None:
    assert transpile_sql("SELECT TOP 2 a FROM t", read="tsql", pretty=False) == "SELECT a FROM t LIMIT 2;"
    assert "LIMIT 2" in transpile_sql("SELECT a FROM t LIMIT 2", write="duckdb")
    with pytest.raises(ConfigurationError, match="klingon"):
        transpile_sql("SELECT 1", read="klingon")


@pytest.mark.parametrize(
    "text",
    [
        "SELECT 1$q$ {{x}} $q$",  # after a digit, $q$ opens a dollar-quoted body
        "SELECT 1$$ {{x}} $$",
        "SELECT B'0' -- {{x}}\n",
        "SELECT U&'{{x}}' UESCAPE '!'",
        'SELECT U&"{{x}}"',
        "SELECT 'a'\n  ' {{x}} '",  # one string continued over a newline
    ],
)
def test_placeholders_inside_what_postgresql_reads_as_text_stay_text(text: str) -> None:
    """A placeholder PostgreSQL reads inside a literal is not bound: a bound value there
    would be a quoted value inside quotes (``$q$`` in the value would end the body)."""
    converted = convert(text)
    assert converted.names == () and converted.sql == text
