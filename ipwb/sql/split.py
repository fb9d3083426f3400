"""Split a PostgreSQL script into statements with exact source positions.

Splitting is done on sqlglot's *tokens*, never on the raw text: a ``;`` inside a string,
a dollar-quoted body (``DO $$ … ; … $$``), a quoted identifier or a (nested) comment does
not end a statement. Each :class:`Statement` keeps its tokens (with absolute offsets into
the script) so the classifier can parse it and report line/column of every finding
relative to the script the user typed.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence

from sqlglot import Token, TokenType, exp
from sqlglot.dialects.dialect import Dialect
from sqlglot.errors import ParseError, TokenError

from ipwb.errors import SqlSyntaxError

#: the only dialect the warehouse speaks
DIALECT = "postgres"


class _DropCommandFallbackWarning(logging.Filter):
    """sqlglot logs a warning for every statement it keeps as a raw ``Command`` (EXPLAIN,
    SHOW, DO, …). The classifier handles those on purpose, so the warning is only noise
    in Odoo's log; every other sqlglot message passes through."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Falling back to parsing as a 'Command'" not in str(record.msg)


logging.getLogger("sqlglot").addFilter(_DropCommandFallbackWarning())

_NOT_NEWLINE = re.compile(r"[^\n]")

#: sqlglot's description of "the statement ended early" shows its internal end marker
_SENTINEL_TOKEN = re.compile(r"<Token token_type: TokenType\.SENTINEL[^>]*>")


@dataclasses.dataclass(frozen=True)
class Statement:
    """One statement of a script: its exact text and where it starts (1-based line/col)."""

    text: str
    start: int
    end: int
    line: int
    col: int
    tokens: tuple[Token, ...] = dataclasses.field(repr=False, compare=False)

    @property
    def keywords(self) -> tuple[str, ...]:
        """The first two words, upper-cased (``("ALTER", "SYSTEM")``), for statements
        sqlglot does not model."""
        return tuple(tok.text.upper() for tok in self.tokens[:2])


def position(script: str, offset: int) -> tuple[int, int]:
    """1-based (line, column) of a character offset.

    >>> position("SELECT 1;\\n  SELECT 2", 12)
    (2, 3)
    """
    offset = max(0, min(offset, len(script)))
    line = script.count("\n", 0, offset) + 1
    col = offset - (script.rfind("\n", 0, offset) + 1) + 1
    return line, col


def tokenize(script: str) -> list[Token]:
    """sqlglot tokens of ``script``; a lexical error becomes :class:`SqlSyntaxError`."""
    try:
        return list(Dialect.get_or_raise(DIALECT).tokenize(script))
    except TokenError as exc:
        line, col = position(script, exc.start) if exc.start is not None else (None, None)
        where = f" at line {line}, column {col}" if line is not None else ""
        raise SqlSyntaxError(
            f"Cannot read the SQL{where}: {_first_line(str(exc))} "
            "(an unterminated string, quoted identifier or comment?)",
            line=line,
            col=col,
        ) from None


def tokenize_range(script: str, start: int, end: int) -> list[Token]:
    """Tokens of ``script[start:end]`` with offsets, lines and columns of ``script``.

    sqlglot folds everything after a leading command keyword (``EXPLAIN``, ``DO``,
    ``PREPARE`` …) into one string token; re-tokenizing the remainder recovers its words
    (and EXPLAIN's target statement) without losing positions.

    >>> [(t.text, t.start) for t in tokenize_range("EXPLAIN SELECT 1", 7, 16)]
    [('SELECT', 8), ('1', 15)]
    """
    return tokenize(_NOT_NEWLINE.sub(" ", script[:start]) + script[start:end])


def is_folded_command(tokens: Sequence[Token]) -> bool:
    """True if sqlglot folded the statement after its first keyword into one string."""
    commands = Dialect.get_or_raise(DIALECT).tokenizer_class.COMMANDS
    return len(tokens) == 2 and tokens[0].token_type in commands and tokens[1].token_type == TokenType.STRING


def split_statements(script: str) -> list[Statement]:
    """Statements of ``script`` in order; empty statements (``;;``, comments) are dropped.

    >>> [s.text for s in split_statements("SELECT ';' ; -- x\\n SELECT 2;")]
    ["SELECT ';'", 'SELECT 2']
    >>> split_statements("\\n  VALUES (1)")[0].line
    2
    """
    statements: list[Statement] = []
    chunk: list[Token] = []
    for token in [*tokenize(script), None]:
        if token is not None and token.token_type != TokenType.SEMICOLON:
            chunk.append(token)
            continue
        if chunk:
            start, end = chunk[0].start, chunk[-1].end + 1
            line, col = position(script, start)
            statements.append(Statement(script[start:end], start, end, line, col, tuple(chunk)))
        chunk = []
    return statements


def parse_tokens(script: str, tokens: Sequence[Token]) -> exp.Expr:
    """Parse one statement's tokens (offsets stay relative to ``script``)."""
    try:
        trees = Dialect.get_or_raise(DIALECT).parser().parse(list(tokens), script)
    except ParseError as exc:
        raise syntax_error_from(exc) from None
    except TokenError as exc:  # pragma: no cover - tokens are already valid here
        raise SqlSyntaxError(f"Cannot read the SQL: {_first_line(str(exc))}") from None
    found = [tree for tree in trees if tree is not None]
    if len(found) != 1:
        raise SqlSyntaxError(f"Expected one statement, sqlglot found {len(found)}")
    return found[0]


def syntax_error_from(exc: ParseError) -> SqlSyntaxError:
    """A :class:`SqlSyntaxError` with sqlglot's first error description and location
    (sqlglot's own message embeds terminal colour codes, so it is rebuilt)."""
    first = exc.errors[0] if exc.errors else {}
    line, col = first.get("line"), first.get("col")
    description = first.get("description") or _first_line(str(exc))
    description = _SENTINEL_TOKEN.sub("the end of the statement", description)
    near = (first.get("highlight") or "").strip()
    where = f" at line {line}, column {col}" if line is not None else ""
    near_text = f" near {near!r}" if near else ""
    return SqlSyntaxError(f"Syntax error{where}{near_text}: {description}", line=line, col=col)


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "unknown error"
