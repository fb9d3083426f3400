"""Classify PostgreSQL statements and explain why one is not a plain read.

The classifier is the *first* of three layers (then the READ ONLY transaction, then the
restricted role's privileges — see :mod:`ipwb.warehouse.execute`): it never sends
anything to a server, and its job is to refuse early *with reasons a person can act
on*, each with a stable :class:`~ipwb.sql.reasons.ReasonCode` and a line/column.

Decisions are made on sqlglot's syntax tree (node types: ``Insert`` nested in a CTE,
``Lock`` for ``FOR UPDATE``, ``Into`` for ``SELECT INTO``, ``Copy``, function nodes …).
Only statements sqlglot does not model — it keeps them as a raw ``Command`` (EXPLAIN,
SHOW, DO, CALL, SET ROLE …) or mis-reads them as a bare expression (``LISTEN x`` parses
as an alias) — are recognised by their leading keywords. A statement that does not
parse is refused with sqlglot's error and position.

Every rule sees names as PostgreSQL resolves them: the script is first re-written by
:func:`ipwb.sql.canonical.canonicalize` (``U&"\\0073et_config"``, ``UESCAPE``, case
folding, 63-byte truncation, comments between tokens …), and only that canonical text is
split and parsed; positions are mapped back to the text the user typed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence

from sqlglot import Token, TokenType, exp

from ipwb.errors import QueryRefused, SqlSyntaxError
from ipwb.sql import functions
from ipwb.sql.canonical import Canonical, canonicalize
from ipwb.sql.keywords import KEYWORD_RULES, keyword_rule
from ipwb.sql.reasons import READ_KINDS, Reason, ReasonCode, StatementKind
from ipwb.sql.split import (
    Statement,
    is_folded_command,
    parse_tokens,
    split_statements,
    tokenize_range,
)

#: "at line 3, column 7" inside a syntax error message (a Reason carries it separately)
_LOCATION = re.compile(r" at line \d+, column \d+")

_DML_NODES = (exp.Insert, exp.Update, exp.Delete, exp.Merge)
_DDL_NODES = (exp.Create, exp.Drop, exp.Alter, exp.TruncateTable, exp.Comment, exp.Grant, exp.Revoke)


@dataclasses.dataclass(frozen=True)
class StatementClassification:
    """One statement: what it is, what it calls, and every reason it is not a plain read."""

    text: str
    kind: StatementKind
    reasons: tuple[Reason, ...]
    line: int
    col: int
    start: int
    end: int
    functions: tuple[str, ...] = ()

    @property
    def is_read_only(self) -> bool:
        return self.kind in READ_KINDS and not self.reasons


@dataclasses.dataclass(frozen=True)
class Classification:
    """A whole script. ``kind`` is the single statement's kind, ``EMPTY`` or ``SCRIPT``;
    ``reasons`` holds script-level findings (several statements, unreadable text)
    followed by every statement's own reasons."""

    sql: str
    kind: StatementKind
    statements: tuple[StatementClassification, ...]
    reasons: tuple[Reason, ...]
    strict: bool = False

    @property
    def is_read_only(self) -> bool:
        return self.kind in READ_KINDS and not self.reasons

    @property
    def statement(self) -> StatementClassification | None:
        """The statement, when there is exactly one."""
        return self.statements[0] if len(self.statements) == 1 else None

    def refusals(self, *, allow_write: bool = False) -> tuple[Reason, ...]:
        """Reasons that refuse the script in the given mode (empty: it may run)."""
        if not allow_write:
            return self.reasons
        return tuple(reason for reason in self.reasons if reason.forbidden)

    def check(self, *, allow_write: bool = False) -> None:
        """Raise :class:`StatementRefused` unless the script may run in this mode."""
        refusals = self.refusals(allow_write=allow_write)
        if refusals:
            raise StatementRefused(refusals, read_only=not allow_write)

    def as_dict(self) -> dict[str, object]:
        return {
            "kind": self.kind.value,
            "is_read_only": self.is_read_only,
            "strict": self.strict,
            "reasons": [reason.as_dict() for reason in self.reasons],
            "statements": [
                {
                    "kind": s.kind.value,
                    "line": s.line,
                    "col": s.col,
                    "is_read_only": s.is_read_only,
                    "functions": list(s.functions),
                }
                for s in self.statements
            ],
        }


class StatementRefused(QueryRefused):
    """Refused by classification; ``reasons`` says why (nothing was sent to a server)."""

    def __init__(self, reasons: Sequence[Reason], *, read_only: bool = True) -> None:
        self.reasons = tuple(reasons)
        mode = "in read-only mode" if read_only else "even with writes allowed"
        lines = "\n".join(f"  - {reason}" for reason in self.reasons)
        super().__init__(f"Statement refused {mode}:\n{lines}")

    @property
    def codes(self) -> tuple[ReasonCode, ...]:
        return tuple(reason.code for reason in self.reasons)


