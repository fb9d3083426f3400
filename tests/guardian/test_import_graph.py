"""Guardian's modules import each other without a cycle, function-level imports included.

``rules.py`` used to import ``cycle.builtin_rules`` inside ``register_rule`` to dodge the
cycle ``cycle`` → ``rules`` → ``cycle``; the built-in rules are data now
(:mod:`ipwb.guardian.builtin`), read only by :mod:`ipwb.guardian.registry`.
"""

from __future__ import annotations

import ast
import pathlib

import ipwb.guardian

PACKAGE = "ipwb.guardian"
ROOT = pathlib.Path(ipwb.guardian.__file__).parent


def imports_of(path: pathlib.Path) -> set[str]:
    """The ipwb.guardian modules ``path`` imports anywhere in its body (not under TYPE_CHECKING)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {
        id(node)
        for branch in ast.walk(tree)
        if isinstance(branch, ast.If) and ast.unparse(branch.test) == "TYPE_CHECKING"
        for statement in branch.body
        for node in ast.walk(statement)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == PACKAGE:
                found |= {f"{PACKAGE}.{alias.name}" for alias in node.names}
            elif node.module.startswith(PACKAGE + "."):
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith(PACKAGE + ".")}
    modules = {f"{PACKAGE}.{p.stem}" for p in ROOT.glob("*.py") if p.stem != "__init__"}
    return found & modules


def test_guardian_modules_have_no_import_cycle() -> None:
    graph = {f"{PACKAGE}.{p.stem}": imports_of(p) for p in ROOT.glob("*.py") if p.stem != "__init__"}
    state: dict[str, str] = {}
    path: list[str] = []

    def visit(module: str) -> None:
        state[module] = "open"
        path.append(module)
        for target in sorted(graph[module]):
            assert state.get(target) != "open", "import cycle: " + " -> ".join([*path, target])
            if target not in state:
                visit(target)
        path.pop()
        state[module] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module)


def test_builtin_rules_are_read_by_the_registry_alone() -> None:
    readers = sorted(
        f"{PACKAGE}.{p.stem}"
        for p in ROOT.glob("*.py")
        if p.stem != "__init__" and f"{PACKAGE}.builtin" in imports_of(p)
    )
    assert readers == [f"{PACKAGE}.registry"]
