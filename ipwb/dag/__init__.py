"""DAG engine: graph model and validation, ready-set scheduling, retries, backfill, executor.

Pure logic, no Odoo and no sleeping in the decisions: the ``ipwb_pipeline`` addon persists
step states and drives :class:`Scheduler` (or :func:`ready_steps`) from cron workers;
:func:`run_dag` is the in-process executor used by the CLI and the benchmark.
"""

from ipwb.dag.backfill import GRANULARITIES, expand_backfill
from ipwb.dag.executor import Clock, RunResult, StepContext, SystemClock, run_dag
from ipwb.dag.graph import Graph, Node, Problem, validate_nodes
from ipwb.dag.scheduler import FINAL_STATES, RetryPolicy, Scheduler, StepState, StepStatus, ready_steps

__all__ = [
    "FINAL_STATES",
    "GRANULARITIES",
    "Clock",
    "Graph",
    "Node",
    "Problem",
    "RetryPolicy",
    "RunResult",
    "Scheduler",
    "StepContext",
    "StepState",
    "StepStatus",
    "SystemClock",
    "expand_backfill",
    "ready_steps",
    "run_dag",
    "validate_nodes",
]
