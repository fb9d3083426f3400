"""In-process DAG executor: a thread pool driven by one coordinating thread.

Concurrency model (the same split dbt-core's ``graph/queue.py`` documents, made stricter):

* The **coordinator** is the thread calling :func:`run_dag`. It alone owns the
  :class:`~ipwb.dag.scheduler.Scheduler`; no lock protects it because no other thread
  touches it.
* **Workers** (a ``ThreadPoolExecutor`` of ``parallelism`` threads) only call
  ``run_step(context)`` and put ``(step, attempt, ok, value)`` on a thread-safe
  ``queue.Queue``. They never read or write scheduling state.
* The coordinator loops: start every ready step (bounded by free slots), then block on the
  completion queue — with a timeout only when a retry backoff or a step timeout is due —
  and apply each completion as ``succeed``/``fail``.

Timeouts: Python cannot kill a thread, so a step over its ``timeout_s`` is *recorded* as
failed (and retried per policy) while its thread finishes in the background; a late result
is recognised by its attempt number and discarded. Step callables should honour
``context.deadline`` themselves (e.g. a PostgreSQL ``statement_timeout``). Because the pool
has exactly ``parallelism`` threads, a hung step keeps occupying a slot: the limit is
never exceeded, even then.

Time comes from an injectable :class:`Clock`; waiting for a retry uses ``clock.sleep`` so a
test clock makes backoffs instantaneous.
"""

from __future__ import annotations

import queue
import random
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Protocol