def classify(sql: str, *, strict: bool = False) -> Classification:
    """Classify a script. ``strict`` also refuses calls to functions outside
    :data:`ipwb.sql.functions.STRICT_ALLOWED` (and schema-qualified user functions).

    >>> classify("SELECT 1").is_read_only
    True
    >>> [r.code.value for r in classify("WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d").reasons]
    ['write_in_cte']
    >>> c = classify("SELECT 1;\\nSELECT pg_read_file('/etc/passwd')")
    >>> c.kind.value, [(r.code.value, r.line) for r in c.reasons]
    ('script', [('multiple_statements', 2), ('server_file_access', 2)])
    """
    try:
        canonical = canonicalize(sql)
    except SqlSyntaxError as exc:  # PostgreSQL would not read it either
        reason = Reason(ReasonCode.PARSE_ERROR, _LOCATION.sub("", str(exc)), exc.line, exc.col)
        return Classification(sql, StatementKind.UNKNOWN, (), (reason,), strict)
    try:
        statements = split_statements(canonical.text)
    except SqlSyntaxError as exc:
        line, col = canonical.remap(exc.line, exc.col)
        reason = Reason(ReasonCode.PARSE_ERROR, _LOCATION.sub("", str(exc)), line, col)
        return Classification(sql, StatementKind.UNKNOWN, (), (reason,), strict)
    if not statements:
        reason = Reason(ReasonCode.EMPTY, "There is no SQL statement to run")
        return Classification(sql, StatementKind.EMPTY, (), (reason,), strict)
    classified = tuple(_classify_statement(canonical, statement, strict) for statement in statements)
    script_reasons: list[Reason] = []
    if len(classified) > 1:
        second = classified[1]
        script_reasons.append(
            Reason(
                ReasonCode.MULTIPLE_STATEMENTS,
                f"{len(classified)} statements found; run one statement at a time "
                f"(the second one starts with {_excerpt(second.text)!r})",
                second.line,
                second.col,
            )
        )
    kind = classified[0].kind if len(classified) == 1 else StatementKind.SCRIPT
    reasons = tuple(script_reasons) + tuple(r for s in classified for r in s.reasons)
    return Classification(sql, kind, classified, reasons, strict)


def _classify_statement(canonical: Canonical, statement: Statement, strict: bool) -> StatementClassification:
    inspector = _Inspector(canonical, statement, strict)
    kind = inspector.classify_tokens(statement.tokens)
    start, end = canonical.source_span(statement.start, statement.end)
    line, col = canonical.position(statement.start)
    return StatementClassification(
        text=canonical.source[start:end],
        kind=kind,
        reasons=tuple(inspector.reasons),
        line=line,
        col=col,
        start=start,
        end=end,
        functions=tuple(dict.fromkeys(inspector.functions)),
    )


