"""Building blocks of :mod:`ipwb.sql.write_scope`: problem records, and the checks of one
written table (declared target, writable layer, qualification, temporary tables) with the
positions of what is found. The statement forms themselves are in
:mod:`ipwb.sql.write_scope_statement`.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from sqlglot import Token, exp

from ipwb.errors import SqlSyntaxError
from ipwb.sql.reasons import ReasonCode
from ipwb.sql.split import Statement, is_folded_command, position, tokenize_range


class ScopeCode(str, enum.Enum):
    """Why a statement is outside a step's write scope (beyond the guard's own reason codes)."""

    PARSE_ERROR = "parse_error"
    EMPTY = "empty"
    UNQUALIFIED_TARGET = "unqualified_target"
    NOT_WRITABLE_SCHEMA = "not_writable_schema"
    UNDECLARED_TARGET = "undeclared_target"
    OBJECT_NOT_ALLOWED = "object_not_allowed"
    PRIVILEGE_CHANGE = "privilege_change"
    CASCADE = "cascade"
    SETTING_NOT_ALLOWED = "setting_not_allowed"
    STATEMENT_NOT_ALLOWED = "statement_not_allowed"


@dataclasses.dataclass(frozen=True)
class ScopeProblem:
    """One refusal: a stable code, a sentence, where (1-based, in the script) and the statement."""

    code: ScopeCode | ReasonCode
    message: str
    line: int
    col: int
    statement: str = ""

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.col}"
        shown = f" in `{self.statement}`" if self.statement else ""
        return f"{where}{shown}: {self.message} [{self.code.value}]"

    def as_dict(self) -> dict[str, object]:
        return {
            "code": self.code.value,
            "message": self.message,
            "line": self.line,
            "col": self.col,
            "statement": self.statement,
        }


def cannot_read(exc: SqlSyntaxError) -> str:
    message = re.sub(r" at line \d+, column \d+", "", str(exc))
    return f"{message} (a statement that cannot be parsed cannot be checked)"


def excerpt(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def ident(node: exp.Expr | None) -> str:
    """An identifier as PostgreSQL resolves it: unquoted names fold to lower case."""
    if not isinstance(node, exp.Identifier):
        return str(node.name).lower() if isinstance(node, exp.Expr) and node.name else ""
    return str(node.this) if node.quoted else str(node.this).lower()


class ScopeBase:
    """One statement's problems so far, and the checks of the tables it writes."""

    def __init__(
        self,
        script: str,
        statement: Statement,
        declared: frozenset[str],
        writable: frozenset[str],
        temporary: set[str],
    ) -> None:
        self.script = script
        self.statement = statement
        self.declared = declared
        self.writable = writable
        self.temporary = temporary
        self.problems: list[ScopeProblem] = []
        self.excerpt = excerpt(statement.text)

    # -- targets --------------------------------------------------------------------------------
    def _temporary(self, table: exp.Expr | None) -> None:
        if isinstance(table, exp.Schema):
            table = table.this
        if isinstance(table, exp.Table):
            schema = ident(table.args.get("db"))
            if schema and schema != "pg_temp":
                self._at_node(
                    ScopeCode.NOT_WRITABLE_SCHEMA, "a temporary table cannot be created in a schema", table
                )
                return
            self.temporary.add(ident(table.this))

    def _target(self, table: exp.Expr | None, verb: str, *, at: exp.Expr | None = None) -> None:
        """Check one written table against the declared targets."""
        if isinstance(table, exp.Schema):
            table = table.this
        where = at if at is not None else table
        if not isinstance(table, exp.Table) or not isinstance(table.this, exp.Identifier):
            self._at_node(ScopeCode.UNQUALIFIED_TARGET, f"{verb}: the written table cannot be read", where)
            return
        name, schema = ident(table.this), ident(table.args.get("db"))
        if table.args.get("catalog") is not None:
            self._at_node(
                ScopeCode.UNQUALIFIED_TARGET,
                f"{verb} {table.sql(dialect='postgres')}: name the table as schema.table, without a database",
                where,
            )
        elif schema == "pg_temp" or (not schema and name in self.temporary):
            return
        elif not schema:
            self._at_node(
                ScopeCode.UNQUALIFIED_TARGET,
                f"{verb} {name}: qualify the table with its layer schema (e.g. silver.{name}); only "
                "temporary tables created earlier in the step may be unqualified",
                where,
            )
        elif schema not in self.writable:
            self._at_node(
                ScopeCode.NOT_WRITABLE_SCHEMA,
                f"{verb} writes {schema}.{name}, but schema {schema} is not a layer a pipeline may write "
                f"({', '.join(sorted(self.writable))})",
                where,
            )
        elif f"{schema}.{name}" not in self.declared:
            declared = ", ".join(sorted(self.declared)) or "none"
            self._at_node(
                ScopeCode.UNDECLARED_TARGET,
                f"{verb} writes {schema}.{name}, which is not a declared target of the step "
                f"(declared: {declared})",
                where,
            )

    def _index(self, index: exp.Expr | None, verb: str) -> None:
        """An index by name: temporary, or in the schema of a declared target."""
        if not isinstance(index, exp.Table):
            self._at_start(ScopeCode.UNQUALIFIED_TARGET, f"{verb}: the index name cannot be read")
            return
        schema = ident(index.args.get("db"))
        name = ident(index.this)
        if schema == "pg_temp" or (not schema and name in self.temporary):
            return
        schemas = {target.split(".", 1)[0] for target in self.declared}
        if not schema:
            self._at_node(
                ScopeCode.UNQUALIFIED_TARGET, f"{verb} {name}: qualify the index with its schema", index
            )
        elif schema not in schemas or schema not in self.writable:
            self._at_node(
                ScopeCode.UNDECLARED_TARGET,
                f"{verb} {schema}.{name}: an index is changed only in the schema of a declared target "
                f"({', '.join(sorted(schemas)) or 'none declared'})",
                index,
            )

    def _cascade(self, message: str) -> None:
        self._at_start(ScopeCode.CASCADE, message)

    # -- words and positions --------------------------------------------------------------------
    def _rest_tokens(self) -> list[Token]:
        """The statement's tokens, un-folding sqlglot's command remainder (``REFRESH …``)."""
        tokens = self.statement.tokens
        if is_folded_command(tokens):
            return [tokens[0], *tokenize_range(self.script, tokens[0].end + 1, self.statement.end)]
        return list(tokens)

    def _rest_words(self) -> list[str]:
        return [token.text.upper() for token in self._rest_tokens()]

    def _words(self, count: int) -> str:
        """The first ``count`` words as written (for messages)."""
        return " ".join(token.text for token in self._rest_tokens()[:count])

    def _object_message(self, verb: str, kind: str) -> str:
        shown = kind or "this object"
        return (
            f"{verb} {shown} is not allowed in a pipeline SQL step (it may create, drop or change only "
            "tables, views, materialized views and indexes of its declared targets)"
        )

    def _add(self, code: ScopeCode | ReasonCode, message: str, line: int | None, col: int | None) -> None:
        problem = ScopeProblem(
            code, message, line or self.statement.line, col or self.statement.col, self.excerpt
        )
        if problem not in self.problems:
            self.problems.append(problem)

    def _at_start(self, code: ScopeCode, message: str) -> None:
        self._add(code, message, self.statement.line, self.statement.col)

    def _at_node(self, code: ScopeCode, message: str, node: exp.Expr | None) -> None:
        starts = [
            candidate.meta["start"]
            for candidate in ([node, *node.walk()] if node is not None else [])
            if candidate.meta and isinstance(candidate.meta.get("start"), int)
        ]
        if starts:
            self._add(code, message, *position(self.script, min(starts)))
        else:
            self._at_start(code, message)
