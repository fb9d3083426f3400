# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Genie's read-only runner (Ask) and agent SQL tools run as the user's warehouse role:
a restricted table answers for its team and is refused by PostgreSQL for another."""

from odoo.addons.ipwb_sql_editor.tests.test_sql_grants import QUERY, GrantsFixture

from odoo.tests import tagged
from odoo.tests.common import TransactionCase

from ipwb.errors import QueryRefused
from ipwb.warehouse.pool import process_pool

from ..services.warehouse import read_only_executor


@tagged("post_install", "-at_install")
class TestGenieGrants(GrantsFixture, TransactionCase):
    def _executor(self, user):
        results = {}
        return read_only_executor(self.env(user=user), self.connection.with_user(user), results), results

    def test_ask_runner_reads_for_the_team_and_is_refused_for_another(self):
        run, results = self._executor(self.ann)
        run(QUERY)
        self.assertEqual(results[QUERY][1], [["ann", 100.0]])
        run, results = self._executor(self.ben)
        with self.assertRaisesRegex(QueryRefused, "permission denied"):
            run(QUERY)
        self.assertNotIn(QUERY, results)

    def test_agent_sql_tool_runs_as_the_requester(self):
        tool = self.env["ipwb.agent.tool"].create(
            {
                "name": "payroll",
                "description": "Payroll rows",
                "kind": "sql",
                "sql_template": QUERY,
                "connection_id": self.connection.id,
            }
        )
        outcome = tool._run_tool(self.env(user=self.ann), {})
        self.assertEqual(outcome.output["rows"], [{"who": "ann", "salary": 100.0}])
        with self.assertRaisesRegex(QueryRefused, "permission denied"):
            tool._run_tool(self.env(user=self.ben), {})

    def test_ask_runner_and_agent_tools_reuse_the_roles_kept_session(self):
        probe = "SELECT pg_backend_pid() AS pid, current_user AS role"
        process_pool().clear()
        self.addCleanup(process_pool().clear)
        run, results = self._executor(self.ann)
        run(probe)
        (pid, role), opened = results[probe][1][0], process_pool().stats.opened
        tool = self.env["ipwb.agent.tool"].create(
            {
                "name": "probe",
                "description": "Who runs this",
                "kind": "sql",
                "sql_template": probe,
                "connection_id": self.connection.id,
            }
        )
        self.assertEqual(
            tool._run_tool(self.env(user=self.ann), {}).output["rows"], [{"pid": pid, "role": role}]
        )
        self.assertEqual(process_pool().stats.opened, opened)
        # another team's role never gets ann's session, and the refusal still holds on ann's
        other = tool._run_tool(self.env(user=self.ben), {}).output["rows"][0]
        self.assertNotEqual((other["pid"], other["role"]), (pid, role))
        run(QUERY)
        self.assertEqual(results[QUERY][1], [["ann", 100.0]])
        with self.assertRaisesRegex(QueryRefused, "permission denied"):
            self._executor(self.ben)[0](QUERY)
