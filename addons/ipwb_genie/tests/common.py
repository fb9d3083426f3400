# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Shared set-up: two LLM models on a scripted OpenAI-compatible peer on 127.0.0.1, and a
small table in the test warehouse (created by the warehouse owner, read by the reader)."""

import json
import os

import psycopg2

from odoo import tools
from odoo.tests import new_test_user
from odoo.tests.common import TransactionCase

from ipwb.testing.openai_peer import OpenAIPeer

from ..services import gateway
from ..services.gateway import Catalogs

SALES_SQL = "SELECT region, sum(amount) AS total FROM silver.genie_sales GROUP BY region ORDER BY region"


def sql_reply(sql):
    return f"Here is the query:\n```sql\n{sql}\n```"


def ensure_sales_table():
    """silver.genie_sales with three rows, in the throwaway warehouse of this test run."""
    password = os.environ.get("IPWB_WH_OWNER_PASSWORD") or tools.config.get("ipwb_warehouse_writer_password")
    conn = psycopg2.connect(
        host=tools.config.get("ipwb_warehouse_host") or "127.0.0.1",
        port=int(tools.config.get("ipwb_warehouse_port") or 5432),
        dbname=tools.config["ipwb_warehouse_db"],
        user=tools.config.get("ipwb_warehouse_writer_user") or "ipwb_wh_owner",
        password=password,
    )
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(
                "CREATE TABLE IF NOT EXISTS silver.genie_sales "
                "(id integer PRIMARY KEY, region text NOT NULL, amount numeric(12, 2) NOT NULL)"
            )
            cur.execute("COMMENT ON TABLE silver.genie_sales IS 'Sales per region (Genie tests)'")
            cur.execute(
                "INSERT INTO silver.genie_sales VALUES (1, 'north', 100), (2, 'north', 50), (3, 'south', 70) "
                "ON CONFLICT (id) DO NOTHING"
            )
    finally:
        conn.close()


class GenieCase(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ensure_sales_table()
        Catalogs.clear()
        cls.peer = OpenAIPeer()
        cls.peer.__enter__()
        cls.addClassCleanup(cls.peer.__exit__, None, None, None)
        Model = cls.env["ipwb.llm.model"]
        Model.search([]).action_archive()
        common = {"api_base": cls.peer.base_url, "api_key": "sk-genie-test", "timeout": 5, "max_retries": 0}
        cls.first = Model.create(
            {
                "name": "First",
                "litellm_model": "openai/first",
                "sequence": 1,
                **common,
                "input_price_per_1k": 0.5,
                "output_price_per_1k": 1.5,
            }
        )
        cls.second = Model.create(
            {
                "name": "Second",
                "litellm_model": "openai/second",
                "sequence": 2,
                **common,
                "input_price_per_1k": 0.5,
                "output_price_per_1k": 1.5,
            }
        )
        params = cls.env["ir.config_parameter"]
        params.set_param(gateway.PARAM_RATE_LIMIT, "0")
        params.set_param(gateway.PARAM_CACHE_TTL, "0")
        cls.user = new_test_user(cls.env, "genie_user", groups="ipwb_catalog.group_ipwb_user")
        cls.other = new_test_user(cls.env, "genie_other", groups="ipwb_catalog.group_ipwb_user")
        cls.orchestrator = new_test_user(
            cls.env, "genie_orchestrator", groups="ipwb_catalog.group_ipwb_ai_orchestrator"
        )
        cls.architect = new_test_user(cls.env, "genie_architect", groups="ipwb_catalog.group_ipwb_architect")
        cls.engineer = new_test_user(
            cls.env, "genie_engineer", groups="ipwb_catalog.group_ipwb_data_engineer"
        )

    @classmethod
    def count_agent(cls, name, tool_name, *, needs_approval=False, **values):
        """An agent whose one SQL tool ``tool_name`` counts the sales rows of a region
        (``{"region": …}``); ``values`` are further fields of the agent."""
        tool = cls.env["ipwb.agent.tool"].create(
            {
                "name": tool_name,
                "description": "Rows of one region",
                "kind": "sql",
                "sql_template": "SELECT count(*) AS n FROM silver.genie_sales WHERE region = {{region}}",
                "parameters_schema": json.dumps(
                    {"type": "object", "properties": {"region": {"type": "string"}}, "required": ["region"]}
                ),
                "needs_approval": needs_approval,
            }
        )
        return cls.env["ipwb.agent"].create(
            {"name": name, "system_prompt": "Count rows.", "tool_ids": [(6, 0, tool.ids)], **values}
        )

    def setUp(self):
        super().setUp()
        # a test that left scripted answers would shift every later test's replies
        self.peer._script.clear()
        self.peer.requests.clear()

    def work(self):
        """One pass of the agent worker cron (queued runs started or resumed)."""
        self.env["ipwb.agent.run"]._cron_process_runs()
        self.env.invalidate_all()

    def run_agent(self, agent, message, **kwargs):
        """Queue a run as ``agent``'s user, let the worker execute it, return the run."""
        run = agent.run_agent(message, **kwargs)
        self.assertEqual(run.state, "queued", "runs never execute inside the request")
        self.work()
        return run

    def traces_of(self, record):
        return self.env["ipwb.llm.trace"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)], order="id"
        )

    def costs_of(self, record):
        return self.env["ipwb.cost.entry"].search(
            [("res_model", "=", record._name), ("res_id", "=", record.id)], order="id"
        )
