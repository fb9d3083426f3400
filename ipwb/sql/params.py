"""Snippet parameters: ``{{name}}`` in SQL text, bound by psycopg2, never substituted.

A snippet such as ``SELECT * FROM gold.invoice WHERE partner = {{partner}}`` becomes
``… WHERE partner = %(partner)s`` and the value travels separately to
``cursor.execute(sql, {"partner": value})``, so a value is always data.

The conversion follows PostgreSQL's lexical rules, because text that *looks* like a
placeholder inside a string literal, quoted identifier, dollar-quoted body or comment is
not one: turning ``'{{x}}'`` into ``'%(x)s'`` would put a quoted value inside quotes — a
textbook injection. Those spans come from :mod:`ipwb.sql.pglex`, the same lexer the guard
reads names with (``1$q$ {{x}} $q$`` is a dollar-quoted body for PostgreSQL, so it stays
text); only text PostgreSQL cannot read at all (the guard refuses it) falls back to a
simpler scan. And psycopg2 interprets every ``%`` of the text when parameters are
passed, so each literal ``%`` (``LIKE '10%'``, the ``%`` operator) is doubled.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping

from ipwb.errors import ParameterError, SqlSyntaxError
from ipwb.sql.pglex import Kind, lex

_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
_MARKER = re.compile(r"__ipwb_param_([A-Za-z_][A-Za-z0-9_]*)__")
_DOLLAR_TAG = re.compile(r"\$([A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$")


@dataclasses.dataclass(frozen=True)
class ParametrizedSql:
    """``sql`` is for psycopg2 (``%(name)s``, ``%%``); ``checkable`` is the original text
    with each placeholder replaced by ``NULL`` padded to the same length, so sqlglot can
    classify it and positions (line/column) stay those of the original."""

    sql: str
    names: tuple[str, ...]
    checkable: str
    #: the original text with each placeholder as the identifier ``__ipwb_param_<name>__``
    #: (what the formatter feeds sqlglot; :func:`unmark` restores the placeholders)
    marked: str = ""


def convert(text: str) -> ParametrizedSql:
    """Convert ``{{name}}`` placeholders outside literals/comments; double every ``%``.

    >>> p = convert("SELECT * FROM t WHERE a = {{ a }} AND b LIKE '10%' AND c = '{{a}}'")
    >>> p.sql
    "SELECT * FROM t WHERE a = %(a)s AND b LIKE '10%%' AND c = '{{a}}'"
    >>> p.names
    ('a',)
    >>> p.checkable
    "SELECT * FROM t WHERE a = NULL    AND b LIKE '10%' AND c = '{{a}}'"
    >>> convert("SELECT $q$ {{x}} $q$, {{y}} -- {{z}}\\n, {{y}} % 2").names
    ('y',)
    >>> convert('SELECT "{{x}}", E\\'\\\\\\' {{x}}\\', /* {{x}} /* {{x}} */ {{x}} */ 1').names
    ()
    """
    out: list[str] = []
    checkable: list[str] = []
    marked: list[str] = []
    names: dict[str, None] = {}
    opaque = _opaque_spans(text)
    index, size = 0, len(text)
    while index < size:
        end = opaque.get(index, index) if opaque is not None else _skip_quoted(text, index)
        if end > index:  # a literal, identifier or comment: copied verbatim
            chunk = text[index:end]
            out.append(chunk.replace("%", "%%"))
            checkable.append(chunk)
            marked.append(chunk)
            index = end
            continue
        match = _PLACEHOLDER.match(text, index)
        if match:
            name = match.group(1)
            names.setdefault(name)
            out.append(f"%({name})s")
            checkable.append("NULL".ljust(match.end() - index))
            marked.append(f"__ipwb_param_{name}__")
            index = match.end()
            continue
        char = text[index]
        out.append("%%" if char == "%" else char)
        checkable.append(char)
        marked.append(char)
        index += 1
    return ParametrizedSql("".join(out), tuple(names), "".join(checkable), "".join(marked))


def unmark(text: str) -> str:
    """Turn ``__ipwb_param_<name>__`` markers back into ``{{name}}`` placeholders.

    >>> unmark(convert("SELECT * FROM t WHERE a = {{ a }}").marked)
    'SELECT * FROM t WHERE a = {{a}}'
    """
    return _MARKER.sub(lambda match: "{{" + match.group(1) + "}}", text)


def parameter_names(text: str) -> tuple[str, ...]:
    """Names of the placeholders of ``text``, in order of first use.

    >>> parameter_names("SELECT {{b}}, {{a}}, {{b}}")
    ('b', 'a')
    """
    return convert(text).names


def bind(text: str, values: Mapping[str, object] | None = None) -> tuple[str, dict[str, object]]:
    """psycopg2 SQL and its parameter dict; every placeholder needs a value and every
    value a placeholder (a mismatch is a typo, reported with the names).

    >>> bind("SELECT {{n}}::int + 1", {"n": 41})
    ('SELECT %(n)s::int + 1', {'n': 41})
    >>> bind("SELECT {{n}}")
    Traceback (most recent call last):
    ...
    ipwb.errors.ParameterError: No value given for parameter(s): n
    """
    return bind_converted(convert(text), values)


def bind_converted(
    converted: ParametrizedSql, values: Mapping[str, object] | None = None
) -> tuple[str, dict[str, object]]:
    """:func:`bind` of an already converted text."""
    given = dict(values or {})
    missing = [name for name in converted.names if name not in given]
    if missing:
        raise ParameterError(f"No value given for parameter(s): {', '.join(missing)}")
    unknown = sorted(set(given) - set(converted.names))
    if unknown:
        raise ParameterError(
            f"Value(s) given for parameter(s) the SQL does not use: {', '.join(unknown)} "
            f"(the SQL uses: {', '.join(converted.names) or 'none'})"
        )
    return converted.sql, {name: given[name] for name in converted.names}


def _opaque_spans(text: str) -> dict[int, int] | None:
    """start -> end of every literal, quoted identifier and comment as PostgreSQL lexes
    ``text``; ``None`` if PostgreSQL could not read it."""
    try:
        tokens = lex(text)
    except SqlSyntaxError:
        return None
    kinds = (Kind.STRING, Kind.QUOTED, Kind.BITS, Kind.COMMENT)
    return {token.start: token.end for token in tokens if token.kind in kinds}


def _skip_quoted(text: str, index: int) -> int:
    """End offset of the string literal, quoted identifier, dollar-quoted body or comment
    starting at ``index``, or ``index`` itself if none starts there."""
    char = text[index]
    following = text[index + 1 : index + 2]
    if char == "-" and following == "-":
        newline = text.find("\n", index)
        return len(text) if newline < 0 else newline + 1
    if char == "/" and following == "*":
        return _skip_block_comment(text, index)
    if char == "'":
        escapes = index > 0 and text[index - 1] in "eE" and not _is_word_char(text, index - 2)
        return _skip_quote(text, index, "'", backslash=escapes)
    if char == '"':
        return _skip_quote(text, index, '"', backslash=False)
    if char == "$" and not _is_word_char(text, index - 1):
        match = _DOLLAR_TAG.match(text, index)
        if match:
            close = text.find(match.group(0), match.end())
            return len(text) if close < 0 else close + len(match.group(0))
    return index


def _skip_quote(text: str, index: int, quote: str, *, backslash: bool) -> int:
    position = index + 1
    while position < len(text):
        char = text[position]
        if backslash and char == "\\":
            position += 2
            continue
        if char == quote:
            if text[position + 1 : position + 2] == quote:  # doubled quote: still inside
                position += 2
                continue
            return position + 1
        position += 1
    return len(text)


def _skip_block_comment(text: str, index: int) -> int:
    depth, position = 0, index
    while position < len(text):
        pair = text[position : position + 2]
        if pair == "/*":
            depth += 1
            position += 2
        elif pair == "*/":
            depth -= 1
            position += 2
            if depth == 0:
                return position
        else:
            position += 1
    return len(text)


def _is_word_char(text: str, index: int) -> bool:
    return 0 <= index < len(text) and (text[index].isalnum() or text[index] in "_$")
