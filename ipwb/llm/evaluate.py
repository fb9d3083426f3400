"""Evaluation harness for NL→SQL: retrieval recall@k and execution accuracy.

Two numbers, because they fail for different reasons:

- **recall@k** (no model): for each answerable question, the share of the tables its
  reference SQL reads that retrieval puts in the top ``k``. A table that is not retrieved
  cannot be used, so this bounds everything downstream.
- **execution accuracy** (a model and a warehouse): the model's SQL and the reference SQL
  both run on the warehouse (the model's through the guarded read-only executor) and their
  results are compared as multisets of rows — ordered only when the reference has a
  top-level ORDER BY — numbers rounded to :data:`~ipwb.llm.eval_diagnose.NUMERIC_PLACES`
  decimals, column names ignored. Questions that must be refused (``expect: refuse``) or
  whose data the warehouse does not have (``expect: not_in_data``) are right when no valid
  read-only query comes back. Each wrong answer gets a reason
  (:class:`~ipwb.llm.eval_diagnose.Reason`) from the parsed queries.

The catalog is never part of the set: it is the warehouse's own (the Odoo catalog, a live
introspection, or a snapshot exported by ``ipwb genie catalog-export``). The set is YAML:
``name``, optional ``equivalent_tables`` (view → the table it exposes) and ``questions``
with ``id``, ``question``, ``sql`` (unless ``expect`` is ``refuse``/``not_in_data``), ``tags``.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml

from ipwb.errors import IpwbError, SpecError
from ipwb.llm.catalog import Catalog
from ipwb.llm.eval_diagnose import (
    NUMERIC_PLACES,
    Reason,
    has_top_level_order,
    invalid_reason,
    mismatch_reason,
    results_match,
)
from ipwb.llm.gateway import SessionBudget
from ipwb.llm.nl2sql import Executor, Nl2Sql
from ipwb.llm.retrieval import SchemaIndex
from ipwb.llm.sqlcheck import check_sql

__all__ = [
    "NUMERIC_PLACES",
    "CaseResult",
    "EvalCase",
    "EvalReport",
    "EvalSet",
    "Reason",
    "has_top_level_order",
    "load_eval_set",
    "parse_eval_set",
    "results_match",
    "run_eval",
]

ANSWER, REFUSE, NOT_IN_DATA = "answer", "refuse", "not_in_data"
EXPECTS = (ANSWER, REFUSE, NOT_IN_DATA)


@dataclasses.dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    sql: str = ""
    expect: str = ANSWER
    tags: tuple[str, ...] = ()
    #: for a refusal or not-in-data item: a query a model might write, which the catalog
    #: check and the guard must refuse (the set's own test runs it)
    probe: str = ""

    @property
    def answerable(self) -> bool:
        return self.expect == ANSWER


@dataclasses.dataclass(frozen=True)
class EvalSet:
    name: str
    cases: tuple[EvalCase, ...]
    #: qualified view → qualified table it exposes unchanged (same answer either way)
    equivalent_tables: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def check_against(self, catalog: Catalog) -> None:
        """Raise :class:`SpecError` listing every reference query the catalog cannot answer."""
        problems = []
        for case in self.cases:
            if case.answerable:
                try:
                    check_sql(case.sql, catalog)
                except IpwbError as exc:
                    problems.append(f"{case.id}: reference SQL is invalid for this catalog: {exc}")
        if problems:
            raise SpecError(f"Evaluation set {self.name} does not fit the catalog", problems)


@dataclasses.dataclass
class CaseResult:
    case: EvalCase
    gold_tables: tuple[str, ...] = ()
    retrieved: tuple[str, ...] = ()
    generated_sql: str = ""
    #: None until executed
    reason: Reason | None = None
    detail: str = ""
    attempts: int = 0

    @property
    def correct(self) -> bool | None:
        """None: not evaluated (or the reference failed); else whether the answer is right."""
        if self.reason is None or self.reason == Reason.REFERENCE_FAILED:
            return None
        return self.reason.right

    @property
    def recall(self) -> float:
        if not self.gold_tables:
            return 1.0
        return len(set(self.gold_tables) & set(self.retrieved)) / len(self.gold_tables)


@dataclasses.dataclass
class EvalReport:
    name: str
    k: int
    results: list[CaseResult]
    model: str = ""
    #: why execution accuracy was not computed, if it was not
    execution_skipped: str = ""

    @property
    def _answerable(self) -> list[CaseResult]:
        return [r for r in self.results if r.case.answerable]

    @property
    def recall_at_k(self) -> float:
        """Mean per-question recall of reference tables among the top-k retrieved."""
        rows = self._answerable
        return sum(r.recall for r in rows) / len(rows) if rows else 0.0

    @property
    def full_recall_rate(self) -> float:
        """Share of answerable questions for which *every* reference table was retrieved."""
        rows = self._answerable
        return sum(r.recall == 1.0 for r in rows) / len(rows) if rows else 0.0

    @property
    def executed(self) -> list[CaseResult]:
        return [r for r in self.results if r.correct is not None]

    @property
    def correct_count(self) -> int:
        return sum(bool(r.correct) for r in self.executed)

    @property
    def execution_accuracy(self) -> float | None:
        done = self.executed
        return self.correct_count / len(done) if done else None

    def reasons(self) -> dict[str, int]:
        counts = Counter(r.reason.value for r in self.results if r.reason is not None)
        return dict(sorted(counts.items()))

    def by_tag(self) -> dict[str, tuple[int, int]]:
        """tag → (right, evaluated)."""
        tally: dict[str, list[int]] = {}
        for result in self.executed:
            for tag in result.case.tags:
                entry = tally.setdefault(tag, [0, 0])
                entry[0] += bool(result.correct)
                entry[1] += 1
        return {tag: (right, total) for tag, (right, total) in sorted(tally.items())}

    def summary(self) -> dict[str, Any]:
        accuracy = self.execution_accuracy
        return {
            "set": self.name,
            "model": self.model or None,
            "questions": len(self.results),
            "k": self.k,
            f"recall@{self.k}": round(self.recall_at_k, 4),
            "all_tables_retrieved": round(self.full_recall_rate, 4),
            "execution_accuracy": None if accuracy is None else round(accuracy, 4),
            "executed": len(self.executed),
            "correct": self.correct_count,
            "reasons": self.reasons(),
            "numeric_places": NUMERIC_PLACES,
            "execution_skipped": self.execution_skipped or None,
        }

    def to_json(self) -> dict[str, Any]:
        """Summary plus one entry per question (the CI / ``--json`` shape)."""
        return {
            **self.summary(),
            "results": [
                {
                    "id": r.case.id,
                    "expect": r.case.expect,
                    "tags": list(r.case.tags),
                    "correct": r.correct,
                    "reason": None if r.reason is None else r.reason.value,
                    "detail": r.detail or None,
                    "recall": round(r.recall, 4),
                    "generated_sql": r.generated_sql or None,
                    "attempts": r.attempts,
                }
                for r in self.results
            ],
        }

    def table(self) -> str:
        """A plain-text summary table (per reason, per tag) for people."""
        summary = self.summary()
        lines = [f"{'set':24} {self.name}"]
        if self.model:
            lines.append(f"{'model':24} {self.model}")
        lines.append(f"{'questions':24} {summary['questions']}")
        lines.append(f"{f'recall@{self.k}':24} {summary[f'recall@{self.k}']:.4f}")
        if summary["execution_accuracy"] is None:
            lines.append(f"{'execution accuracy':24} not measured ({self.execution_skipped or 'no run'})")
            return "\n".join(lines)
        lines.append(
            f"{'execution accuracy':24} {summary['execution_accuracy']:.4f} "
            f"({self.correct_count}/{len(self.executed)})"
        )
        lines.append("")
        lines.append(f"{'outcome':32} {'questions':>9}")
        for reason, count in self.reasons().items():
            lines.append(f"{reason:32} {count:>9}")
        lines.append("")
        lines.append(f"{'tag':32} {'right':>9} {'of':>5}")
        for tag, (right, total) in self.by_tag().items():
            lines.append(f"{tag:32} {right:>9} {total:>5}")
        return "\n".join(lines)


def parse_eval_set(data: Any, source: str = "evaluation set") -> EvalSet:
    """Build an :class:`EvalSet` from YAML data, listing every problem at once."""
    if not isinstance(data, Mapping) or not isinstance(data.get("questions"), list):
        raise SpecError(f"{source} needs a 'questions' list")
    problems: list[str] = []
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for i, raw in enumerate(data["questions"]):
        where = f"questions[{i}]"
        if not isinstance(raw, Mapping) or not raw.get("id") or not raw.get("question"):
            problems.append(f"{where}: needs 'id' and 'question'")
            continue
        expect = str(raw.get("expect") or ANSWER)
        if expect not in EXPECTS:
            problems.append(f"{where}: expect must be one of {', '.join(EXPECTS)}, not {expect!r}")
            continue
        if (expect == ANSWER) != bool(raw.get("sql")):
            problems.append(f"{where}: 'sql' is required for an answerable question and only for one")
            continue
        tags = raw.get("tags") or ()
        if not isinstance(tags, list | tuple):
            problems.append(f"{where}: tags must be a list")
            continue
        if raw.get("probe") and expect == ANSWER:
            problems.append(f"{where}: 'probe' is only for a question that must not be answered")
            continue
        case = EvalCase(str(raw["id"]), str(raw["question"]), str(raw.get("sql") or ""), expect,
                        tuple(str(t) for t in tags), str(raw.get("probe") or ""))  # fmt: skip
        if case.id in seen:
            problems.append(f"{where}: duplicate id {case.id!r}")
        seen.add(case.id)
        cases.append(case)
    equivalent = data.get("equivalent_tables") or {}
    if not isinstance(equivalent, Mapping):
        problems.append("equivalent_tables must map a view to a table")
        equivalent = {}
    if problems:
        raise SpecError(f"Invalid {source}", problems)
    mapping = {str(k).lower(): str(v).lower() for k, v in equivalent.items()}
    return EvalSet(str(data.get("name") or "evaluation"), tuple(cases), mapping)


def load_eval_set(path: str | Path) -> EvalSet:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"Cannot read evaluation set {path}: {exc}") from None
    eval_set = parse_eval_set(data, f"evaluation set {path}")
    return eval_set if eval_set.name != "evaluation" else dataclasses.replace(eval_set, name=path.stem)


def retrieval_results(eval_set: EvalSet, catalog: Catalog, k: int) -> list[CaseResult]:
    """Reference tables vs retrieved tables, no model involved."""
    index = SchemaIndex(catalog)
    results = []
    for case in eval_set.cases:
        gold = check_sql(case.sql, catalog).tables if case.answerable else ()
        retrieved = tuple(r.qualified for r in index.search(case.question, k))
        results.append(CaseResult(case, gold, retrieved))
    return results


def run_eval(
    eval_set: EvalSet,
    catalog: Catalog,
    *,
    k: int = 10,
    nl2sql: Nl2Sql | None = None,
    executor: Executor | None = None,
    user: str = "genie-eval",
    model: str = "",
    session: SessionBudget | None = None,
    progress: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Recall@k always; execution accuracy when both ``nl2sql`` and ``executor`` are given."""
    eval_set.check_against(catalog)
    results = retrieval_results(eval_set, catalog, k)
    skipped = ""
    if nl2sql is None:
        skipped = "no model"
    elif executor is None:
        skipped = "no warehouse"
    else:
        for result in results:
            evaluate_case(
                result, nl2sql, executor, catalog, eval_set.equivalent_tables, user=user, model=model
            )
            if progress is not None:
                progress(result)
    return EvalReport(eval_set.name, k, results, model, skipped)


