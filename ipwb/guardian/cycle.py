"""The 8-step validation cycle: how a run goes (the rules are :mod:`ipwb.guardian.registry`'s).

:func:`validate_paths` (CLI, CI) and :func:`validate_text` (Odoo's spec wizard) build a
:class:`~ipwb.guardian.context.Context`, then :func:`run` applies every rule in step order.
A rule whose check raises :class:`~ipwb.guardian.rules.Skip` is ``skipped`` with an info
note (perf without a warehouse, integration without history); any other engine error in
a rule becomes a failing finding of that rule, so one broken rule never hides the others.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence

from ipwb.errors import IpwbError
from ipwb.guardian.context import DEFAULT_PERF_BUDGET_S, Catalog, Context, RunRecord
from ipwb.guardian.outcomes import TestOutcome
from ipwb.guardian.registry import rules
from ipwb.guardian.rules import Finding, Report, Rule, RuleResult, Skip
from ipwb.specs.validate import SpecFile, _cross_references, check_text
from ipwb.specs.validate import validate_paths as spec_validate_paths
from ipwb.warehouse.connection import WarehouseConfig


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
