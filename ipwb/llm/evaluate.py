"""Evaluation harness for NL→SQL: retrieval recall@k and execution accuracy.

Two numbers, because they fail for different reasons:

- **recall@k** (offline, no model): for each question, the share of the tables its gold SQL
  reads that retrieval puts in the top ``k``. A table that is not retrieved cannot be used,
  so this bounds everything downstream — and it runs in CI without any model or database.
- **execution accuracy** (needs a model and a warehouse): generated and gold SQL are both
  executed and their results compared as multisets of rows (order-insensitive unless the
  gold SQL has a top-level ORDER BY), numbers rounded so 1.50 == 1.5.

The set is YAML: ``name``, ``catalog`` (path relative to the set file), ``questions`` with
``id``, ``question``, ``sql`` (gold) and optional ``tags``.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
from collections import Counter
from collections.abc import Callable, Hashable, Mapping, Sequence
from pathlib import Path
from typing import Any

import sqlglot
import yaml
from sqlglot import exp

from ipwb.errors import IpwbError, SpecError
from ipwb.llm.catalog import Catalog
from ipwb.llm.nl2sql import Executor, Nl2Sql, QueryResult
from ipwb.llm.retrieval import SchemaIndex
from ipwb.llm.sqlcheck import check_sql

#: decimal places numbers are rounded to before comparing results
NUMERIC_PLACES = 4


@dataclasses.dataclass(frozen=True)
class EvalCase:
    id: str
    question: str
    sql: str
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class EvalSet:
    name: str
    catalog: Catalog
    cases: tuple[EvalCase, ...]


@dataclasses.dataclass
class CaseResult:
    case: EvalCase
    gold_tables: tuple[str, ...]
    retrieved: tuple[str, ...]
    generated_sql: str = ""
    #: None: not executed; True/False: results matched or not
    correct: bool | None = None
    error: str = ""

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
    #: why execution accuracy was not computed, if it was not
    execution_skipped: str = ""

    @property
    def recall_at_k(self) -> float:
        """Mean per-question recall of gold tables among the top-k retrieved."""
        return sum(r.recall for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def full_recall_rate(self) -> float:
        """Share of questions for which *every* gold table was retrieved."""
        return sum(r.recall == 1.0 for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def executed(self) -> list[CaseResult]:
        return [r for r in self.results if r.correct is not None]

    @property
    def execution_accuracy(self) -> float | None:
        done = self.executed
        return sum(bool(r.correct) for r in done) / len(done) if done else None

    def summary(self) -> dict[str, Any]:
        return {
            "set": self.name,
            "questions": len(self.results),
            "k": self.k,
            f"recall@{self.k}": round(self.recall_at_k, 4),
            "all_tables_retrieved": round(self.full_recall_rate, 4),
            "execution_accuracy": None
            if self.execution_accuracy is None
            else round(self.execution_accuracy, 4),
            "executed": len(self.executed),
            "execution_skipped": self.execution_skipped or None,
        }


def load_eval_set(path: str | Path) -> EvalSet:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SpecError(f"Cannot read evaluation set {path}: {exc}") from None
    if not isinstance(data, Mapping) or not data.get("catalog"):
        raise SpecError(f"Evaluation set {path} needs a 'catalog' path and a 'questions' list")
    catalog = Catalog.load(path.parent / str(data["catalog"]))
    problems: list[str] = []
    cases: list[EvalCase] = []
    seen: set[str] = set()
    for i, raw in enumerate(data.get("questions") or []):
        where = f"questions[{i}]"
        if not isinstance(raw, Mapping) or not all(raw.get(key) for key in ("id", "question", "sql")):
            problems.append(f"{where}: needs 'id', 'question' and 'sql'")
            continue
        case = EvalCase(str(raw["id"]), str(raw["question"]), str(raw["sql"]), tuple(raw.get("tags") or ()))
        if case.id in seen:
            problems.append(f"{where}: duplicate id {case.id!r}")
        seen.add(case.id)
        try:
            check_sql(case.sql, catalog)
        except IpwbError as exc:
            problems.append(f"{where} ({case.id}): gold SQL is invalid: {exc}")
        cases.append(case)
    if problems:
        raise SpecError(f"Invalid evaluation set {path}", problems)
    return EvalSet(str(data.get("name") or path.stem), catalog, tuple(cases))


def retrieval_results(eval_set: EvalSet, k: int) -> list[CaseResult]:
    """Offline part: gold tables vs retrieved tables, no model involved."""
    index = SchemaIndex(eval_set.catalog)
    results = []
    for case in eval_set.cases:
        gold = check_sql(case.sql, eval_set.catalog).tables
        retrieved = tuple(r.qualified for r in index.search(case.question, k))
        results.append(CaseResult(case, gold, retrieved))
    return results


def run_eval(
    eval_set: EvalSet,
    *,
    k: int = 10,
    nl2sql: Nl2Sql | None = None,
    executor: Executor | None = None,
    user: str = "genie-eval",
    progress: Callable[[CaseResult], None] | None = None,
) -> EvalReport:
    """Recall@k always; execution accuracy when both ``nl2sql`` and ``executor`` are given."""
    results = retrieval_results(eval_set, k)
    skipped = ""
    if nl2sql is None:
        skipped = "no model"
    elif executor is None:
        skipped = "no warehouse DSN"
    else:
        for result in results:
            _execute_case(result, nl2sql, executor, user)
            if progress is not None:
                progress(result)
    return EvalReport(eval_set.name, k, results, skipped)


def _execute_case(result: CaseResult, nl2sql: Nl2Sql, executor: Executor, user: str) -> None:
    case = result.case
    try:
        gold = executor(case.sql)
    except IpwbError as exc:
        result.error = f"gold SQL failed: {exc}"
        return  # not counted: the set or the warehouse is wrong, not the model
    try:
        generated = nl2sql.generate(case.question, user=user)
    except IpwbError as exc:
        result.correct, result.error = False, str(exc)
        return
    result.generated_sql = generated.sql
    if not generated.ok:
        result.correct, result.error = False, generated.error
        return
    try:
        predicted = executor(generated.sql)
    except IpwbError as exc:
        result.correct, result.error = False, f"generated SQL failed: {exc}"
        return
    result.correct = results_match(gold, predicted, ordered=has_top_level_order(case.sql))


def has_top_level_order(sql: str, dialect: str = "postgres") -> bool:
    """True when the outermost query sorts its rows (then row order is part of the answer)."""
    statement = sqlglot.parse_one(sql, read=dialect)
    return isinstance(statement, exp.Query) and statement.args.get("order") is not None


def results_match(gold: QueryResult, predicted: QueryResult, *, ordered: bool = False) -> bool:
    """Same number of columns and the same rows (as a multiset unless ``ordered``)."""
    gold_cols, gold_rows = gold
    pred_cols, pred_rows = predicted
    if len(gold_cols) != len(pred_cols):
        return False
    left = [_normalise_row(r) for r in gold_rows]
    right = [_normalise_row(r) for r in pred_rows]
    if ordered:
        return left == right
    return Counter(left) == Counter(right)


def _normalise_row(row: Sequence[Any]) -> tuple[Hashable, ...]:
    return tuple(_normalise_value(v) for v in row)


def _normalise_value(value: Any) -> Hashable:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (int, float, decimal.Decimal)):
        return round(decimal.Decimal(str(value)), NUMERIC_PLACES).normalize()
    if isinstance(value, (datetime.date, datetime.datetime, str, bytes)):
        return value
    return str(value)
