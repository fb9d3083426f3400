"""One normalisation step before every rule of the SQL guard: names as PostgreSQL reads them.

:func:`canonicalize` re-writes a script so that sqlglot — and so every rule of the
classifier — sees each identifier the way the server will resolve it
(:mod:`ipwb.sql.pglex`): unquoted words folded to lower case, every other name (quoted,
``U&"…"`` with or without ``UESCAPE``, or an unquoted word with ``$`` or non-ASCII
letters) as a plain ``"…"`` with its canonical text, cut to 63 bytes; every string
(``E'…'``, ``U&'…'``, ``$$…$$``) as a plain ``'…'`` with its decoded text; comments blanked.
The result has no construct sqlglot could read differently from PostgreSQL.

The text may change length, so the :class:`Canonical` keeps, for every character, the
offset it came from: positions in reasons and syntax errors stay those of the script the
user typed. The statement that runs is always the user's own text, never this one.
"""

from __future__ import annotations

import dataclasses
import re

from ipwb.sql.pglex import Kind, PgToken, lex

_PLAIN_WORD = re.compile(r"[a-z_][a-z0-9_]*")
_QUOTES = "\"'"


@dataclasses.dataclass(frozen=True)
class Canonical:
    """``text`` is the canonical form of ``source``; ``origin[i]`` is the source offset of
    ``text[i]`` (one extra entry for the end)."""

    source: str
    text: str
    origin: tuple[int, ...] = dataclasses.field(repr=False)

    def source_offset(self, offset: int) -> int:
        return self.origin[max(0, min(offset, len(self.text)))]

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) in ``source`` of canonical offset ``offset``."""
        at = self.source_offset(offset)
        line = self.source.count("\n", 0, at) + 1
        return line, at - (self.source.rfind("\n", 0, at) + 1) + 1

    def remap(self, line: int | None, col: int | None) -> tuple[int | None, int | None]:
        """A (line, column) of ``text`` (as sqlglot reports it) as one of ``source``."""
        if line is None or col is None:
            return line, col
        starts = [0] + [i + 1 for i, c in enumerate(self.text) if c == "\n"]
        if not 1 <= line <= len(starts):
            return line, col
        return self.position(starts[line - 1] + max(col - 1, 0))

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """Source offsets of the canonical span ``[start, end)``."""
        first = self.source_offset(start)
        last = self.source_offset(end - 1) + 1 if end > start else first
        return first, last


def canonical_name(token: PgToken) -> str:
    """How a WORD/QUOTED token is written in canonical text."""
    if token.kind == Kind.WORD and _PLAIN_WORD.fullmatch(token.value):
        return token.value
    return '"' + token.value.replace('"', '""') + '"'


def _piece(source: str, token: PgToken) -> str:
    if token.kind in (Kind.WORD, Kind.QUOTED):
        return canonical_name(token)
    if token.kind == Kind.STRING:
        return "'" + token.value.replace("'", "''") + "'"
    if token.kind == Kind.COMMENT:
        return re.sub(r"[^\n]", " ", source[token.start : token.end])
    return source[token.start : token.end]


def canonicalize(source: str) -> Canonical:
    """The canonical form of ``source``; :class:`~ipwb.errors.SqlSyntaxError` if
    PostgreSQL would reject it while reading it (a bad escape, an unterminated quote …).

    >>> canonicalize('SELECT U&"\\\\0073et_config"(1)').text
    'select "set_config"(1)'
    >>> canonicalize("SELECT Pg_Catalog . Set_Config/**/(E'a\\\\'b')").text
    "select pg_catalog . set_config    ('a''b')"
    """
    pieces: list[str] = []
    origin: list[int] = []
    previous_end = -1
    for token in lex(source):
        piece = _piece(source, token)
        if token.start == previous_end and pieces and pieces[-1][-1:] in _QUOTES and piece[:1] in _QUOTES:
            pieces.append(" ")  # "a""b" would fuse two names (or strings) into one
            origin.append(token.start)
        pieces.append(piece)
        span = token.end - token.start
        origin.extend(token.start + min(k, span - 1) for k in range(len(piece) - 1))
        origin.append(token.end - 1)
        previous_end = token.end
    origin.append(len(source))
    return Canonical(source, "".join(pieces), tuple(origin))


def names(source: str) -> list[tuple[str, str]]:
    """(as written, as PostgreSQL reads it) for every identifier of ``source``."""
    return [(source[t.start : t.end], t.value) for t in lex(source) if t.kind in (Kind.WORD, Kind.QUOTED)]


__all__ = ["Canonical", "canonical_name", "canonicalize", "names"]
