# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""specs/genie/finance_eval.yaml on the warehouse the workbench builds: the finance demo
company's year (the generator setup/run.sh calls, for 2025), loaded by the finance pipeline
into gold and the bi views. Every reference query must run and return data, every probe of a
question that must not be answered must be refused, and Genie › Evaluations must report
exactly what a scripted model got right."""

from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.errors import IpwbError
from ipwb.finance import marts
from ipwb.finance import warehouse as wh
from ipwb.llm.catalog_export import live_catalog
from ipwb.llm.evaluate import load_eval_set
from ipwb.llm.readonly import readonly_executor
from ipwb.llm.sqlcheck import InvalidSql, check_sql
from ipwb.testing.openai_peer import OpenAIPeer
from ipwb.warehouse.connection import connect

from ..services import demo_data, extract

try:  # Genie is not a dependency of the finance domain; the test suite installs both
    from odoo.addons.ipwb_genie.services import evaluation
    from odoo.addons.ipwb_genie.services.gateway import Catalogs
except ImportError:  # pragma: no cover
    evaluation = Catalogs = None

DEMO_YEAR = 2025
#: answers the scripted model gets wrong, and the reason the harness must give
WRONG = {
    "vat-m-02": (
        "SELECT sum(vat) FROM gold.fin_vat_2550m WHERE line_code = '56' AND period_month = DATE '2025-03-01'",
        "wrong filter",
    ),
    "ewt-08": (
        "SELECT sum(income_payment) FROM gold.fin_ewt_payee_atc WHERE payee_name = 'Santos Law Office'",
        "result mismatch",
    ),
    "sawt-03": ("SELECT DISTINCT atc FROM gold.fin_qap", "wrong table"),
    "exp-05": (
        "SELECT sum(amount) FROM gold.fin_expense_spend WHERE employee_name = 'Maria Santos'",
        "hallucinated column",
    ),
    "nid-01": (
        "SELECT employee_name, sum(total_amount) FROM gold.fin_expense_spend GROUP BY employee_name",
        "answered instead of refusing",
    ),
}


def reply(sql):
    return f"```sql\n{sql}\n```"


@tagged("post_install", "-at_install")
class TestGenieEvalSet(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        conn = connect(extract.writer_config(cls.env))
        try:
            marts.drop_domain_tables(conn, wh.FinanceSchemas())
            conn.commit()
        finally:
            conn.close()
        demo_data.generate(cls.env, year=DEMO_YEAR)
        run = cls.env["ipwb.finance.run"]._run_pipeline()
        assert run.state == "succeeded", run.error
        cls.connection = cls.env["ipwb.connection"]._get_default()
        cls.connection._scan_catalog()  # the whole warehouse: gold and the bi views
        # what the post-commit sync does after a real scan: grants on the rebuilt tables
        cls.connection._sync_warehouse_grants()
        cls.eval_set = load_eval_set(evaluation.SETS_DIR / "finance_eval.yaml") if evaluation else None
        cls.orchestrator = new_test_user(
            cls.env, "eval_orchestrator", groups="ipwb_catalog.group_ipwb_ai_orchestrator"
        )
        cls.reader = cls.connection._user_warehouse_config(cls.orchestrator)

    def test_every_reference_query_returns_data_and_every_probe_is_refused(self):
        self.assertIsNotNone(evaluation, "Genie is installed with the finance domain")
        catalog = live_catalog(self.connection._warehouse_config(), ["gold", "bi"])
        self.eval_set.check_against(catalog)
        self.assertGreaterEqual(len(self.eval_set.cases), 80)
        execute = readonly_executor(self.reader, timeout_s=30)
        for case in self.eval_set.cases:
            if case.answerable:
                _columns, rows = execute(case.sql)
                self.assertTrue(rows, f"{case.id}: no rows on the demo warehouse")
                values = [v for row in rows for v in row]
                self.assertTrue(any(v is not None for v in values), f"{case.id}: only NULLs")
                continue
            with self.assertRaises(InvalidSql, msg=case.id):
                check_sql(case.probe, catalog)
            if case.expect == "refuse":  # and the guard refuses it before any database work
                with self.assertRaises(IpwbError, msg=case.id):
                    execute(case.probe)

    def test_evaluation_reports_the_scripted_truth(self):
        self.assertIsNotNone(evaluation, "Genie is installed with the finance domain")
        Catalogs.clear()
        self.env["ipwb.genie.eval.run"].search([]).unlink()
        with OpenAIPeer() as peer:
            model = self.env["ipwb.llm.model"].create(
                {
                    "name": "Scripted",
                    "litellm_model": "openai/scripted",
                    "api_base": peer.base_url,
                    "api_key": "sk-eval-test",
                    "timeout": 10,
                    "max_retries": 0,
                    "sequence": 0,
                }
            )
            for case in self.eval_set.cases:
                sql, _reason = WRONG.get(case.id, (case.sql or case.probe, ""))
                # an answer that never validates is asked three times (the repair loop)
                valid = (case.answerable and case.id != "exp-05") or case.id == "nid-01"
                for _ in range(1 if valid else 3):
                    peer.reply(reply(sql))
            wizard = (
                self.env["ipwb.genie.eval.wizard"]
                .with_user(self.orchestrator)
                .create(
                    {"llm_model_id": model.id, "connection_id": self.connection.id, "eval_set": "finance"}
                )
            )
            run = self.env["ipwb.genie.eval.run"].browse(wizard.action_run()["res_id"])
            self.env["ipwb.genie.eval.run"]._cron_run_queued()
            self.assertEqual(run.state, "done", run.error)
            reasons = run.result_ids.mapped(lambda r: f"{r.case_id}: {r.reason} {r.detail or ''}")
            self.assertEqual(peer.pending, 0, "\n".join(reasons[:10]))
        total = len(self.eval_set.cases)
        self.assertEqual((run.questions, run.evaluated), (total, total))
        self.assertEqual(run.correct, total - len(WRONG))
        # stored to one decimal (the field's digits)
        self.assertAlmostEqual(run.accuracy, 100.0 * (total - len(WRONG)) / total, delta=0.05)
        wrong = {r.case_id: r.reason for r in run.result_ids if r.outcome == "wrong"}
        self.assertEqual(wrong, {case_id: reason for case_id, (_sql, reason) in WRONG.items()})
