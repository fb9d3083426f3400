"""``ipwb spec validate|format`` and ``ipwb bench pipeline`` exit codes and output."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path

import pytest

from ipwb.bench import cli as bench
from ipwb.commands import spec

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"


def run(*argv: str) -> int:
    """Only this package's commands, so the test does not depend on other features' modules."""
    parser = argparse.ArgumentParser(prog="ipwb")
    subparsers = parser.add_subparsers(dest="command", required=True)
    spec.register(subparsers)
    bench.register(subparsers)
    args = parser.parse_args(argv)
    return int(args.func(args))


def test_validate_examples_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("spec", "validate", str(ROOT / "specs")) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "spec file(s) valid" in captured.err


def test_validate_reports_lines_and_exits_two(capsys: pytest.CaptureFixture[str]) -> None:
    bad = FIXTURES / "invalid" / "pipelines" / "syntax_error.yaml"
    assert run("spec", "validate", str(bad), str(ROOT / "specs")) == 2
    out = capsys.readouterr().out.splitlines()
    assert out == [f"{bad}:8:4: YAML syntax error: " + out[0].split("YAML syntax error: ", 1)[1]]


def test_validate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("spec", "validate", "--json", str(FIXTURES / "invalid" / "tables")) == 2
    assert '"ok": false' in capsys.readouterr().out


def test_format_rewrites_and_checks(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "pipelines" / "hand_written.yaml"
    target.parent.mkdir()
    shutil.copy(FIXTURES / "valid" / "pipelines" / "hand_written.yaml", target)
    assert run("spec", "format", "--check", str(tmp_path)) == 1
    assert "would reformat" in capsys.readouterr().out
    assert run("spec", "format", str(tmp_path)) == 0
    assert run("spec", "format", "--check", str(tmp_path)) == 0
    assert target.read_text().startswith("steps:\n  - kind: sql\n    id: extract\n")


def test_bench_pipeline_prints_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert run("bench", "pipeline", "--nodes", "60", "--repeat", "1", "--parallelism", "4") == 0
    out = capsys.readouterr().out
    assert "DAG: 60 steps" in out
    assert "graph validation" in out and "engine overhead per step" in out
