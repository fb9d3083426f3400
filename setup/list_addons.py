"""Print the installable ipwb_* addons of a folder, comma-separated, dependencies first.

Usage: list_addons.py ADDONS_DIR
"""

from __future__ import annotations

import ast
import pathlib
import sys


def installable_addons(addons_dir: pathlib.Path) -> list[str]:
    manifests = {}
    for manifest_path in sorted(addons_dir.glob("ipwb_*/__manifest__.py")):
        manifest = ast.literal_eval(manifest_path.read_text(encoding="utf-8"))
        if manifest.get("installable", True):
            manifests[manifest_path.parent.name] = manifest.get("depends", [])
    ordered: list[str] = []

    def visit(name: str, trail: tuple[str, ...] = ()) -> None:
        if name in ordered or name not in manifests:
            return
        if name in trail:
            raise SystemExit(f"dependency cycle: {' -> '.join((*trail, name))}")
        for dependency in manifests[name]:
            visit(dependency, (*trail, name))
        ordered.append(name)

    for name in manifests:
        visit(name)
    return ordered


if __name__ == "__main__":
    print(",".join(installable_addons(pathlib.Path(sys.argv[1]))))
