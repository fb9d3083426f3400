"""Lint and type checks as tests, so the one test command also guards style and types.

Each check runs the tool pinned in the virtualenv on the whole repository; a failure shows
the tool's own report.
"""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
BIN = pathlib.Path(sys.executable).parent
ADDONS = sorted(str(p.parent.relative_to(ROOT)) for p in ROOT.glob("addons/ipwb_*/__manifest__.py"))

CHECKS = {
    "ruff-lint": [str(BIN / "ruff"), "check", "."],
    "ruff-format": [str(BIN / "ruff"), "format", "--check", "."],
    "mypy-engine": [str(BIN / "mypy"), "ipwb"],
    "pylint-odoo-mandatory": [str(BIN / "pylint"), "--rcfile=.pylintrc-mandatory", *ADDONS],
    "addon-readme-fresh": [sys.executable, "setup/gen_addon_readme.py", "addons", "--check"],
}


@pytest.mark.parametrize("name", sorted(CHECKS))
def test_lint(name: str) -> None:
    result = subprocess.run(CHECKS[name], cwd=ROOT, capture_output=True, text=True, check=False)
    assert result.returncode == 0, f"{name} failed:\n{result.stdout}\n{result.stderr}"


def test_engine_never_imports_odoo() -> None:
    offenders = []
    for path in (ROOT / "ipwb").rglob("*.py"):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if stripped.startswith(("import odoo", "from odoo")):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {stripped}")
    assert not offenders, "the engine must not import Odoo:\n" + "\n".join(offenders)


def test_no_addon_file_is_huge() -> None:
    # ~400 lines per file is the convention; a bigger file wants splitting (or a reason here).
    allowed: set[str] = set()
    big = [
        f"{path.relative_to(ROOT)} ({count} lines)"
        for path in [*ROOT.glob("addons/*/models/*.py"), *ROOT.glob("ipwb/**/*.py")]
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > 450
        and str(path.relative_to(ROOT)) not in allowed
    ]
    assert not big, "files over 450 lines:\n" + "\n".join(big)