class _Inspector:
    """Collects reasons for one statement (EXPLAIN recurses into its target). It reads
    the canonical text; every position it reports is one of the source."""

    def __init__(self, canonical: Canonical, statement: Statement, strict: bool) -> None:
        self.canonical = canonical
        self.script = canonical.text
        self.statement = statement
        self.strict = strict
        self.reasons: list[Reason] = []
        self.functions: list[str] = []

    # -- entry points ---------------------------------------------------------------
    def classify_tokens(self, tokens: Sequence[Token]) -> StatementKind:
        words = self._words(tokens)
        if words[0] in ("EXPLAIN", "SHOW"):
            # sqlglot keeps both as an opaque Command; EXPLAIN's target is parsed below
            return self._explain(tokens) if words[0] == "EXPLAIN" else StatementKind.SHOW
        try:
            tree = parse_tokens(self.script, tokens)
        except SqlSyntaxError as exc:
            line, col = self.canonical.remap(exc.line, exc.col)
            self._add(ReasonCode.PARSE_ERROR, _LOCATION.sub("", str(exc)), line, col)
            rule = keyword_rule(words)
            if rule is not None and rule.code is not None:
                self._add_at_token(rule.code, rule.message, tokens[0])
                return rule.kind
            return StatementKind.UNKNOWN
        return self.classify_tree(tree, tokens)

    def _rest(self, tokens: Sequence[Token]) -> list[Token]:
        """Tokens after the first, un-folding sqlglot's command remainder if needed."""
        if is_folded_command(tokens):
            return tokenize_range(self.script, tokens[0].end + 1, self.statement.end)
        return list(tokens[1:])

    def _words(self, tokens: Sequence[Token]) -> tuple[str, ...]:
        return tuple(token.text.upper() for token in [tokens[0], *self._rest(tokens)[:3]])

    def classify_tree(self, tree: exp.Expr, tokens: Sequence[Token]) -> StatementKind:
        if isinstance(tree, (exp.Query, exp.Values)):
            self._inspect(tree, reading=True)
            return StatementKind.QUERY
        modelled = self._modelled_statement(tree, tokens)
        if modelled is not None:
            return modelled
        return self._by_keywords(tokens)

    def _modelled_statement(self, tree: exp.Expr, tokens: Sequence[Token]) -> StatementKind | None:
        """Statements sqlglot parses into a typed node, other than queries."""
        first = tokens[0]
        if isinstance(tree, _DML_NODES):
            verb = type(tree).__name__.upper()
            self._add_at_token(ReasonCode.DML, f"{verb} changes table data", first)
            self._inspect(tree, reading=False)
            return StatementKind.DML
        if isinstance(tree, _DDL_NODES):
            verb = " ".join(self._words(tokens)[:2])
            self._add_at_token(ReasonCode.DDL, f"{verb} changes the database schema or privileges", first)
            self._inspect(tree, reading=False)
            return StatementKind.DDL
        if isinstance(tree, exp.Analyze):
            self._add_at_token(ReasonCode.MAINTENANCE, "ANALYZE updates planner statistics", first)
            return StatementKind.MAINTENANCE
        if isinstance(tree, exp.Copy):
            self._copy(tree, tokens)
            return StatementKind.COPY
        if isinstance(tree, (exp.Transaction, exp.Commit, exp.Rollback)):
            message = f"{first.text.upper()} would end or alter the guarded transaction"
            self._add_at_token(ReasonCode.TRANSACTION_CONTROL, message, first)
            return StatementKind.TRANSACTION
        return None

    def _by_keywords(self, tokens: Sequence[Token]) -> StatementKind:
        # exp.Set, exp.Command and bare expressions: statements sqlglot does not model
        words = self._words(tokens)
        rule = keyword_rule(words)
        if rule is None:
            self._add_at_token(
                ReasonCode.UNKNOWN_STATEMENT,
                f"{words[0] if words else '?'} is not a statement the SQL editor can check",
                tokens[0],
            )
            return StatementKind.UNKNOWN
        if rule.code is not None:
            self._add_at_token(rule.code, rule.message, tokens[0])
        return rule.kind

    # -- statement forms --------------------------------------------------------------
    def _explain(self, tokens: Sequence[Token]) -> StatementKind:
        """EXPLAIN [ANALYZE] [VERBOSE] | EXPLAIN (options) <statement>: the target is
        classified as if it ran (with ANALYZE it does), so EXPLAIN of a write is a write."""
        rest = self._rest(tokens)
        index = 0
        if rest and rest[0].token_type == TokenType.L_PAREN:
            depth = 0
            for index, token in enumerate(rest):  # noqa: B007 - index is used after the loop
                depth += token.token_type == TokenType.L_PAREN
                depth -= token.token_type == TokenType.R_PAREN
                if depth == 0:
                    break
            index += 1
        while index < len(rest) and rest[index].text.upper() in ("ANALYZE", "ANALYSE", "VERBOSE"):
            index += 1
        target = rest[index:]
        if not target:
            self._add_at_token(ReasonCode.PARSE_ERROR, "EXPLAIN names no statement", tokens[0])
            return StatementKind.EXPLAIN
        target_kind = self.classify_tokens(target)
        if target_kind not in (
            StatementKind.QUERY,
            StatementKind.DML,
            StatementKind.DDL,
            StatementKind.UNKNOWN,
        ):
            self._add_at_token(
                ReasonCode.UNKNOWN_STATEMENT, f"EXPLAIN cannot explain {target[0].text.upper()}", target[0]
            )
        return StatementKind.EXPLAIN

    def _copy(self, tree: exp.Copy, tokens: Sequence[Token]) -> None:
        direction = "FROM" if tree.args.get("kind") else "TO"
        targets = [str(f.name).upper() if isinstance(f, exp.Identifier) else None for f in tree.expressions]
        targets += [
            str(f.name).upper() if isinstance(f, exp.Identifier) else None
            for f in tree.args.get("files") or []
        ]
        if "PROGRAM" in targets:
            code, message = (
                ReasonCode.COPY_PROGRAM,
                f"COPY … {direction} PROGRAM runs a shell command on the server",
            )
        elif "STDIN" in targets or "STDOUT" in targets:
            code, message = (
                ReasonCode.COPY_STDIO,
                "COPY … STDIN/STDOUT is not supported: use the export instead",
            )
        else:
            code, message = (
                ReasonCode.COPY_FILE,
                f"COPY … {direction} a file reads or writes the server's files",
            )
        self._add_at_token(code, message, tokens[0])
        self._inspect(tree, reading=False)

    # -- tree walk ----------------------------------------------------------------------
    def _inspect(self, tree: exp.Expr, *, reading: bool) -> None:
        for node in tree.walk():
            if reading and node is not tree and isinstance(node, _DML_NODES):
                verb = type(node).__name__.upper()
                self._add_at_node(ReasonCode.WRITE_IN_CTE, f"{verb} hidden inside a query changes data", node)
            elif isinstance(node, exp.Into):
                self._add_at_node(ReasonCode.SELECT_INTO, "SELECT … INTO creates a table", node)
            elif isinstance(node, exp.Lock):
                self._add_at_node(
                    ReasonCode.LOCKING_CLAUSE, "FOR UPDATE/SHARE locks rows (it needs write access)", node
                )
            elif isinstance(node, exp.Func):
                self._function(node)

    def _function(self, node: exp.Func) -> None:
        names = _function_names(node)
        if not names:
            return
        self.functions.append(names[0])
        for name in names:
            code = functions.denial(name)
            if code is not None:
                self._add_at_node(code, f"{name}() {_DENIAL_TEXT[code]}", node)
                return
        if not self.strict:
            return
        schema = _qualifier(node)
        if schema is not None and schema not in functions.STRICT_SCHEMAS:
            self._add_at_node(
                ReasonCode.FUNCTION_NOT_ALLOWED,
                f"{schema}.{names[0]}() is a user-defined function (strict mode allows built-ins only)",
                node,
            )
        elif isinstance(node, exp.Anonymous) and names[0] not in functions.STRICT_ALLOWED:
            self._add_at_node(
                ReasonCode.FUNCTION_NOT_ALLOWED, f"{names[0]}() is not in the strict-mode allow-list", node
            )

    # -- reasons ------------------------------------------------------------------------
    def _add(self, code: ReasonCode, message: str, line: int | None, col: int | None) -> None:
        reason = Reason(code, message, line, col)
        if reason not in self.reasons:
            self.reasons.append(reason)

    def _add_at_token(self, code: ReasonCode, message: str, token: Token) -> None:
        self._add(code, message, *self.canonical.position(token.start))

    def _add_at_node(self, code: ReasonCode, message: str, node: exp.Expr) -> None:
        for candidate in (node, *node.walk()):
            start = candidate.meta.get("start") if candidate.meta else None
            if isinstance(start, int):
                self._add(code, message, *self.canonical.position(start))
                return
        self._add(code, message, *self.canonical.position(self.statement.start))