from ipwb.dag.graph import Graph
from ipwb.dag.scheduler import RetryPolicy, Scheduler, StepState, StepStatus


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Monotonic wall clock."""

    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class StepContext:
    """What a step callable gets: which step, which attempt, run parameters, its deadline."""

    step: str
    attempt: int
    params: Mapping[str, object]
    deadline: float | None


@dataclass(frozen=True)
class RunResult:
    """Outcome of :func:`run_dag`: final states, step return values, errors, timing."""

    states: dict[str, StepStatus]
    results: dict[str, object] = field(default_factory=dict)
    errors: dict[str, BaseException] = field(default_factory=dict)
    started_at: float = 0.0
    finished_at: float = 0.0

    @property
    def succeeded(self) -> bool:
        return all(s.state is StepState.SUCCEEDED for s in self.states.values())

    def steps_in(self, state: StepState) -> list[str]:
        return [step for step, status in self.states.items() if status.state is state]


StepCallable = Callable[[StepContext], object]
EventCallback = Callable[[str, StepStatus], None]


def run_dag(
    graph: Graph,
    run_step: StepCallable,
    parallelism: int = 4,
    clock: Clock | None = None,
    *,
    policies: Mapping[str, RetryPolicy] | None = None,
    default_policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
    params: Mapping[str, object] | None = None,
    states: Mapping[str, StepStatus] | None = None,
    on_event: EventCallback | None = None,
) -> RunResult:
    """Run every step of ``graph`` with ``run_step``, at most ``parallelism`` at a time.

    A step fails when ``run_step`` raises; it is retried per its policy, and once it has
    failed for good everything downstream is skipped. ``states`` resumes a partial re-run
    (see :meth:`Scheduler.rerun_from`). Returns when no step can start any more.
    """
    coordinator = _Coordinator(
        graph,
        run_step,
        clock or SystemClock(),
        Scheduler(
            graph,
            parallelism=parallelism,
            policies=policies,
            default_policy=default_policy,
            rng=rng,
            states=states,
        ),
        params=dict(params or {}),
        on_event=on_event,
    )
    return coordinator.run()


class _Coordinator:
    """The state of one :func:`run_dag` call; every method runs on the coordinating thread
    except :meth:`work`, which runs on pool threads and only touches the completion queue."""

    def __init__(
        self,
        graph: Graph,
        run_step: StepCallable,
        clock: Clock,
        scheduler: Scheduler,
        *,
        params: Mapping[str, object],
        on_event: EventCallback | None,
    ) -> None:
        self.graph, self.run_step, self.clock, self.scheduler = graph, run_step, clock, scheduler
        self.params, self.on_event = params, on_event
        self.done: queue.Queue[tuple[str, int, bool, object]] = queue.Queue()
        self.inflight: dict[str, int] = {}
        self.results: dict[str, object] = {}
        self.errors: dict[str, BaseException] = {}

    def emit(self, step: str) -> None:
        if self.on_event is not None:
            self.on_event(step, self.scheduler.status(step))

    def work(self, context: StepContext) -> None:
        try:
            value = self.run_step(context)
        except BaseException as exc:  # reported, never lost: the coordinator waits for it
            self.done.put((context.step, context.attempt, False, exc))
        else:
            self.done.put((context.step, context.attempt, True, value))

    def apply(self, step: str, attempt: int, ok: bool, value: object) -> None:
        if self.inflight.get(step) != attempt:
            return  # late result of an attempt already recorded as timed out
        del self.inflight[step]
        now = self.clock.now()
        if ok:
            self.results[step] = value
            self.scheduler.succeed(step, now)
        else:
            exc = value if isinstance(value, BaseException) else RuntimeError(str(value))
            self.errors[step] = exc
            self.scheduler.fail(step, now, f"{type(exc).__name__}: {exc}")
            for skipped in self.graph.downstream([step]):
                if self.scheduler.status(skipped).state is StepState.SKIPPED:
                    self.emit(skipped)
        self.emit(step)

    def launch(self, pool: ThreadPoolExecutor) -> None:
        """Record overdue steps as failed, then start every ready step."""
        now = self.clock.now()
        for step in self.scheduler.overdue(now):
            self.inflight.pop(step, None)
            self.scheduler.fail(step, now, f"timed out after {self.scheduler.policy(step).timeout_s}s")
            self.emit(step)
        for step in self.scheduler.start_ready(now):
            attempt = self.scheduler.status(step).attempts
            timeout = self.scheduler.policy(step).timeout_s
            self.inflight[step] = attempt
            self.emit(step)
            deadline = now + timeout if timeout is not None else None
            pool.submit(self.work, StepContext(step, attempt, self.params, deadline))

    def wait(self) -> None:
        """Block until a completion arrives or the next retry/timeout is due."""
        wake = _next_deadline(self.scheduler)
        if not self.scheduler.running:
            if wake is not None:
                self.clock.sleep(max(0.0, wake - self.clock.now()))
            return
        try:
            item = self.done.get(timeout=None if wake is None else max(0.0, wake - self.clock.now()))
        except queue.Empty:
            return
        self.apply(*item)
        while True:  # drain what else completed meanwhile, then schedule once
            try:
                self.apply(*self.done.get_nowait())
            except queue.Empty:
                return

    def run(self) -> RunResult:
        started_at = self.clock.now()
        pool = ThreadPoolExecutor(max_workers=self.scheduler.parallelism, thread_name_prefix="ipwb-dag")
        try:
            while True:
                self.launch(pool)
                if self.scheduler.is_finished():
                    break
                self.wait()
        finally:
            # a timed-out step may still be running: let it finish in the background
            pool.shutdown(wait=False, cancel_futures=True)
        return RunResult(self.scheduler.snapshot(), self.results, self.errors, started_at, self.clock.now())


def _next_deadline(scheduler: Scheduler) -> float | None:
    """Earliest moment the coordinator must wake up without a completion: retry or timeout."""
    times = []
    wake = scheduler.next_wakeup()
    if wake is not None:
        times.append(wake)
    for step in scheduler.running:
        timeout, started = scheduler.policy(step).timeout_s, scheduler.status(step).started_at
        if timeout is not None and started is not None:
            times.append(started + timeout)
    return min(times, default=None)
