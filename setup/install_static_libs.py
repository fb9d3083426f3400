"""Copy front-end libraries from node_modules into the addons' static/lib folders.

Usage: install_static_libs.py NODE_MODULES_DIR

The libraries come from the npm registry at setup time (setup/npm/package.json, locked by
package-lock.json) and are never committed: addons/*/static/lib/ is gitignored. Each entry
maps a file or folder of a package to the addon that serves it; the lowest addon in the
dependency graph that needs a library owns it (dagre serves both the catalog's lineage
graph and the pipeline canvas, so it lives in ipwb_catalog).
"""

from __future__ import annotations

import filecmp
import pathlib
import shutil
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: (source inside node_modules, destination inside addons/)
STATIC_LIBS: tuple[tuple[str, str], ...] = (
    ("@dagrejs/dagre/dist/dagre.min.js", "ipwb_catalog/static/lib/dagre/dagre.min.js"),
    ("@dagrejs/dagre/LICENSE", "ipwb_catalog/static/lib/dagre/LICENSE"),
    ("monaco-editor/min", "ipwb_sql_editor/static/lib/monaco/min"),
    ("monaco-editor/LICENSE", "ipwb_sql_editor/static/lib/monaco/LICENSE"),
)


def _copy_file(source: pathlib.Path, target: pathlib.Path) -> bool:
    if target.is_file() and filecmp.cmp(source, target, shallow=False):
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    return True


def install(node_modules: pathlib.Path) -> int:
    copied = 0
    for source_name, target_name in STATIC_LIBS:
        source = node_modules / source_name
        target = ROOT / "addons" / target_name
        if not source.exists():
            raise SystemExit(
                f"install_static_libs: {source} is missing; is setup/npm/package.json installed?"
            )
        if source.is_dir():
            for path in source.rglob("*"):
                if path.is_file():
                    copied += _copy_file(path, target / path.relative_to(source))
        else:
            copied += _copy_file(source, target)
    return copied


if __name__ == "__main__":
    count = install(pathlib.Path(sys.argv[1]))
    print(f"static libraries up to date ({count} file(s) copied)")
