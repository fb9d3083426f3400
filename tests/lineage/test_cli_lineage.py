"""``ipwb lineage FILE.sql``: JSON on stdout, clear message and non-zero exit on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ipwb import cli
from ipwb.errors import ConfigurationError, SqlSyntaxError
from ipwb.sql.lineage import extract_lineage


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_prints_edges_as_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = write(tmp_path, "q.sql", "INSERT INTO gold.t SELECT * FROM silver.s WHERE flag;")
    catalog = write(tmp_path, "c.json", json.dumps({"silver": {"s": {"a": "int", "flag": "bool"}}}))
    assert cli.main(["lineage", sql, "--schema", catalog]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["tables"] == [{"source": "silver.s", "target": "gold.t"}]
    assert out["columns"] == [
        {
            "source_table": "silver.s",
            "source_column": "a",
            "target_table": "gold.t",
            "target_column": "a",
            "kind": "direct",
        },
        {
            "source_table": "silver.s",
            "source_column": "flag",
            "target_table": "gold.t",
            "target_column": None,
            "kind": "filter",
        },
        {
            "source_table": "silver.s",
            "source_column": "flag",
            "target_table": "gold.t",
            "target_column": "flag",
            "kind": "direct",
        },
    ]
    assert out["issues"] == []


def test_options_dialect_target_no_filters(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = write(tmp_path, "q.sql", "SELECT `a` FROM `t` WHERE `b` = 1")
    assert cli.main(["lineage", sql, "--dialect", "mysql", "--target", "adhoc", "--no-filters"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["columns"] == [
        {
            "source_table": "t",
            "source_column": "a",
            "target_table": "adhoc",
            "target_column": "a",
            "kind": "direct",
        }
    ]


def test_issues_go_to_stderr_as_warnings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = write(tmp_path, "q.sql", "SELECT * FROM t")
    assert cli.main(["lineage", sql]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["issues"][0]["kind"] == "unknown_star"
    assert "warning: statement 1: SELECT * flowing into query needs a catalog" in captured.err


def test_parse_error_exits_non_zero_with_location(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sql = write(tmp_path, "bad.sql", "SELECT a\nFROM t WHERE;")
    assert cli.main(["lineage", sql]) == SqlSyntaxError.exit_code != 0
    err = capsys.readouterr().err
    assert err.startswith("ipwb: Cannot parse SQL at line 2, column ")


@pytest.mark.parametrize(
    ("catalog_text", "message"),
    [("{not json", "is not valid JSON"), ('["x"]', "must look like")],
)
def test_bad_catalog_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], catalog_text: str, message: str
) -> None:
    sql = write(tmp_path, "q.sql", "SELECT 1")
    catalog = write(tmp_path, "c.json", catalog_text)
    assert cli.main(["lineage", sql, "--schema", catalog]) == ConfigurationError.exit_code
    assert message in capsys.readouterr().err


def test_missing_file_and_unknown_dialect(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["lineage", str(tmp_path / "none.sql")]) == ConfigurationError.exit_code
    assert "Cannot read SQL file" in capsys.readouterr().err
    sql = write(tmp_path, "q.sql", "SELECT 1")
    assert cli.main(["lineage", sql, "--dialect", "klingon"]) == ConfigurationError.exit_code
    assert "Unknown SQL dialect 'klingon'" in capsys.readouterr().err


def test_api_errors_carry_line_and_column() -> None:
    with pytest.raises(SqlSyntaxError) as exc:
        extract_lineage("SELECT 1;\nSELECT (a FROM t;")
    assert exc.value.line == 2 and exc.value.col is not None
    with pytest.raises(SqlSyntaxError, match="Cannot tokenize SQL"):
        extract_lineage("SELECT 'unterminated")
