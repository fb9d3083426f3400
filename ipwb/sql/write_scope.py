"""What a pipeline SQL step may write: its declared targets, in the layers pipelines write.

A pipeline ``sql`` step runs as the warehouse *writer* role, which owns the layer schemas and
could therefore drop them, change grants or create functions. This module bounds the step
*before anything runs*: every statement of the script is parsed (sqlglot syntax tree, never
substrings) and each problem is returned with its line/column in the script:

* **allowed** — queries; ``INSERT``/``UPDATE``/``DELETE``/``MERGE`` (also inside CTEs),
  ``TRUNCATE``, ``SELECT … INTO``, ``CREATE [OR REPLACE] TABLE/VIEW/MATERIALIZED VIEW/INDEX``,
  ``DROP TABLE/VIEW/MATERIALIZED VIEW/INDEX``, ``ALTER TABLE/VIEW/INDEX`` (columns,
  constraints, rename), ``COMMENT ON``, ``ANALYZE``, ``REFRESH MATERIALIZED VIEW`` — each only
  on a **declared target** (``schema.table``, schema-qualified, in a writable layer schema of
  :mod:`ipwb.warehouse.layers`); temporary tables created by the step are free; ``SET`` of a
  few planner/memory settings;
* **refused** — everything else: schemas, roles, grants, ownership, row-level security,
  functions, procedures, triggers, extensions, sequences, types, ``CASCADE`` (it reaches
  objects that are not targets), ``DO``/``CALL``, ``COPY`` of files or programs, ``SET ROLE``,
  other settings, transaction control, ``VACUUM``/``CLUSTER``/``REINDEX``/``LOCK``, and every
  function denied by :mod:`ipwb.sql.functions` anywhere in a statement. A statement that does
  not parse is refused: what cannot be read cannot be checked.

The guard's building blocks are reused: statements and positions from
:mod:`ipwb.sql.split`, and the SQL editor's classifier (:func:`ipwb.sql.classify.classify`)
for the refusals it already knows (files, programs, roles, denied functions …).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence

from ipwb.errors import QueryRefused, SqlSyntaxError
from ipwb.sql.classify import classify
from ipwb.sql.split import split_statements
from ipwb.sql.write_scope_base import ScopeCode, ScopeProblem, cannot_read
from ipwb.sql.write_scope_statement import HARMLESS_SETTINGS, StatementScope
from ipwb.warehouse.layers import WRITABLE_SCHEMAS

#: psycopg2 run parameters of a step (``%(start_date)s``), checked as same-length NULLs
_PLACEHOLDER = re.compile(r"%\((\w+)\)s")
#: a declared target: ``schema.table`` in lower case
TARGET_RE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class WriteScopeRefused(QueryRefused):
    """A step's SQL goes outside its write scope; nothing was sent to a server."""

    def __init__(self, problems: Sequence[ScopeProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  - {problem}" for problem in self.problems)
        super().__init__(f"SQL step refused ({len(self.problems)} problem(s)):\n{lines}")


def checkable(sql: str) -> str:
    """The script with ``%(name)s`` placeholders as same-length ``NULL`` (positions kept).

    >>> checkable("select %(d)s, 1")
    'select NULL , 1'
    """
    return _PLACEHOLDER.sub(lambda m: "NULL".ljust(len(m.group(0))), sql)


def invalid_targets(targets: Iterable[str]) -> list[str]:
    """Declared targets that are not ``schema.table`` in a writable schema, with the reason.

    >>> [p.split(":")[0] for p in invalid_targets(["gold.t", "gold_stage.t", "public.users", "t"])]
    ['public.users', 't']
    """
    problems = []
    for target in targets:
        if not TARGET_RE.match(target):
            problems.append(f"{target}: name a target as schema.table (lower case)")
        elif target.split(".", 1)[0] not in WRITABLE_SCHEMAS:
            schema = target.split(".", 1)[0]
            layers = ", ".join(WRITABLE_SCHEMAS)
            problems.append(f"{target}: schema {schema} is not a layer a pipeline may write ({layers})")
    return problems


def check_write_scope(
    sql: str, targets: Collection[str], *, writable: Collection[str] = WRITABLE_SCHEMAS
) -> tuple[ScopeProblem, ...]:
    """Every problem of ``sql`` as the script of a step declaring ``targets`` (empty: it may run).

    >>> check_write_scope("insert into gold.t select a from silver.s", ["gold.t"])
    ()
    >>> [p.code.value for p in check_write_scope("DROP SCHEMA gold CASCADE", ["gold.t"])]
    ['object_not_allowed']
    >>> problem = check_write_scope("select 1;\\n  delete from silver.s", ["gold.t"])[0]
    >>> problem.line, problem.col, problem.statement, problem.code.value
    (2, 15, 'delete from silver.s', 'undeclared_target')
    >>> problem.message
    'DELETE writes silver.s, which is not a declared target of the step (declared: gold.t)'
    """
    text = checkable(sql)
    try:
        statements = split_statements(text)
    except SqlSyntaxError as exc:
        return (ScopeProblem(ScopeCode.PARSE_ERROR, cannot_read(exc), exc.line or 1, exc.col or 1),)
    if not statements:
        return (ScopeProblem(ScopeCode.EMPTY, "the step has no SQL statement", 1, 1),)
    classification = classify(text)
    declared = frozenset(t.lower() for t in targets)
    temporary: set[str] = set()
    problems: list[ScopeProblem] = []
    for statement, classified in zip(statements, classification.statements, strict=True):
        checker = StatementScope(text, statement, declared, frozenset(writable), temporary)
        problems += checker.run(classified)
    return tuple(problems)


def ensure_write_scope(sql: str, targets: Collection[str]) -> None:
    """Raise :class:`WriteScopeRefused` unless ``sql`` stays within ``targets``."""
    problems = check_write_scope(sql, targets)
    if problems:
        raise WriteScopeRefused(problems)


__all__ = [
    "HARMLESS_SETTINGS",
    "ScopeCode",
    "ScopeProblem",
    "WriteScopeRefused",
    "check_write_scope",
    "checkable",
    "ensure_write_scope",
    "invalid_targets",
]
