"""``ipwb sql run|format|classify``: CSV on stdout, exit 0; refusal on stderr, exit 3."""

from __future__ import annotations

import subprocess
import sys

import psycopg2.extensions

from .conftest import Warehouse


def _ipwb(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ipwb.cli", *args], input=stdin, capture_output=True, text=True, check=False
    )


def _dsn(warehouse: Warehouse) -> str:
    return warehouse.admin_dsn


def test_run_prints_csv(warehouse: Warehouse) -> None:
    result = _ipwb(
        "sql",
        "run",
        "--dsn",
        _dsn(warehouse),
        "--readonly",
        "-",
        stdin="SELECT id, owner FROM accounts ORDER BY id",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[:2] == ["id,owner", "1,alice"]
    assert "SELECT 5" in result.stderr


def test_run_refusal_exits_3(warehouse: Warehouse) -> None:
    result = _ipwb("sql", "run", "--dsn", _dsn(warehouse), "-", stdin="DELETE FROM sentinel")
    assert result.returncode == 3
    assert result.stdout == ""
    assert "refused" in result.stderr and "[dml]" in result.stderr


def test_run_max_rows_params_and_timeout(warehouse: Warehouse, tmp_path: object) -> None:
    result = _ipwb(
        "sql",
        "run",
        "--dsn",
        _dsn(warehouse),
        "--max-rows",
        "3",
        "--param",
        "n=10",
        "-",
        stdin="SELECT g FROM generate_series(1, {{n}}::int) g",
    )
    assert result.returncode == 0 and result.stdout.splitlines() == ["g", "1", "2", "3"]
    assert "--offset 3" in result.stderr
    slow = _ipwb("sql", "run", "--dsn", _dsn(warehouse), "--timeout", "1", "-", stdin="SELECT pg_sleep(5)")
    assert slow.returncode == 1 and "timeout" in slow.stderr


def test_run_bad_dsn_is_configuration_error() -> None:
    result = _ipwb("sql", "run", "--dsn", "host=127.0.0.1", "-", stdin="SELECT 1")
    assert result.returncode == 2 and "dbname" in result.stderr


def test_format_and_classify() -> None:
    formatted = _ipwb("sql", "format", "-", stdin="select a from t where b = {{x}}")
    assert (
        formatted.returncode == 0
        and "b = {{x}}" in formatted.stdout
        and formatted.stdout.startswith("SELECT")
    )
    assert _ipwb("sql", "classify", "-", stdin="SELECT 1").returncode == 0
    refused = _ipwb("sql", "classify", "-", stdin="SET ROLE postgres")
    assert refused.returncode == 3 and '"role_change"' in refused.stdout
    broken = _ipwb("sql", "format", "-", stdin="SELECT * FROM")
    assert broken.returncode == 2 and "line 1" in broken.stderr


def test_dsn_helper_is_parseable(warehouse: Warehouse) -> None:
    assert psycopg2.extensions.parse_dsn(_dsn(warehouse))["dbname"]
