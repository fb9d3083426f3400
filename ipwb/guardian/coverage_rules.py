"""Steps 5–8 of the cycle: test coverage, performance, documentation, integration history.

* **test** — a table is *tested* when it has at least one test: a column test in its spec,
  a ``quality_gate`` step naming it, or a DQ check declared elsewhere (``extra_tests``).
  100 % of gold/platinum tables and at least 80 % of silver tables must be tested (G501,
  G502). With stored outcomes (``--results``, Odoo's check results) the tests must also
  *pass*: every test of a gold/platinum table (G503; a test without a stored outcome has
  "not run yet" and blocks) and at least 80 % of the silver tables' tests (G504, pooled).
  Without outcomes both are skipped with an info note.
* **perf** — with a warehouse only: each SQL step's query part runs under
  ``EXPLAIN (ANALYZE, FORMAT JSON)`` in a read-only transaction (parameters as ``NULL``);
  its execution time must stay under the budget (default 3 s).
* **docs** — every table, column and domain is described (blocking); pipelines and steps
  should be (warning).
* **integration** — with run history only: each pipeline's success rate over the last 7
  days must exceed 95 %.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp

from ipwb.errors import IpwbError, QueryTimeout
from ipwb.guardian.context import Context, SqlSource
from ipwb.guardian.outcomes import DeclaredTest, Tally, TestOutcome, describe, tally
from ipwb.guardian.rules import Finding, Skip
from ipwb.specs.model import DomainSpec, PipelineSpec, TableSpec
from ipwb.specs.validate import SpecFile
from ipwb.warehouse.execute import execute

SILVER_MIN_COVERAGE = 0.8
SUCCESS_RATE_MIN = 0.95
HISTORY_WINDOW = dt.timedelta(days=7)


# -- 5 test -------------------------------------------------------------------------------
def tests_per_table(ctx: Context) -> dict[str, int]:
    counts = {ref: sum(len(c.tests) for c in spec.columns) for ref, spec in ctx.table_specs().items()}
    for _, pipeline in ctx.pipelines():
        for step in pipeline.steps:
            if step.kind != "quality_gate":
                continue
            # a gate names one table, or a layer's tables (``tables``)
            tables = step.config.get("tables")
            gated = tables if isinstance(tables, list) else [step.config.get("table")]
            for table in gated:
                if isinstance(table, str) and table in counts:
                    counts[table] += 1
    for ref, extra in ctx.extra_tests.items():
        if ref in counts:
            counts[ref] += extra
    return counts


def gold_tested(ctx: Context) -> Iterator[Finding]:
    counts = tests_per_table(ctx)
    for spec_file, table in ctx.tables():
        if table.layer in ("gold", "platinum") and not counts[table.qualified_name]:
            yield ctx.at(
                spec_file,
                ("name",),
                f"{table.layer} table {table.qualified_name} has no test (100% required)",
            )


def silver_coverage(ctx: Context) -> Iterator[Finding]:
    counts = tests_per_table(ctx)
    silver = [(f, t) for f, t in ctx.tables() if t.layer == "silver"]
    if not silver:
        return
    tested = sum(1 for _, t in silver if counts[t.qualified_name])
    coverage = tested / len(silver)
    if coverage >= SILVER_MIN_COVERAGE:
        return
    for spec_file, table in silver:
        if not counts[table.qualified_name]:
            yield ctx.at(
                spec_file,
                ("name",),
                f"silver table {table.qualified_name} has no test: silver coverage {coverage:.0%} "
                f"({tested}/{len(silver)}) is under {SILVER_MIN_COVERAGE:.0%}",
            )


def declared_tests(table: TableSpec) -> list[DeclaredTest]:
    return [
        DeclaredTest(table.qualified_name, column.name, test.name, ("columns", ci, "tests", ti))
        for ci, column in enumerate(table.columns)
        for ti, test in enumerate(column.tests)
    ]


def _outcomes(ctx: Context) -> list[TestOutcome]:
    if ctx.outcomes is None:
        raise Skip("no test results given: passing tests are checked only with --results")
    return ctx.outcomes


def _not_passing(ctx: Context, layers: tuple[str, ...]) -> Iterator[tuple[SpecFile, TableSpec, Tally]]:
    outcomes = _outcomes(ctx)
    for spec_file, table in ctx.tables():
        if table.layer in layers:
            yield spec_file, table, tally(table.qualified_name, declared_tests(table), outcomes)


def gold_tests_pass(ctx: Context) -> Iterator[Finding]:
    counts = tests_per_table(ctx)
    for spec_file, table, result in _not_passing(ctx, ("gold", "platinum")):
        ref = table.qualified_name
        if not result.total and counts[ref]:
            yield ctx.at(spec_file, ("name",), f"{table.layer} table {ref}: its tests have not run yet")
        for declared, outcome in result.not_passing():
            yield ctx.at(
                spec_file,
                declared.path if declared else ("name",),
                f"{table.layer} table {ref}: {describe(outcome)} (100% must pass)",
            )


def silver_tests_pass(ctx: Context) -> Iterator[Finding]:
    tallies = list(_not_passing(ctx, ("silver",)))
    total = sum(result.total for _, _, result in tallies)
    passed = sum(result.passed for _, _, result in tallies)
    if not total or passed / total >= SILVER_MIN_COVERAGE:
        return
    for spec_file, table, result in tallies:
        for declared, outcome in result.not_passing():
            yield ctx.at(
                spec_file,
                declared.path if declared else ("name",),
                f"silver table {table.qualified_name}: {describe(outcome)}; silver tests pass "
                f"{passed / total:.0%} ({passed}/{total}), under {SILVER_MIN_COVERAGE:.0%}",
            )


# -- 6 perf -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    source: SqlSource
    elapsed_ms: float | None = None
    total_cost: float | None = None
    error: str = ""


def _read_part(ctx: Context, source: SqlSource) -> str | None:
    trees = ctx.parsed(source)[0]
    if trees is None or len(trees) != 1:
        return None
    tree = trees[0]
    query = tree.expression if isinstance(tree, exp.Insert | exp.Create) else tree
    if not isinstance(query, exp.Query):
        return None
    return query.sql(dialect="postgres")


def measurements(ctx: Context) -> list[Measurement]:
    """EXPLAIN ANALYZE of every measurable SQL step (cached on the context)."""
    if ctx.warehouse is None:
        raise Skip("no warehouse DSN given: performance is measured only with --dsn")
    cached = ctx.cache.get("perf")
    if cached is not None:
        return list(cached)
    found: list[Measurement] = []
    for source in ctx.sql_sources():
        if not isinstance(source, SqlSource) or (query := _read_part(ctx, source)) is None:
            continue
        try:
            result = execute(
                ctx.warehouse,
                f"EXPLAIN (ANALYZE, FORMAT JSON) {query}",
                timeout_s=ctx.perf_budget_s * 2,
                max_rows=10,
            )
        except QueryTimeout:
            found.append(Measurement(source, elapsed_ms=ctx.perf_budget_s * 2000))
            continue
        except IpwbError as exc:
            found.append(Measurement(source, error=str(exc).splitlines()[0]))
            continue
        plan = result.rows[0][0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        found.append(
            Measurement(source, float(plan[0]["Execution Time"]), float(plan[0]["Plan"]["Total Cost"]))
        )
    ctx.cache["perf"] = found
    return found


def latency_budget(ctx: Context) -> Iterator[Finding]:
    budget_ms = ctx.perf_budget_s * 1000
    for m in measurements(ctx):
        if m.elapsed_ms is not None and m.elapsed_ms > budget_ms:
            yield m.source.finding(
                1,
                1,
                f"step {m.source.step.id!r}: query took {m.elapsed_ms:.0f} ms "
                f"(cost {m.total_cost or 0:.0f}), "
                f"over the {budget_ms:.0f} ms budget",
            )


def measurable(ctx: Context) -> Iterator[Finding]:
    for m in measurements(ctx):
        if m.error:
            yield m.source.finding(1, 1, f"step {m.source.step.id!r}: cannot measure: {m.error}")


# -- 7 docs -------------------------------------------------------------------------------
def _described_at(spec: TableSpec | DomainSpec | PipelineSpec) -> tuple[str]:
    """Point at an empty ``description`` when written, else at the ``name``."""
    return ("description",) if "description" in spec.key_order else ("name",)


def tables_described(ctx: Context) -> Iterator[Finding]:
    for spec_file, table in ctx.tables():
        if not table.description.strip():
            yield ctx.at(spec_file, _described_at(table), f"table {table.qualified_name} has no description")
        for index, column in enumerate(table.columns):
            if not column.description.strip():
                yield ctx.at(
                    spec_file,
                    ("columns", index, "name"),
                    f"column {table.qualified_name}.{column.name} has no description",
                )
    for spec_file in ctx.valid():
        if isinstance(spec_file.spec, DomainSpec) and not spec_file.spec.description.strip():
            yield ctx.at(
                spec_file, _described_at(spec_file.spec), f"domain {spec_file.spec.name!r} has no description"
            )


def pipelines_described(ctx: Context) -> Iterator[Finding]:
    for spec_file, pipeline in ctx.pipelines():
        if not pipeline.description.strip():
            yield ctx.at(spec_file, _described_at(pipeline), f"pipeline {pipeline.name!r} has no description")
        for index, step in enumerate(pipeline.steps):
            if not step.description.strip():
                yield ctx.at(spec_file, ("steps", index, "id"), f"step {step.id!r} has no description")


# -- 8 integration ------------------------------------------------------------------------
def success_rate(ctx: Context) -> Iterator[Finding]:
    if ctx.history is None:
        raise Skip("no run history given: the 7-day success rate is checked only with --history")
    since = ctx.now - HISTORY_WINDOW
    for spec_file, pipeline in ctx.pipelines():
        runs = [r for r in ctx.history if r.pipeline == pipeline.name and since <= r.started_at <= ctx.now]
        if not runs:
            continue
        ok = sum(1 for r in runs if r.status == "success")
        rate = ok / len(runs)
        if rate <= SUCCESS_RATE_MIN:
            yield ctx.at(
                spec_file,
                ("name",),
                f"pipeline {pipeline.name!r} succeeded {ok} of {len(runs)} runs in 7 days ({rate:.1%}); "
                f"more than {SUCCESS_RATE_MIN:.0%} is required",
            )
