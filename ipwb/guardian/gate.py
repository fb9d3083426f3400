"""Governance gate: may a table (and the pipelines writing it) be promoted to production?

A gold or platinum table is promotable only when it has an owner, an SLO, at least one
test and documented upstream lineage. When the target carries its tests' latest
``outcomes``, every one must pass (a test never run blocks as "not run yet"); a silver
table with outcomes needs at least 80 % of them passing (other layers are not gated).
The facts come from wherever the caller keeps them (the catalog, a table spec, Odoo
records) as a :class:`PromotionTarget`; the gate returns every blocking reason, so the
user sees the whole list at once. Each reason is a template and its parameters
(:func:`blocker_details`, so a caller can translate it) or the formatted English text
(:func:`promotion_blockers`). A valid (unexpired) waiver for the target turns a blocked
verdict into ``waived``, reasons still listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ipwb.guardian.outcomes import TestOutcome
from ipwb.specs.model import TableSpec

GATED_LAYERS: tuple[str, ...] = ("gold", "platinum")
#: share of a silver table's tests that must pass for it to be promoted
SILVER_MIN_PASSING = 0.8

NO_OWNER = "no owner"
NO_SLO = "no SLO declared"
NO_TESTS = "no tests"
NO_LINEAGE = "no documented upstream lineage"
TEST_FAILS = "test '{test}' fails"
TEST_ERRORS = "test '{test}' could not run"
TEST_NOT_RUN = "test '{test}' has not run yet"
SILVER_RATE = "{passed} of {total} tests pass ({pct}%); a silver table needs {min_pct}%"
_BY_STATUS = {"fail": TEST_FAILS, "error": TEST_ERRORS, "not_run": TEST_NOT_RUN}


@dataclass(frozen=True)
class PromotionTarget:
    table_ref: str
    owner: str = ""
    slo: str = ""  # a human description of the SLO ("fresh within 24 h"); empty: none
    tests: int = 0
    upstream_edges: int = 0
    #: latest outcome of each test; None: not known (tests are then only counted)
    outcomes: tuple[TestOutcome, ...] | None = None

    @property
    def layer(self) -> str:
        return self.table_ref.split(".", 1)[0] if "." in self.table_ref else ""

    @classmethod
    def from_table_spec(
        cls, spec: TableSpec, *, upstream_edges: int = 0, extra_tests: int = 0
    ) -> PromotionTarget:
        slo = ""
        if spec.slo is not None and (spec.slo.freshness_hours or spec.slo.completeness_pct):
            slo = f"freshness {spec.slo.freshness_hours} h, completeness {spec.slo.completeness_pct} %"
        tests = sum(len(c.tests) for c in spec.columns) + extra_tests
        return cls(spec.qualified_name, spec.owner, slo, tests, upstream_edges)


@dataclass(frozen=True)
class Waiver:
    target: str
    expires_on: dt.date
    reason: str = ""
    granted_by: str = ""

    def covers(self, table_ref: str, today: dt.date) -> bool:
        return self.target == table_ref and today <= self.expires_on


@dataclass(frozen=True)
class GateVerdict:
    status: str  # passed | blocked | waived
    reasons: tuple[str, ...]
    waiver: Waiver | None = None
    #: the reasons as (template, parameters), for translation
    details: tuple[tuple[str, dict[str, object]], ...] = ()

    @property
    def allowed(self) -> bool:
        return self.status != "blocked"


def blocker_details(target: PromotionTarget) -> list[tuple[str, dict[str, object]]]:
    """Every reason ``target`` cannot be promoted, as (template, parameters)."""
    if target.layer == "silver":
        return _silver_details(target.outcomes or ())
    if target.layer not in GATED_LAYERS:
        return []
    reasons: list[tuple[str, dict[str, object]]] = []
    if not target.owner.strip():
        reasons.append((NO_OWNER, {}))
    if not target.slo.strip():
        reasons.append((NO_SLO, {}))
    if target.tests <= 0:
        reasons.append((NO_TESTS, {}))
    for outcome in target.outcomes or ():
        if not outcome.passed:
            reasons.append((_BY_STATUS.get(outcome.status, TEST_FAILS), {"test": outcome.name}))
    if target.upstream_edges <= 0:
        reasons.append((NO_LINEAGE, {}))
    return reasons


def _silver_details(outcomes: Iterable[TestOutcome]) -> list[tuple[str, dict[str, object]]]:
    results = list(outcomes)
    passed = sum(1 for o in results if o.passed)
    if not results or passed / len(results) >= SILVER_MIN_PASSING:
        return []
    params: dict[str, object] = {
        "passed": passed,
        "total": len(results),
        "pct": round(100 * passed / len(results)),
        "min_pct": round(100 * SILVER_MIN_PASSING),
    }
    return [(SILVER_RATE, params)]


def promotion_blockers(target: PromotionTarget) -> list[str]:
    """Every reason ``target`` cannot be promoted (empty: it can).

    >>> promotion_blockers(PromotionTarget("gold.gold_x", owner="ana"))
    ['no SLO declared', 'no tests', 'no documented upstream lineage']
    >>> promotion_blockers(PromotionTarget("silver.silver_x"))
    []
    >>> ok, bad = TestOutcome("silver.s", "a", "pass"), TestOutcome("silver.s", "b", "fail")
    >>> promotion_blockers(PromotionTarget("silver.s", outcomes=(ok, ok, ok, bad)))
    ['3 of 4 tests pass (75%); a silver table needs 80%']
    >>> promotion_blockers(PromotionTarget("silver.s", outcomes=(ok, ok, ok, ok, bad)))
    []
    """
    return [template.format(**params) for template, params in blocker_details(target)]


def evaluate(
    target: PromotionTarget, waivers: Iterable[Waiver] = (), today: dt.date | None = None
) -> GateVerdict:
    details = tuple(blocker_details(target))
    reasons = tuple(template.format(**params) for template, params in details)
    if not reasons:
        return GateVerdict("passed", ())
    today = today or dt.date.today()
    for waiver in waivers:
        if waiver.covers(target.table_ref, today):
            return GateVerdict("waived", reasons, waiver, details)
    return GateVerdict("blocked", reasons, None, details)
