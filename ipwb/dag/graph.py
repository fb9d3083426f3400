"""Immutable DAG of pipeline steps, validated as a whole.

Why a home-grown graph instead of networkx: pipelines are small (hundreds to a few thousand
steps), the engine must not pull a heavy dependency into Odoo workers, and validation must
report *every* problem at once (a canvas shows them all; a spec check lists them with line
numbers), which means the checks have to be written with that in mind anyway.

Edge direction: ``Node("b", deps=("a",))`` means *b depends on a*; data flows ``a → b``.
Cycle paths are printed in data-flow direction, e.g. ``a → b → c → a``.

What "unreachable" means here: every step of a DAG is reachable from some root, so that
notion is empty. The useful one is a step that **can never run**: it depends, directly or
transitively, on a *disabled* step or on a step caught in a cycle. Those are reported, one
problem per cause. Disconnected components (independent chains in one pipeline) are
legitimate — two extracts that are loaded side by side — so they are *not* a problem;
:meth:`Graph.components` exposes them for the canvas.
"""

from __future__ import annotations

import difflib
import heapq
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

from ipwb.errors import GraphError

#: how many step names a single aggregated problem lists before "…"
_LIST_LIMIT = 10


@dataclass(frozen=True, slots=True)
class Node:
    """One step: an id, the ids it depends on, and whether it is enabled."""

    id: str
    deps: tuple[str, ...] = ()
    enabled: bool = True


@dataclass(frozen=True, slots=True)
class Problem:
    """One validation problem; ``step`` is where to point (spec line, canvas node).

    ``code`` is stable for callers that translate or locate problems: ``empty_id``,
    ``duplicate_id``, ``self_dependency``, ``duplicate_dependency``, ``unknown_dependency``,
    ``cycle``, ``blocked_by_cycle``, ``blocked_by_disabled``. ``ref`` is the offending
    dependency id when there is one.
    """

    code: str
    message: str
    step: str
    ref: str | None = None

    def __str__(self) -> str:
        return self.message


def _names(ids: Sequence[str]) -> str:
    shown = ", ".join(repr(i) for i in ids[:_LIST_LIMIT])
    return shown + (f", … ({len(ids) - _LIST_LIMIT} more)" if len(ids) > _LIST_LIMIT else "")


def _check_ids(nodes: Sequence[Node]) -> list[Problem]:
    problems: list[Problem] = []
    counts = Counter(n.id for n in nodes)
    reported: set[str] = set()
    known = list(counts)
    for node in nodes:
        if not isinstance(node.id, str) or not node.id.strip():
            problems.append(Problem("empty_id", f"step id must be a non-empty string, got {node.id!r}", ""))
            continue
        if counts[node.id] > 1 and node.id not in reported:
            reported.add(node.id)
            problems.append(
                Problem("duplicate_id", f"duplicate step id {node.id!r} ({counts[node.id]} steps)", node.id)
            )
        for dep, times in Counter(node.deps).items():
            if dep == node.id:
                problems.append(
                    Problem("self_dependency", f"step {node.id!r} depends on itself", node.id, dep)
                )
            elif dep not in counts:
                hint = difflib.get_close_matches(dep, known, n=1)
                suffix = f" (did you mean {hint[0]!r}?)" if hint else ""
                problems.append(
                    Problem(
                        "unknown_dependency",
                        f"step {node.id!r} depends on unknown step {dep!r}{suffix}",
                        node.id,
                        dep,
                    )
                )
            if times > 1:
                problems.append(
                    Problem(
                        "duplicate_dependency",
                        f"step {node.id!r} lists dependency {dep!r} {times} times",
                        node.id,
                        dep,
                    )
                )
    return problems


