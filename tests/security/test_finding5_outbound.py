"""Issue #19 finding 5: no server-side request forgery through steps or model settings.

- an ``n8n_webhook`` step calling the workbench itself on loopback (its login page) fails on
  the outbound policy, and nothing of the page is stored in the run;
- a Workbench User cannot read what webhooks answered (step-run ``response``);
- an AI Orchestrator pointing an administrator-keyed LLM model at another ``api_base`` does not
  take the key along.
"""

from __future__ import annotations

import secrets

import pytest

from .conftest import Workbench
from .scenarios import HTML_MARKERS, create_pipeline, refusal, run_now, stored_text
from .workbench import ACCESS_ERROR, REFUSALS, RpcError

pytestmark = [pytest.mark.odoo]


def test_webhook_step_to_loopback_fails_and_stores_nothing_of_the_page(workbench: Workbench) -> None:
    """A Data Engineer's pipeline GETting the workbench's own login page: refused at save or
    Validate, or failing when it runs, never keeping the page."""
    engineer = workbench.as_role("de")
    url = f"http://127.0.0.1:{workbench.server.port}/web/login"
    config = {"url": url, "method": "GET", "payload": {}, "timeout_s": 10}
    try:
        pipeline_id = create_pipeline(engineer, "sec_f5_ssrf", [("probe", "n8n_webhook", config)])
        refused = engineer.error_of("ipwb.pipeline", "action_validate", [pipeline_id])
    except RpcError as exc:
        refused = exc
    if refused is not None:
        assert refusal(refused) in REFUSALS, refused
        return
    run = run_now(workbench, engineer, pipeline_id)
    assert [step["state"] for step in run["steps"]] == ["failed"], run
    text = stored_text(run).lower()
    leaked = [marker for marker in HTML_MARKERS if marker in text]
    assert not leaked, f"the run stored the loopback page ({leaked}):\n{text[:2000]}"


def test_workbench_user_cannot_read_webhook_responses(workbench: Workbench) -> None:
    engineer = workbench.as_role("de")
    pipeline_id = create_pipeline(engineer, "sec_f5_resp", [("load", "sql", {"sql": "SELECT 1"})])
    engineer.call("ipwb.pipeline", "action_validate", [pipeline_id])
    step_ids = [step["id"] for step in run_now(workbench, engineer, pipeline_id)["steps"]]
    assert step_ids, "the run has no step run"
    error = workbench.as_role("user").error_of("ipwb.pipeline.step.run", "read", step_ids, ["response"])
    assert refusal(error) == ACCESS_ERROR, f"a Workbench User read step-run responses ({error})"


def test_orchestrator_changing_api_base_does_not_keep_the_admin_key(workbench: Workbench) -> None:
    key = f"sk-security-suite-{secrets.token_hex(8)}"
    model_id = workbench.admin.call(
        "ipwb.llm.model",
        "create",
        {
            "name": f"sec-f5-{secrets.token_hex(3)}",
            "litellm_model": "openai/gpt-4o-mini",
            "api_base": "https://llm.example.com/v1",
            "api_key": key,
        },
    )
    elsewhere = f"http://127.0.0.1:{workbench.server.port}/v1"
    error = workbench.as_role("ai").error_of("ipwb.llm.model", "write", [model_id], {"api_base": elsewhere})
    after = workbench.admin.call("ipwb.llm.model", "read", [model_id], ["api_base", "api_key"])[0]
    if after["api_base"] == elsewhere:
        assert after["api_key"] != key, "the administrator's key now goes to the new api_base"
    else:
        assert refusal(error) in REFUSALS, (error, after)
        assert after["api_base"] == "https://llm.example.com/v1"
