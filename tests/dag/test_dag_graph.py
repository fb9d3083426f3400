"""Graph validation reports every problem, names cycles, and orders steps deterministically."""

from __future__ import annotations

import random

import pytest

from ipwb.dag import Graph, Node, validate_nodes
from ipwb.errors import GraphError


def codes(nodes: list[Node]) -> list[str]:
    return [p.code for p in validate_nodes(nodes)]


def test_cycle_refused_with_the_cycle_named() -> None:
    with pytest.raises(GraphError) as exc:
        Graph.from_mapping({"extract": [], "a": ["extract", "c"], "b": ["a"], "c": ["b"]})
    assert exc.value.problems == ["dependency cycle: a → b → c → a"]
    assert "a → b → c → a" in str(exc.value)


def test_two_cycles_and_their_blocked_downstream_are_all_reported() -> None:
    problems = validate_nodes(
        [
            Node("a", ("b",)),
            Node("b", ("a",)),
            Node("x", ("y",)),
            Node("y", ("x",)),
            Node("after", ("b",)),
            Node("later", ("after",)),
        ]
    )
    messages = [str(p) for p in problems]
    assert "dependency cycle: a → b → a" in messages
    assert "dependency cycle: x → y → x" in messages
    blocked = [p for p in problems if p.code == "blocked_by_cycle"]
    assert len(blocked) == 1
    assert "'after', 'later'" in blocked[0].message


def test_cycle_in_a_bigger_strongly_connected_group_mentions_the_others() -> None:
    problems = validate_nodes(
        [Node("a", ("c",)), Node("b", ("a",)), Node("c", ("b", "d")), Node("d", ("c",))]
    )
    assert len(problems) == 1
    assert problems[0].message.startswith("dependency cycle: a → b → c → a")
    assert "'d'" in problems[0].message


def test_unknown_dependency_with_suggestion() -> None:
    problems = validate_nodes([Node("extract"), Node("load", ("extrakt", "nowhere"))])
    assert [str(p) for p in problems] == [
        "step 'load' depends on unknown step 'extrakt' (did you mean 'extract'?)",
        "step 'load' depends on unknown step 'nowhere'",
    ]
    assert problems[0].step == "load" and problems[0].ref == "extrakt"


def test_duplicates_self_dependency_and_empty_ids_are_all_collected() -> None:
    found = codes([Node("a"), Node("a"), Node("b", ("b",)), Node("c", ("a", "a")), Node("")])
    assert sorted(found) == ["duplicate_dependency", "duplicate_id", "empty_id", "self_dependency"]


def test_steps_behind_a_disabled_step_cannot_run() -> None:
    problems = validate_nodes(
        [Node("a"), Node("b", ("a",), enabled=False), Node("c", ("b",)), Node("d", ("c",)), Node("e", ("a",))]
    )
    assert [p.code for p in problems] == ["blocked_by_disabled"]
    assert "'b' is disabled" in problems[0].message
    assert "'c', 'd'" in problems[0].message


def test_disabled_leaf_and_disconnected_components_are_fine() -> None:
    nodes = [Node("a"), Node("b", ("a",), enabled=False), Node("x"), Node("y", ("x",))]
    assert validate_nodes(nodes) == []
    assert Graph(nodes).components() == (("a", "b"), ("x", "y"))


def test_graph_error_lists_every_problem() -> None:
    with pytest.raises(GraphError) as exc:
        Graph([Node("a", ("missing",)), Node("b", ("b",)), Node("c", ("d",)), Node("d", ("c",))])
    assert len(exc.value.problems) == 3


def test_topological_order_is_valid_and_deterministic() -> None:
    rng = random.Random(7)
    ids = [f"s{i}" for i in range(300)]
    deps = {s: sorted(rng.sample(ids[:i], min(i, rng.randint(0, 4)))) for i, s in enumerate(ids)}
    shuffled = list(deps.items())
    rng.shuffle(shuffled)
    graph = Graph(Node(s, tuple(d)) for s, d in shuffled)
    position = {s: i for i, s in enumerate(graph.order)}
    assert all(position[d] < position[s] for s, ds in deps.items() for d in ds)
    assert Graph(Node(s, tuple(d)) for s, d in shuffled).order == graph.order


def test_declaration_order_breaks_ties() -> None:
    graph = Graph.from_mapping({"z": [], "a": [], "m": ["z"]})
    assert graph.order == ("z", "a", "m")


def test_navigation_helpers() -> None:
    graph = Graph.from_mapping({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"], "e": []})
    assert graph.roots() == ("a", "e")
    assert graph.leaves() == ("d", "e")
    assert graph.dependents("a") == ("b", "c")
    assert graph.downstream(["b"]) == ("d",)
    assert graph.downstream(["b"], include_self=True) == ("b", "d")
    assert graph.upstream(["d"]) == ("a", "b", "c")
    assert graph.generations() == (("a", "e"), ("b", "c"), ("d",))
    assert len(graph) == 5 and "a" in graph and "q" not in graph
    with pytest.raises(GraphError, match="unknown step"):
        graph.downstream(["q"])


def test_graph_is_immutable() -> None:
    graph = Graph.from_mapping({"a": []})
    with pytest.raises(TypeError):
        graph.nodes["b"] = Node("b")  # type: ignore[index]
    with pytest.raises(AttributeError):
        graph.x = 1  # type: ignore[attr-defined]


def test_deep_chain_does_not_hit_the_recursion_limit() -> None:
    n = 5000
    mapping = {f"s{i}": [f"s{i - 1}"] if i else [] for i in range(n)}
    assert len(Graph.from_mapping(mapping)) == n
    mapping["s0"] = [f"s{n - 1}"]
    problems = validate_nodes(Node(s, tuple(d)) for s, d in mapping.items())
    assert problems[0].code == "cycle" and problems[0].message.endswith("→ s0")
