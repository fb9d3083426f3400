"""Write the image's runtime requirements: setup/requirements.txt minus the development tools,
plus Odoo's requirements minus the pins setup/common.sh also drops (the stack needs them newer).

Usage: image_requirements.py ODOO_DIR OUTPUT

Versions still come from setup/constraints.txt (pip ``-c``), so the image runs exactly the
versions the test suite runs.
"""

from __future__ import annotations

import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]

#: Installed by setup/ for tests, lint and type checks; never needed by a running server.
DEVELOPMENT_ONLY = frozenset(
    {
        "pytest",
        "pytest-odoo",
        "odoo-test-helper",
        "hypothesis",
        "websocket-client",
        "ruff",
        "mypy",
        "types-pyyaml",
        "types-requests",
        "types-psycopg2",
        "pylint-odoo",
        "pre-commit",
        "kubernetes-validate",
    }
)
#: Same list as odoo_requirements_filtered in setup/common.sh.
ODOO_PINS_DROPPED = frozenset({"jinja2", "requests", "urllib3", "idna", "cbor2"})

_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def requirement_name(line: str) -> str | None:
    """Normalised project name of a requirement line, None for blanks and comments.

    >>> requirement_name("psycopg[binary]>=3.2,<4")
    'psycopg'
    >>> requirement_name("Types_PyYAML") , requirement_name("# tests")
    ('types-pyyaml', None)
    """
    match = _NAME.match(line.split("#", 1)[0])
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else None


def runtime_lines(path: pathlib.Path, dropped: frozenset[str]) -> list[str]:
    lines = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = requirement_name(line)
        if name is not None and name not in dropped:
            lines.append(line.strip())
    return lines


def main(odoo_dir: str, output: str) -> None:
    lines = runtime_lines(ROOT / "setup" / "requirements.txt", DEVELOPMENT_ONLY)
    lines += runtime_lines(pathlib.Path(odoo_dir) / "requirements.txt", ODOO_PINS_DROPPED)
    pathlib.Path(output).write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
