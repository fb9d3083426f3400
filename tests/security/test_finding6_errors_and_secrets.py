"""Issue #19 finding 6: bad input gets a clear refusal, secrets are not printed.

- the SQL editor service refuses an absurd or malformed ``offset`` with a UserError (never a
  traceback class such as OverflowError or ValueError reaching the client);
- the SQL editor does not list the server's sessions, roles and databases (pg_stat_activity,
  pg_roles, pg_database): the run is refused or fails, with no row;
- setup/run.sh never prints the admin password: no printing command of the script expands it
  (directly or through a variable copied from it), and its banner, run with a known password,
  does not show it.
"""

from __future__ import annotations

import pathlib
import re
import subprocess

import pytest

from .conftest import Workbench
from .workbench import USER_ERROR, VALIDATION_ERROR

ROOT = pathlib.Path(__file__).resolve().parents[2]
RUN_SH = ROOT / "setup" / "run.sh"
SECRET = "IPWB_ODOO_ADMIN_PASSWORD"
PRINTING = {"printf", "echo", "log", "warn", "die", "info", "cat", "tee"}
ASSIGNMENT = re.compile(r"^\s*(?:export\s+|local\s+|readonly\s+|declare\s+\S+\s+)?([A-Za-z_]\w*)=(.*)$")


@pytest.mark.odoo
@pytest.mark.parametrize("offset", [10**12, 10**30, "not-a-number"])
def test_sql_editor_refuses_a_bad_offset_with_a_user_error(workbench: Workbench, offset: object) -> None:
    client = workbench.as_role("user")
    error = client.error_of("ipwb.sql.service", "run", sql="SELECT 1", offset=offset)
    assert error is not None, f"offset={offset!r} was accepted"
    assert error.name in (USER_ERROR, VALIDATION_ERROR), f"offset={offset!r} answered {error.name}"


@pytest.mark.odoo
@pytest.mark.parametrize("catalog", ["pg_stat_activity", "pg_roles", "pg_database"])
def test_sql_editor_does_not_list_server_catalogs(workbench: Workbench, catalog: str) -> None:
    result = workbench.as_role("user").call(
        "ipwb.sql.service", "run", sql=f"SELECT * FROM pg_catalog.{catalog}"
    )
    assert result["status"] in ("refused", "error"), f"the editor lists {catalog}: {result.get('rows')}"
    assert not result.get("rows"), result


def _logical_lines(text: str) -> list[str]:
    """Lines with backslash continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line for line in joined.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _references(line: str, names: set[str]) -> set[str]:
    return {name for name in names if re.search(rf"\$\{{?{name}\b", line)}


def test_run_sh_prints_no_printing_command_expanding_the_admin_password() -> None:
    lines = _logical_lines(RUN_SH.read_text())
    tainted = {SECRET}
    changed = True
    while changed:  # variables holding (part of) the secret
        changed = False
        for line in lines:
            match = ASSIGNMENT.match(line)
            if match and match.group(1) not in tainted and _references(match.group(2), tainted):
                tainted.add(match.group(1))
                changed = True
    assert not any(re.search(r"\bset\s+-[a-z]*x", line) for line in lines), (
        "run.sh traces its commands (set -x)"
    )
    leaking = []
    for line in lines:
        for command in re.split(r"\|\||&&|[;|]|\$\(", line):
            words = command.split()
            if words and words[0].lstrip("({") in PRINTING and _references(command, tainted):
                leaking.append(line.strip())
    assert not leaking, f"setup/run.sh prints the admin password: {leaking}"


def test_run_sh_banner_does_not_show_the_admin_password() -> None:
    text = RUN_SH.read_text()
    banner = re.search(r"^banner\(\)\s*\{.*?^\}", text, re.S | re.M)
    if banner is None:  # no banner function any more: the static check above covers the script
        return
    secret = "Sec-Suite-Canary-7c1e"
    env = {
        "PATH": "/usr/bin:/bin",
        SECRET: secret,
        "http_port": "8069",
        "odoo_db": "ipwb",
        "warehouse_db": "w",
    }
    done = subprocess.run(
        ["bash", "-c", banner.group(0) + "\nbanner"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert secret not in done.stdout + done.stderr, "the banner prints the admin password"
