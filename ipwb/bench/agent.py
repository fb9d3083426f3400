"""``ipwb bench agent``: p50/p90 latency and per-step runtime overhead of a 3-tool agent."""

from __future__ import annotations

import argparse
from dataclasses import asdict

from ipwb.bench.figures import emit
from ipwb.errors import ConfigurationError


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    agent = benches.add_parser("agent", help="time a 3-tool LangGraph agent against a loopback model")
    agent.add_argument("--runs", type=int, default=50, help="agent runs (default 50)")
    agent.add_argument(
        "--dsn", help="checkpoint in PostgreSQL (schema ipwb_agent_state, created) instead of memory"
    )
    agent.add_argument("--json", action="store_true", help="print the figures as JSON")
    agent.set_defaults(func=run_agent_bench)


def run_agent_bench(args: argparse.Namespace) -> int:
    if args.runs < 1:
        raise ConfigurationError("--runs must be at least 1")
    # imported here: LangGraph and LiteLLM load only for this benchmark
    from ipwb.bench.agent_engine import bench_agent  # noqa: PLC0415
    from ipwb.llm.agents.checkpoint import CheckpointStore, install  # noqa: PLC0415

    store = None
    if args.dsn:
        install(args.dsn)
        store = CheckpointStore(args.dsn)
    try:
        result = bench_agent(args.runs, store.saver() if store else None)
    finally:
        if store:
            store.close()
    emit(asdict(result), as_json=args.json, lines=result.lines())
    return 0
