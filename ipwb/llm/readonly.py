"""A read-only executor for the CLI evaluation and tests: the SQL editor's guarded one.

Model-written SQL is untrusted input, so the evaluation runs it exactly as the SQL editor
runs a user's statement (:func:`ipwb.warehouse.execute.execute`): the guard classifies it
first (writes, DDL, ``set_config``, ``dblink``… are refused before any connection), then it
runs in a READ ONLY transaction under a statement timeout, with a row cap. A result larger
than the cap is an error, not a silently shortened answer (comparing a truncated result
would be comparing the wrong thing).
"""

from __future__ import annotations

from ipwb.errors import WarehouseError
from ipwb.llm.nl2sql import Executor, QueryResult
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.execute import MAX_PAGE_ROWS, execute

#: default statement timeout of the evaluation (seconds)
DEFAULT_TIMEOUT_S = 30.0


def readonly_executor(
    target: str | WarehouseConfig,
    *,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    max_rows: int = MAX_PAGE_ROWS,
) -> Executor:
    """An :data:`~ipwb.llm.nl2sql.Executor` over the guarded executor (one connection per statement)."""
    config = WarehouseConfig.from_dsn(target) if isinstance(target, str) else target

    def run(sql: str) -> QueryResult:
        result = execute(config, sql, timeout_s=timeout_s, max_rows=max_rows)
        if result.truncated:
            raise WarehouseError(f"The query returned more than {max_rows} rows")
        return result.column_names, result.rows

    return run
