"""The load generator of ``ipwb bench load``: N simulated users, each its own logged-in
JSON-RPC session on its own thread, calling what the web client calls for five screens in
a fixed, seeded mix, for a fixed time; then latency percentiles and errors per action.

Two modes, as load tools define them (locust's ``wait_time = between(a, b)``):

- ``think``: each user waits a think time drawn uniformly from ``[a, b]`` s after every answer
  (a person reading the result), and starts at a random moment of the first such interval (no
  thundering herd at t=0): "50 users" means 50 people at work;
- ``saturate``: no think time, one request always in flight per user: the server's capacity
  (requests/s) and the knee; past the knee latency is the queue (Little's law), not the work.

Bounded by construction: N threads, one request in flight per user, a deadline per level.
A user's failed call is counted (with its first message) and the user goes on. The
generator's own CPU time is reported too, since on a small machine it competes with the
server it measures.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

from ipwb.bench.figures import percentile
from ipwb.bench.load_client import UserSession
from ipwb.bench.sql_engine import BENCH_QUERY
from ipwb.errors import ConfigurationError, IpwbError

#: what a user types into the catalog search (a table name, a prefix, a column, a typo, words)
CATALOG_QUERIES = ("amount", "quantitiy", "t_0500", "invoice", "gold", "fin_", "partner vat", "")

_PIPELINE_LIST: dict[str, Any] = {
    "name": {},
    "code": {},
    "domain_name": {},
    "owner_id": {"fields": {"display_name": {}}},
    "schedule": {},
    "step_count": {},
    "success_rate_7d": {},
    "last_run_state": {},
    "state": {},
}
_RUN_MONITOR: dict[str, Any] = {
    "name": {},
    "pipeline_id": {"fields": {"display_name": {}}},
    "trigger": {},
    "date_start": {},
    "duration": {},
    "cost_usd": {},
    "state": {},
}


@dataclasses.dataclass(frozen=True, slots=True)
class Action:
    name: str
    weight: int
    run: Callable[[UserSession, random.Random], object]


def _catalog(session: UserSession, rng: random.Random) -> object:
    return session.call("ipwb.table", "search_catalog", rng.choice(CATALOG_QUERIES), {}, 30)


def _sql_page(session: UserSession, rng: random.Random) -> object:
    result = session.call(
        "ipwb.sql.service", "run", connection_id=None, sql=BENCH_QUERY, params={"rows": 1000}
    )
    if result.get("status") != "success":
        raise IpwbError(f"SQL page: {result.get('error')}")
    return result


def _pipelines(session: UserSession, rng: random.Random) -> object:
    return session.call("ipwb.pipeline", "web_search_read", [], _PIPELINE_LIST, limit=80)


def _runs(session: UserSession, rng: random.Random) -> object:
    return session.call("ipwb.pipeline.run", "web_search_read", [], _RUN_MONITOR, limit=80, order="id desc")


def _overview(session: UserSession, rng: random.Random) -> object:
    return session.call("ipwb.overview", "get_overview", days=30, domain_name="", team_id=False)


#: the mix: what a working day of the workbench's users looks like, by weight
ACTIONS: tuple[Action, ...] = (
    Action("catalog_search", 35, _catalog),
    Action("sql_page", 25, _sql_page),
    Action("pipeline_list", 15, _pipelines),
    Action("run_monitor", 15, _runs),
    Action("overview", 10, _overview),
)


@dataclasses.dataclass(frozen=True, slots=True)
class ActionFigures:
    action: str
    requests: int
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    first_error: str = ""


@dataclasses.dataclass(frozen=True, slots=True)
class Think:
    """A think time drawn uniformly from ``[low_s, high_s]`` after each answer (0-0: none).

    >>> Think.parse("1-3"), Think.parse("2"), Think.parse("0").none
    (Think(low_s=1.0, high_s=3.0), Think(low_s=2.0, high_s=2.0), True)
    >>> Think.parse("3-1")
    Traceback (most recent call last):
    ...
    ipwb.errors.ConfigurationError: --think takes seconds or MIN-MAX seconds (0 <= MIN <= MAX <= 600): '3-1'
    """

    low_s: float
    high_s: float

    @classmethod
    def parse(cls, text: str) -> Think:
        low, _sep, high = str(text).strip().partition("-")
        try:
            think = cls(float(low), float(high or low))
        except ValueError:
            think = cls(-1.0, -1.0)
        if not 0 <= think.low_s <= think.high_s <= 600:
            raise ConfigurationError(
                f"--think takes seconds or MIN-MAX seconds (0 <= MIN <= MAX <= 600): {text!r}"
            )
        return think

    @property
    def none(self) -> bool:
        return self.high_s == 0

    def label(self) -> str:
        return "none" if self.none else f"{self.low_s:g}-{self.high_s:g} s"


NO_THINK = Think(0.0, 0.0)


@dataclasses.dataclass(frozen=True, slots=True)
class LevelFigures:
    users: int
    seconds: float
    requests: int
    errors: int
    requests_per_s: float
    p95_ms: float
    client_cpu_pct: float
    loadavg_1m: float
    actions: tuple[ActionFigures, ...]
    #: "think" (people with a think time) or "saturate" (no think time: capacity)
    mode: str = "saturate"
    think: str = "none"


def _figures(name: str, samples: Sequence[float], errors: list[str]) -> ActionFigures:
    def pct(p: float) -> float:
        return round(percentile(samples, p) * 1000, 1) if samples else 0.0

    return ActionFigures(
        name, len(samples) + len(errors), len(errors), pct(50), pct(95), pct(99), errors[0] if errors else ""
    )


def login_users(
    url: str, db: str, login: str, password: str, users: int, *, parallel: int = 5
) -> list[UserSession]:
    """``users`` sessions, each logged in on its own: ``parallel`` logins at a time (a login
    hashes the password, seconds of CPU on a busy machine; more at once only queue up)."""
    sessions = [UserSession(url) for _ in range(users)]
    failures: list[BaseException] = []
    gate = threading.Semaphore(max(1, parallel))

    def log_in(session: UserSession) -> None:
        try:
            with gate:
                session.login(db, login, password)
        except IpwbError as exc:
            failures.append(exc)

    threads = [threading.Thread(target=log_in, args=(s,), daemon=True) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        for session in sessions:
            session.close()
        raise failures[0]
    return sessions


def run_level(
    sessions: Sequence[UserSession],
    *,
    seconds: float,
    think: Think = NO_THINK,
    seed: int = 20,
    actions: Sequence[Action] = ACTIONS,
) -> LevelFigures:
    """``len(sessions)`` logged-in users calling the mix for ``seconds`` (logins are not timed:
    the figures are about the screens), waiting ``think`` after each answer."""
    users = len(sessions)
    lock = threading.Lock()
    samples: dict[str, list[float]] = {a.name: [] for a in actions}
    errors: dict[str, list[str]] = {a.name: [] for a in actions}
    weights = [a.weight for a in actions]
    start_gate = threading.Barrier(users + 1)
    deadline = [0.0]

    def user(index: int, session: UserSession) -> None:
        rng = random.Random(seed * 1000 + index)  # noqa: S311 - a reproducible mix, not a secret
        start_gate.wait()
        if not think.none:
            # users arrive spread over a think interval, as people do, not all at t=0
            time.sleep(min(rng.uniform(0, think.high_s), max(0.0, deadline[0] - time.perf_counter())))
        while time.perf_counter() < deadline[0]:
            action = rng.choices(actions, weights)[0]
            began = time.perf_counter()
            try:
                action.run(session, rng)
            except (IpwbError, OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                with lock:
                    errors[action.name].append(f"{type(exc).__name__}: {exc}"[:300])
            else:
                elapsed = time.perf_counter() - began
                with lock:
                    samples[action.name].append(elapsed)
            if not think.none:
                pause = rng.uniform(think.low_s, think.high_s)
                time.sleep(min(pause, max(0.0, deadline[0] - time.perf_counter())))

    threads = [threading.Thread(target=user, args=(i, s), daemon=True) for i, s in enumerate(sessions)]
    for thread in threads:
        thread.start()
    cpu_before = time.process_time()
    began = time.perf_counter()
    deadline[0] = began + seconds
    start_gate.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu_before
    per_action = tuple(_figures(a.name, samples[a.name], errors[a.name]) for a in actions)
    every = [s for name in samples for s in samples[name]]
    requests = sum(f.requests for f in per_action)
    return LevelFigures(
        users=users,
        seconds=round(elapsed, 2),
        requests=requests,
        errors=sum(f.errors for f in per_action),
        requests_per_s=round(requests / elapsed, 1),
        p95_ms=round(percentile(every, 95) * 1000, 1) if every else 0.0,
        client_cpu_pct=round(100 * cpu / elapsed, 1),
        loadavg_1m=round(os.getloadavg()[0], 2),
        actions=per_action,
        mode="saturate" if think.none else "think",
        think=think.label(),
    )


def knee(levels: Sequence[LevelFigures], gain: float = 1.1) -> int | None:
    """The user count past which throughput stops growing (< ``gain`` times the previous level's
    requests/s while more users wait): latency then grows with users (Little's law).
    None when throughput still grows at the largest level. Only the saturation levels count
    (with a think time, throughput is set by the users, not the server).

    >>> def lv(users, rps):
    ...     return LevelFigures(users, 1, 1, 0, rps, 1.0, 0.0, 0.0, ())
    >>> knee([lv(1, 10.0), lv(10, 60.0), lv(50, 62.0)])
    10
    >>> knee([lv(1, 10.0), lv(10, 60.0), lv(50, 90.0)]) is None
    True
    """
    ordered = sorted((lv for lv in levels if lv.mode == "saturate"), key=lambda level: level.users)
    for before, after in itertools.pairwise(ordered):
        if after.requests_per_s < gain * before.requests_per_s:
            return before.users
    return None


def capacity(levels: Sequence[LevelFigures]) -> float:
    """The highest requests/s of the saturation levels (0.0 without any): the server's capacity."""
    return max((lv.requests_per_s for lv in levels if lv.mode == "saturate"), default=0.0)


def goal_lines(levels: Sequence[LevelFigures], goals: dict[str, float]) -> list[str]:
    """Each goal of issue #20 beside the figure of the largest think-time level (people)."""
    people = [lv for lv in levels if lv.mode == "think"]
    if not people:
        return ["goals: judged on the think-time levels (people); none was run"]
    level = max(people, key=lambda lv: lv.users)
    by_name = {a.action: a for a in level.actions}
    checks = (
        ("errors", float(level.errors), goals["errors"], "<="),
        ("catalog_search p95 ms", by_name["catalog_search"].p95_ms, goals["catalog_search_p95_ms"], "<"),
        ("sql_page p95 ms", by_name["sql_page"].p95_ms, goals["sql_page_p95_ms"], "<"),
    )
    lines = [f"goals at {level.users} users with think time {level.think} (issue #20 asks them at 50):"]
    for name, value, goal, op in checks:
        met = value <= goal if op == "<=" else value < goal
        lines.append(f"  {name}: {value:g} (goal {op} {goal:g}) {'met' if met else 'NOT met'}")
    return lines


def describe(
    levels: Sequence[LevelFigures], knee_users: int | None, goals: dict[str, float] | None = None
) -> list[str]:
    """The text form of the figures: one block per mode and user count, one line per action."""
    lines: list[str] = []
    for level in levels:
        lines.append(
            f"{level.mode} (think time {level.think}), {level.users} users, {level.seconds:.0f} s: "
            f"{level.requests} requests, {level.requests_per_s} req/s, {level.errors} errors, "
            f"p95 {level.p95_ms} ms (generator CPU {level.client_cpu_pct}%, load average {level.loadavg_1m})"
        )
        lines.append(f"  {'action':<15}{'requests':>9}{'errors':>7}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
        for a in level.actions:
            lines.append(
                f"  {a.action:<15}{a.requests:>9}{a.errors:>7}{a.p50_ms:>9}{a.p95_ms:>9}{a.p99_ms:>9}"
            )
            if a.first_error:
                lines.append(f"    first error: {a.first_error}")
    if any(lv.mode == "saturate" for lv in levels):
        lines.append(f"capacity: {capacity(levels)} req/s (best saturation level, no think time)")
        lines.append(
            f"knee: {knee_users} users (throughput stops growing past it)"
            if knee_users is not None
            else "knee: not reached (throughput still grows at the largest user count)"
        )
    if goals:
        lines += goal_lines(levels, goals)
    return lines


def as_json(levels: Sequence[LevelFigures], knee_users: int | None, **extra: Any) -> dict[str, Any]:
    return {
        **extra,
        "levels": [dataclasses.asdict(level) for level in levels],
        "knee_users": knee_users,
        "capacity_rps": capacity(levels),
    }
