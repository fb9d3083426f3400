"""The 8-step validation cycle: the built-in rules and how a run goes.

:func:`validate_paths` (CLI, CI) and :func:`validate_text` (Odoo's spec wizard) build a
:class:`~ipwb.guardian.context.Context`, then :func:`run` applies every rule in step order.
A rule whose check raises :class:`~ipwb.guardian.rules.Skip` is ``skipped`` with an info
note (perf without a warehouse, integration without history); any other engine error in
a rule becomes a failing finding of that rule, so one broken rule never hides the others.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Mapping, Sequence

from ipwb.errors import IpwbError
from ipwb.guardian import coverage_rules as cov
from ipwb.guardian import static_rules as st
from ipwb.guardian.context import DEFAULT_PERF_BUDGET_S, Catalog, Context, RunRecord
from ipwb.guardian.outcomes import TestOutcome
from ipwb.guardian.rules import STEPS, Finding, Report, Rule, RuleResult, Skip, extra_rules
from ipwb.specs.validate import SpecFile, _cross_references, check_text
from ipwb.specs.validate import validate_paths as spec_validate_paths
from ipwb.warehouse.connection import WarehouseConfig


@functools.cache
def builtin_rules() -> tuple[Rule, ...]:
    """The built-in rules, in step order. Codes: G<step><nn>."""
    return (
        Rule("syntax", "G101", "spec YAML, JSON Schema and semantics are valid", st.spec_syntax),
        Rule("syntax", "G102", "SQL of sql steps parses", st.sql_parses),
        Rule("syntax", "G103", "SQL files named by steps exist", st.sql_file_exists, "warning", False),
        Rule("type", "G201", "amounts numeric, dates and instants typed as such", st.naming_types),
        Rule("type", "G202", "accepted values and relationships fit the column types", st.typed_test_values),
        Rule("type", "G203", "declared columns match the catalog", st.catalog_types),
        Rule(
            "lint",
            "G301",
            "tables and targets named by layer (bronze_/silver_/gold_/platinum_)",
            st.layer_naming,
        ),
        Rule(
            "lint",
            "G302",
            "SQL style: explicit columns, schema-qualified tables, explicit joins",
            st.sql_style,
            "warning",
            False,
        ),
        Rule("security", "G401", "a step writes only into its target layer", st.writes_in_target_layer),
        Rule("security", "G402", "no forbidden SQL constructs", st.forbidden_sql),
        Rule("security", "G403", "PII columns exposed in gold/platinum are masked", st.pii_masked),
        Rule("security", "G404", "restricted tables declare grants or RLS", st.access_declared),
        Rule(
            "security",
            "G405",
            "PII outside gold lives in restricted tables",
            st.pii_unrestricted,
            "warning",
            False,
        ),
        Rule(
            "security",
            "G406",
            "SQL steps write only their declared targets and run no privileged statement",
            st.writes_within_declared_targets,
        ),
        Rule("test", "G501", "every gold/platinum table has tests", cov.gold_tested),
        Rule("test", "G502", "at least 80% of silver tables have tests", cov.silver_coverage),
        Rule("test", "G503", "every test of gold/platinum tables passes", cov.gold_tests_pass),
        Rule("test", "G504", "at least 80% of silver tables' tests pass", cov.silver_tests_pass),
        Rule("perf", "G601", "queries run under the latency budget", cov.latency_budget),
        Rule("perf", "G602", "queries can be measured in the warehouse", cov.measurable, "warning", False),
        Rule("docs", "G701", "every table, column and domain is described", cov.tables_described),
        Rule("docs", "G702", "pipelines and steps are described", cov.pipelines_described, "warning", False),
        Rule("integration", "G801", "pipeline success rate over 7 days above 95%", cov.success_rate),
    )


def rules() -> tuple[Rule, ...]:
    """Built-in plus registered rules, in step order (stable within a step)."""
    return tuple(sorted((*builtin_rules(), *extra_rules()), key=lambda r: STEPS.index(r.step)))


def run_rule(rule: Rule, ctx: Context) -> RuleResult:
    try:
        findings = tuple(rule.check(ctx))
    except Skip as skip:
        return RuleResult(rule, "skipped", note=str(skip))
    except IpwbError as exc:
        findings = (Finding("<guardian>", 1, 1, f"rule could not run: {exc}"),)
    return RuleResult(rule, "fail" if findings else "pass", findings)


def run(ctx: Context, selected: Iterable[Rule] | None = None) -> Report:
    report = Report(files=[f.source for f in ctx.files])
    for rule in selected if selected is not None else rules():
        report.results.append(run_rule(rule, ctx))
    return report


def _context(
    files: list[SpecFile],
    problems: list[str],
    texts: dict[str, str],
    *,
    catalog: Catalog | None,
    history: Sequence[RunRecord] | None,
    warehouse: WarehouseConfig | None,
    perf_budget_s: float,
    now: dt.datetime | None,
    extra_tests: Mapping[str, int] | None,
    outcomes: Iterable[TestOutcome] | None,
) -> Context:
    ctx = Context(
        files,
        problems,
        texts=texts,
        catalog=catalog,
        history=list(history) if history is not None else None,
        warehouse=warehouse,
        perf_budget_s=perf_budget_s,
        extra_tests=dict(extra_tests or {}),
        outcomes=list(outcomes) if outcomes is not None else None,
    )
    if now is not None:
        ctx.now = now
    return ctx


def validate_paths(
    paths: Iterable[str | os.PathLike[str]],
    *,
    catalog: Catalog | None = None,
    history: Sequence[RunRecord] | None = None,
    warehouse: WarehouseConfig | None = None,
    perf_budget_s: float = DEFAULT_PERF_BUDGET_S,
    now: dt.datetime | None = None,
    extra_tests: Mapping[str, int] | None = None,
    outcomes: Iterable[TestOutcome] | None = None,
) -> Report:
    """Run the cycle on spec files and directories (``specs/``)."""
    spec_report = spec_validate_paths(paths)
    ctx = _context(
        spec_report.files,
        spec_report.problems,
        {},
        catalog=catalog,
        history=history,
        warehouse=warehouse,
        perf_budget_s=perf_budget_s,
        now=now,
        extra_tests=extra_tests,
        outcomes=outcomes,
    )
    return run(ctx)


def validate_text(
    text: str,
    kind: str,
    source: str = "<spec>",
    *,
    catalog: Catalog | None = None,
    history: Sequence[RunRecord] | None = None,
    warehouse: WarehouseConfig | None = None,
    perf_budget_s: float = DEFAULT_PERF_BUDGET_S,
    now: dt.datetime | None = None,
    extra_tests: Mapping[str, int] | None = None,
    outcomes: Iterable[TestOutcome] | None = None,
) -> Report:
    """Run the cycle on one spec's text (Odoo's validation wizard, the canvas)."""
    spec_file = check_text(text, kind, source)
    problems = [*spec_file.problems, *_cross_references([spec_file])]
    ctx = _context(
        [spec_file],
        problems,
        {source: text},
        catalog=catalog,
        history=history,
        warehouse=warehouse,
        perf_budget_s=perf_budget_s,
        now=now,
        extra_tests=extra_tests,
        outcomes=outcomes,
    )
    return run(ctx)
