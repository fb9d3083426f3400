"""Ready-set scheduling of a DAG run as a pure state machine.

Why pure: the ``ipwb_pipeline`` addon keeps step states in PostgreSQL and advances a run from
cron workers, one transaction per step; the in-process executor (:mod:`ipwb.dag.executor`)
keeps them in memory. Both drive the same :class:`Scheduler`, which never sleeps, never
reads a clock and never draws random numbers on its own: time (``now``, any monotonic
float such as ``time.time()``) and the jitter RNG are passed in, so every decision is
reproducible in a test.

States: ``pending → running → succeeded``; a failure becomes ``retrying`` (with a
``not_before`` time from the :class:`RetryPolicy`) until retries are exhausted, then
``failed``, and every step downstream of it becomes ``skipped`` with the reason
``upstream X failed``. A step is ready when all of its dependencies succeeded, it is pending
(or retrying and its backoff has elapsed), and the parallelism limit leaves room.

The class is **not** thread-safe; one coordinator owns it (see :func:`ipwb.dag.run_dag`).
"""

from __future__ import annotations

import enum
import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from ipwb.dag.graph import Graph
from ipwb.errors import GraphError


class StepState(str, enum.Enum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    SKIPPED = "skipped"
    RETRYING = "retrying"


#: states a step never leaves during a run (only a re-run resets them)
FINAL_STATES = frozenset({StepState.SUCCEEDED, StepState.FAILED, StepState.SKIPPED})


@dataclass(frozen=True, slots=True)
class StepStatus:
    """What the scheduler knows about one step; persisted as-is by the addon.

    ``attempts`` counts starts; ``not_before`` is when a retrying step may start again;
    ``started_at`` is the start of the current attempt; ``reason`` carries the last error
    of a failed/retrying step or why a step was skipped.
    """

    state: StepState = StepState.PENDING
    attempts: int = 0
    not_before: float | None = None
    started_at: float | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff: retry *n* (1-based) waits ``backoff_s * multiplier**(n-1)``.

    The delay is capped at ``max_backoff_s``; with ``jitter`` (a fraction, 0 … 1) it is then
    multiplied by a factor drawn uniformly from ``[1 - jitter, 1 + jitter]`` using the RNG the
    caller injects, so workers retrying the same failure do not stampede together.

    >>> RetryPolicy(max_retries=3, backoff_s=10).delays()
    (10.0, 20.0, 40.0)
    >>> RetryPolicy(max_retries=4, backoff_s=60, max_backoff_s=100).delays()
    (60.0, 100.0, 100.0, 100.0)
    """

    max_retries: int = 0
    backoff_s: float = 0.0
    multiplier: float = 2.0
    max_backoff_s: float = 3600.0
    jitter: float = 0.0
    timeout_s: float | None = None

    def __post_init__(self) -> None:
        problems = []
        if self.max_retries < 0:
            problems.append(f"max_retries must be >= 0, got {self.max_retries}")
        if self.backoff_s < 0:
            problems.append(f"backoff_s must be >= 0, got {self.backoff_s}")
        if self.multiplier < 1:
            problems.append(f"multiplier must be >= 1, got {self.multiplier}")
        if not 0 <= self.jitter <= 1:
            problems.append(f"jitter must be between 0 and 1, got {self.jitter}")
        if self.timeout_s is not None and self.timeout_s <= 0:
            problems.append(f"timeout_s must be > 0, got {self.timeout_s}")
        if problems:
            raise GraphError("invalid retry policy", problems)

    def delay(self, retry: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 = first retry)."""
        if retry < 1:
            raise GraphError(f"retry numbers start at 1, got {retry}")
        base = min(self.backoff_s * self.multiplier ** (retry - 1), self.max_backoff_s)
        if self.jitter and rng is not None:
            base *= rng.uniform(1 - self.jitter, 1 + self.jitter)
        return float(base)

    def delays(self, rng: random.Random | None = None) -> tuple[float, ...]:
        return tuple(self.delay(n, rng) for n in range(1, self.max_retries + 1))


class Scheduler:
    """Mutable run state over an immutable :class:`Graph`; every transition is explicit.

    ``policies`` maps step ids to their :class:`RetryPolicy` (others use ``default_policy``).
    ``states`` restores a persisted run (missing steps start pending). Dependencies are
    counted incrementally, so asking for ready steps costs O(candidates), not O(graph).
    """

    def __init__(
        self,
        graph: Graph,
        *,
        parallelism: int = 4,
        policies: Mapping[str, RetryPolicy] | None = None,
        default_policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        states: Mapping[str, StepStatus] | None = None,
    ) -> None:
        if parallelism < 1:
            raise GraphError(f"parallelism must be at least 1, got {parallelism}")
        unknown = sorted(set(states or {}) - set(graph)) + sorted(set(policies or {}) - set(graph))
        if unknown:
            raise GraphError(f"states or policies for unknown step(s): {', '.join(map(repr, unknown))}")
        self.graph = graph
        self.parallelism = parallelism
        self._policies = dict(policies or {})
        self._default_policy = default_policy or RetryPolicy()
        self._rng = rng
        self._status: dict[str, StepStatus] = {s: StepStatus() for s in graph}
        self._status.update(states or {})
        self._recount()

    def _recount(self) -> None:
        self._unmet = {
            s: sum(self._status[d].state is not StepState.SUCCEEDED for d in self.graph.deps(s))
            for s in self.graph
        }
        self._candidates = {
            s
            for s in self.graph
            if self._unmet[s] == 0 and self._status[s].state in (StepState.PENDING, StepState.RETRYING)
        }
        self._running = {s for s in self.graph if self._status[s].state is StepState.RUNNING}

    # -- queries ---------------------------------------------------------------------------
    def status(self, step: str) -> StepStatus:
        return self._status[step]

    def snapshot(self) -> dict[str, StepStatus]:
        """A copy of every step's status, in topological order (what the addon persists)."""
        return {s: self._status[s] for s in self.graph}

    def policy(self, step: str) -> RetryPolicy:
        return self._policies.get(step, self._default_policy)

    @property
    def running(self) -> frozenset[str]:
        return frozenset(self._running)

    def ready(self, now: float) -> list[str]:
        """Steps that may start now, in topological order, at most the free parallelism slots."""
        free = self.parallelism - len(self._running)
        if free <= 0:
            return []
        eligible = [
            s
            for s in self._candidates
            if self._status[s].not_before is None or self._status[s].not_before <= now  # type: ignore[operator]
        ]
        eligible.sort(key=self.graph.position)
        return eligible[:free]

    def next_wakeup(self) -> float | None:
        """Earliest ``not_before`` of a retrying step whose dependencies are met, if any."""
        times = [t for s in self._candidates if (t := self._status[s].not_before) is not None]
        return min(times, default=None)

    def overdue(self, now: float) -> list[str]:
        """Running steps past their policy's ``timeout_s`` (stale-run detection)."""
        result = []
        for step in self._running:
            timeout, started = self.policy(step).timeout_s, self._status[step].started_at
            if timeout is not None and started is not None and now - started > timeout:
                result.append(step)
        return sorted(result, key=self.graph.position)

    def is_finished(self) -> bool:
        """No step is running and none can still start."""
        return not self._running and not self._candidates

    def succeeded(self) -> bool:
        return all(st.state is StepState.SUCCEEDED for st in self._status.values())

    # -- transitions -----------------------------------------------------------------------
    def _require(self, step: str, *allowed: StepState) -> StepStatus:
        if step not in self._status:
            raise GraphError(f"unknown step {step!r}")
        status = self._status[step]
        if status.state not in allowed:
            names = "/".join(a.value for a in allowed)
            raise GraphError(f"step {step!r} is {status.state.value}, expected {names}")
        return status

    def start(self, step: str, now: float) -> StepStatus:
        """Mark a ready step running (one more attempt)."""
        status = self._require(step, StepState.PENDING, StepState.RETRYING)
        if step not in self._candidates:
            waiting = [d for d in self.graph.deps(step) if self._status[d].state is not StepState.SUCCEEDED]
            raise GraphError(f"step {step!r} is not ready: waiting for {', '.join(map(repr, waiting))}")
        if len(self._running) >= self.parallelism:
            raise GraphError(f"cannot start {step!r}: parallelism limit {self.parallelism} reached")
        if status.not_before is not None and status.not_before > now:
            raise GraphError(f"cannot start {step!r} before its retry time {status.not_before}")
        self._candidates.discard(step)
        self._running.add(step)
        new = StepStatus(StepState.RUNNING, status.attempts + 1, None, now, "")
        self._status[step] = new
        return new

    def unstart(self, step: str, previous: StepStatus) -> StepStatus:
        """Undo :meth:`start`: the caller did not run the step after all (a run cancelled
        between the start and the body); ``previous`` is the status :meth:`start` replaced."""
        self._require(step, StepState.RUNNING)
        if previous.state not in (StepState.PENDING, StepState.RETRYING):
            raise GraphError(f"cannot put {step!r} back to {previous.state.value}")
        self._running.discard(step)
        self._status[step] = previous
        if self._unmet[step] == 0:
            self._candidates.add(step)
        return previous

    def start_ready(self, now: float) -> list[str]:
        """:meth:`ready` then :meth:`start` each of them; returns the started steps."""
        steps = self.ready(now)
        for step in steps:
            self.start(step, now)
        return steps

    def succeed(self, step: str, now: float) -> StepStatus:
        status = self._require(step, StepState.RUNNING)
        self._running.discard(step)
        new = replace(status, state=StepState.SUCCEEDED, reason="")
        self._status[step] = new
        for child in self.graph.dependents(step):
            self._unmet[child] -= 1
            if self._unmet[child] == 0 and self._status[child].state in (
                StepState.PENDING,
                StepState.RETRYING,
            ):
                self._candidates.add(child)
        return new

    def fail(self, step: str, now: float, error: str) -> StepStatus:
        """Record a failed attempt: schedule a retry, or fail for good and skip downstream."""
        status = self._require(step, StepState.RUNNING)
        self._running.discard(step)
        policy = self.policy(step)
        retries_done = max(status.attempts, 1) - 1
        if retries_done < policy.max_retries:
            wait = policy.delay(retries_done + 1, self._rng)
            new = replace(status, state=StepState.RETRYING, not_before=now + wait, reason=error)
            self._candidates.add(step)
        else:
            new = replace(status, state=StepState.FAILED, not_before=None, reason=error)
            self._skip_downstream(step, f"upstream {step} failed")
        self._status[step] = new
        return new

    def skip(self, step: str, reason: str) -> StepStatus:
        """Skip a step that has not run (e.g. disabled, or cancelled) and everything downstream."""
        status = self._require(step, StepState.PENDING, StepState.RETRYING)
        self._candidates.discard(step)
        new = replace(status, state=StepState.SKIPPED, not_before=None, reason=reason)
        self._status[step] = new
        self._skip_downstream(step, f"upstream {step} skipped")
        return new

    def _skip_downstream(self, step: str, reason: str) -> None:
        for child in self.graph.downstream([step]):
            if self._status[child].state in (StepState.PENDING, StepState.RETRYING):
                self._candidates.discard(child)
                self._status[child] = replace(
                    self._status[child], state=StepState.SKIPPED, not_before=None, reason=reason
                )

    def rerun_from(self, steps: Iterable[str]) -> tuple[str, ...]:
        """Partial re-run: reset ``steps`` and everything downstream to pending.

        Succeeded upstream results are kept, so each reset step must have every dependency
        outside the reset set succeeded; a running step cannot be reset. Returns the reset
        steps in topological order.
        """
        starts = list(steps)
        if not starts:
            raise GraphError("re-run needs at least one step")
        reset = set(self.graph.downstream(starts, include_self=True))
        problems = []
        for step in self.graph.order:
            if step not in reset:
                continue
            if self._status[step].state is StepState.RUNNING:
                problems.append(f"step {step!r} is still running")
            for dep in self.graph.deps(step):
                dep_state = self._status[dep].state
                if dep not in reset and dep_state is not StepState.SUCCEEDED:
                    problems.append(
                        f"step {step!r} needs upstream {dep!r}, which is {dep_state.value}: "
                        f"re-run from {dep!r} instead"
                    )
        if problems:
            raise GraphError(f"cannot re-run from {', '.join(map(repr, starts))}", problems)
        for step in reset:
            self._status[step] = StepStatus()
        self._recount()
        return tuple(s for s in self.graph.order if s in reset)

    def rerun_failed(self) -> tuple[str, ...]:
        """Re-run every failed step and its downstream (the "retry run" button)."""
        failed = [s for s in self.graph.order if self._status[s].state is StepState.FAILED]
        if not failed:
            raise GraphError("nothing to re-run: no step failed")
        return self.rerun_from(failed)


def ready_steps(graph: Graph, states: Mapping[str, StepStatus], *, parallelism: int, now: float) -> list[str]:
    """Stateless form of :meth:`Scheduler.ready` for callers that persist states themselves.

    >>> g = Graph.from_mapping({"a": [], "b": ["a"], "c": []})
    >>> ready_steps(g, {}, parallelism=4, now=0.0)
    ['a', 'c']
    >>> ready_steps(g, {"a": StepStatus(StepState.SUCCEEDED)}, parallelism=1, now=0.0)
    ['b']
    """
    return Scheduler(graph, parallelism=parallelism, states=states).ready(now)
