"""The doctests of pure helpers (ipwb.dag, ipwb.specs, ipwb.bench, ipwb.guardian.types) run with the suite."""

from __future__ import annotations

import doctest
import importlib

import pytest

from ipwb.bench.dag import random_layered_nodes
from ipwb.dag import Graph

MODULES = [
    "ipwb.dag.graph",
    "ipwb.dag.scheduler",
    "ipwb.dag.backfill",
    "ipwb.bench.dag",
    "ipwb.bench.figures",
    "ipwb.bench.cli",
    "ipwb.guardian.types",
    "ipwb.specs.yamlio",
    "ipwb.specs.schedule",
    "ipwb.specs.schemas",
    "ipwb.specs.semantic",
    "ipwb.specs.validate",
]


@pytest.mark.parametrize("name", MODULES)
def test_doctests(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
    assert result.attempted > 0


def test_benchmark_dag_is_deterministic_and_acyclic() -> None:
    nodes = random_layered_nodes(1000, seed=7)
    assert nodes == random_layered_nodes(1000, seed=7)
    assert nodes != random_layered_nodes(1000, seed=8)
    assert len(Graph(nodes)) == 1000
