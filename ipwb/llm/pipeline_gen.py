"""Generation helpers: NL → pipeline spec YAML, and scorecard → data-quality summary.

Pipeline generation reuses the NL→SQL pattern: the model writes a spec, the engine's own
spec validator (:mod:`ipwb.specs`, the same one Guardian and ``ipwb spec validate`` use)
checks it, and the problems (with line numbers) are sent back for a bounded number of
repairs. The result is only ever a *draft*: the caller creates it unpromoted.

DQ insights filter the scorecard down to its failures before calling a model, so a clean
scorecard costs nothing and the prompt stays small.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from ipwb.errors import SpecError
from ipwb.llm.gateway import Gateway, SessionBudget
from ipwb.llm.prompts import dq_messages, extract_block, pipeline_messages, repair_messages
from ipwb.specs import check_text

EXAMPLE_PIPELINE = """\
name: example_vendor_bills
description: Load vendor bills, clean them, build the vendor spend mart and check it.
owner: data-engineering@example.com
schedule: 0 3 * * *
steps:
  - id: load_bills
    kind: sql
    config:
      sql: insert into bronze.vendor_bills select * from staging.vendor_bills
      target: bronze.vendor_bills
  - id: clean_bills
    kind: sql
    depends_on: [load_bills]
    config:
      sql: insert into silver.bills select bill_id, partner_id, amount from bronze.vendor_bills
      target: silver.bills
  - id: check_bills
    kind: quality_gate
    depends_on: [clean_bills]
    config:
      table: silver.bills
      checks: [not_null]
      blocking: true
"""

#: check statuses that count as a failure in a scorecard
FAILING = frozenset({"fail", "failed", "error", "warn", "warning"})


@dataclasses.dataclass(frozen=True)
class PipelineDraft:
    yaml_text: str
    ok: bool
    #: validator problems of the last attempt (``source:line:col: message``)
    problems: tuple[str, ...]
    attempts: int
    #: the validated :class:`ipwb.specs.PipelineSpec` when ``ok``
    spec: Any = None
    cost_usd: float = 0.0


def generate_pipeline(
    description: str,
    gateway: Gateway,
    *,
    user: str,
    catalog_text: str = "",
    example_spec: str = EXAMPLE_PIPELINE,
    max_attempts: int = 3,
    session: SessionBudget | None = None,
) -> PipelineDraft:
    """Ask for a pipeline spec and repair it until :mod:`ipwb.specs` accepts it."""
    gateway.require_model()
    messages = pipeline_messages(description, example_spec, catalog_text)
    text, problems, cost = "", [f"no answer after {max_attempts} attempt(s)"], 0.0
    for attempt in range(1, max_attempts + 1):
        result = gateway.complete(
            messages, user=user, feature="pipeline_gen", session=session, params={"temperature": 0}
        )
        cost += result.cost_usd
        text = extract_block(result.content, ("yaml", "yml"))
        checked = check_text(text, "pipeline", source="generated.yaml")
        if not checked.problems:
            return PipelineDraft(text, True, (), attempt, checked.spec, cost)
        problems = checked.problems
        messages = repair_messages(messages, result.content, "\n".join(problems))
    return PipelineDraft(text, False, tuple(problems), max_attempts, None, cost)


def require_valid(draft: PipelineDraft) -> PipelineDraft:
    if not draft.ok:
        raise SpecError("The generated pipeline spec does not validate", list(draft.problems))
    return draft


@dataclasses.dataclass(frozen=True)
class DqInsight:
    text: str
    failures: tuple[Mapping[str, Any], ...]
    called_model: bool
    cost_usd: float = 0.0


def scorecard_failures(scorecard: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Checks whose ``status`` is failing or whose ``passed`` is false."""
    checks: Sequence[Mapping[str, Any]] = scorecard.get("checks") or []
    failing = []
    for check in checks:
        status = str(check.get("status", "")).lower()
        if status in FAILING or check.get("passed") is False:
            failing.append(check)
    return failing


def summarise_scorecard(
    scorecard: Mapping[str, Any], gateway: Gateway, *, user: str, session: SessionBudget | None = None
) -> DqInsight:
    failures = scorecard_failures(scorecard)
    if not failures:
        return DqInsight("All data quality checks passed.", (), False)
    gateway.require_model()
    focused = {k: v for k, v in scorecard.items() if k != "checks"}
    focused["failing_checks"] = failures
    result = gateway.complete(dq_messages(focused), user=user, feature="dq_insights", session=session)
    return DqInsight(result.content.strip(), tuple(failures), True, result.cost_usd)
