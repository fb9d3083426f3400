"""Governance gate: may a table (and the pipelines writing it) be promoted to production?

A gold or platinum table is promotable only when it has an owner, an SLO, at least one
test and documented upstream lineage. The facts come from wherever the caller keeps them
(the catalog, a table spec, Odoo records) as a :class:`PromotionTarget`; the gate returns
every blocking reason, so the user sees the whole list at once. A valid (unexpired)
waiver for the target turns a blocked verdict into ``waived``, reasons still listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from ipwb.specs.model import TableSpec

GATED_LAYERS: tuple[str, ...] = ("gold", "platinum")


@dataclass(frozen=True)
class PromotionTarget:
    table_ref: str
    owner: str = ""
    slo: str = ""  # a human description of the SLO ("fresh within 24 h"); empty: none
    tests: int = 0
    upstream_edges: int = 0

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

    @property
    def allowed(self) -> bool:
        return self.status != "blocked"


def promotion_blockers(target: PromotionTarget) -> list[str]:
    """Every reason ``target`` cannot be promoted (empty: it can).

    >>> promotion_blockers(PromotionTarget("gold.gold_x", owner="ana"))
    ['no SLO declared', 'no tests', 'no documented upstream lineage']
    >>> promotion_blockers(PromotionTarget("silver.silver_x"))
    []
    """
    if target.layer not in GATED_LAYERS:
        return []
    reasons = []
    if not target.owner.strip():
        reasons.append("no owner")
    if not target.slo.strip():
        reasons.append("no SLO declared")
    if target.tests <= 0:
        reasons.append("no tests")
    if target.upstream_edges <= 0:
        reasons.append("no documented upstream lineage")
    return reasons


def evaluate(
    target: PromotionTarget, waivers: Iterable[Waiver] = (), today: dt.date | None = None
) -> GateVerdict:
    reasons = tuple(promotion_blockers(target))
    if not reasons:
        return GateVerdict("passed", ())
    today = today or dt.date.today()
    for waiver in waivers:
        if waiver.covers(target.table_ref, today):
            return GateVerdict("waived", reasons, waiver)
    return GateVerdict("blocked", reasons)
