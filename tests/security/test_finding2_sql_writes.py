"""Issue #19 finding 2: SQL steps do not write anything as the warehouse owner unchecked.

- a SQL step dropping a schema or altering a role is refused by Validate;
- editing the SQL of a production pipeline returns it to draft (a human promotes it again);
- whoever changed a pipeline cannot promote it himself (two-person rule).
"""

from __future__ import annotations

import json

import psycopg2
import pytest

from .conftest import Workbench
from .scenarios import create_pipeline, pipeline_state, refusal
from .workbench import REFUSALS

pytestmark = [pytest.mark.odoo]

DESTRUCTIVE = [
    "DROP SCHEMA gold CASCADE",
    "ALTER ROLE ipwb_wh_reader SUPERUSER",
    "ALTER ROLE ipwb_wh_owner PASSWORD 'chosen-by-the-editor'",
]


def _schema_exists(bench: Workbench, pg_admin_dsn: str, schema: str) -> bool:
    params = psycopg2.extensions.parse_dsn(pg_admin_dsn)
    params["dbname"] = bench.warehouse_db
    with psycopg2.connect(**params) as conn, conn.cursor() as cur:
        cur.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,))
        found = cur.fetchone() is not None
    conn.close()
    return found


@pytest.mark.parametrize("statement", DESTRUCTIVE)
def test_validate_refuses_destructive_sql_steps(
    workbench: Workbench, pg_admin_dsn: str, statement: str
) -> None:
    engineer = workbench.as_role("de")
    pipeline_id = create_pipeline(engineer, "sec_f2_ddl", [])
    step = {
        "pipeline_id": pipeline_id,
        "name": "harm",
        "kind": "sql",
        "config": json.dumps({"sql": statement}),
    }
    error = engineer.error_of("ipwb.pipeline.step", "create", step)  # refused at save, or else
    if error is None:
        error = engineer.error_of("ipwb.pipeline", "action_validate", [pipeline_id])  # at Validate
    assert refusal(error) in REFUSALS, f"Validate accepted {statement!r} ({error})"
    assert pipeline_state(workbench, pipeline_id) == "draft"
    assert _schema_exists(workbench, pg_admin_dsn, "gold")


def _production_pipeline(bench: Workbench) -> tuple[int, int]:
    """A Data Engineer's validated pipeline promoted by the administrator; (pipeline, step)."""
    engineer = bench.as_role("de")
    pipeline_id = create_pipeline(engineer, "sec_f2_prod", [("load", "sql", {"sql": "SELECT 1"})])
    engineer.call("ipwb.pipeline", "action_validate", [pipeline_id])
    bench.admin.call("ipwb.pipeline", "action_promote", [pipeline_id])
    assert pipeline_state(bench, pipeline_id) == "production"
    step_id = engineer.call("ipwb.pipeline.step", "search", [("pipeline_id", "=", pipeline_id)])[0]
    return pipeline_id, step_id


def test_editing_the_sql_of_a_production_pipeline_returns_it_to_draft(workbench: Workbench) -> None:
    pipeline_id, step_id = _production_pipeline(workbench)
    engineer = workbench.as_role("de")
    error = engineer.error_of("ipwb.pipeline.step", "write", [step_id], {"config": '{"sql": "SELECT 2"}'})
    config = workbench.admin.call("ipwb.pipeline.step", "read", [step_id], ["config"])[0]["config"]
    if error is None or "SELECT 2" in config:
        assert pipeline_state(workbench, pipeline_id) == "draft", "changed SQL still runs in production"
    else:
        assert refusal(error) in REFUSALS


def test_the_editor_cannot_promote_his_own_change(workbench: Workbench) -> None:
    engineer = workbench.as_role("de")
    pipeline_id = create_pipeline(engineer, "sec_f2_self", [("load", "sql", {"sql": "SELECT 1"})])
    engineer.call("ipwb.pipeline", "action_validate", [pipeline_id])
    error = engineer.error_of("ipwb.pipeline", "action_promote", [pipeline_id])
    assert refusal(error) in REFUSALS, f"the author promoted his own pipeline ({error})"
    assert pipeline_state(workbench, pipeline_id) != "production"
