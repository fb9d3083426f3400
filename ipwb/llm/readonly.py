"""A minimal read-only executor for the CLI evaluation and tests.

The SQL editor's guarded executor (``ipwb.warehouse.execute``) is what interactive
features use; the evaluation only needs "run this SELECT, give me rows, never write", so
this small stand-in keeps :mod:`ipwb.llm.evaluate` usable headless: a read-only
transaction, a statement timeout, a row cap, and database errors turned into
:class:`~ipwb.errors.WarehouseError` (which the repair loop and the harness understand).
"""

from __future__ import annotations

import psycopg2

from ipwb.errors import WarehouseError
from ipwb.llm.nl2sql import Executor, QueryResult
from ipwb.warehouse.connection import WarehouseConfig, connect


def readonly_executor(
    target: str | WarehouseConfig, *, statement_timeout_ms: int = 30_000, max_rows: int = 100_000
) -> Executor:
    """An :data:`~ipwb.llm.nl2sql.Executor` opening one connection per statement."""
    config = WarehouseConfig.from_dsn(target) if isinstance(target, str) else target

    def execute(sql: str) -> QueryResult:
        conn = connect(config)
        try:
            conn.set_session(readonly=True, autocommit=False)
            with conn.cursor() as cur:
                cur.execute("SET LOCAL statement_timeout = %s", (int(statement_timeout_ms),))
                cur.execute(sql)
                columns = [d[0] for d in cur.description or ()]
                rows = cur.fetchmany(max_rows + 1) if cur.description else []
            if len(rows) > max_rows:
                raise WarehouseError(f"The query returned more than {max_rows} rows")
            return columns, [tuple(r) for r in rows]
        except psycopg2.Error as exc:
            lines = (exc.pgerror or str(exc)).strip().splitlines()
            raise WarehouseError(f"Query failed: {lines[0] if lines else type(exc).__name__}") from None
        finally:
            conn.close()  # never committed: closing discards the read-only transaction

    return execute
