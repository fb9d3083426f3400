"""Run DQ checks in the warehouse: read-only guarded statements, samples capped.

Each check's compositions are rendered with a connection (psycopg2 quotes identifiers
with libpq) and then executed through :func:`ipwb.warehouse.execute.execute` — so they are
classified read-only, run in a ``READ ONLY`` transaction under a ``statement_timeout``, and a
write could not slip through even if generation were wrong. A check that cannot run (table
missing, timeout, refused) gives an ``error`` result; it never stops the other checks.
The single-column checks of one table share one aggregate scan (:mod:`ipwb.guardian.batch`).
Given a :class:`~ipwb.warehouse.pool.ConnectionPool`, every session (and the rendering
connection) is taken from it and given back, reset, so a scheduled run of many checks opens
no new connection once the worker has one.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import decimal
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import psycopg2

from ipwb.errors import IpwbError, WarehouseError
from ipwb.guardian.batch import UNIQUE_COLUMNS_SQL, batch_measure, split_row
from ipwb.guardian.batch import groups as batch_groups
from ipwb.guardian.checks import DEFAULT_SAMPLE_LIMIT, CheckSpec, generate
from ipwb.warehouse.connection import WarehouseConfig, connect
from ipwb.warehouse.execute import QueryResult, execute, prepare
from ipwb.warehouse.guard import guarded_session, session_options, translate_error
from ipwb.warehouse.pool import ConnectionPool

DEFAULT_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class _Target:
    """Where checks run: the settings and, optionally, the pool their sessions come from."""

    config: WarehouseConfig
    pool: ConnectionPool | None = None
    generation: str = ""

    def execute(self, sql: str, *, timeout_s: float, max_rows: int) -> QueryResult:
        return execute(
            self.config,
            sql,
            timeout_s=timeout_s,
            max_rows=max_rows,
            pool=self.pool,
            pool_generation=self.generation,
        )

    def render_connection(self) -> Any:
        """A connection to render compositions with (and read the catalog): the pool's
        read-only slot when there is a pool, so it is a kept session like the others."""
        if self.pool is None:
            return connect(self.config)
        options = session_options(True)
        try:
            conn, reused = self.pool.acquire(self.config, options, self.generation)
            if reused:
                try:
                    # an idle session may have died since (restart, terminated backend)
                    with conn.cursor() as cur:
                        cur.execute("SELECT 1")
                    conn.rollback()
                except (psycopg2.OperationalError, psycopg2.InterfaceError):
                    self.pool.discard(conn)
                    conn = self.pool.open(self.config, options)
        except psycopg2.Error as exc:
            raise WarehouseError(f"The warehouse session failed: {exc}") from None
        return conn

    def give_back(self, conn: Any) -> None:
        if self.pool is None:
            conn.close()
        else:
            self.pool.release(conn, self.config, session_options(True), self.generation)


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check: ``pass``/``fail``/``error``, counts, a capped sample."""

    check: CheckSpec
    status: str
    total: int = 0
    failed: int = 0
    observed: float | None = None
    message: str = ""
    sample: tuple[dict[str, Any], ...] = ()
    sql: str = ""
    sample_sql: str = ""
    duration_ms: float = 0.0
    ran_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))

    @property
    def pass_ratio(self) -> float:
        """Share of good rows (0–1); an error counts as 0, a pass without rows as 1."""
        if self.status == "error":
            return 0.0
        if self.check.check_type in ("freshness", "volume"):
            return 0.0 if self.status == "fail" else 1.0
        if not self.total:
            return 1.0
        return max(0.0, 1.0 - self.failed / self.total)

    def line(self) -> str:
        where = f"{self.check.table}.{self.check.column}" if self.check.column else self.check.table
        detail = self.message or f"{self.failed} of {self.total} row(s) failing"
        return f"{self.status.upper():5} {self.check.check_type:15} {where}: {self.check.name}: {detail}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.check.name,
            "table": self.check.table,
            "column": self.check.column,
            "check_type": self.check.check_type,
            "dimension": self.check.dimension,
            "severity": self.check.severity,
            "blocking": self.check.blocking,
            "status": self.status,
            "total": self.total,
            "failed": self.failed,
            "observed": self.observed,
            "message": self.message,
            "sample": list(self.sample),
            "sql": self.sql,
            "sample_sql": self.sample_sql,
            "duration_ms": round(self.duration_ms, 3),
            "ran_at": self.ran_at.isoformat(),
        }


