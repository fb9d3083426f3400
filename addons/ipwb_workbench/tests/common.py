# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Seeded records for the overview's tests: a domain of its own, so figures filtered by it
can be compared with independent ORM counts whatever else the database holds."""

import datetime
import statistics

from odoo import fields
from odoo.tests import new_test_user

DOMAIN = "ipwbovw"


def p90(values):
    """PostgreSQL's percentile_cont(0.9): linear interpolation between the sorted values."""
    values = sorted(values)
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=10, method="inclusive")[8]


class OverviewSeed:
    @classmethod
    def _seed(cls):
        env = cls.env
        now = fields.Datetime.now()
        cls.now = now
        cls.team = env["res.groups"].create({"name": "IPWB overview test team"})
        cls.engineer = new_test_user(env, "ipwb_ovw_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.orchestrator = new_test_user(env, "ipwb_ovw_ai", groups="ipwb_catalog.group_ipwb_ai_orchestrator")
        cls.viewer = new_test_user(env, "ipwb_ovw_user", groups="ipwb_catalog.group_ipwb_user")
        cls.outsider = new_test_user(env, "ipwb_ovw_outsider", groups="base.group_user")
        cls.engineer.groups_id += cls.team
        connection = env.ref("ipwb_catalog.connection_embedded_warehouse")
        Table = env["ipwb.table"].sudo()
        base = {"connection_id": connection.id, "domain": DOMAIN}
        cls.tables = Table.create(
            [
                {**base, "schema_name": "bronze", "name": "ovw_raw", "layer": "bronze"},
                {**base, "schema_name": "silver", "name": "ovw_clean", "layer": "silver"},
                {
                    **base,
                    "schema_name": "gold",
                    "name": "ovw_ready",
                    "layer": "gold",
                    "owner_id": cls.engineer.id,
                    "slo_freshness_hours": 24,
                },
                {**base, "schema_name": "gold", "name": "ovw_bare", "layer": "gold"},
                {
                    **base,
                    "schema_name": "gold",
                    "name": "ovw_secret",
                    "layer": "gold",
                    "restricted": True,
                    "team_id": cls.team.id,
                },
            ]
        )
        env["ipwb.dq.check"].sudo().create(
            {
                "name": "ovw not null",
                "table_ref": "gold.ovw_ready",
                "connection_id": connection.id,
                "check_type": "not_null",
                "column_name": "id",
            }
        )
        env["ipwb.lineage.edge"].sudo().create(
            {
                "source_table": "silver.ovw_clean",
                "target_table": "gold.ovw_ready",
                "connection_id": connection.id,
            }
        )
        pipeline = (
            env["ipwb.pipeline"]
            .sudo()
            .create({"name": "Overview test", "code": "ovw_test", "domain_name": DOMAIN})
        )
        Run = env["ipwb.pipeline.run"].sudo()
        for days_ago, state in (
            (0, "succeeded"),
            (1, "succeeded"),
            (2, "failed"),
            (3, "succeeded"),
            (40, "failed"),
        ):
            end = now - datetime.timedelta(days=days_ago)
            Run.create({"pipeline_id": pipeline.id, "trigger": "schedule", "state": state, "date_end": end})
        Run.create({"pipeline_id": pipeline.id, "trigger": "manual", "state": "failed", "date_end": now})
        cls.pipeline = pipeline
        Card = env["ipwb.dq.scorecard"].sudo()
        for name, days_ago, overall in (
            ("gold.ovw_ready", 3, 60.0),
            ("gold.ovw_ready", 0, 90.0),
            ("gold.ovw_bare", 1, 70.0),
        ):
            Card.create(
                {
                    "name": name,
                    "scope": "table",
                    "date": now - datetime.timedelta(days=days_ago),
                    "overall": overall,
                }
            )
        Cost = env["ipwb.cost.entry"].sudo()
        for user, amount in ((cls.engineer, 12.0), (cls.engineer, 3.0), (cls.orchestrator, 5.0)):
            Cost.create({"source": "llm", "amount_usd": amount, "user_id": user.id, "domain_name": DOMAIN})
