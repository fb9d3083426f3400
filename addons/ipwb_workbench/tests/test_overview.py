# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""The overview's figures equal independent ORM counts on seeded records."""

import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from .common import DOMAIN, OverviewSeed, p90


@tagged("post_install", "-at_install")
class TestOverview(OverviewSeed, TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._seed()
        cls.Overview = cls.env["ipwb.overview"]

    def _tiles(self, user=None, **kwargs):
        overview = self.Overview.with_user(user) if user else self.Overview
        data = overview.get_overview(**kwargs)
        return {tile["key"]: tile for tile in data["tiles"]}

    def test_catalog_tiles_equal_orm_counts(self):
        tiles = self._tiles(days=30, domain_name=DOMAIN)
        Table = self.env["ipwb.table"]
        tables = tiles["tables_cataloged"]
        self.assertEqual(tables["value"], Table.search_count([("domain", "=", DOMAIN)]))
        self.assertEqual(tables["value"], 5)
        for layer in ("bronze", "silver", "gold"):
            self.assertEqual(
                tables["breakdown"][layer],
                Table.search_count([("domain", "=", DOMAIN), ("layer", "=", layer)]),
            )
        # new tables per day: all five were created today
        self.assertEqual(tables["series"][-1][1], 5)
        gold = tiles["gold_ready"]
        gold_tables = Table.search([("domain", "=", DOMAIN), ("layer", "=", "gold")])
        self.assertEqual(gold["breakdown"]["owner"], len(gold_tables.filtered("owner_id")))
        self.assertAlmostEqual(gold["value"], 100.0 / len(gold_tables))  # only ovw_ready is complete
        self.assertEqual(gold["status"], "bad")
        self.assertEqual(tables["link"]["res_model"], "ipwb.table")
        self.assertEqual(Table.search_count(tables["link"]["domain"]), tables["value"])

    def test_run_success_rate_counts_scheduled_runs_of_the_period(self):
        tiles = self._tiles(days=7, domain_name=DOMAIN)
        since = datetime.datetime.combine(self.now.date() - datetime.timedelta(days=6), datetime.time())
        Run = self.env["ipwb.pipeline.run"]
        base = [("domain_name", "=", DOMAIN), ("trigger", "=", "schedule"), ("date_end", ">=", since)]
        finished = Run.search_count([*base, ("state", "in", ("succeeded", "failed"))])
        succeeded = Run.search_count([*base, ("state", "=", "succeeded")])
        self.assertEqual((finished, succeeded), (4, 3))
        rate = tiles["run_success_rate"]
        self.assertAlmostEqual(rate["value"], 100.0 * succeeded / finished)
        self.assertEqual(rate["status"], "bad")  # 75 % against a goal of 95 %
        self.assertEqual(len(rate["series"]), 7)
        self.assertEqual(rate["series"][-1][1], 100.0)  # today's only scheduled run succeeded
        self.assertEqual(Run.search_count(rate["link"]["domain"]), finished)
        # 90 days include the failure of 40 days ago
        self.assertAlmostEqual(self._tiles(days=90, domain_name=DOMAIN)["run_success_rate"]["value"], 60.0)

    def test_quality_and_cost_tiles(self):
        tiles = self._tiles(days=30, domain_name=DOMAIN)
        # latest score per table: ovw_ready 90 (not the older 60), ovw_bare 70
        self.assertAlmostEqual(tiles["dq_score"]["value"], 80.0)
        cost = tiles["cost_per_user"]
        month_start = datetime.datetime.combine(self.now.date().replace(day=1), datetime.time())
        entries = self.env["ipwb.cost.entry"].search(
            [("domain_name", "=", DOMAIN), ("date", ">=", month_start)]
        )
        self.assertAlmostEqual(cost["value"], sum(entries.mapped("amount_usd")) / len(entries.user_id))
        self.assertAlmostEqual(cost["value"], 10.0)
        self.assertAlmostEqual(tiles["budget_use"]["value"], 100.0 * 20.0 / 500.0)
        self.env["ir.config_parameter"].set_param("ipwb_workbench.monthly_budget_usd", "10")
        self.env["ir.config_parameter"].set_param("ipwb_workbench.target.cost_per_user", "5")
        tiles = self._tiles(days=30, domain_name=DOMAIN)
        self.assertEqual(tiles["budget_use"]["status"], "bad")
        self.assertEqual(tiles["cost_per_user"]["status"], "bad")
        self.assertEqual(tiles["cost_per_user"]["target"], "≤ 5 USD / user / month")

    def test_ai_and_sql_tiles_equal_orm_figures(self):
        Trace = self.env["ipwb.llm.trace"].sudo()
        agent_run = self.env["ipwb.agent.run"].sudo().search([], limit=1)
        latencies = [100.0, 200.0, 300.0, 400.0, 1000.0]
        for latency in latencies:
            Trace.create(
                {
                    "user_id": self.orchestrator.id,
                    "feature": "ovw",
                    "latency_ms": latency,
                    "agent_run_id": agent_run.id if agent_run else False,
                }
            )
        History = self.env["ipwb.query.history"].sudo()
        durations = [100.0, 500.0, 2000.0, 2500.0, 4000.0]
        for duration in durations:
            History.create(
                {
                    "user_id": self.engineer.id,
                    "statement": "SELECT 1",
                    "status": "success",
                    "duration_ms": duration,
                }
            )
        tiles = self._tiles(days=7, team_id=self.team.id)
        # the team filter keeps the engineer's queries (in the team) and drops the orchestrator's traces
        self.assertEqual(tiles["ai_queries"]["value"], 0.0)
        sql = tiles["sql_fast_share"]
        self.assertAlmostEqual(sql["value"], 80.0)
        self.assertEqual(sql["status"], "bad")
        self.assertIn(f"p90 {round(p90(durations))} ms", sql["detail"])
        tiles = self._tiles(days=7)
        since = datetime.datetime.combine(self.now.date() - datetime.timedelta(days=6), datetime.time())
        traces = self.env["ipwb.llm.trace"].search([("create_date", ">=", since)])
        self.assertAlmostEqual(tiles["ai_queries"]["value"], len(traces) / 7)
        if agent_run:
            agent_latencies = traces.filtered("agent_run_id").mapped("latency_ms")
            self.assertAlmostEqual(tiles["agent_latency_p90"]["value"], p90(agent_latencies), places=3)

    def test_filters_list_domains_and_teams(self):
        data = self.Overview.get_overview(days=7)
        self.assertIn(DOMAIN, data["filters"]["domains"])
        self.assertIn(self.team.id, [team["id"] for team in data["filters"]["teams"]])
        self.assertEqual(len(data["tiles"]), 11)

    def test_bad_arguments_are_refused(self):
        for kwargs in (
            {"days": 12},
            {"days": "30"},
            {"team_id": "x"},
            {"domain_name": 5},
            {"team_id": 2**40},
        ):
            with self.subTest(kwargs=kwargs), self.assertRaises(UserError):
                self.Overview.get_overview(**kwargs)
        with self.assertRaises(UserError):
            self.Overview.get_overview(team_id=999999999)
