"""The pure scheduler: ready sets, parallelism, retries with backoff, skips, partial re-runs."""

from __future__ import annotations

import random

import pytest

from ipwb.dag import Graph, RetryPolicy, Scheduler, StepState, StepStatus, ready_steps
from ipwb.errors import GraphError

DIAMOND = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": ["d"]}


def state(s: Scheduler) -> dict[str, str]:
    return {k: v.state.value for k, v in s.snapshot().items()}


def test_ready_set_follows_dependencies() -> None:
    s = Scheduler(Graph.from_mapping(DIAMOND), parallelism=4)
    assert s.start_ready(0.0) == ["a"]
    assert s.ready(0.0) == []
    s.succeed("a", 1.0)
    assert s.start_ready(1.0) == ["b", "c"]
    s.succeed("b", 2.0)
    assert s.ready(2.0) == []  # d still waits for c
    s.succeed("c", 3.0)
    assert s.start_ready(3.0) == ["d"]
    s.succeed("d", 4.0)
    s.start("e", 4.0)
    s.succeed("e", 5.0)
    assert s.is_finished() and s.succeeded()


def test_parallelism_limit_bounds_ready_steps() -> None:
    graph = Graph.from_mapping({f"s{i}": [] for i in range(10)})
    s = Scheduler(graph, parallelism=3)
    assert s.start_ready(0.0) == ["s0", "s1", "s2"]
    assert s.ready(0.0) == []
    with pytest.raises(GraphError, match="parallelism limit 3"):
        s.start("s3", 0.0)
    s.succeed("s1", 1.0)
    assert s.ready(1.0) == ["s3"]


def test_retry_policy_delays_are_exponential_and_capped() -> None:
    policy = RetryPolicy(max_retries=5, backoff_s=30, multiplier=2, max_backoff_s=200)
    assert policy.delays() == (30.0, 60.0, 120.0, 200.0, 200.0)
    assert RetryPolicy(max_retries=2, backoff_s=5, multiplier=3).delays() == (5.0, 15.0)


def test_jitter_uses_the_injected_rng_within_bounds() -> None:
    policy = RetryPolicy(max_retries=3, backoff_s=100, jitter=0.2)
    first = policy.delays(random.Random(42))
    assert first == policy.delays(random.Random(42))  # reproducible
    assert first != policy.delays()  # no rng: no jitter
    assert all(0.8 * base <= d <= 1.2 * base for d, base in zip(first, (100, 200, 400), strict=True))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"max_retries": -1}, "max_retries"),
        ({"backoff_s": -2}, "backoff_s"),
        ({"jitter": 1.5}, "jitter"),
        ({"multiplier": 0.5}, "multiplier"),
        ({"timeout_s": 0}, "timeout_s"),
    ],
)
def test_invalid_retry_policy_is_refused(kwargs: dict[str, float], fragment: str) -> None:
    with pytest.raises(GraphError) as exc:
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
    assert fragment in str(exc.value)


def test_failure_retries_with_backoff_then_fails_and_skips_downstream() -> None:
    graph = Graph.from_mapping(DIAMOND)
    s = Scheduler(graph, policies={"b": RetryPolicy(max_retries=2, backoff_s=10)})
    s.start("a", 0.0)
    s.succeed("a", 0.0)
    s.start_ready(0.0)
    after = s.fail("b", 5.0, "boom")
    assert after.state is StepState.RETRYING and after.not_before == 15.0 and after.reason == "boom"
    assert s.ready(14.9) == []
    assert s.next_wakeup() == 15.0
    assert s.ready(15.0) == ["b"]
    s.start("b", 15.0)
    assert s.fail("b", 16.0, "boom again").not_before == 36.0  # second retry: 20 s
    s.start("b", 36.0)
    final = s.fail("b", 37.0, "still broken")
    assert final.state is StepState.FAILED and final.attempts == 3
    assert s.status("d") == StepStatus(StepState.SKIPPED, reason="upstream b failed")
    assert s.status("e").reason == "upstream b failed"  # transitively, naming the root cause
    assert s.status("c").state is StepState.RUNNING  # a sibling is not affected
    s.succeed("c", 38.0)
    assert s.is_finished() and not s.succeeded()


def test_no_retries_fails_immediately() -> None:
    s = Scheduler(Graph.from_mapping({"a": [], "b": ["a"]}))
    s.start("a", 0.0)
    assert s.fail("a", 1.0, "x").state is StepState.FAILED
    assert state(s) == {"a": "failed", "b": "skipped"}
    assert s.is_finished()


