"""``ipwb bench pipeline``: engine figures, the Odoo path's argument checks and its spec.

The Odoo path itself runs against a real workbench in
``addons/ipwb_pipeline/tests/test_bench_odoo.py`` (Odoo's HTTP server, JSON-RPC, the worker).
"""

from __future__ import annotations

import json

import pytest

from ipwb import cli
from ipwb.bench.pipeline import NOOP_ACTION, noop_spec
from ipwb.specs import PipelineSpec, check_text


def test_engine_figures_are_printed(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["bench", "pipeline", "--nodes", "30", "--repeat", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["nodes"] == 30
    assert "odoo" not in figures


@pytest.mark.parametrize(
    ("extra", "env", "fragment"),
    [
        (
            ["--odoo-url", "http://127.0.0.1:9"],
            {},
            "needs --odoo-db and the password in $IPWB_BENCH_PASSWORD",
        ),
        (["--odoo-url", "http://127.0.0.1:9", "--odoo-db", "x"], {}, "needs --odoo-db"),
        (
            ["--odoo-url", "http://127.0.0.1:9", "--odoo-db", "x", "--odoo-steps", "0"],
            {"IPWB_BENCH_PASSWORD": "pw"},
            "--odoo-steps must be at least 1",
        ),
        (
            ["--odoo-url", "ftp://127.0.0.1:9", "--odoo-db", "x"],
            {"IPWB_BENCH_PASSWORD": "pw"},
            "must be http(s)",
        ),
        (
            ["--odoo-url", "http://127.0.0.1:9", "--odoo-db", "x"],
            {"IPWB_BENCH_PASSWORD": "pw"},
            "did not answer",
        ),
    ],
)
def test_odoo_path_refuses_bad_arguments_before_timing(
    extra: list[str],
    env: dict[str, str],
    fragment: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("IPWB_BENCH_PASSWORD", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code = cli.main(["bench", "pipeline", "--nodes", "10", "--repeat", "1", *extra])
    captured = capsys.readouterr()
    assert code != 0
    assert fragment in captured.err
    assert "DAG:" not in captured.out, "no engine figures when the Odoo path cannot run"


def test_noop_spec_is_a_valid_dag_of_noop_steps() -> None:
    result = check_text(noop_spec(25, "bench_x", seed=3), "pipeline", "bench_x.yaml")
    assert result.problems == []
    spec = result.spec
    assert isinstance(spec, PipelineSpec) and spec.name == "bench_x"
    assert len(spec.steps) == 25
    assert {s.config["action"] for s in spec.steps} == {NOOP_ACTION}
    assert any(s.depends_on for s in spec.steps)
