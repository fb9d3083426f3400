"""Issue #19 finding 1: a pipeline never lends its owner's (or the superuser's) rights.

- a Data Engineer adding an ``odoo_extract`` step of ``ir.config_parameter`` to a pipeline an
  administrator owns is refused (at save or at Validate): the step would copy system
  parameters into the warehouse with the administrator's rights;
- a ``server_action`` step whose action is reserved to Settings administrators fails when it
  runs in a Data Engineer's pipeline (it ran as the superuser), and the action had no effect;
- the finance pipeline installed by the addon is owned by an accountable user, not by the
  superuser (uid 1, OdooBot).
"""

from __future__ import annotations

import json
import secrets

import pytest

from .conftest import Workbench
from .scenarios import create_pipeline, get_param, pipeline_state, refusal, run_now
from .workbench import REFUSALS, RpcError

pytestmark = [pytest.mark.odoo]


def test_odoo_extract_of_system_parameters_on_an_admin_pipeline_is_refused(workbench: Workbench) -> None:
    admin, engineer = workbench.admin, workbench.as_role("de")
    pipeline_id = create_pipeline(admin, "sec_f1_extract", [("first", "sql", {"sql": "SELECT 1"})])
    admin.call("ipwb.pipeline", "action_validate", [pipeline_id])
    assert pipeline_state(workbench, pipeline_id) == "validated"

    config = {"model": "ir.config_parameter", "fields": ["key", "value"], "target": "bronze.sec_f1_params"}
    step = {
        "pipeline_id": pipeline_id,
        "name": "params",
        "kind": "odoo_extract",
        "config": json.dumps(config),
    }
    error = engineer.error_of("ipwb.pipeline.step", "create", step)
    refused_at_save = error is not None
    if not refused_at_save:  # saved: then Validate must refuse it
        error = engineer.error_of("ipwb.pipeline", "action_validate", [pipeline_id])
    assert refusal(error) in REFUSALS, f"the Data Engineer's odoo_extract step was accepted ({error})"
    steps = admin.call("ipwb.pipeline.step", "search_read", [("pipeline_id", "=", pipeline_id)], ["name"])
    if refused_at_save:  # a refused save changes nothing: the admin's pipeline is as it was
        assert [s["name"] for s in steps] == ["first"], steps
    else:  # a saved secret step never makes the pipeline runnable
        assert pipeline_state(workbench, pipeline_id) != "validated", "the pipeline must not be runnable"


def test_server_action_reserved_to_settings_admins_fails_in_a_data_engineer_pipeline(
    workbench: Workbench,
) -> None:
    admin, engineer = workbench.admin, workbench.as_role("de")
    key = f"ipwb_security_suite.server_action_{secrets.token_hex(4)}"
    model_id = admin.call("ir.model", "search", [("model", "=", "ipwb.pipeline.run")])[0]
    action_id = admin.call(
        "ir.actions.server",
        "create",
        {
            "name": "Security suite: system-only action",
            "model_id": model_id,
            "state": "code",
            "code": f"env['ir.config_parameter'].set_param({key!r}, 'ran')",
            "groups_id": [(6, 0, [workbench.xmlid("base.group_system")])],
        },
    )
    name = key.split(".", 1)[1]
    admin.call(
        "ir.model.data",
        "create",
        {"module": "ipwb_security_suite", "name": name, "model": "ir.actions.server", "res_id": action_id},
    )
    config = {"action": f"ipwb_security_suite.{name}"}
    try:  # refusing the step at save or at Validate is as good as failing it at run time
        pipeline_id = create_pipeline(engineer, "sec_f1_action", [("act", "server_action", config)])
        refused = engineer.error_of("ipwb.pipeline", "action_validate", [pipeline_id])
    except RpcError as exc:
        refused = exc
    if refused is not None:
        assert refusal(refused) in REFUSALS, refused
    else:
        run = run_now(workbench, engineer, pipeline_id)
        assert [step["state"] for step in run["steps"]] == ["failed"], run
        assert run["state"] == "failed", run
    assert get_param(workbench, key) is None, "the system-only action ran with borrowed rights"


def test_finance_pipeline_is_owned_by_an_accountable_user(workbench: Workbench) -> None:
    pipeline_id = workbench.xmlid("ipwb_finance_bir.pipeline_finance_bir")
    owner = workbench.admin.call("ipwb.pipeline", "read", [pipeline_id], ["owner_id"])[0]["owner_id"]
    assert owner, "the finance pipeline has no owner"
    root = workbench.xmlid("base.user_root")
    assert owner[0] not in (1, root), f"the finance pipeline is owned by the superuser ({owner})"
    user = workbench.admin.call(
        "res.users", "read", [owner[0]], ["login", "name", "active", "share"], context={"active_test": False}
    )[0]
    assert user["login"] != "__system__" and user["name"] != "OdooBot", user
    assert user["active"] and not user["share"], f"the owner must be an active internal user: {user}"
