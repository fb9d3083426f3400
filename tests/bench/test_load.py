"""``ipwb bench load``: the load generator end to end against a loopback JSON-RPC workbench.

The peer speaks Odoo's protocol (a ``session_id`` cookie per login, ``/web/dataset/call_kw``)
and, like Odoo's prefork workers, closes the connection after each answer (HTTP/1.0), so
every simulated user re-connects per call. One of its screens answers with an error on
purpose: errors must be counted per action, with their message. The real prefork server is
what the bench starts in the figures of the README; here only the generator is checked.
"""

from __future__ import annotations

import http.server
import itertools
import json
from collections.abc import Iterator
from typing import Any

import pytest

from ipwb.bench.load_client import UserSession
from ipwb.bench.load_engine import ACTIONS, NO_THINK, LevelFigures, Think, knee, login_users, run_level
from ipwb.cli import main
from ipwb.errors import ConfigurationError, IntegrationError

from .loopback import serving


class _Workbench(http.server.BaseHTTPRequestHandler):
    sessions: set[str] = set()
    calls: list[tuple[str, str, str]] = []
    counter = itertools.count(1)

    def log_message(self, *args: object) -> None:
        pass

    def _answer(self, body: dict[str, Any], cookie: str = "") -> None:
        data = json.dumps({"jsonrpc": "2.0", "id": 1, **body}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        if cookie:
            self.send_header("Set-Cookie", f"session_id={cookie}; Path=/; HttpOnly")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        params = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["params"]
        if self.path == "/web/session/authenticate":
            if params["password"] != "right" or params["db"] != "wb":
                self._answer({"result": {"uid": False}})
                return
            sid = f"s{next(self.counter)}"
            self.sessions.add(sid)
            self._answer({"result": {"uid": 2}}, cookie=sid)
            return
        cookie = (self.headers.get("Cookie") or "").removeprefix("session_id=")
        if cookie not in self.sessions:
            self._answer(
                {"error": {"message": "Odoo Session Expired", "data": {"message": "Session expired"}}}
            )
            return
        model, method = params["model"], params["method"]
        self.calls.append((cookie, model, method))
        results: dict[tuple[str, str], Any] = {
            ("ipwb.table", "search_catalog"): {"results": [], "facets": {}, "total": 0, "more": False},
            ("ipwb.sql.service", "run"): {"status": "success", "rows": [[1, "a", 1.5]] * 1000},
            ("ipwb.pipeline", "web_search_read"): {"length": 0, "records": []},
            ("ipwb.pipeline.run", "web_search_read"): {"length": 0, "records": []},
        }
        if (model, method) == ("ipwb.overview", "get_overview"):
            self._answer({"error": {"message": "Odoo Server Error", "data": {"message": "tile exploded"}}})
            return
        self._answer({"result": results[(model, method)]})


@pytest.fixture()
def workbench() -> Iterator[str]:
    _Workbench.sessions = set()
    _Workbench.calls = []
    with serving(_Workbench) as url:
        yield url


def test_every_user_has_its_own_session_and_every_screen_is_called(workbench: str) -> None:
    level = run_level(login_users(workbench, "wb", "admin", "right", 3), seconds=1.0)
    assert level.users == 3 and level.requests > 20
    assert len({cookie for cookie, _m, _f in _Workbench.calls}) == 3, "one login per user"
    called = {(model, method) for _c, model, method in _Workbench.calls}
    assert len(called) == len(ACTIONS)
    by_name = {a.action: a for a in level.actions}
    overview = by_name["overview"]
    assert overview.requests > 0 and overview.errors == overview.requests
    assert "tile exploded" in overview.first_error
    assert level.errors == overview.errors
    catalog = by_name["catalog_search"]
    assert catalog.errors == 0 and 0 < catalog.p50_ms <= catalog.p95_ms <= catalog.p99_ms
    assert level.requests == sum(a.requests for a in level.actions)


def test_the_command_prints_per_level_and_per_action_figures(
    workbench: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "right")
    assert main(["bench", "load", "--quick", "--odoo-url", workbench, "--db", "wb", "--json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    # both modes by default: people with a think time, then saturation (capacity, knee)
    assert [(level["mode"], level["users"]) for level in figures["levels"]] == [
        ("think", 1),
        ("think", 3),
        ("saturate", 1),
        ("saturate", 3),
    ]
    for level in figures["levels"]:
        assert {a["action"] for a in level["actions"]} == {a.name for a in ACTIONS}
        assert level["loadavg_1m"] >= 0 and level["requests_per_s"] > 0
    think = [lv for lv in figures["levels"] if lv["mode"] == "think"]
    saturate = [lv for lv in figures["levels"] if lv["mode"] == "saturate"]
    assert {lv["think"] for lv in think} == {"0.1-0.3 s"}, "--quick thinks a tenth of 1-3 s"
    assert {lv["think"] for lv in saturate} == {"none"}
    # a think time leaves the server idle most of the time: far fewer requests per user
    assert think[0]["requests_per_s"] * 2 < saturate[0]["requests_per_s"]
    assert figures["capacity_rps"] == max(lv["requests_per_s"] for lv in saturate)
    assert figures["mode"] == "running server"
    assert main(["bench", "load", "--quick", "--odoo-url", workbench, "--db", "wb"]) == 0
    text = capsys.readouterr().out
    assert "\nthink (think time 0.1-0.3 s), 1 users, " in "\n" + text
    assert "\nsaturate (think time none), 3 users, " in text and "knee:" in text and "capacity: " in text
    assert "first error: IntegrationError" in text
    assert "goals at 3 users with think time 0.1-0.3 s" in text and "errors: " in text
    assert (
        main(
            [
                "bench",
                "load",
                "--quick",
                "--odoo-url",
                workbench,
                "--db",
                "wb",
                "--mode",
                "saturate",
                "--json",
            ]
        )
        == 0
    )
    figures = json.loads(capsys.readouterr().out)
    assert {level["mode"] for level in figures["levels"]} == {"saturate"}


def test_refusals_change_nothing(
    workbench: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "wrong")
    assert (
        main(["bench", "load", "--quick", "--odoo-url", workbench, "--db", "wb"])
        == ConfigurationError.exit_code
    )
    assert "refused the login 'admin'" in capsys.readouterr().err
    assert _Workbench.calls == [], "nothing was called without a login"
    monkeypatch.delenv("IPWB_BENCH_PASSWORD")
    assert (
        main(["bench", "load", "--quick", "--odoo-url", workbench, "--db", "wb"])
        == ConfigurationError.exit_code
    )
    assert "Set IPWB_BENCH_PASSWORD" in capsys.readouterr().err
    monkeypatch.setenv("IPWB_BENCH_PASSWORD", "right")
    for bad in (
        ["--users", "ten"],
        ["--users", "0,5"],
        ["--seconds", "0"],
        ["--think", "3-1"],
        ["--think", "-1"],
        ["--think", "soon"],
        ["--think", "1-9999"],
    ):
        assert (
            main(["bench", "load", "--odoo-url", workbench, "--db", "wb", *bad])
            == ConfigurationError.exit_code
        )
    assert main(["bench", "load", "--odoo-url", workbench]) == ConfigurationError.exit_code
    assert "needs --db" in capsys.readouterr().err
    assert _Workbench.calls == []


def test_a_server_that_is_not_there_is_a_clear_error() -> None:
    session = UserSession("http://127.0.0.1:9")
    with pytest.raises(IntegrationError, match="/web/session/authenticate: ConnectionRefusedError"):
        session.login("wb", "admin", "x")


def test_knee_is_where_throughput_stops_growing() -> None:
    def level(users: int, rps: float, mode: str = "saturate") -> LevelFigures:
        return LevelFigures(users, 1.0, 1, 0, rps, 1.0, 0.0, 0.0, (), mode=mode)

    assert knee([level(50, 101.0), level(1, 20.0), level(10, 100.0)]) == 10
    assert knee([level(1, 20.0)]) is None
    # with a think time the users set the throughput: those levels have no knee
    assert knee([level(1, 0.5, "think"), level(10, 5.0, "think"), level(50, 5.1, "think")]) is None


def test_think_time_paces_each_user(workbench: str) -> None:
    sessions = login_users(workbench, "wb", "admin", "right", 2)
    paced = run_level(sessions, seconds=1.0, think=Think(0.2, 0.3))
    flat_out = run_level(sessions, seconds=1.0, think=NO_THINK)
    # each user waits 0.2-0.3 s after each answer (and starts within the first interval)
    assert 2 <= paced.requests <= 2 * (1.0 / 0.2 + 1)
    assert (paced.mode, paced.think, flat_out.mode) == ("think", "0.2-0.3 s", "saturate")
    assert flat_out.requests > 3 * paced.requests