def _strongly_connected(order: Sequence[str], deps: Mapping[str, Sequence[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative (deep chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    result: list[list[str]] = []
    counter = 0
    for root in order:
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(deps[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(deps[child])))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                result.append(component)
    return result


def _cycle_path(start: str, members: set[str], deps: Mapping[str, Sequence[str]]) -> list[str]:
    """A shortest cycle through ``start`` inside one strongly connected component (BFS)."""
    previous: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following: list[str] = []
        for node in frontier:
            for dep in deps[node]:
                if dep not in members:
                    continue
                if dep == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(previous[path[-1]])
                    # ``path`` runs back from node to start; reversed it reads start → … → node
                    return [*reversed(path), start]
                if dep not in previous:
                    previous[dep] = node
                    following.append(dep)
        frontier = following
    return [start, start]  # pragma: no cover - a component always has a cycle


def _check_cycles(
    order: Sequence[str], deps: Mapping[str, Sequence[str]]
) -> tuple[list[Problem], dict[str, set[str]]]:
    """One problem per strongly connected component; also returns {cycle start: members}."""
    position = {node: i for i, node in enumerate(order)}
    problems: list[Problem] = []
    cyclic: dict[str, set[str]] = {}
    components = [c for c in _strongly_connected(order, deps) if len(c) > 1]
    for component in sorted(components, key=lambda c: min(position[n] for n in c)):
        members = set(component)
        start = min(component, key=position.__getitem__)
        cyclic[start] = members
        # walk dependents → data-flow order: invert edges inside the component
        dependents: dict[str, list[str]] = {n: [] for n in component}
        for node in sorted(component, key=position.__getitem__):
            for dep in deps[node]:
                if dep in members:
                    dependents[dep].append(node)
        path = _cycle_path(start, members, dependents)
        message = "dependency cycle: " + " → ".join(path)
        others = sorted(members - set(path), key=position.__getitem__)
        if others:
            message += f" (also caught in it: {_names(others)})"
        # ref: the dependency of ``start`` that closes the cycle (where a spec points)
        problems.append(Problem("cycle", message, start, path[-2]))
    return problems, cyclic


def _blocked(
    order: Sequence[str], deps: Mapping[str, Sequence[str]], groups: Mapping[str, set[str]]
) -> dict[str, list[str]]:
    """For each group of source steps, the other steps that transitively depend on it."""
    dependents: dict[str, list[str]] = {n: [] for n in order}
    for node in order:
        for dep in deps[node]:
            dependents[dep].append(node)
    every_source = set().union(*groups.values()) if groups else set()
    result: dict[str, list[str]] = {}
    for label, sources in groups.items():
        seen: set[str] = set()
        todo = [d for s in sources for d in dependents[s]]
        while todo:
            node = todo.pop()
            if node in seen or node in every_source:
                continue
            seen.add(node)
            todo.extend(dependents[node])
        if seen:
            result[label] = [n for n in order if n in seen]
    return result


def validate_nodes(nodes: Iterable[Node]) -> list[Problem]:
    """Every problem of a would-be DAG, in a stable order; empty when the graph is valid.

    >>> [str(p) for p in validate_nodes([Node("a", ("c",)), Node("b", ("a",)), Node("c", ("b",))])]
    ['dependency cycle: a → b → c → a']
    >>> [str(p) for p in validate_nodes([Node("load", ("extrct",)), Node("extract")])]
    ["step 'load' depends on unknown step 'extrct' (did you mean 'extract'?)"]
    """
    node_list = list(nodes)
    problems = _check_ids(node_list)
    # the remaining checks run on the first definition of each id, known deps only
    first: dict[str, Node] = {}
    for node in node_list:
        if isinstance(node.id, str) and node.id.strip():
            first.setdefault(node.id, node)
    order = list(first)
    deps = {n: [d for d in dict.fromkeys(first[n].deps) if d in first and d != n] for n in order}
    cycle_problems, cycles = _check_cycles(order, deps)
    problems += cycle_problems
    cyclic = set().union(*cycles.values()) if cycles else set()
    for start, blocked in _blocked(order, deps, cycles).items():
        problems.append(
            Problem(
                "blocked_by_cycle",
                f"{len(blocked)} step(s) can never run because they depend on the cycle through "
                f"{start!r}: {_names(blocked)}",
                blocked[0],
                start,
            )
        )
    disabled = {n: {n} for n in order if not first[n].enabled}
    for source, blocked in _blocked(order, deps, disabled).items():
        enabled_blocked = [n for n in blocked if first[n].enabled and n not in cyclic]
        if enabled_blocked:
            problems.append(
                Problem(
                    "blocked_by_disabled",
                    f"step {source!r} is disabled, so {len(enabled_blocked)} enabled step(s) "
                    f"depending on it can never run: {_names(enabled_blocked)}",
                    enabled_blocked[0],
                    source,
                )
            )
    return problems


class Graph:
    """A validated, immutable DAG; construction raises :class:`GraphError` listing every problem.

    Iteration and :attr:`order` follow a deterministic topological order (among steps that
    are ready together, declaration order wins), so runs and canvases are reproducible.
    """

    __slots__ = ("_dependents", "_nodes", "_order", "_position")

    def __init__(self, nodes: Iterable[Node]) -> None:
        node_list = list(nodes)
        problems = validate_nodes(node_list)
        if problems:
            raise GraphError(f"invalid DAG: {len(problems)} problem(s)", [str(p) for p in problems])
        declared = {n.id: i for i, n in enumerate(node_list)}
        by_id = {n.id: Node(n.id, tuple(n.deps), n.enabled) for n in node_list}
        dependents: dict[str, list[str]] = {n: [] for n in by_id}
        for node in node_list:
            for dep in node.deps:
                dependents[dep].append(node.id)
        order = _topological(by_id, dependents, declared)
        self._nodes: Mapping[str, Node] = MappingProxyType({n: by_id[n] for n in order})
        self._order: tuple[str, ...] = tuple(order)
        self._position: Mapping[str, int] = MappingProxyType({n: i for i, n in enumerate(order)})
        self._dependents: Mapping[str, tuple[str, ...]] = MappingProxyType(
            {n: tuple(sorted(d, key=declared.__getitem__)) for n, d in dependents.items()}
        )

    @classmethod
    def from_mapping(cls, deps: Mapping[str, Iterable[str]]) -> Graph:
        """Shorthand for tests and benchmarks: ``{"b": ["a"], "a": []}``."""
        return cls(Node(step, tuple(d)) for step, d in deps.items())

    def __len__(self) -> int:
        return len(self._order)

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __contains__(self, step: object) -> bool:
        return step in self._nodes

    def __repr__(self) -> str:
        return f"<Graph {len(self)} steps>"

    @property
    def order(self) -> tuple[str, ...]:
        """Topological order: every step comes after all of its dependencies."""
        return self._order

    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes

    def position(self, step: str) -> int:
        """Index of ``step`` in :attr:`order` (a stable priority for schedulers)."""
        return self._position[step]

    def deps(self, step: str) -> tuple[str, ...]:
        return self._nodes[step].deps

    def dependents(self, step: str) -> tuple[str, ...]:
        return self._dependents[step]

    def roots(self) -> tuple[str, ...]:
        return tuple(n for n in self._order if not self._nodes[n].deps)

    def leaves(self) -> tuple[str, ...]:
        return tuple(n for n in self._order if not self._dependents[n])

    def downstream(self, steps: Iterable[str], *, include_self: bool = False) -> tuple[str, ...]:
        """Every step transitively depending on ``steps``, in topological order."""
        return self._closure(steps, self._dependents, include_self)

    def upstream(self, steps: Iterable[str], *, include_self: bool = False) -> tuple[str, ...]:
        """Every step ``steps`` transitively depend on, in topological order."""
        return self._closure(steps, {n: node.deps for n, node in self._nodes.items()}, include_self)

    def _closure(
        self, steps: Iterable[str], edges: Mapping[str, Sequence[str]], include_self: bool
    ) -> tuple[str, ...]:
        starts = list(steps)
        unknown = [s for s in starts if s not in self._nodes]
        if unknown:
            raise GraphError(f"unknown step(s): {_names(unknown)}")
        seen: set[str] = set(starts) if include_self else set()
        todo = [e for s in starts for e in edges[s]]
        while todo:
            node = todo.pop()
            if node not in seen:
                seen.add(node)
                todo.extend(edges[node])
        return tuple(n for n in self._order if n in seen)

    def generations(self) -> tuple[tuple[str, ...], ...]:
        """Steps grouped by longest distance from a root (canvas columns, benchmark layers)."""
        depth: dict[str, int] = {}
        for step in self._order:
            depth[step] = 1 + max((depth[d] for d in self._nodes[step].deps), default=-1)
        levels: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
        for step in self._order:
            levels[depth[step]].append(step)
        return tuple(tuple(level) for level in levels)

    def components(self) -> tuple[tuple[str, ...], ...]:
        """Weakly connected components (independent sub-pipelines), informational only."""
        seen: set[str] = set()
        result: list[tuple[str, ...]] = []
        for start in self._order:
            if start in seen:
                continue
            members: set[str] = set()
            todo = [start]
            while todo:
                node = todo.pop()
                if node in members:
                    continue
                members.add(node)
                todo.extend(self._nodes[node].deps)
                todo.extend(self._dependents[node])
            seen |= members
            result.append(tuple(n for n in self._order if n in members))
        return tuple(result)


def _topological(
    nodes: Mapping[str, Node], dependents: Mapping[str, Sequence[str]], declared: Mapping[str, int]
) -> list[str]:
    """Kahn's algorithm with a heap keyed by declaration index (deterministic order)."""
    missing = {n: len(set(node.deps)) for n, node in nodes.items()}
    heap = [(declared[n], n) for n, count in missing.items() if count == 0]
    heapq.heapify(heap)
    order: list[str] = []
    while heap:
        _, node = heapq.heappop(heap)
        order.append(node)
        for child in dict.fromkeys(dependents[node]):
            missing[child] -= 1
            if missing[child] == 0:
                heapq.heappush(heap, (declared[child], child))
    return order
