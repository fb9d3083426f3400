"""Natural language → SQL: retrieve schema, generate, validate, repair, (optionally) execute.

The loop is: retrieve the top-k tables for the question → prompt with their DDL → extract
the SQL from the answer → validate it against the catalog (:mod:`ipwb.llm.sqlcheck`) →
on error, send the error back in the same conversation and try again, at most
``max_attempts`` times. Execution is the caller's (the SQL editor's guarded executor);
:func:`answer` accepts any executor callable and feeds database errors into the same
repair loop, because "column is of type text" is as fixable as "unknown column".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

from ipwb.errors import IpwbError
from ipwb.llm.catalog import Catalog
from ipwb.llm.errors import SqlGenerationFailed
from ipwb.llm.gateway import Gateway, SessionBudget
from ipwb.llm.prompts import extract_block, nl2sql_messages, repair_messages
from ipwb.llm.retrieval import Retrieved, SchemaIndex
from ipwb.llm.sqlcheck import check_sql

DEFAULT_MAX_ATTEMPTS = 3
DEFAULT_K = 10

#: (column names, rows) as an executor returns them
QueryResult = tuple[Sequence[str], Sequence[Sequence[Any]]]
Executor = Callable[[str], QueryResult]


@dataclasses.dataclass(frozen=True)
class Attempt:
    sql: str
    error: str = ""
    call_id: str = ""


@dataclasses.dataclass(frozen=True)
class Nl2SqlResult:
    question: str
    sql: str
    ok: bool
    attempts: tuple[Attempt, ...]
    retrieved: tuple[Retrieved, ...]
    #: catalog tables the final SQL reads
    tables: tuple[str, ...] = ()
    cost_usd: float = 0.0

    @property
    def retrieved_tables(self) -> list[str]:
        return [r.qualified for r in self.retrieved]

    @property
    def error(self) -> str:
        return "" if self.ok or not self.attempts else self.attempts[-1].error

    def require(self) -> Nl2SqlResult:
        """Return self if valid, else raise :class:`SqlGenerationFailed` with every attempt."""
        if not self.ok:
            raise SqlGenerationFailed(
                f"No valid SQL after {len(self.attempts)} attempt(s): {self.error}",
                [(a.sql, a.error) for a in self.attempts],
            )
        return self


@dataclasses.dataclass(frozen=True)
class Answer:
    result: Nl2SqlResult
    columns: tuple[str, ...] = ()
    rows: tuple[tuple[Any, ...], ...] = ()


class Nl2Sql:
    """Reusable NL→SQL engine over one catalog (the index is built once)."""

    def __init__(
        self,
        catalog: Catalog,
        gateway: Gateway,
        *,
        k: int = DEFAULT_K,
        max_attempts: int = DEFAULT_MAX_ATTEMPTS,
        dialect: str = "postgres",
        hints: str = "",
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.catalog = catalog
        self.index = SchemaIndex(catalog)
        self.gateway = gateway
        self.k = k
        self.max_attempts = max_attempts
        self.dialect = dialect
        self.hints = hints

    def generate(
        self,
        question: str,
        *,
        user: str,
        session: SessionBudget | None = None,
        model: str | None = None,
        verify: Callable[[str], None] | None = None,
        feature: str = "nl2sql",
    ) -> Nl2SqlResult:
        """Generate validated SQL; ``verify`` may raise :class:`IpwbError` to ask for a repair."""
        self.gateway.require_model()
        retrieved = tuple(self.index.search(question, self.k))
        messages = nl2sql_messages(question, [r.table for r in retrieved], self.hints)
        attempts: list[Attempt] = []
        cost = 0.0
        for _ in range(self.max_attempts):
            result = self.gateway.complete(
                messages,
                user=user,
                feature=feature,
                model=model,
                session=session,
                params={"temperature": 0},
                metadata={"question": question, "attempt": len(attempts) + 1},
            )
            cost += result.cost_usd
            sql = extract_block(result.content, ("sql", "postgresql", "postgres"))
            try:
                checked = check_sql(sql, self.catalog, self.dialect)
                if verify is not None:
                    verify(checked.sql)
            except IpwbError as exc:
                attempts.append(Attempt(sql, str(exc), result.call_id))
                messages = repair_messages(messages, result.content, str(exc))
                continue
            attempts.append(Attempt(checked.sql, "", result.call_id))
            return Nl2SqlResult(question, checked.sql, True, tuple(attempts), retrieved, checked.tables, cost)
        last_sql = attempts[-1].sql if attempts else ""
        return Nl2SqlResult(question, last_sql, False, tuple(attempts), retrieved, (), cost)

    def answer(
        self,
        question: str,
        executor: Executor,
        *,
        user: str,
        session: SessionBudget | None = None,
        model: str | None = None,
    ) -> Answer:
        """Generate and execute; execution errors go back into the repair loop."""
        outcome: dict[str, QueryResult] = {}

        def run(sql: str) -> None:
            outcome[sql] = executor(sql)

        result = self.generate(question, user=user, session=session, model=model, verify=run).require()
        columns, rows = outcome[result.sql]
        return Answer(result, tuple(columns), tuple(tuple(r) for r in rows))


def generate_sql(
    question: str,
    catalog: Catalog,
    gateway: Gateway,
    *,
    user: str,
    k: int = DEFAULT_K,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> Nl2SqlResult:
    """One-shot convenience around :class:`Nl2Sql`."""
    return Nl2Sql(catalog, gateway, k=k, max_attempts=max_attempts).generate(question, user=user)