def test_invalid_transitions_are_refused_with_the_state() -> None:
    s = Scheduler(Graph.from_mapping({"a": [], "b": ["a"]}))
    with pytest.raises(GraphError, match="'b' is not ready: waiting for 'a'"):
        s.start("b", 0.0)
    with pytest.raises(GraphError, match="'a' is pending, expected running"):
        s.succeed("a", 0.0)
    with pytest.raises(GraphError, match="unknown step 'zz'"):
        s.start("zz", 0.0)
    with pytest.raises(GraphError, match="parallelism must be at least 1, got 0"):
        Scheduler(Graph.from_mapping({"a": []}), parallelism=0)


def test_manual_skip_propagates() -> None:
    s = Scheduler(Graph.from_mapping(DIAMOND))
    s.skip("a", "disabled by user")
    assert s.status("a").reason == "disabled by user"
    assert {s.status(x).reason for x in "bcde"} == {"upstream a skipped"}


def test_partial_rerun_keeps_succeeded_upstream() -> None:
    graph = Graph.from_mapping(DIAMOND)
    s = Scheduler(graph)
    for step in ("a",):
        s.start(step, 0)
        s.succeed(step, 0)
    s.start_ready(0)
    s.succeed("b", 1)
    s.fail("c", 1, "bad data")
    assert state(s) == {"a": "succeeded", "b": "succeeded", "c": "failed", "d": "skipped", "e": "skipped"}
    assert s.rerun_failed() == ("c", "d", "e")
    assert state(s) == {"a": "succeeded", "b": "succeeded", "c": "pending", "d": "pending", "e": "pending"}
    assert s.start_ready(2) == ["c"]
    s.succeed("c", 3)
    assert s.start_ready(3) == ["d"]


def test_partial_rerun_refuses_when_an_upstream_did_not_succeed() -> None:
    s = Scheduler(Graph.from_mapping(DIAMOND))
    s.start("a", 0)
    s.fail("a", 0, "x")
    with pytest.raises(GraphError) as exc:
        s.rerun_from(["d"])
    assert "re-run from 'b' instead" in str(exc.value)
    assert s.rerun_from(["a"]) == ("a", "b", "c", "d", "e")


def test_rerun_of_a_running_step_is_refused() -> None:
    s = Scheduler(Graph.from_mapping({"a": []}))
    s.start("a", 0)
    with pytest.raises(GraphError, match="still running"):
        s.rerun_from(["a"])
    with pytest.raises(GraphError, match="no step failed"):
        s.rerun_failed()


def test_scheduler_resumes_from_persisted_states() -> None:
    graph = Graph.from_mapping(DIAMOND)
    states = {
        "a": StepStatus(StepState.SUCCEEDED, 1),
        "b": StepStatus(StepState.RUNNING, 1, started_at=0.0),
        "c": StepStatus(StepState.RETRYING, 1, not_before=50.0, reason="flaky"),
    }
    assert ready_steps(graph, states, parallelism=4, now=10.0) == []
    assert ready_steps(graph, states, parallelism=4, now=50.0) == ["c"]
    assert ready_steps(graph, states, parallelism=1, now=50.0) == []  # b occupies the only slot
    with pytest.raises(GraphError, match="unknown step"):
        Scheduler(graph, states={"zz": StepStatus()})


def test_overdue_running_steps_are_reported() -> None:
    s = Scheduler(Graph.from_mapping({"a": [], "b": []}), policies={"a": RetryPolicy(timeout_s=30)})
    s.start_ready(100.0)
    assert s.overdue(129.0) == []
    assert s.overdue(131.0) == ["a"]  # b has no timeout


def test_unstart_puts_a_started_step_back_as_it_was() -> None:
    s = Scheduler(Graph.from_mapping(DIAMOND), parallelism=1)
    before = s.status("a")
    s.start("a", 1.0)
    assert s.ready(1.0) == []  # the parallelism slot is taken
    assert s.unstart("a", before) == before
    assert s.status("a") == before and s.ready(1.0) == ["a"]
    s.start("a", 2.0)
    assert s.status("a").attempts == 1
    s.succeed("a", 3.0)
    with pytest.raises(GraphError, match="expected running"):
        s.unstart("a", before)
    s.start("b", 3.0)
    with pytest.raises(GraphError, match="cannot put 'b' back to succeeded"):
        s.unstart("b", s.status("a"))