_DENIAL_TEXT: dict[ReasonCode, str] = {
    ReasonCode.SERVER_FILE_ACCESS: "reads or writes files on the database server",
    ReasonCode.REMOTE_ACCESS: "connects to another database, outside the guarded transaction",
    ReasonCode.CONFIG_CHANGE: "changes server or session settings",
    ReasonCode.BACKEND_SIGNAL: "signals other sessions",
    ReasonCode.DYNAMIC_SQL: "runs SQL given as text, which cannot be checked",
    ReasonCode.ADMIN_FUNCTION: "is a server administration function",
    ReasonCode.SEQUENCE_WRITE: "advances or sets a sequence",
    ReasonCode.LARGE_OBJECT_WRITE: "creates or changes large objects",
    ReasonCode.ADVISORY_LOCK: "takes an advisory lock",
}


def _function_names(node: exp.Func) -> list[str]:
    """Names a function node may stand for: the canonical name (as PostgreSQL reads it)
    for functions sqlglot does not know, else every SQL name of its typed node."""
    if isinstance(node, exp.Anonymous):
        return [str(node.name)] if node.name else []
    return [name.lower() for name in type(node).sql_names()]


def _qualifier(node: exp.Func) -> str | None:
    """The schema of a schema-qualified call (``public.f()``), in the SELECT list (a
    ``Dot``) or in FROM (a ``Table`` whose ``db`` is set)."""
    parent = node.parent
    if isinstance(parent, exp.Dot) and parent.expression is node:
        qualifier = parent.this
        return str(qualifier.name) if isinstance(qualifier, exp.Identifier) else qualifier.sql()
    if isinstance(parent, exp.Table) and parent.this is node and parent.args.get("db") is not None:
        return str(parent.args["db"].name)
    return None


def _excerpt(text: str, limit: int = 40) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


__all__ = [
    "KEYWORD_RULES",
    "Classification",
    "Reason",
    "ReasonCode",
    "StatementClassification",
    "StatementKind",
    "StatementRefused",
    "classify",
]
