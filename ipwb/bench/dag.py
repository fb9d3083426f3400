"""``ipwb bench pipeline``: how long validating and scheduling a big DAG takes.

Why measure both the graph and the spec: the canvas validates on every edit and CI validates
every spec file, so spec validation time is user-facing; per-step engine overhead tells how
much of a run's duration is the scheduler rather than the steps. Figures are printed, never
asserted (timings depend on the machine).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from ipwb.dag.executor import StepContext, run_dag
from ipwb.dag.graph import Graph, Node
from ipwb.dag.scheduler import Scheduler


def random_layered_nodes(
    nodes: int, *, layers: int | None = None, max_deps: int = 3, seed: int = 42
) -> list[Node]:
    """A deterministic random DAG: ``nodes`` steps in ``layers`` layers (default √nodes);
    each step outside the first layer depends on 1 … ``max_deps`` steps of the two layers
    above it, so there are no cycles by construction.

    >>> [n.deps for n in random_layered_nodes(4, layers=2, seed=1)]
    [(), (), ('s0000',), ('s0000', 's0001')]
    """
    rng = random.Random(seed)  # noqa: S311 - reproducible test data, not security
    layer_count = max(1, min(nodes, layers or round(nodes**0.5)))
    ids = [f"s{i:04d}" for i in range(nodes)]
    bounds = [round(i * nodes / layer_count) for i in range(layer_count + 1)]
    result: list[Node] = []
    for layer in range(layer_count):
        pool = ids[bounds[max(0, layer - 2)] : bounds[layer]]
        for step in ids[bounds[layer] : bounds[layer + 1]]:
            deps = tuple(sorted(rng.sample(pool, min(len(pool), rng.randint(1, max_deps))))) if pool else ()
            result.append(Node(step, deps))
    return result


@dataclass(frozen=True)
class PipelineBenchmark:
    nodes: int
    edges: int
    layers: int
    validate_s: float
    spec_validate_s: float
    schedule_per_step_s: float
    run_per_step_s: float
    parallelism: int

    def lines(self) -> list[str]:
        per = 1e6
        return [
            f"DAG: {self.nodes} steps, {self.edges} dependencies, {self.layers} layers "
            f"(random layered, parallelism {self.parallelism})",
            f"graph validation + topological order: {self.validate_s * 1e3:.2f} ms",
            f"spec validation (YAML → typed spec, schema + semantics): {self.spec_validate_s * 1e3:.2f} ms",
            f"scheduler overhead per step (pure state machine): {self.schedule_per_step_s * per:.1f} µs",
            f"engine overhead per step (run_dag, threads, no-op steps): {self.run_per_step_s * per:.1f} µs",
        ]


def _spec_text(nodes: list[Node]) -> str:
    from ipwb.specs.model import PipelineSpec, StepSpec  # noqa: PLC0415 - the DAG layer stays spec-free
    from ipwb.specs.validate import dumps  # noqa: PLC0415

    steps = tuple(
        StepSpec(n.id, "server_action", depends_on=n.deps, config={"action": "ipwb_pipeline.noop"})
        for n in nodes
    )
    return dumps(PipelineSpec("bench_pipeline", "bench@localhost", steps=steps))


def bench_pipeline(
    nodes: int = 1000, *, parallelism: int = 8, seed: int = 42, repeat: int = 3
) -> PipelineBenchmark:
    """Best of ``repeat`` timings of each phase on the same deterministic DAG."""
    from ipwb.specs.validate import loads  # noqa: PLC0415

    node_list = random_layered_nodes(nodes, seed=seed)
    text = _spec_text(node_list)

    def best(action: object) -> float:
        timings = []
        for _ in range(repeat):
            started = time.perf_counter()
            action()  # type: ignore[operator]
            timings.append(time.perf_counter() - started)
        return min(timings)

    graph = Graph(node_list)
    validate_s = best(lambda: Graph(node_list))
    spec_validate_s = best(lambda: loads(text, "pipeline", "bench_pipeline.yaml"))

    def schedule_only() -> None:
        scheduler = Scheduler(graph, parallelism=parallelism)
        while not scheduler.is_finished():
            for step in scheduler.start_ready(0.0):
                scheduler.succeed(step, 0.0)

    def noop(context: StepContext) -> None:
        return None

    schedule_s = best(schedule_only)
    run_s = best(lambda: run_dag(graph, noop, parallelism=parallelism))
    return PipelineBenchmark(
        nodes=len(graph),
        edges=sum(len(n.deps) for n in node_list),
        layers=len(graph.generations()),
        validate_s=validate_s,
        spec_validate_s=spec_validate_s,
        schedule_per_step_s=schedule_s / len(graph),
        run_per_step_s=run_s / len(graph),
        parallelism=parallelism,
    )
