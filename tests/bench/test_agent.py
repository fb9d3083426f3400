"""``ipwb bench agent`` runs real agent runs and prints figures (never judged on timings)."""

from __future__ import annotations

import json

import pytest

from ipwb.bench.agent_engine import bench_agent
from ipwb.cli import main
from ipwb.errors import ConfigurationError


def test_bench_agent_figures() -> None:
    result = bench_agent(3)
    assert result.runs == 3 and result.steps_per_run == 3
    assert 0 < result.p50_ms <= result.p90_ms
    assert result.model_call_ms_mean > 0 and result.overhead_per_step_ms_p50 > 0
    assert len(result.load_average) == 3 and all(value >= 0 for value in result.load_average)
    assert any(line.startswith("load average (1/5/15 min): ") for line in result.lines())


def test_bench_agent_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "agent", "--runs", "2", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["runs"] == 2 and figures["checkpointer"] == "InMemorySaver"
    assert main(["bench", "agent", "--runs", "0"]) == ConfigurationError.exit_code
    assert "--runs must be at least 1" in capsys.readouterr().err
