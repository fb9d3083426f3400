"""Install, uninstall and upgrade the workbench addons in real Odoo processes.

- every addon installs on a fresh database and uninstalls cleanly, leaving Odoo working
  (menus load, views render, backend assets build);
- `-u` of every ipwb addon keeps the records users wrote (upgrade safety harness).
"""

from __future__ import annotations

import json

import pytest

from .conftest import OdooDatabases

pytestmark = [pytest.mark.odoo, pytest.mark.slow]

RESULT_MARK = "IPWB-RESULT:"

HEALTH_CHECK = """
import json
admin = env.ref("base.user_admin")
menus = env["ir.ui.menu"].with_user(admin).load_menus(False)
views = env["res.partner"].with_user(admin).get_views([(False, "form"), (False, "list")])
bundle = env["ir.qweb"]._get_asset_bundle("web.assets_backend")
js = bundle.js()
modules = env["ir.module.module"].search([("name", "=like", "ipwb_%")])
states = {module.name: module.state for module in modules}
print("IPWB-RESULT:" + json.dumps({
    "menus": len(menus),
    "views": sorted(views["views"]),
    "js_bytes": len(js.raw or b""),
    "states": states,
    "models": sorted(m for m in env.registry if m.startswith("ipwb.")),
}))
"""


def _result(run_output: str) -> dict:
    for line in run_output.splitlines():
        if line.startswith(RESULT_MARK):
            return json.loads(line[len(RESULT_MARK) :])
    raise AssertionError(f"script printed no result:\n{run_output[-3000:]}")


ADDON_MODELS = {
    "ipwb_catalog": "ipwb.connection",
    "ipwb_cost": "ipwb.cost.entry",
    "ipwb_sql_editor": "ipwb.query.history",
    "ipwb_guardian": "ipwb.dq.check",
    "ipwb_pipeline": "ipwb.pipeline",
    "ipwb_genie": "ipwb.llm.model",
    "ipwb_finance_bir": "ipwb.bir.form",
    "ipwb_workbench": "ipwb.overview",
}


@pytest.mark.parametrize("addon", sorted(ADDON_MODELS))
def test_install_then_uninstall_leaves_odoo_working(
    odoo_databases: OdooDatabases, base_template: str, addon: str
) -> None:
    database = odoo_databases.copy(base_template, f"ipwb_it_{addon[5:]}")
    installed = odoo_databases.run(database, install=[addon])
    assert installed.ok, installed.explain()
    before = _result(odoo_databases.run_script(database, HEALTH_CHECK).output)
    assert before["states"][addon] == "installed"
    assert ADDON_MODELS[addon] in before["models"]

    uninstall = f"""
env["ir.module.module"].search([("name", "=", {addon!r})]).button_immediate_uninstall()
env.cr.commit()
"""
    removed = odoo_databases.run_script(database, uninstall)
    assert removed.ok, removed.explain()

    checked = odoo_databases.run_script(database, HEALTH_CHECK)
    assert checked.ok, checked.explain()
    after = _result(checked.output)
    assert after["states"][addon] == "uninstalled"
    assert ADDON_MODELS[addon] not in after["models"]
    assert after["menus"] > 0 and after["js_bytes"] > 100_000
    assert after["views"] == ["form", "list"]


WRITE_RECORDS = """
import json
conn = env["ipwb.connection"].create({"name": "Upgrade wh", "dbname": "wh_upgrade", "username": "r",
                                      "password": "kept-secret", "statement_timeout": 42})
user = env.ref("base.user_admin")
env["ipwb.cost.entry"].create({"source": "llm", "amount_usd": 0.123456, "tokens_in": 11, "tokens_out": 7,
                               "user_id": user.id, "description": "upgrade-probe"})
env["ipwb.query.history"].create({"user_id": user.id, "connection_id": conn.id, "statement": "SELECT 42",
                                  "status": "success", "row_count": 1})
env["ipwb.dq.check"].create({"name": "upgrade-probe", "connection_id": conn.id, "table_ref": "gold.t",
                             "column_name": "id", "check_type": "unique"})
env["ipwb.pipeline"].create({"name": "Upgrade probe", "code": "upgrade_probe", "state": "validated",
                             "budget_per_run": 3.5})
env["ipwb.llm.model"].create({"name": "upgrade-probe", "litellm_model": "openai/probe", "api_key": "sk-kept"})
env.ref("ipwb_finance_bir.bir_form_sawt").description = "edited by a user"
env.cr.commit()
"""

READ_RECORDS = """
import json
conn = env["ipwb.connection"].search([("name", "=", "Upgrade wh")])
print("IPWB-RESULT:" + json.dumps({
    "connection": conn.read(["dbname", "username", "password", "statement_timeout"])[0],
    "cost": env["ipwb.cost.entry"].search([("description", "=", "upgrade-probe")]).read(
        ["amount_usd", "tokens_in", "tokens_out"])[0],
    "history": env["ipwb.query.history"].search([("statement", "=", "SELECT 42")]).read(
        ["status", "row_count"])[0],
    "check": env["ipwb.dq.check"].search([("name", "=", "upgrade-probe")]).read(
        ["table_ref", "column_name", "check_type"])[0],
    "pipeline": env["ipwb.pipeline"].search([("code", "=", "upgrade_probe")]).read(
        ["state", "budget_per_run"])[0],
    "llm": env["ipwb.llm.model"].search([("name", "=", "upgrade-probe")]).read(
        ["litellm_model", "api_key"])[0],
    "sawt": env.ref("ipwb_finance_bir.bir_form_sawt").description,
    "embedded": bool(env.ref("ipwb_catalog.connection_embedded_warehouse", raise_if_not_found=False)),
}, default=str))
"""

# ip_workbench in the warehouse: published before the upgrade, the same relations (oids,
# grants) and the same row counts after it and a new publication
PUBLISH_IP_WORKBENCH = """
import json
from ipwb.warehouse.connection import connect
counts = env["ipwb.metadata.publisher"]._publish()
env.cr.commit()
conn = connect(env.ref("ipwb_catalog.connection_embedded_warehouse")._warehouse_writer_config())
with conn.cursor() as cur:
    cur.execute("SELECT relname, oid::int, relacl::text FROM pg_class"
                " WHERE relnamespace = 'ip_workbench'::regnamespace AND relkind = 'r' ORDER BY 1")
    relations = cur.fetchall()
conn.close()
print("IPWB-RESULT:" + json.dumps({"counts": counts, "relations": relations}))
"""


def test_upgrade_keeps_user_data(
    odoo_databases: OdooDatabases, base_template: str, workbench_addons: list[str]
) -> None:
    database = odoo_databases.copy(base_template, "ipwb_it_upgrade")
    installed = odoo_databases.run(database, install=workbench_addons)
    assert installed.ok, installed.explain()
    written = odoo_databases.run_script(database, WRITE_RECORDS)
    assert written.ok, written.explain()
    before = _result(odoo_databases.run_script(database, READ_RECORDS).output)
    published = _result(odoo_databases.run_script(database, PUBLISH_IP_WORKBENCH).output)
    assert published["counts"]["cost_tracker"] >= 1 and len(published["relations"]) == 8
    assert before["connection"]["password"] == "kept-secret"
    assert before["sawt"] == "edited by a user"

    upgraded = odoo_databases.run(database, update=workbench_addons)
    assert upgraded.ok, upgraded.explain()

    after = _result(odoo_databases.run_script(database, READ_RECORDS).output)
    assert after == before
    assert _result(odoo_databases.run_script(database, PUBLISH_IP_WORKBENCH).output) == published
