"""``ipwb bench guardian --rows N --dsn …``: Guardian's checks on a gold table of N rows, 20 columns.

The usual checks (not_null on most columns, unique on the key and on a business code,
accepted_values on three coded columns, freshness, volume) run twice: batched (the
single-column measures of the table in one aggregate scan, :mod:`ipwb.guardian.batch`) and
one query per check, printed against the yardstick, a single ``count(*)`` of the same table,
and against each other. The scorecard is refreshed from the batched results (the score a
refresh computes). Figures only, with the load average of the machine; nothing asserts.

The table is created (UNLOGGED: a benchmark table needs no WAL) in ``--schema`` by the
``--dsn`` role and reused by later runs when it already holds N rows; ``--drop`` drops it
at the end (10M rows take about 2 GB).
"""

from __future__ import annotations

import dataclasses
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

from psycopg2 import sql

from ipwb.guardian.checks import CheckSpec
from ipwb.guardian.runner import CheckResult, run_checks
from ipwb.guardian.scoring import score_by_table
from ipwb.warehouse.connection import WarehouseConfig, connect

TABLE = "gold_dq_volume"
#: the 20 columns: (name, SQL type, expression of ``g``, the row number)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("id", "bigint", "g"),
    ("invoice_code", "text", "'INV-' || g"),
    ("company_id", "int", "1 + g % 2"),
    ("partner_id", "int", "1 + g % 5000"),
    ("move_type", "text", "(ARRAY['out_invoice','in_invoice','out_refund','in_refund'])[1 + g % 4]"),
    ("state", "text", "CASE WHEN g % 1000 = 0 THEN 'cancel' ELSE 'posted' END"),
    ("currency", "text", "'PHP'"),
    ("invoice_date", "date", "DATE '2025-01-01' + (g % 365)"),
    ("due_date", "date", "DATE '2025-01-31' + (g % 365)"),
    ("amount_untaxed", "numeric(14,2)", "(g % 100000) / 10.0"),
    ("amount_tax", "numeric(14,2)", "(g % 100000) * 0.012"),
    ("amount_total", "numeric(14,2)", "(g % 100000) * 0.112"),
    ("withholding", "numeric(14,2)", "CASE WHEN g % 4 = 0 THEN (g % 100000) * 0.001 END"),
    ("atc", "text", "(ARRAY['WC158','WC010','WI010','WC120',NULL])[1 + g % 5]"),
    ("vat_kind", "text", "(ARRAY['vatable','zero_rated','exempt'])[1 + g % 3]"),
    ("quarter", "text", "'2025-Q' || (1 + (g % 365) / 92)"),
    ("journal_code", "text", "(ARRAY['INV','BILL','BNK1'])[1 + g % 3]"),
    ("branch_code", "text", "'000'"),
    ("memo", "text", "md5(g::text)"),
    ("loaded_at", "timestamptz", "now() - (g % 3600) * interval '1 second'"),
)


def checks(rows: int, schema: str) -> list[CheckSpec]:
    """The usual checks of a gold table: 13 not_null, 2 unique, 3 accepted_values, freshness, volume."""
    table = f"{schema}.{TABLE}"
    not_null = [
        "id", "invoice_code", "company_id", "partner_id", "move_type", "state", "currency",
        "invoice_date", "due_date", "amount_untaxed", "amount_tax", "amount_total", "loaded_at",
    ]  # fmt: skip
    accepted = {
        "move_type": ["out_invoice", "in_invoice", "out_refund", "in_refund"],
        "state": ["posted"],  # one row in 1000 is cancelled: a failing check, sampled
        "vat_kind": ["vatable", "zero_rated", "exempt"],
    }
    found = [CheckSpec(f"{c} set", table, "not_null", c) for c in not_null]
    found += [CheckSpec(f"{c} unique", table, "unique", c) for c in ("id", "invoice_code")]
    found += [
        CheckSpec(f"{c} known", table, "accepted_values", c, params={"values": v})
        for c, v in accepted.items()
    ]
    found.append(CheckSpec("fresh", table, "freshness", "loaded_at", params={"max_age_hours": 24}))
    found.append(CheckSpec("rows", table, "volume", params={"history": [rows, rows, rows]}))
    return found


