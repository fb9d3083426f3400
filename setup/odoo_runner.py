"""Run Odoo as a subprocess (install, update, uninstall, shell scripts) and judge the log.

``odoo-bin -i`` can log an ERROR (a failing data file, a broken view) and still exit 0,
so a run counts as failed when the exit code is non-zero OR any ERROR/CRITICAL line was
logged. Used by setup/odoo_install.py and by the integration tests.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Sequence

#: Odoo log line: "2026-01-01 00:00:00,000 1234 ERROR dbname logger: message"
LOG_LEVEL = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) ")


@dataclasses.dataclass
class OdooRun:
    command: list[str]
    returncode: int
    output: str

    @property
    def error_lines(self) -> list[str]:
        lines = []
        for line in self.output.splitlines():
            match = LOG_LEVEL.match(line)
            if match and match.group("level") in {"ERROR", "CRITICAL"}:
                lines.append(line)
        return lines

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.error_lines

    def explain(self) -> str:
        tail = "\n".join(self.output.splitlines()[-60:])
        return f"odoo exited {self.returncode} with {len(self.error_lines)} error line(s)\n{tail}"


def odoo_dir() -> str:
    path = os.environ.get("IPWB_ODOO_DIR") or os.environ.get("ODOO_PATH") or "/opt/odoo"
    if not os.path.isfile(os.path.join(path, "odoo-bin")):
        raise RuntimeError(f"no odoo-bin under {path}")
    return path


def run_odoo(
    config: str,
    database: str,
    *,
    install: Sequence[str] = (),
    update: Sequence[str] = (),
    extra: Sequence[str] = (),
    stdin: str | None = None,
    odoo_shell: bool = False,
    timeout: float = 1800,
) -> OdooRun:
    command = [sys.executable, os.path.join(odoo_dir(), "odoo-bin")]
    if odoo_shell:
        command.append("shell")
    command += ["-c", config, "-d", database, "--no-http", "--log-level=warn"]
    if not odoo_shell:
        command.append("--stop-after-init")
    if install:
        command += ["-i", ",".join(install)]
    if update:
        command += ["-u", ",".join(update)]
    command += list(extra)
    completed = subprocess.run(
        command,
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return OdooRun(command, completed.returncode, completed.stdout + completed.stderr)