def json_safe(value: Any) -> Any:  # noqa: PLR0911 - one return per type
    """A sample value as JSON data (decimals, dates, bytes … as text)."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, bytes | memoryview):
        return f"<{len(bytes(value))} bytes>"
    return str(value)


def _volume_verdict(check: CheckSpec, count: float) -> tuple[bool, str]:
    history = [float(x) for x in check.params.get("history", []) or []]
    if not history:
        return True, f"{count:.0f} row(s); no history to compare with"
    mean = statistics.fmean(history)
    max_z = float(check.params.get("max_z", 3))
    max_pct = float(check.params.get("max_change_pct", 50))
    change = (count - mean) / mean * 100 if mean else (0.0 if count == 0 else 100.0)
    stdev = statistics.stdev(history) if len(history) > 1 else 0.0
    z = (count - mean) / stdev if stdev else None
    z_text = f", z-score {z:.1f}" if z is not None else ""
    bad = abs(change) > max_pct or (z is not None and abs(z) > max_z)
    return not bad, f"{count:.0f} row(s) vs mean {mean:.0f} of {len(history)} run(s): {change:+.1f}%{z_text}"


def _verdict(check: CheckSpec, failed: int, observed: float | None) -> tuple[int, str]:
    """Failed count and message of a measured check (volume/freshness judge the observed value)."""
    if check.check_type == "volume":
        ok, message = _volume_verdict(check, observed or 0.0)
        return (0 if ok else 1), message
    if check.check_type == "freshness":
        slo = check.params["max_age_hours"]
        if observed is None:
            return failed, "no rows: freshness unknown"
        return failed, f"latest row is {observed:.1f} h old (SLO {slo} h)"
    return failed, ""


def _sample(
    target: _Target, sample_sql: str, *, sample_limit: int, timeout_s: float
) -> tuple[dict[str, Any], ...]:
    page = target.execute(sample_sql, timeout_s=timeout_s, max_rows=sample_limit)
    return tuple(
        {name: json_safe(value) for name, value in zip(page.column_names, values, strict=False)}
        for values in page.rows[:sample_limit]
    )


def _error(
    check: CheckSpec, exc: IpwbError, measure_sql: str, sample_sql: str, started: float
) -> CheckResult:
    return CheckResult(
        check,
        "error",
        message=str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__,
        sql=measure_sql,
        sample_sql=sample_sql,
        duration_ms=(time.perf_counter() - started) * 1000,
    )


def _measured(
    target: _Target,
    check: CheckSpec,
    row: tuple[Any, Any, Any],
    *,
    measure_sql: str,
    sample_sql: str,
    started: float,
    sample_limit: int,
    timeout_s: float,
) -> CheckResult:
    total, failed = int(row[0] or 0), int(row[1] or 0)
    observed = float(row[2]) if row[2] is not None else None
    failed, message = _verdict(check, failed, observed)
    sample: tuple[dict[str, Any], ...] = ()
    if failed and sample_sql:
        sample = _sample(target, sample_sql, sample_limit=sample_limit, timeout_s=timeout_s)
    return CheckResult(
        check,
        "fail" if failed else "pass",
        total,
        failed,
        observed,
        message,
        sample,
        measure_sql,
        sample_sql,
        (time.perf_counter() - started) * 1000,
    )


def run_check(
    config: WarehouseConfig,
    check: CheckSpec,
    *,
    conn: Any = None,
    sample_limit: int = DEFAULT_SAMPLE_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
) -> CheckResult:
    """Run one check (``conn`` only renders the SQL; execution uses its own guarded session)."""
    return _run_check(
        _Target(config, pool, pool_generation),
        check,
        conn=conn,
        sample_limit=sample_limit,
        timeout_s=timeout_s,
    )


def _run_check(
    target: _Target, check: CheckSpec, *, conn: Any, sample_limit: int, timeout_s: float
) -> CheckResult:
    generated = generate(check, sample_limit=sample_limit)
    started = time.perf_counter()
    own = conn is None
    measure_sql = sample_sql = ""
    try:
        if own:
            conn = target.render_connection()
        measure_sql = generated.measure.as_string(conn)
        sample_sql = generated.sample.as_string(conn) if generated.sample is not None else ""
        row = target.execute(measure_sql, timeout_s=timeout_s, max_rows=1).rows[0]
        return _measured(
            target,
            check,
            (row[0], row[1], row[2]),
            measure_sql=measure_sql,
            sample_sql=sample_sql,
            started=started,
            sample_limit=sample_limit,
            timeout_s=timeout_s,
        )
    except IpwbError as exc:
        return _error(check, exc, measure_sql, sample_sql, started)
    finally:
        if own and conn is not None:
            target.give_back(conn)


def _one_row(target: _Target, statement: str, *, timeout_s: float) -> tuple[Any, ...]:
    """The one row of an aggregate statement, under the executor's guard (classified
    read-only, READ ONLY transaction, statement timeout) but through a plain cursor: a
    server-side cursor (the executor's, for pages of rows) rules out parallel plans, and
    one row needs no paging."""
    _classification, bound_sql, values = prepare(statement)
    with guarded_session(
        target.config,
        read_only=True,
        timeout_s=timeout_s,
        pool=target.pool,
        pool_generation=target.generation,
    ) as session:
        try:
            with session.connection.cursor() as cur:
                cur.execute(bound_sql, values)
                row = cur.fetchone()
        except psycopg2.Error as exc:
            raise translate_error(exc, session, submitted=statement) from None
    if row is None:
        raise WarehouseError("the aggregate statement returned no row")
    return tuple(row)


def _unique_columns(conn: Any, table: str) -> frozenset[str]:
    """Columns of ``table`` a unique index keeps unique (none when the catalog cannot say)."""
    try:
        with conn.cursor() as cur:
            cur.execute(UNIQUE_COLUMNS_SQL, (table,))
            return frozenset(str(row[0]) for row in cur.fetchall())
    except psycopg2.Error:
        return frozenset()
    finally:
        with contextlib.suppress(psycopg2.Error):
            conn.rollback()


def run_table_batch(
    config: WarehouseConfig,
    checks: list[CheckSpec],
    *,
    conn: Any,
    sample_limit: int = DEFAULT_SAMPLE_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
) -> list[CheckResult]:
    """The single-column checks of one table measured by one aggregate scan
    (:mod:`ipwb.guardian.batch`), each with its own result, sample and verdict.

    If the shared statement fails (a missing column, a value that does not cast, a
    timeout), every check runs on its own instead, so a bad check gets its own error and
    never sinks the others. The shared scan may take up to ``timeout_s`` per check: the
    time the checks would have had one by one.
    """
    return _run_table_batch(
        _Target(config, pool, pool_generation),
        checks,
        conn=conn,
        sample_limit=sample_limit,
        timeout_s=timeout_s,
    )


def _run_table_batch(
    target: _Target, checks: list[CheckSpec], *, conn: Any, sample_limit: int, timeout_s: float
) -> list[CheckResult]:
    started = time.perf_counter()
    try:
        batch_sql = batch_measure(checks, _unique_columns(conn, checks[0].table)).as_string(conn)
        row = _one_row(target, batch_sql, timeout_s=timeout_s * len(checks))
    except IpwbError:
        return [
            _run_check(target, c, conn=conn, sample_limit=sample_limit, timeout_s=timeout_s) for c in checks
        ]
    results = []
    for check, measured in zip(checks, split_row(checks, row), strict=True):
        generated = generate(check, sample_limit=sample_limit)
        sample_sql = generated.sample.as_string(conn) if generated.sample is not None else ""
        one_started = time.perf_counter()
        if check.check_type == "unique" and measured[1]:
            # some value repeats: the check's own measure counts the rows involved
            results.append(
                _run_check(target, check, conn=conn, sample_limit=sample_limit, timeout_s=timeout_s)
            )
            continue
        try:
            result = _measured(
                target,
                check,
                measured,
                measure_sql=batch_sql,
                sample_sql=sample_sql,
                started=one_started,
                sample_limit=sample_limit,
                timeout_s=timeout_s,
            )
        except IpwbError as exc:
            result = _error(check, exc, batch_sql, sample_sql, one_started)
        shared_ms = (one_started - started) * 1000
        results.append(dataclasses.replace(result, duration_ms=result.duration_ms + shared_ms))
    return results


def run_checks(
    config: WarehouseConfig,
    checks: Iterable[CheckSpec],
    *,
    sample_limit: int = DEFAULT_SAMPLE_LIMIT,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    batch: bool = True,
    pool: ConnectionPool | None = None,
    pool_generation: str = "",
) -> list[CheckResult]:
    """Run every check (one rendering connection for all of them); results in check order.

    With ``batch`` (the default) the single-column checks of a table share one aggregate
    scan (:func:`run_table_batch`); the others run one query each.
    """
    checks = list(checks)
    if not checks:
        return []
    target = _Target(config, pool, pool_generation)
    try:
        conn = target.render_connection()
    except IpwbError as exc:
        return [CheckResult(c, "error", message=str(exc).splitlines()[0]) for c in checks]
    results: list[CheckResult | None] = [None] * len(checks)
    try:
        for indexes in batch_groups(checks) if batch else []:
            group = [checks[i] for i in indexes]
            outcomes = _run_table_batch(
                target, group, conn=conn, sample_limit=sample_limit, timeout_s=timeout_s
            )
            for index, outcome in zip(indexes, outcomes, strict=True):
                results[index] = outcome
        return [
            result
            if result is not None
            else _run_check(target, check, conn=conn, sample_limit=sample_limit, timeout_s=timeout_s)
            for check, result in zip(checks, results, strict=True)
        ]
    finally:
        target.give_back(conn)
