"""``ipwb bench pipeline``: the engine's DAG figures and, with ``--odoo-url``, a real run's.

The engine figures (:mod:`ipwb.bench.dag`) measure the scheduler alone; ``--odoo-url`` measures
what a step costs inside Odoo: an N-step no-op pipeline (server-action steps running
``ipwb_pipeline.noop``) is imported as a spec over JSON-RPC, validated, queued with "Run now",
and executed by the workbench's own run worker (its cron thread). The figures come from what
the worker recorded: the run's duration against the sum of its steps' durations — the
difference, per step, is the worker's overhead (claim, commits, state sync, heartbeat, cost
entries, logs; a step's recorded duration is its body's alone). The run's duration is taken to
the microsecond, and the machine's load average is printed with the figures (a shared machine's
figures mean little without it). Nothing is asserted on timings; a run that does not succeed is
an error.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from ipwb.bench.dag import bench_pipeline, random_layered_nodes
from ipwb.bench.figures import emit
from ipwb.bench.session import add_odoo_arguments, odoo_session
from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.integrations.odoo_rpc import OdooJsonRpc
from ipwb.specs.model import PipelineSpec, StepSpec
from ipwb.specs.validate import dumps

NOOP_ACTION = "ipwb_pipeline.noop"
FINISHED = ("succeeded", "failed", "cancelled")


@dataclass(frozen=True)
class OdooPipelineBenchmark:
    steps: int
    pipeline_id: int
    run_id: int
    state: str
    import_s: float
    validate_s: float
    queue_s: float
    pickup_s: float
    run_s: float
    steps_total_s: float
    #: the machine's load average (1, 5, 15 min) when the run was queued and when it ended:
    #: on a shared machine the figures mean little without it
    load_before: tuple[float, float, float] = (0.0, 0.0, 0.0)
    load_after: tuple[float, float, float] = (0.0, 0.0, 0.0)

    @property
    def per_step_s(self) -> float:
        return self.run_s / self.steps

    @property
    def overhead_per_step_s(self) -> float:
        return max(self.run_s - self.steps_total_s, 0.0) / self.steps

    @property
    def step_mean_s(self) -> float:
        return self.steps_total_s / self.steps

    def to_dict(self) -> dict[str, object]:
        return {
            "steps": self.steps,
            "pipeline_id": self.pipeline_id,
            "run_id": self.run_id,
            "state": self.state,
            "import_s": round(self.import_s, 4),
            "validate_s": round(self.validate_s, 4),
            "queue_s": round(self.queue_s, 4),
            "pickup_s": round(self.pickup_s, 4),
            "run_s": round(self.run_s, 4),
            "per_step_ms": round(self.per_step_s * 1e3, 3),
            "step_body_mean_ms": round(self.step_mean_s * 1e3, 3),
            "worker_overhead_per_step_ms": round(self.overhead_per_step_s * 1e3, 3),
            "load_before": [round(x, 2) for x in self.load_before],
            "load_after": [round(x, 2) for x in self.load_after],
        }

    def lines(self) -> list[str]:
        ms = 1e3
        return [
            f"through Odoo: {self.steps} no-op steps, run {self.run_id} {self.state}",
            f"spec import (JSON-RPC): {self.import_s * ms:.1f} ms, "
            f"validation: {self.validate_s * ms:.1f} ms, "
            f"Run now (queue + trigger): {self.queue_s * ms:.1f} ms",
            f"queued → picked up by the worker: {self.pickup_s:.0f} s (Odoo datetimes: whole seconds)",
            f"run duration: {self.run_s:.3f} s = {self.per_step_s * ms:.2f} ms per step",
            f"  step bodies {self.step_mean_s * ms:.2f} ms, "
            f"worker overhead {self.overhead_per_step_s * ms:.2f} ms per step",
            "load average (1/5/15 min) before "
            + "/".join(f"{x:.2f}" for x in self.load_before)
            + ", after "
            + "/".join(f"{x:.2f}" for x in self.load_after),
        ]


def noop_spec(steps: int, code: str, seed: int = 42) -> str:
    """A pipeline spec of ``steps`` no-op server-action steps in a random layered DAG."""
    nodes = random_layered_nodes(steps, seed=seed)
    specs = tuple(
        StepSpec(n.id, "server_action", depends_on=n.deps, config={"action": NOOP_ACTION}) for n in nodes
    )
    return dumps(PipelineSpec(code, "bench@localhost", description="ipwb bench pipeline", steps=specs))


def _seconds(start: str | bool, end: str | bool) -> float:
    """Seconds between two Odoo datetimes (``YYYY-MM-DD HH:MM:SS``, second precision)."""
    if not start or not end:
        return 0.0
    delta = dt.datetime.fromisoformat(str(end)) - dt.datetime.fromisoformat(str(start))
    return max(delta.total_seconds(), 0.0)


def bench_pipeline_odoo(
    rpc: OdooJsonRpc,
    steps: int,
    *,
    code: str = "ipwb_bench_pipeline",
    seed: int = 42,
    timeout_s: float = 600.0,
    poll_s: float = 0.2,
    drive: Callable[[], object] | None = None,
) -> OdooPipelineBenchmark:
    """Import, validate and run an N-step no-op pipeline on a logged-in workbench.

    The run is executed by the workbench's worker cron; ``drive`` (tests) is called while
    waiting, instead of sleeping, to run the worker where no cron thread exists.
    """
    if steps < 1:
        raise ConfigurationError("the Odoo pipeline benchmark needs at least 1 step")
    text = noop_spec(steps, code, seed)
    started = time.perf_counter()
    rpc.call("ipwb.pipeline", "import_spec_text", text, source=f"{code}.yaml")
    import_s = time.perf_counter() - started
    found = rpc.call("ipwb.pipeline", "search", [("code", "=", code)], limit=1)
    if not found:
        raise IntegrationError(f"the workbench did not create pipeline {code}")
    pipeline_id = int(found[0])
    started = time.perf_counter()
    rpc.call("ipwb.pipeline", "action_validate", [pipeline_id])
    validate_s = time.perf_counter() - started
    load_before = os.getloadavg()
    started = time.perf_counter()
    action = rpc.call("ipwb.pipeline", "action_run_now", [pipeline_id])
    queue_s = time.perf_counter() - started
    run_id = int((action or {}).get("res_id") or 0) if isinstance(action, dict) else 0
    if not run_id:
        raise IntegrationError(f"Run now on pipeline {code} queued no single run: {action!r}")
    deadline = time.monotonic() + timeout_s
    while True:
        (run,) = rpc.call(
            "ipwb.pipeline.run",
            "read",
            [run_id],
            ["state", "create_date", "date_start", "date_end", "duration"],
        )
        if run["state"] in FINISHED:
            break
        if time.monotonic() > deadline:
            raise IntegrationError(
                f"run {run_id} still {run['state']} after {timeout_s:g} s (is a cron worker up?)"
            )
        if drive is not None:
            drive()
        else:
            time.sleep(poll_s)
    load_after = os.getloadavg()
    step_runs = rpc.call(
        "ipwb.pipeline.step.run", "search_read", [("run_id", "=", run_id)], ["duration", "state"]
    )
    if run["state"] != "succeeded":
        failed = sorted({s["state"] for s in step_runs})
        raise IntegrationError(
            f"benchmark run {run_id} ended {run['state']} (step states: {', '.join(failed)})"
        )
    return OdooPipelineBenchmark(
        steps=len(step_runs),
        pipeline_id=pipeline_id,
        run_id=run_id,
        state=str(run["state"]),
        import_s=import_s,
        validate_s=validate_s,
        queue_s=queue_s,
        pickup_s=_seconds(run["create_date"], run["date_start"]),
        run_s=float(run["duration"] or 0.0),
        steps_total_s=sum(float(s["duration"] or 0.0) for s in step_runs),
        load_before=load_before,
        load_after=load_after,
    )


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    pipeline = benches.add_parser(
        "pipeline", help="validation time and engine overhead per step of a no-op DAG"
    )
    pipeline.add_argument("--nodes", type=int, default=1000, help="number of steps (default 1000)")
    pipeline.add_argument("--parallelism", type=int, default=8, help="worker threads (default 8)")
    pipeline.add_argument("--seed", type=int, default=42, help="random DAG seed (default 42)")
    pipeline.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    pipeline.add_argument("--json", action="store_true", help="print the figures as JSON")
    add_odoo_arguments(
        pipeline,
        url_help="also run an N-step no-op pipeline through a running workbench's worker (JSON-RPC)",
        login_help="a Data Engineer login",
    )
    pipeline.add_argument(
        "--odoo-steps", type=int, default=100, help="steps of the pipeline run through Odoo (default 100)"
    )
    pipeline.add_argument(
        "--odoo-timeout", type=float, default=600, help="seconds to wait for the run (default 600)"
    )
    pipeline.set_defaults(func=run_pipeline)


def run_pipeline(args: argparse.Namespace) -> int:
    if args.nodes < 1 or args.parallelism < 1 or args.repeat < 1:
        raise ConfigurationError("--nodes, --parallelism and --repeat must be at least 1")
    if args.odoo_url and args.odoo_steps < 1:
        raise ConfigurationError("--odoo-steps must be at least 1")
    # logged in (or refused) before any timing
    odoo = odoo_session(args)
    result = bench_pipeline(args.nodes, parallelism=args.parallelism, seed=args.seed, repeat=args.repeat)
    through = None
    if odoo is not None:
        through = bench_pipeline_odoo(odoo, args.odoo_steps, seed=args.seed, timeout_s=args.odoo_timeout)
    figures: dict[str, object] = asdict(result)
    if through is not None:
        figures["odoo"] = through.to_dict()
    emit(figures, as_json=args.json, lines=result.lines() + (through.lines() if through else []))
    return 0
