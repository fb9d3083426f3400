"""Run a dbt step: ``dbt build|run|test|seed|snapshot --select …`` on a project directory.

dbt runs in a **subprocess** (``python -m dbt.cli.main``): it configures global logging and
adapters on import, which must not leak into an Odoo worker, and a subprocess can be
stopped at the step timeout. The profile is generated into a temporary directory and reads
the password from the environment (``env_var``), so no secret is ever written to disk.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.warehouse.connection import WarehouseConfig

DBT_COMMANDS = ("build", "run", "test", "seed", "snapshot")
_PASSWORD_ENV = "IPWB_DBT_PASSWORD"  # noqa: S105 (a variable name, not a secret)


class DbtStepError(IpwbError):
    """dbt exited non-zero, timed out, or could not start; ``log`` keeps its output."""

    def __init__(self, message: str, log: str = "") -> None:
        super().__init__(message)
        self.log = log


@dataclass(frozen=True)
class DbtResult:
    command: list[str]
    returncode: int
    duration_s: float
    log: str


def profile_yaml(config: WarehouseConfig, schema: str, threads: int = 1) -> str:
    """A ``profiles.yml`` for profile ``ipwb`` (password via ``env_var``, never inline)."""
    output = {
        "type": "postgres",
        "host": config.host,
        "port": config.port,
        "user": config.user,
        "password": "{{ env_var('" + _PASSWORD_ENV + "') }}",
        "dbname": config.dbname,
        "schema": schema,
        "threads": threads,
    }
    return yaml.safe_dump({"ipwb": {"target": "ipwb", "outputs": {"ipwb": output}}}, sort_keys=False)


def run_dbt(
    project_dir: str | os.PathLike[str],
    config: WarehouseConfig,
    *,
    command: str = "build",
    select: str = "",
    schema: str = "silver",
    full_refresh: bool = False,
    timeout_s: float = 3600,
    variables: dict[str, object] | None = None,
) -> DbtResult:
    """Run dbt on ``project_dir`` (whose ``dbt_project.yml`` must use profile ``ipwb``)."""
    if command not in DBT_COMMANDS:
        raise ConfigurationError(f"dbt command must be one of {', '.join(DBT_COMMANDS)}, not {command!r}")
    project = Path(project_dir)
    if not (project / "dbt_project.yml").is_file():
        raise ConfigurationError(f"{project} is not a dbt project (no dbt_project.yml)")
    with tempfile.TemporaryDirectory(prefix="ipwb-dbt-") as work:
        Path(work, "profiles.yml").write_text(profile_yaml(config, schema), encoding="utf-8")
        argv = [sys.executable, "-m", "dbt.cli.main", command, "--project-dir", str(project)]
        argv += ["--profiles-dir", work, "--target-path", str(Path(work, "target"))]
        argv += ["--log-path", str(Path(work, "logs")), "--no-use-colors", "--no-partial-parse"]
        if select:
            argv += ["--select", select]
        if full_refresh and command in ("build", "run", "seed"):
            argv.append("--full-refresh")
        if variables:
            argv += ["--vars", yaml.safe_dump(variables, default_flow_style=True).strip()]
        env = {**os.environ, _PASSWORD_ENV: config.password, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        started = time.perf_counter()
        try:
            done = subprocess.run(  # noqa: S603 (fixed argv, no shell)
                argv, capture_output=True, text=True, timeout=timeout_s, env=env, check=False, cwd=work
            )
        except subprocess.TimeoutExpired as exc:
            out = exc.stdout if isinstance(exc.stdout, str) else ""
            raise DbtStepError(f"dbt {command} ran past the step timeout of {timeout_s:g} s", out) from None
        log = (done.stdout + done.stderr).strip()
        if done.returncode != 0:
            raise DbtStepError(f"dbt {command} failed (exit {done.returncode})", log)
        return DbtResult(argv[3:], done.returncode, time.perf_counter() - started, log)
