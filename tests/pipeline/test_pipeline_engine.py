"""Engine tier of pipelines: SQL step runtime (real PostgreSQL), webhooks (loopback), schedules."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psycopg2
import pytest

import ipwb.integrations.webhook
import ipwb.pipeline.budget
import ipwb.pipeline.schedule
import ipwb.pipeline.sqlstep
from ipwb.errors import ConfigurationError, IntegrationError, ParameterError, QueryTimeout, WarehouseError
from ipwb.integrations.outbound import OutboundPolicy
from ipwb.integrations.webhook import call_webhook
from ipwb.pipeline import check_budget, compute_cost, is_due, plan_cron, run_sql_step
from ipwb.sql.write_scope import WriteScopeRefused
from ipwb.warehouse.connection import WarehouseConfig


@pytest.mark.parametrize("module", [ipwb.pipeline.sqlstep, ipwb.pipeline.schedule, ipwb.pipeline.budget])
def test_doctests(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


@pytest.fixture
def config(scratch_db: str) -> WarehouseConfig:
    return WarehouseConfig.from_dsn(scratch_db)


def _layers(config: WarehouseConfig) -> None:
    """The layer schemas a step writes into (created as the scratch database's owner)."""
    with psycopg2.connect(**config.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("CREATE SCHEMA silver; CREATE SCHEMA gold; CREATE TABLE silver.s (a int, d date)")


def test_sql_step_runs_a_script_in_one_transaction(config: WarehouseConfig) -> None:
    _layers(config)
    script = """
        CREATE TABLE silver.t (id int, day date);
        INSERT INTO silver.t SELECT g, %(start_date)s::date FROM generate_series(1, 4) g;
        UPDATE silver.t SET id = id * 10 WHERE id > 2;
        SELECT count(*) FROM silver.t;
    """
    result = run_sql_step(
        config, script, {"start_date": "2024-02-01", "unused": 1}, targets=["silver.t"], timeout_s=10
    )
    assert (result.rows_affected, result.statements) == (6, 4)
    assert [e.target for e in result.lineage] == []  # generate_series: no table source
    with psycopg2.connect(**config.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("SELECT sum(id), min(day)::text FROM silver.t")
        assert cur.fetchone() == (73, "2024-02-01")


def test_failed_statement_rolls_back_the_whole_step(config: WarehouseConfig) -> None:
    _layers(config)
    with pytest.raises(WarehouseError, match="statement 2 of 2 failed"):
        run_sql_step(config, "CREATE TABLE gold.kept (id int); SELECT 1 / 0", targets=["gold.kept"])
    with psycopg2.connect(**config.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("SELECT to_regclass('gold.kept')")
        assert cur.fetchone() == (None,)


def test_timeout_and_missing_parameters(config: WarehouseConfig) -> None:
    with pytest.raises(QueryTimeout, match=r"timeout of 0\.2 s"):
        run_sql_step(config, "SELECT pg_sleep(2)", targets=(), timeout_s=0.2)
    with pytest.raises(ParameterError, match="end_date"):
        run_sql_step(config, "SELECT %(end_date)s", targets=())


def test_lineage_of_a_transform(config: WarehouseConfig) -> None:
    _layers(config)
    result = run_sql_step(
        config,
        "CREATE TABLE gold.t AS SELECT a FROM silver.s WHERE d >= %(start)s",
        {"start": "2024-01-01"},
        targets=["gold.t"],
    )
    assert [(e.source, e.target) for e in result.lineage] == [("silver.s", "gold.t")]
    assert result.lineage_result is not None and result.lineage_result.columns


class _Hook(BaseHTTPRequestHandler):
    answers: list[int] = []
    seen: list[dict[str, object]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        type(self).seen.append(json.loads(body))
        status = type(self).answers.pop(0) if type(self).answers else 200
        self.send_response(status)
        self.end_headers()
        self.wfile.write(b'{"ok": true}')

    def log_message(self, *args: object) -> None:
        return None


#: these tests call a loopback peer: allow-listed explicitly (the default policy refuses it)
LOOPBACK = OutboundPolicy.from_entries(["127.0.0.1"])


@pytest.fixture
def hook() -> object:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Hook.answers, _Hook.seen = [], []
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook/x"
    server.shutdown()
    server.server_close()


def test_webhook_retries_5xx_then_succeeds(hook: str) -> None:
    _Hook.answers = [503, 500]
    waits: list[float] = []
    answer = call_webhook(hook, {"a": 1}, policy=LOOPBACK, retries=2, backoff_s=0.5, sleep=waits.append)
    assert (answer.status, answer.attempts, answer.json()) == (200, 3, {"ok": True})
    assert waits == [0.5, 1.0]
    assert _Hook.seen == [{"a": 1}] * 3


def test_webhook_client_error_is_not_retried(hook: str) -> None:
    _Hook.answers = [404]
    with pytest.raises(IntegrationError, match="HTTP 404"):
        call_webhook(hook, policy=LOOPBACK, retries=3, sleep=lambda _s: None)
    assert len(_Hook.seen) == 1


def test_webhook_unreachable_and_bad_urls() -> None:
    with pytest.raises(IntegrationError, match="after 2 attempt"):
        call_webhook(
            "http://127.0.0.1:9/none", policy=LOOPBACK, retries=1, timeout_s=1, sleep=lambda _s: None
        )
    with pytest.raises(ConfigurationError):
        call_webhook("file:///etc/passwd", policy=LOOPBACK)


def test_schedules_map_onto_interval_crons() -> None:
    now = dt.datetime(2024, 3, 1, 3, 7)
    cases = {
        "*/15 * * * *": (15, "minutes", True),
        "5 * * * *": (1, "hours", True),
        "30 2 * * *": (1, "days", True),
        "0 6 * * 1": (1, "weeks", True),
        "0 9 * * mon-fri": (1, "hours", False),
        "0 0 1 * *": (1, "hours", False),
        "every 90 min": (90, "minutes", True),
    }
    for text, expected in cases.items():
        plan = plan_cron(text, now)
        assert (plan.interval_number, plan.interval_type, plan.exact) == expected, text
        assert plan.nextcall > now
    assert plan_cron("0 6 * * 1", now).nextcall == dt.datetime(2024, 3, 4, 6, 0)
    assert not is_due("0 0 1 * *", dt.datetime(2024, 3, 1), dt.datetime(2024, 3, 20))
    assert is_due("0 0 1 * *", dt.datetime(2024, 3, 1), dt.datetime(2024, 4, 1))


def test_budget() -> None:
    assert compute_cost(3600, 0.0004) == 1.44
    assert check_budget(5.01, 5.0, "warn").exceeded and not check_budget(5.01, 5.0, "warn").block
    assert not check_budget(100, 0, "block").exceeded
    with pytest.raises(ConfigurationError):
        check_budget(1, 1, "shout")


@pytest.mark.parametrize(
    "script",
    [
        "INSERT INTO silver.s VALUES (1, NULL); DROP SCHEMA gold CASCADE",
        "INSERT INTO silver.s VALUES (1, NULL); ALTER ROLE CURRENT_USER NOSUPERUSER",
        "INSERT INTO silver.s VALUES (1, NULL); GRANT ALL ON silver.s TO PUBLIC",
        "INSERT INTO silver.s VALUES (1, NULL);\nCREATE FUNCTION gold.f() RETURNS int AS 'select 1' LANGUAGE sql",  # noqa: E501
        "INSERT INTO silver.s VALUES (1, NULL); CREATE TABLE public.leak AS SELECT * FROM silver.s",
        "INSERT INTO silver.s VALUES (1, NULL); INSERT INTO gold.other SELECT 1",
    ],
)
def test_a_script_outside_its_targets_is_refused_before_anything_runs(
    config: WarehouseConfig, script: str
) -> None:
    _layers(config)
    with psycopg2.connect(**config.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE gold.other (a int)")
    with pytest.raises(WriteScopeRefused, match=r"line [12], column \d+ in `") as refused:
        run_sql_step(config, script, targets=["silver.s"])
    assert len(refused.value.problems) == 1
    with psycopg2.connect(**config.connect_kwargs()) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM silver.s), to_regclass('public.leak') IS NULL,"
            " to_regprocedure('gold.f()') IS NULL, (SELECT count(*) FROM gold.other),"
            " has_table_privilege('public', 'silver.s', 'SELECT')"
        )
        assert cur.fetchone() == (0, True, True, 0, False)  # not even the allowed INSERT ran
