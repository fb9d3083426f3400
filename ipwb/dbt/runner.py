"""Run dbt-core in-process (``dbtRunner``) against a warehouse and parse the results.

The warehouse credentials travel as ``IPWB_DBT_*`` environment variables set for the
duration of the call only (the generated ``profiles.yml`` reads them with ``env_var``), so
no password is ever written to disk. Anonymous usage statistics and the version check are
off: dbt makes no network call. dbt's own logs go to ``<project>/logs``.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ipwb.errors import ConfigurationError, IntegrationError
from ipwb.warehouse.connection import WarehouseConfig

COMMANDS = ("build", "run", "test", "seed", "snapshot", "compile", "parse", "debug")
_lock = threading.Lock()  # the environment is process-wide: one dbt invocation at a time


@dataclass(frozen=True)
class DbtNodeResult:
    unique_id: str
    name: str
    resource_type: str
    status: str  # pass | fail | error | warn | skipped | success
    failures: int | None
    message: str
    execution_time_s: float


@dataclass
class DbtRun:
    command: str
    success: bool
    results: list[DbtNodeResult] = field(default_factory=list)
    error: str = ""

    def by_name(self) -> dict[str, DbtNodeResult]:
        return {r.name: r for r in self.results}

    @property
    def failed(self) -> list[DbtNodeResult]:
        return [r for r in self.results if r.status in ("fail", "error")]


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _node_result(result: Any) -> DbtNodeResult:
    node = result.node
    return DbtNodeResult(
        unique_id=str(node.unique_id),
        name=str(node.name),
        resource_type=str(getattr(node.resource_type, "value", node.resource_type)),
        status=str(getattr(result.status, "value", result.status)),
        failures=result.failures,
        message=str(result.message or ""),
        execution_time_s=float(result.execution_time or 0.0),
    )


def run_dbt(
    project_dir: str | os.PathLike[str],
    config: WarehouseConfig,
    command: str = "test",
    *,
    select: Sequence[str] = (),
    extra_args: Sequence[str] = (),
) -> DbtRun:
    """Invoke ``dbt <command>`` on a generated project; raise only when dbt cannot start."""
    if command not in COMMANDS:
        raise ConfigurationError(f"dbt command {command!r} is not one of {', '.join(COMMANDS)}")
    try:
        from dbt.cli.main import dbtRunner  # noqa: PLC0415 - optional dependency, heavy import
    except ImportError:
        raise ConfigurationError("dbt-core is not installed (pip install 'ipwb[dbt]')") from None
    project = Path(project_dir)
    if not (project / "dbt_project.yml").is_file():
        raise ConfigurationError(f"{project} has no dbt_project.yml")
    env = {
        "IPWB_DBT_HOST": config.host,
        "IPWB_DBT_PORT": str(config.port),
        "IPWB_DBT_USER": config.user,
        "IPWB_DBT_PASSWORD": config.password,
        "IPWB_DBT_DBNAME": config.dbname,
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
        "DO_NOT_TRACK": "1",
    }
    args = [
        command,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--log-path",
        str(project / "logs"),
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
        "--no-use-colors",
        "--quiet",
    ]
    for selector in select:
        args += ["--select", selector]
    args += list(extra_args)
    with _lock, _environment(env):
        outcome = dbtRunner().invoke(args)
    results = [_node_result(r) for r in getattr(outcome.result, "results", None) or []]
    if outcome.exception is not None and not results:
        raise IntegrationError(f"dbt {command} could not run: {outcome.exception}")
    return DbtRun(command, bool(outcome.success), results, str(outcome.exception or ""))
