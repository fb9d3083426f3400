"""``ipwb bench all``: every benchmark in one place, run at small size (the smoke test)."""

from __future__ import annotations

import pytest

from ipwb import cli


def test_all_quick_without_services_runs_the_engine_benches_and_says_what_it_skipped(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert cli.main(["bench", "all", "--quick"]) == 0
    out = capsys.readouterr().out
    sections = [line for line in out.splitlines() if line.startswith("== ipwb bench ")]
    assert sections == [
        "== ipwb bench pipeline ==",
        "== ipwb bench guardian ==",
        "== ipwb bench agent ==",
        "== ipwb bench catalog-engine ==",
        "== ipwb bench sql ==",
        "== ipwb bench catalog ==",
        "== ipwb bench overview ==",
        "== ipwb bench load ==",
    ]
    assert "DAG: 100 steps" in out
    assert out.count("skipped: needs a warehouse") == 3
    assert out.count("skipped: needs a running workbench: --odoo-url") == 2


def test_all_quick_with_a_warehouse_runs_its_benches(
    scratch_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["bench", "all", "--quick", "--dsn", scratch_db]) == 0
    out = capsys.readouterr().out
    assert '"tables": 50' in out, "catalog-engine built and scanned its 50 tables"
    assert '"repeat_plan_empty": true' in out
    assert "1000 rows, median of 3: raw psycopg2" in out
    assert out.count("skipped:") == 3, "only the workbench benches are skipped"


def test_all_refuses_an_odoo_url_without_credentials(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("IPWB_BENCH_PASSWORD", raising=False)
    code = cli.main(["bench", "all", "--quick", "--odoo-url", "http://127.0.0.1:9"])
    assert code != 0
    assert "needs --odoo-db and the password" in capsys.readouterr().err
