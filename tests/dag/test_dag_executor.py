"""run_dag: real threads, bounded parallelism, retries on an injected clock, downstream skip."""

from __future__ import annotations

import random
import threading
import time

from ipwb.dag import Graph, RetryPolicy, StepContext, StepState, StepStatus, run_dag


class FakeClock:
    """Time only moves when the executor sleeps (waiting for a retry backoff)."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(round(seconds, 6))
        self.t += seconds


class ConcurrencyProbe:
    """Counts callables running at the same moment (no barrier: nothing forces overlap)."""

    def __init__(self, limit: int) -> None:
        self.lock = threading.Lock()
        self.current = 0
        self.peak = 0
        self.limit = limit

    def __call__(self, ctx: StepContext) -> str:
        with self.lock:
            self.current += 1
            self.peak = max(self.peak, self.current)
        # give other workers a chance to overlap; bounded, never asserted on
        give_up = time.monotonic() + 2.0
        while time.monotonic() < give_up:
            with self.lock:
                if self.peak >= self.limit:  # sticky: once the limit was reached, stop waiting
                    break
            time.sleep(0.001)
        time.sleep(0.005)  # hold the slot a moment so that an excess start would be counted
        with self.lock:
            self.current -= 1
        return ctx.step


def test_parallelism_limit_is_respected() -> None:
    graph = Graph.from_mapping({f"s{i}": [] for i in range(24)} | {"end": [f"s{i}" for i in range(24)]})
    probe = ConcurrencyProbe(limit=3)
    result = run_dag(graph, probe, parallelism=3)
    assert result.succeeded
    assert probe.peak <= 3
    assert probe.peak == 3  # the limit is also used, not just respected
    assert result.results["end"] == "end"


def test_parallelism_one_runs_in_topological_order() -> None:
    graph = Graph.from_mapping({"a": [], "b": ["a"], "c": [], "d": ["b", "c"]})
    seen: list[str] = []
    result = run_dag(graph, lambda ctx: seen.append(ctx.step), parallelism=1)
    assert result.succeeded
    assert seen == list(graph.order)


def test_retries_wait_on_the_clock_with_backoff() -> None:
    clock = FakeClock()
    graph = Graph.from_mapping({"flaky": [], "after": ["flaky"]})
    attempts: list[int] = []

    def step(ctx: StepContext) -> None:
        if ctx.step == "flaky":
            attempts.append(ctx.attempt)
            if ctx.attempt < 3:
                raise ConnectionError(f"attempt {ctx.attempt}")

    result = run_dag(
        graph, step, parallelism=2, clock=clock, policies={"flaky": RetryPolicy(max_retries=3, backoff_s=10)}
    )
    assert result.succeeded
    assert attempts == [1, 2, 3]
    assert clock.sleeps == [10.0, 20.0]
    assert result.states["flaky"].attempts == 3


def test_jittered_retries_are_reproducible_with_a_seeded_rng() -> None:
    def run(seed: int) -> list[float]:
        clock = FakeClock()

        def always_fail(ctx: StepContext) -> None:
            raise RuntimeError("down")

        run_dag(
            Graph.from_mapping({"x": []}),
            always_fail,
            clock=clock,
            default_policy=RetryPolicy(max_retries=3, backoff_s=10, jitter=0.5),
            rng=random.Random(seed),
        )
        return clock.sleeps

    assert run(1) == run(1)
    assert run(1) != run(2)


def test_failure_skips_downstream_and_reports_the_error() -> None:
    graph = Graph.from_mapping({"a": [], "b": ["a"], "c": ["b"], "side": []})
    events: list[tuple[str, str]] = []

    def step(ctx: StepContext) -> str:
        if ctx.step == "a":
            raise ValueError("bad input file")
        return "ok"

    result = run_dag(graph, step, on_event=lambda s, st: events.append((s, st.state.value)))
    assert result.states["a"].state is StepState.FAILED
    assert result.states["a"].reason == "ValueError: bad input file"
    assert result.steps_in(StepState.SKIPPED) == ["b", "c"]
    assert result.states["c"].reason == "upstream a failed"
    assert result.states["side"].state is StepState.SUCCEEDED
    assert isinstance(result.errors["a"], ValueError)
    assert ("a", "failed") in events and ("c", "skipped") in events


def test_partial_rerun_resumes_from_persisted_states() -> None:
    graph = Graph.from_mapping({"a": [], "b": ["a"], "c": ["b"]})
    ran: list[str] = []
    result = run_dag(
        graph,
        lambda ctx: ran.append(ctx.step),
        states={"a": StepStatus(StepState.SUCCEEDED, 1)},
    )
    assert result.succeeded
    assert ran == ["b", "c"]  # a's earlier result is kept


def test_step_timeout_is_recorded_and_retried() -> None:
    release = threading.Event()
    graph = Graph.from_mapping({"slow": []})

    def step(ctx: StepContext) -> str:
        if ctx.attempt == 1:
            release.wait(5.0)  # hangs until the test lets it go
            return "late"
        return "on time"

    result = run_dag(
        graph, step, parallelism=2, default_policy=RetryPolicy(max_retries=1, timeout_s=0.05, backoff_s=0)
    )
    release.set()
    assert result.succeeded
    assert result.results["slow"] == "on time"  # the late first attempt was discarded
    assert result.states["slow"].attempts == 2


def test_params_and_attempt_reach_the_step() -> None:
    seen: list[StepContext] = []
    run_dag(Graph.from_mapping({"a": []}), seen.append, params={"start_date": "2024-01-01"})
    assert seen[0].params == {"start_date": "2024-01-01"} and seen[0].attempt == 1
