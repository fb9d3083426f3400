"""The 8-step cycle on fixture specs: every finding on the marked line, nothing else.

A bad fixture marks each line that must be reported with ``# expect: CODE fragment``
(``-- expect:`` inside SQL), several separated by `` | ``. The run must report exactly
those lines, each with its rule code and message fragment.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from ipwb.cli import main
from ipwb.errors import ConfigurationError
from ipwb.guardian import (
    STEPS,
    Finding,
    Rule,
    builtin_rules,
    load_catalog,
    load_history,
    register_rule,
    rules,
    unregister_rule,
    validate_paths,
    validate_text,
)

HERE = Path(__file__).parent
FIXTURES = HERE / "fixtures"
ROOT = HERE.parents[1]
_EXPECT = re.compile(r"(?:#|--)\s*expect:\s*(.+)$")
_LINE = re.compile(
    r"^(?P<source>.+?):(?P<line>\d+):(?P<col>\d+): (?P<severity>\w+) (?P<code>G\d+) \[.*?\] (?P<msg>.*)$"
)
NOW = dt.datetime(2026, 3, 10, 12, 0, tzinfo=dt.timezone.utc)


def bad_history() -> list[dict[str, str]]:
    """bad_revenue: 18 of 20 runs in the last 7 days succeeded (90%), plus old failures."""
    runs = []
    for n in range(20):
        started = NOW - dt.timedelta(hours=6 * n + 1)
        runs.append(
            {
                "pipeline": "bad_revenue",
                "status": "failed" if n in (3, 7) else "success",
                "started_at": started.isoformat(),
            }
        )
    runs += [{"pipeline": "bad_revenue", "status": "failed", "started_at": "2026-02-01T00:00:00+00:00"}] * 30
    return runs


def expectations(root: Path) -> dict[tuple[str, int], list[str]]:
    expected: dict[tuple[str, int], list[str]] = {}
    for path in sorted(root.rglob("*.yaml")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = _EXPECT.search(line)
            if match:
                expected[(str(path), number)] = [p.strip() for p in match.group(1).split(" | ")]
    return expected


def test_bad_fixtures_are_reported_on_exactly_the_marked_lines() -> None:
    root = FIXTURES / "bad"
    report = validate_paths([root], history=load_history(bad_history()), now=NOW)
    assert not report.ok
    found: dict[tuple[str, int], list[str]] = {}
    for line in report.lines():
        match = _LINE.match(line)
        assert match, line
        found.setdefault((match["source"], int(match["line"])), []).append(f"{match['code']} {match['msg']}")
    expected = expectations(root)
    assert sorted(found) == sorted(expected), "\n".join(report.lines())
    for key, fragments in expected.items():
        for fragment in fragments:
            code, _, text = fragment.partition(" ")
            assert any(f.startswith(code) and text in f for f in found[key]), (key, fragment, found[key])
    # every step of the cycle but perf (no DSN) found something in the bad set
    failed_steps = {r.rule.step for r in report.results if r.status == "fail"}
    assert failed_steps == set(STEPS) - {"perf"}


def test_good_fixtures_pass_without_any_finding() -> None:
    history = [{"pipeline": "build_revenue", "status": "success", "started_at": NOW.isoformat()}] * 20
    report = validate_paths([FIXTURES / "good"], history=load_history(history), now=NOW)
    assert report.ok, report.text()
    assert report.lines() == []
    skipped = {r.rule.code for r in report.results if r.status == "skipped"}
    assert skipped == {"G503", "G504", "G601", "G602"}  # no --results, no --dsn


def test_repository_specs_pass_the_cycle() -> None:
    """specs/ (the examples kept in git) must pass: CI runs this."""
    assert main(["guardian", "validate", str(ROOT / "specs")]) == 0


def test_cli_rejects_malformed_specs_with_line_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["guardian", "validate", str(FIXTURES / "bad")])
    out, err = capsys.readouterr()
    assert code == 2
    assert f"{FIXTURES}/bad/tables/silver/silver_broken.yaml:8:5: error G101" in out
    assert f"{FIXTURES}/bad/pipelines/bad_revenue.yaml:25:38: error G102" in out
    assert "FAIL" in err
    assert "G801 [8 integration] skipped" in out


def test_cli_json_and_history_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = tmp_path / "history.json"
    history.write_text(json.dumps(bad_history()), encoding="utf-8")
    code = main(
        [
            "guardian",
            "validate",
            str(FIXTURES / "bad"),
            "--json",
            "--history",
            str(history),
            "--now",
            NOW.isoformat(),
        ]
    )
    payload = json.loads(capsys.readouterr().out)
    assert code == 2 and payload["ok"] is False
    g801 = next(r for r in payload["results"] if r["code"] == "G801")
    assert g801["status"] == "fail" and "18 of 20 runs" in g801["findings"][0]["message"]
    assert g801["findings"][0]["line"] == 1


def test_success_rate_boundary() -> None:
    def runs(ok: int, failed: int) -> list[dict[str, str]]:
        return [
            {
                "pipeline": "build_revenue",
                "status": "success" if i < ok else "failed",
                "started_at": (NOW - dt.timedelta(hours=i + 1)).isoformat(),
            }
            for i in range(ok + failed)
        ]

    good = FIXTURES / "good"
    assert validate_paths([good], history=load_history(runs(96, 4)), now=NOW).ok  # 96% > 95%
    assert not validate_paths([good], history=load_history(runs(95, 5)), now=NOW).ok  # 95% is not enough
    old = NOW + dt.timedelta(days=8)  # every run is older than the 7-day window: nothing to judge
    assert validate_paths([good], history=load_history(runs(0, 5)), now=old).ok


def test_catalog_types_are_compared_by_family() -> None:
    catalog = load_catalog(
        {
            "silver": {
                "silver_orders": {
                    "order_id": "bigint",
                    "order_date": "date",
                    "customer_email": "character varying",
                    "total_amount": "double precision",
                    "created_at": "timestamp with time zone",
                }
            },
            "gold.gold_revenue": {
                "order_date": "date",
                "revenue_amount": "numeric",
                "top_customer_email": "text",
            },
        }
    )
    report = validate_paths([FIXTURES / "good"], catalog=catalog)
    findings = [line for line in report.lines() if "G203" in line]
    assert len(findings) == 1, findings
    assert findings[0].startswith(f"{FIXTURES}/good/tables/silver/silver_orders.yaml:25:11: error G203")
    assert "'numeric(12, 2)' but the catalog has 'double precision'" in findings[0]
    missing = validate_paths([FIXTURES / "good"], catalog=load_catalog({"gold.gold_revenue": {}}))
    assert any("silver.silver_orders is not in the catalog" in line for line in missing.lines())


def test_validate_text_places_problems_in_the_text() -> None:
    text = "name: silver_x\nlayer: silver\nowner: me\ncolumns:\n  - name: a\n    type: strng\n"
    report = validate_text(text, "table", "silver_x.yaml")
    assert not report.ok
    assert report.lines() == [
        "silver_x.yaml:6:11: error G101 [1 syntax] column 'a': unknown type 'strng' (use a PostgreSQL "
        "type such as text, integer, numeric(14, 2), date, timestamptz, boolean, jsonb)"
    ]
    fixed = validate_text(text.replace("strng", "text"), "table", "silver_x.yaml")
    assert not fixed.ok
    assert [line.split(" [")[0] for line in fixed.lines()] == [
        "silver_x.yaml:1:7: error G502",  # the only silver table has no test: 0% coverage
        "silver_x.yaml:1:7: error G701",  # the table has no description
        "silver_x.yaml:5:11: error G701",  # nor has column a
    ]


def test_rules_are_pluggable() -> None:
    def no_bronze(ctx):  # type: ignore[no-untyped-def]
        for spec_file, table in ctx.tables():
            if table.layer == "bronze":
                yield ctx.at(spec_file, ("layer",), "no bronze here")

    rule = register_rule(Rule("lint", "X901", "house rule: no bronze tables", no_bronze, "warning", False))
    try:
        assert rule in rules() and rule not in builtin_rules()
        assert [r.step for r in rules()] == sorted((r.step for r in rules()), key=STEPS.index)
        report = validate_paths([ROOT / "specs"])
        assert report.ok  # non-blocking
        assert any("X901" in line and "bronze_pos_sales.yaml:2:8" in line for line in report.lines())
        with pytest.raises(ConfigurationError):
            register_rule(Rule("lint", "X901", "again", no_bronze))
        with pytest.raises(ConfigurationError):
            register_rule(Rule("style", "X902", "unknown step", no_bronze))
        with pytest.raises(ConfigurationError):
            register_rule(Rule("lint", "G301", "a built-in code", no_bronze))
    finally:
        unregister_rule("X901")
    assert rule not in rules()


def test_a_rule_raising_an_engine_error_fails_alone() -> None:
    def broken(ctx):  # type: ignore[no-untyped-def]
        raise ConfigurationError("boom")
        yield Finding("x", 1, 1, "never")

    register_rule(Rule("docs", "X903", "broken", broken))
    try:
        report = validate_paths([FIXTURES / "good"])
        result = next(r for r in report.results if r.rule.code == "X903")
        assert result.status == "fail" and "boom" in result.findings[0].message
        assert all(r.status != "fail" for r in report.results if r.rule.code != "X903")
    finally:
        unregister_rule("X903")


def test_bench_guardian_prints_figures(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bench", "guardian", "--tables", "12", "--repeat", "1", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert (figures["tables"], figures["files"], figures["ok"]) == (12, 14, True)
    assert set(figures["per_rule_ms"]) == {r.code for r in rules()}
    assert main(["bench", "guardian", "--tables", "0"]) == ConfigurationError.exit_code