def evaluate_case(
    result: CaseResult,
    nl2sql: Nl2Sql,
    executor: Executor,
    catalog: Catalog,
    equivalent: Mapping[str, str],
    *,
    user: str,
    model: str = "",
    session: SessionBudget | None = None,
) -> None:
    """Fill ``result`` with the model's answer to one question and its verdict."""
    case = result.case
    gold = None
    if case.answerable:
        try:
            gold = executor(case.sql)
        except IpwbError as exc:
            # not counted: the set or the warehouse is wrong, not the model
            result.reason, result.detail = Reason.REFERENCE_FAILED, str(exc)
            return
    try:
        generated = nl2sql.generate(
            case.question, user=user, model=model or None, session=session, feature="nl2sql_eval"
        )
    except IpwbError as exc:
        result.reason, result.detail = Reason.ERROR, str(exc)
        return
    result.generated_sql, result.attempts = generated.sql, len(generated.attempts)
    if not case.answerable:
        if generated.ok:
            result.reason = Reason.ANSWERED
            result.detail = f"a valid query came back for a question expected to be {case.expect}"
        else:
            result.reason = Reason.REFUSED_OK
        return
    if not generated.ok:
        result.reason, result.detail = invalid_reason(generated.sql, catalog)
        return
    try:
        predicted = executor(generated.sql)
    except IpwbError as exc:
        result.reason, result.detail = Reason.ERROR, str(exc)
        return
    assert gold is not None
    if results_match(gold, predicted, ordered=has_top_level_order(case.sql)):
        result.reason = Reason.CORRECT
    else:
        result.reason, result.detail = mismatch_reason(case.sql, generated.sql, catalog, equivalent)
