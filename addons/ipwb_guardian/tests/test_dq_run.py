# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Checks run through the engine on the real test warehouse with planted defects."""

from odoo.exceptions import UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tests.common import TransactionCase

from ipwb.warehouse.pool import process_pool

from .common import WebhookReceiver, defect_schema


@tagged("post_install", "-at_install")
class TestDqRun(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.wh = defect_schema()
        cls.addClassCleanup(cls.wh.drop)
        cls.engineer = new_test_user(cls.env, "grd_run_de", groups="ipwb_catalog.group_ipwb_data_engineer")
        cls.viewer = new_test_user(cls.env, "grd_run_user", groups="ipwb_catalog.group_ipwb_user")
        cls.customers = f"{cls.wh.name}.customers"
        cls.orders = f"{cls.wh.name}.orders"

    def _check(self, **values):
        values.setdefault("domain", "crm")
        values.setdefault("owner_id", self.engineer.id)
        return self.env["ipwb.dq.check"].create(values)

    def _planted(self):
        Check = self.env["ipwb.dq.check"].browse()
        Check |= self._check(
            name="email set", table_ref=self.customers, column_name="email", check_type="not_null"
        )
        Check |= self._check(
            name="id unique", table_ref=self.customers, column_name="customer_id", check_type="unique"
        )
        Check |= self._check(
            name="region known",
            table_ref=self.customers,
            column_name="region",
            check_type="accepted_values",
            accepted_values="north, south, east, west",
        )
        Check |= self._check(
            name="customer exists",
            table_ref=self.orders,
            column_name="customer_id",
            check_type="relationships",
            ref_table=self.customers,
            ref_column="customer_id",
        )
        Check |= self._check(
            name="orders fresh",
            table_ref=self.orders,
            column_name="ordered_at",
            check_type="freshness",
            max_age_hours=24,
        )
        return Check

    def test_a_second_run_opens_no_warehouse_connection(self):
        process_pool().clear()
        self.addCleanup(process_pool().clear)
        checks = self._planted()
        checks.with_user(self.engineer).action_run()
        opened, reused = process_pool().stats.opened, process_pool().stats.reused
        self.assertGreater(process_pool().idle_count(), 0)
        checks.with_user(self.engineer).action_run()
        self.assertEqual(process_pool().stats.opened, opened)
        self.assertGreater(process_pool().stats.reused, reused)
        first, second = (
            [
                (r.status, r.failed_rows, r.total_rows)
                for r in checks.mapped(lambda c, i=i: c.result_ids.sorted("id")[i])
            ]
            for i in (0, 1)
        )
        self.assertEqual(first, second)

    def test_each_planted_defect_is_found_sampled_and_scored(self):
        checks = self._planted()
        checks.with_user(self.engineer).action_run()
        by_name = {c.name: c.result_ids[:1] for c in checks}
        self.assertEqual(
            [(r.status, r.failed_rows, r.total_rows) for r in by_name["email set"]], [("fail", 2, 6)]
        )
        self.assertEqual(sorted(row["customer_id"] for row in by_name["email set"].sample), [2, 4])
        self.assertIn("IS NULL", by_name["email set"].generated_sql)
        self.assertEqual((by_name["id unique"].status, by_name["id unique"].failed_rows), ("fail", 2))
        self.assertEqual(by_name["region known"].sample[0]["region"], "mars")
        self.assertEqual(by_name["customer exists"].sample[0]["customer_id"], 77)
        fresh = by_name["orders fresh"]
        self.assertEqual(fresh.status, "fail")
        self.assertGreater(fresh.observed, 47)
        self.assertTrue(all(c.last_status == "fail" for c in checks))

        cards = self.env["ipwb.dq.scorecard"].search([("name", "in", (self.customers, self.orders, "crm"))])
        table_card = cards.filtered(lambda c: c.name == self.customers)
        self.assertEqual(len(table_card), 1)
        self.assertAlmostEqual(table_card.completeness, 100 * 4 / 6, places=3)
        self.assertAlmostEqual(table_card.uniqueness, 100 * 4 / 6, places=3)
        self.assertAlmostEqual(table_card.validity, 100 * 5 / 6, places=3)
        self.assertEqual(table_card.timeliness, 0.0)
        orders_card = cards.filtered(lambda c: c.name == self.orders)
        self.assertEqual(orders_card.timeliness, 0.0)
        self.assertTrue(cards.filtered(lambda c: c.scope == "domain" and c.name == "crm"))

        # fix a defect in the warehouse: the trend goes up on the next run
        self.wh.execute("UPDATE {schema}.customers SET email = 'fixed@x.ph' WHERE email IS NULL")
        self.addCleanup(
            self.wh.execute, "UPDATE {schema}.customers SET email = NULL WHERE email = 'fixed@x.ph'"
        )
        checks.filtered(lambda c: c.table_ref == self.customers)._run_checks()
        latest = self.env["ipwb.dq.scorecard"].search([("name", "=", self.customers)], limit=1)
        self.assertEqual(latest.completeness, 100.0)
        self.assertGreater(latest.trend, 0)
        # the at-a-glance view reads the latest card: one per table, with the score history
        first = table_card
        self.assertEqual((latest.is_latest, first.is_latest), (True, False))
        self.assertEqual(latest.score_history, [round(first.overall, 2), round(latest.overall, 2)])
        self.assertEqual(latest.domain_name, "crm")
        domain_cards = self.env["ipwb.dq.scorecard"].search([("scope", "=", "domain"), ("name", "=", "crm")])
        self.assertEqual(domain_cards.filtered("is_latest").domain_name, "crm")
        self.assertEqual(len(domain_cards.filtered("is_latest")), 1)
        self.assertEqual(len(checks[0].result_ids), 2)

    def test_dbt_managed_checks_run_through_dbt_for_real(self):
        email = self._check(
            name="email set",
            table_ref=self.customers,
            column_name="email",
            check_type="not_null",
            dbt_managed=True,
        )
        ids = self._check(
            name="id unique",
            table_ref=self.customers,
            column_name="customer_id",
            check_type="unique",
            dbt_managed=True,
        )
        fresh = self._check(
            name="orders fresh",
            table_ref=self.orders,
            column_name="ordered_at",
            check_type="freshness",
            max_age_hours=24,
            dbt_managed=True,
        )
        plain = self._check(
            name="plain", table_ref=self.customers, column_name="region", check_type="not_null"
        )
        results = (email | ids | fresh | plain).with_user(self.engineer)._run_dbt_tests()
        self.assertEqual(len(results), 3)  # the plain check is not dbt-managed
        self.assertEqual((email.result_ids.status, email.result_ids.failed_rows), ("fail", 2))
        self.assertIn("dbt test guardian_email_set: fail", email.result_ids.message)
        self.assertEqual(
            (ids.result_ids.status, ids.result_ids.failed_rows), ("fail", 1)
        )  # one duplicated id
        self.assertEqual(fresh.result_ids.status, "error")  # no dbt equivalent
        self.assertFalse(plain.result_ids)
        with self.assertRaises(UserError):
            plain.with_user(self.engineer).action_run_dbt()

    def test_unreachable_table_is_an_error_result_not_a_crash(self):
        check = self._check(
            name="gone", table_ref=f"{self.wh.name}.nowhere", column_name="x", check_type="not_null"
        )
        check._run_checks()
        self.assertEqual(check.result_ids.status, "error")
        self.assertIn("nowhere", check.result_ids.message)

    def test_only_engineers_run_checks(self):
        check = self._check(
            name="email set", table_ref=self.customers, column_name="email", check_type="not_null"
        )
        with self.assertRaises(UserError):
            check.with_user(self.viewer).action_run()
        self.assertFalse(check.result_ids)

    def test_pipeline_gate_hook(self):
        check = self._check(
            name="email set", table_ref=self.customers, column_name="email", check_type="not_null"
        )
        passed, detail = check._ipwb_gate_result()
        self.assertFalse(passed)
        self.assertIn("2 of 6", detail)

    def test_volume_compares_with_past_results(self):
        check = self._check(
            name="orders volume", table_ref=self.orders, check_type="volume", max_change_pct=20
        )
        check._run_checks()
        self.assertEqual(check.result_ids.status, "pass")  # no history yet
        self.wh.execute("INSERT INTO {schema}.orders SELECT g, 1, now() FROM generate_series(10, 30) AS g")
        self.addCleanup(self.wh.execute, "DELETE FROM {schema}.orders WHERE order_id >= 10")
        check._run_checks()
        latest = check.result_ids._newest()
        self.assertEqual(latest.status, "fail")
        self.assertEqual(latest.observed, 24)

    def test_score_drop_alerts_webhook_and_owner_once(self):
        receiver = WebhookReceiver()
        self.addCleanup(receiver.close)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("ipwb_guardian.webhook_url", receiver.url)
        params.set_param("ipwb_guardian.score_threshold", "90")
        checks = self._planted()
        checks._run_checks()
        self.assertEqual(len(receiver.received), 3)  # two tables and the domain dropped below 90
        texts = sorted(body["text"] for body in receiver.received)
        self.assertTrue(any(self.customers in t and "threshold 90" in t for t in texts), texts)
        card = self.env["ipwb.dq.scorecard"].search([("name", "=", self.customers)], limit=1)
        self.assertTrue(card.alerted)
        activity = card.activity_ids
        self.assertEqual(activity.user_id, self.engineer)
        checks._run_checks()  # still low: no second alert
        self.assertEqual(len(receiver.received), 3)

    def test_unreachable_webhook_does_not_stop_the_run(self):
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("ipwb_guardian.webhook_url", "http://127.0.0.1:9/hooks/none")
        check = self._check(
            name="email set", table_ref=self.customers, column_name="email", check_type="not_null"
        )
        check._run_checks()
        card = self.env["ipwb.dq.scorecard"].search([("name", "=", self.customers)], limit=1)
        self.assertTrue(card.alerted)
        self.assertIn("webhook failed", card.message_ids[:1].body)

    def test_settings_are_validated(self):
        Settings = self.env["res.config.settings"]
        with self.assertRaises(ValidationError):
            Settings.create({"ipwb_guardian_webhook_url": "ftp://x"})
        with self.assertRaises(ValidationError):
            Settings.create({"ipwb_guardian_score_threshold": 120})
        with self.assertRaises(ValidationError):
            Settings.create(
                {
                    f"ipwb_guardian_weight_{d}": 0
                    for d in ("completeness", "uniqueness", "consistency", "validity", "timeliness")
                }
            )
