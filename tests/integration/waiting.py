"""Waiting on the processes the integration tests start: a condition polled until a
deadline, a server polled until it answers, a process stopped (terminated, then killed)."""

from __future__ import annotations

import subprocess
import time
import urllib.request
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

T = TypeVar("T")

#: an ``odoo-bin shell`` script fragment: validate ``pipeline``, queue a run and work the
#: queue once as the worker cron would (each committed), leaving the run in ``run``
RUN_PIPELINE_ONCE = """pipeline.action_validate()
pipeline.action_run_now()
env.cr.commit()
env["ipwb.pipeline.run"]._cron_process_runs()
env.cr.commit()
run = pipeline.run_ids
"""


def wait_for(
    predicate: Callable[[], T],
    timeout_s: float,
    *,
    step_s: float = 0.5,
    wake: Callable[[], Any] | None = None,
) -> T:
    """The first truthy value of ``predicate`` within ``timeout_s`` (``wake`` called between
    tries, e.g. to nudge a cron thread), else its value at the deadline."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if wake is not None:
            wake()
        time.sleep(step_s)
    return predicate()


def wait_until_served(url: str, *, timeout_s: float, what: str, data: bytes | None = None) -> None:
    """Poll ``url`` (a JSON POST of ``data`` when given) until it answers 200; fail the test
    naming ``what`` otherwise."""

    def served() -> bool:
        request = urllib.request.Request(url, data=data, method="GET" if data is None else "POST")
        if data is not None:
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    if not wait_for(served, timeout_s, step_s=1):
        pytest.fail(f"{what} did not serve {url} within {timeout_s:.0f} s")


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 30) -> None:
    """Terminate ``process``; kill it if it has not exited within ``timeout_s``."""
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout_s)
