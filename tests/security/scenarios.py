"""Scenario helpers of the finding regressions: pipelines built and run as real users."""

from __future__ import annotations

import json
import secrets
from typing import Any

from .conftest import Workbench
from .workbench import Client, RpcError

#: text that only an HTML page (e.g. Odoo's login page) contains
HTML_MARKERS = ("<html", "<!doctype", "<head", "<body", "<title", "<form", "csrf_token")


def new_code(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(4)}"


def create_pipeline(client: Client, prefix: str, steps: list[tuple[str, str, dict[str, Any]]]) -> int:
    """A pipeline of ``steps`` (name, kind, config) created by ``client``; returns its id."""
    code = new_code(prefix)
    pipeline_id = int(client.call("ipwb.pipeline", "create", {"name": code, "code": code}))
    for sequence, (name, kind, config) in enumerate(steps, 1):
        client.call(
            "ipwb.pipeline.step",
            "create",
            {
                "pipeline_id": pipeline_id,
                "name": name,
                "kind": kind,
                "sequence": sequence,
                "config": json.dumps(config),
            },
        )
    return pipeline_id


def pipeline_state(bench: Workbench, pipeline_id: int) -> str:
    return str(bench.admin.call("ipwb.pipeline", "read", [pipeline_id], ["state"])[0]["state"])


def run_now(bench: Workbench, client: Client, pipeline_id: int) -> dict[str, Any]:
    """``Run now`` as ``client``, then the worker cron (as Odoo's scheduler would) executes it.

    Returns the run (state, error) with its step runs (state, error, log, response), read by
    the administrator.
    """
    client.call("ipwb.pipeline", "action_run_now", [pipeline_id])
    worker = bench.xmlid("ipwb_pipeline.ir_cron_pipeline_worker")
    bench.admin.call("ir.cron", "method_direct_trigger", [worker])
    runs = bench.admin.call(
        "ipwb.pipeline.run",
        "search_read",
        [("pipeline_id", "=", pipeline_id)],
        ["state", "error"],
        order="id desc",
        limit=1,
    )
    assert runs, "Run now created no run"
    run = runs[0]
    run["steps"] = bench.admin.call(
        "ipwb.pipeline.step.run",
        "search_read",
        [("run_id", "=", run["id"])],
        ["step_name", "state", "error", "log", "response"],
    )
    return run


def stored_text(run: dict[str, Any]) -> str:
    """Everything a run stored as text (its error, each step's log, error and response)."""
    parts = [run.get("error") or ""]
    for step in run["steps"]:
        parts += [step.get(key) or "" for key in ("error", "log", "response")]
    return "\n".join(str(part) for part in parts)


def refusal(error: RpcError | None) -> str:
    """The error class of a refusal ("" when the call was not refused)."""
    return error.name if error is not None else ""


def get_param(bench: Workbench, key: str) -> str | None:
    found = bench.admin.call("ir.config_parameter", "search_read", [("key", "=", key)], ["value"])
    return found[0]["value"] if found else None