def _row_count(cur: Any, schema: str) -> int | None:
    cur.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{schema}.{TABLE}",))
    if not cur.fetchone()[0]:
        return None
    cur.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(schema, TABLE)))
    return int(cur.fetchone()[0])


def ensure_table(config: WarehouseConfig, rows: int, schema: str, *, primary_key: bool) -> float:
    """The benchmark table with ``rows`` rows (built unless it already is); seconds spent building."""
    conn = connect(config)
    conn.autocommit = True
    started = time.perf_counter()
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))
            target = sql.Identifier(schema, TABLE)
            if _row_count(cur, schema) == rows:
                _keys(cur, target, primary_key=primary_key)
                return 0.0
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(target))
            columns = sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(t)) for n, t, _ in COLUMNS
            )
            cur.execute(sql.SQL("CREATE UNLOGGED TABLE {} ({})").format(target, columns))
            values = sql.SQL(", ").join(sql.SQL(e) for _, _, e in COLUMNS)
            cur.execute(
                sql.SQL("INSERT INTO {} SELECT {} FROM generate_series(1, {}) AS g").format(
                    target, values, sql.Literal(rows)
                )
            )
            _keys(cur, target, primary_key=primary_key)
            cur.execute(sql.SQL("VACUUM ANALYZE {}").format(target))
    finally:
        conn.close()
    return time.perf_counter() - started


def _keys(cur: Any, target: sql.Identifier, *, primary_key: bool) -> None:
    """A gold table's keys: the primary key ``id`` and the unique business code (or none,
    to measure the unique checks' sort)."""
    if primary_key:
        cur.execute(
            sql.SQL("SELECT count(*) FROM pg_index WHERE indrelid = to_regclass(%s) AND indisunique"),
            (target.as_string(cur),),
        )
        if cur.fetchone()[0] < 2:
            cur.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS gold_dq_volume_pkey").format(target)
            )
            cur.execute(
                sql.SQL("DROP INDEX IF EXISTS {}").format(
                    sql.Identifier(target.strings[0], "gold_dq_volume_code")
                )
            )
            cur.execute(sql.SQL("ALTER TABLE {} ADD PRIMARY KEY (id)").format(target))
            cur.execute(
                sql.SQL("CREATE UNIQUE INDEX gold_dq_volume_code ON {} (invoice_code)").format(target)
            )
    else:
        cur.execute(sql.SQL("ALTER TABLE {} DROP CONSTRAINT IF EXISTS gold_dq_volume_pkey").format(target))
        cur.execute(
            sql.SQL("DROP INDEX IF EXISTS {}").format(
                sql.Identifier(target.strings[0], "gold_dq_volume_code")
            )
        )


def drop_table(config: WarehouseConfig, schema: str) -> None:
    conn = connect(config)
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(schema, TABLE)))
    finally:
        conn.close()


def _median_s(call: Callable[[], object], repeat: int) -> tuple[float, object]:
    samples, last = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        last = call()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), last


def count_star(config: WarehouseConfig, schema: str, *, every_column: bool = False) -> int:
    """One ``count(*)`` of the table (the yardstick), or with ``every_column`` the rows whose
    last column is NULL: the same parallel scan made to read every column of every row, the
    least any check of the last column costs."""
    counted: sql.Composable = sql.SQL("count(*)")
    if every_column:
        counted = sql.SQL("count(*) FILTER (WHERE {} IS NULL)").format(sql.Identifier(COLUMNS[-1][0]))
    conn = connect(config)
    try:
        with conn.cursor() as cur:
            cur.execute(sql.SQL("SELECT {} FROM {}").format(counted, sql.Identifier(schema, TABLE)))
            row = cur.fetchone()
            return int(row[0]) if row else 0
    finally:
        conn.close()


