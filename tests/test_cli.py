"""The ``ipwb`` entry point wires every registered sub-command."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ipwb import cli


def test_every_registered_command_module_builds() -> None:
    parser = cli.build_parser()
    subcommands = parser._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert "env" in subcommands


def test_env_command_reports_components(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["env"]) == 0
    out = capsys.readouterr().out
    assert '"sqlglot": true' in out


def test_console_script_runs_as_module() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ipwb.cli", "--version"], check=False, capture_output=True, text=True
    )
    assert result.returncode == 0
    assert result.stdout.startswith("ipwb ")


def test_unknown_command_exits_non_zero() -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main(["no-such-command"])
    assert exc.value.code == 2
