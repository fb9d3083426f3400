"""Run a dbt step: ``dbt build|run|test|seed|snapshot --select …`` on a project directory.

dbt runs in a **subprocess** (``python -m dbt.cli.main``): it configures global logging and
adapters on import, which must not leak into an Odoo worker, and a subprocess can be
stopped at the step timeout. The profile is generated into a temporary directory and reads
the password from the environment (``env_var``), so no secret is ever written to disk.

dbt's artifacts (``manifest.json``, ``run_results.json``) are written into that temporary
directory too and read back before it goes: :class:`DbtResult` carries the manifest (for
lineage, :func:`ipwb.dbt.lineage.manifest_lineage`), the per-node results and the rows the
models wrote; a failed run's :class:`DbtStepError` names the nodes that failed.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import ConfigurationError, IpwbError
from ipwb.warehouse.connection import WarehouseConfig

DBT_COMMANDS = ("build", "run", "test", "seed", "snapshot")
_PASSWORD_ENV = "IPWB_DBT_PASSWORD"  # noqa: S105 (a variable name, not a secret)
#: node types whose run writes a relation (tests only read)
_WRITERS = ("model", "seed", "snapshot")
#: dbt's error lines: "Compilation Error …", "Parsing Error …", "Failure in test …" and the like
_ERROR_LINE = re.compile(r"^(?:\d\d:\d\d:\d\d\s+)?((?:\w+ )?(?:Error|Failure)\b.*)$")


class DbtStepError(IpwbError):
    """dbt exited non-zero, timed out, or could not start; ``log`` keeps its output and
    ``nodes`` the per-node results dbt reported (possibly empty)."""

    def __init__(self, message: str, log: str = "", nodes: tuple[DbtNodeStatus, ...] = ()) -> None:
        super().__init__(message)
        self.log = log
        self.nodes = nodes


@dataclass(frozen=True)
class DbtNodeStatus:
    """One node of ``run_results.json``: ``model.proj.name``, success/pass/fail/error/skipped."""

    unique_id: str
    status: str
    rows_affected: int | None = None
    message: str = ""


@dataclass(frozen=True)
class DbtResult:
    command: list[str]
    returncode: int
    duration_s: float
    log: str
    manifest: dict[str, Any] | None = field(default=None, repr=False)
    nodes: tuple[DbtNodeStatus, ...] = ()

    @property
    def rows_affected(self) -> int:
        """Rows the models/seeds/snapshots of the run wrote (as the adapter reported them)."""
        return sum(n.rows_affected or 0 for n in self.nodes if n.unique_id.split(".")[0] in _WRITERS)

    @property
    def built(self) -> tuple[str, ...]:
        """Unique ids of the relations this run built successfully."""
        return tuple(
            n.unique_id for n in self.nodes if n.unique_id.split(".")[0] in _WRITERS and n.status == "success"
        )


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
        target = Path(work, "target")
        nodes = _node_statuses(_read_json(target / "run_results.json"))
        if done.returncode != 0:
            raise DbtStepError(_failure_message(command, done.returncode, log, nodes), log, nodes)
        manifest = _read_json(target / "manifest.json")
        return DbtResult(argv[3:], done.returncode, time.perf_counter() - started, log, manifest, nodes)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        value = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def _node_statuses(run_results: dict[str, Any] | None) -> tuple[DbtNodeStatus, ...]:
    """The per-node results of ``run_results.json`` (empty when dbt wrote none)."""
    statuses = []
    for entry in (run_results or {}).get("results") or []:
        response = entry.get("adapter_response") or {}
        rows = response.get("rows_affected")
        statuses.append(
            DbtNodeStatus(
                unique_id=str(entry.get("unique_id", "")),
                status=str(entry.get("status", "")),
                rows_affected=rows if isinstance(rows, int) else None,
                message=str(entry.get("message") or ""),
            )
        )
    return tuple(statuses)


def _failure_message(command: str, returncode: int, log: str, nodes: tuple[DbtNodeStatus, ...]) -> str:
    """What failed, in one line: the failed nodes, else dbt's error (kind and first detail)."""
    failed = [n for n in nodes if n.status in ("fail", "error")]
    if failed:
        named = "; ".join(
            f"{_node_name(n.unique_id)} ({n.status}{': ' + n.message if n.message else ''})"
            for n in failed[:5]
        )
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        return f"dbt {command} failed: {named}{more}"
    lines = [line.strip() for line in log.splitlines()]
    for index, line in enumerate(lines):
        if line.endswith("Encountered an error:"):
            detail = [text for text in lines[index + 1 : index + 4] if text][:2]
            if detail:
                return f"dbt {command} failed (exit {returncode}): {': '.join(detail)[:400]}"
    for line in lines:
        match = _ERROR_LINE.match(line)
        if match:
            return f"dbt {command} failed (exit {returncode}): {match.group(1)[:400]}"
    return f"dbt {command} failed (exit {returncode})"


def _node_name(unique_id: str) -> str:
    """``test.proj.not_null_x.ab12`` → ``not_null_x``; ``model.proj.x`` → ``x``."""
    parts = unique_id.split(".")
    return parts[2] if len(parts) > 2 else unique_id