@dataclasses.dataclass
class GuardianVolumeBench:
    rows: int
    columns: int
    checks: int
    keyed: bool
    build_s: float
    count_star_s: float
    every_column_s: float
    batched_s: float
    ratio_median: float
    per_check_s: float | None
    scorecard_ms: float
    score: float
    failing: list[str]
    errors: list[str]
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    def lines(self) -> list[str]:
        ratio = self.ratio_median
        head = [
            f"gold table: {self.rows:,} rows x {self.columns} columns, {self.checks} checks"
            + (f" (built in {self.build_s:.0f} s)" if self.build_s else " (reused)"),
            f"yardstick count(*): {self.count_star_s:.2f} s (median)",
            f"every column of every row read, nothing checked: {self.every_column_s:.2f} s (median)"
            f" = {self.every_column_s / self.count_star_s:.2f}x count(*) (any check of the last column)",
            f"batched checks (one scan per table + samples of failing checks): {self.batched_s:.2f} s"
            f" (median); median of the paired ratios {ratio:.2f}x count(*) (goal <= 2x)",
        ]
        if self.per_check_s is not None:
            head.append(
                f"one query per check: {self.per_check_s:.2f} s = {self.per_check_s / self.count_star_s:.2f}x"
                f" count(*), {self.per_check_s / self.batched_s:.1f}x the batched run"
            )
        keys = (
            "primary key id, unique index invoice_code"
            if self.keyed
            else "no unique index (unique checks sort)"
        )
        return [
            *head,
            f"keys: {keys}",
            f"scorecard refresh from the batched results: {self.scorecard_ms:.2f} ms, score {self.score:.1f}",
            f"failing: {', '.join(self.failing) or 'none'}; errors: {', '.join(self.errors) or 'none'}",
            "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
                *self.load_before, *self.load_after
            ),
        ]


def bench(
    config: WarehouseConfig,
    *,
    rows: int,
    schema: str,
    repeat: int = 3,
    per_check: bool = True,
    primary_key: bool = True,
    drop: bool = False,
) -> GuardianVolumeBench:
    load_before = os.getloadavg()
    build_s = ensure_table(config, rows, schema, primary_key=primary_key)
    try:
        specs = checks(rows, schema)
        count_star(config, schema)  # warm the cache the same way for every side
        # interleaved pairs: on a shared machine the load moves between two runs, so each
        # batched run is compared with the count(*) just before it
        counts, every, batched, ratios = [], [], [], []
        results: list[CheckResult] = []
        for _ in range(repeat):
            count_s, _ = _median_s(lambda: count_star(config, schema), 1)
            every.append(_median_s(lambda: count_star(config, schema, every_column=True), 1)[0])
            batched_one, outcome = _median_s(lambda: run_checks(config, specs), 1)
            results = list(outcome)  # type: ignore[call-overload]
            counts.append(count_s)
            batched.append(batched_one)
            ratios.append(batched_one / count_s if count_s else float("inf"))
        count_s, batched_s = statistics.median(counts), statistics.median(batched)
        per_check_s = None
        if per_check:
            per_check_s, _ = _median_s(lambda: run_checks(config, specs, batch=False), 1)
        started = time.perf_counter()
        cards = score_by_table(results)
        scorecard_ms = (time.perf_counter() - started) * 1000
    finally:
        if drop:
            drop_table(config, schema)
    return GuardianVolumeBench(
        rows=rows,
        columns=len(COLUMNS),
        checks=len(specs),
        keyed=primary_key,
        build_s=build_s,
        count_star_s=count_s,
        every_column_s=statistics.median(every),
        batched_s=batched_s,
        ratio_median=statistics.median(ratios),
        per_check_s=per_check_s,
        scorecard_ms=scorecard_ms,
        score=cards[f"{schema}.{TABLE}"].overall,
        failing=[r.check.name for r in results if r.status == "fail"],
        errors=[f"{r.check.name}: {r.message}" for r in results if r.status == "error"],
        load_before=load_before,
        load_after=os.getloadavg(),
    )
