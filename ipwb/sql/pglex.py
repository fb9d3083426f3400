"""PostgreSQL's lexer, for the parts that decide what a name *is*.

The SQL guard must read names exactly as the server will, or a name PostgreSQL resolves to
a refused function could be spelled so that the guard sees something else
(``U&"\\0073et_config"``, ``U&"!0070g_notify" UESCAPE '!'``). This module follows
PostgreSQL 15's ``scan.l`` (token boundaries), ``parser.c`` (``UESCAPE`` look-ahead and
Unicode de-escaping, ``str_udeescape``) and ``scansup.c`` (``downcase_identifier``,
``truncate_identifier``) for a UTF-8 database with ``standard_conforming_strings`` on
(the guarded session forces it):

* unquoted identifiers fold ASCII ``A``–``Z`` to lower case and nothing else (in a
  multibyte encoding PostgreSQL leaves every non-ASCII character alone); ``"…"`` keeps
  case, ``""`` is one ``"``; ``U&"…"`` decodes ``\\XXXX``, ``\\+XXXXXX``, ``\\\\`` and
  surrogate pairs, with the escape character chosen by an optional
  ``UESCAPE '<c>'`` (any later whitespace or comment allowed in between);
* every identifier is cut to ``NAMEDATALEN - 1`` = 63 bytes at a character boundary;
* strings: ``'…'`` (with ``''`` and the newline-separated continuation), ``E'…'``
  (backslash escapes, decoded as bytes then UTF-8), ``U&'…'`` (as for identifiers),
  ``$tag$…$tag$``, ``B'…'``/``X'…'``; ``N'…'`` is the word ``n`` then a string;
* comments ``--`` and nested ``/* */`` (also in the middle of an operator);
* numbers followed by an identifier character and ``$1abc`` are errors, as in PG 15.

Anything PostgreSQL rejects while lexing (bad escape, zero-length or unterminated quoted
name, …) raises :class:`~ipwb.errors.SqlSyntaxError` with the position of the offending
token, so the guard refuses what the server would refuse. Escape decoding lives in
:mod:`ipwb.sql.pgescape`.
"""

from __future__ import annotations

import dataclasses
import enum
import re

from ipwb.errors import SqlSyntaxError
from ipwb.sql.pgescape import decode_e_string, udeescape

#: PostgreSQL's NAMEDATALEN: identifiers keep at most NAMEDATALEN - 1 bytes
NAMEDATALEN = 64

_SPACE = " \t\n\r\f"
_NEWLINE = "\n\r"
_OP_CHARS = "~!@#^&|`?+-*/%<>="
_HEX = "0123456789abcdefABCDEF"
_DIGITS = "0123456789"
_DIGITS_1 = tuple(_DIGITS)

_INTEGER = re.compile(r"[0-9]+")
#: integer, decimal or real (PG's {integer}|{decimal} then an optional exponent)
_NUMBER = re.compile(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[Ee][-+]?[0-9]+)?")
_NUMBER_DOTDOT = re.compile(r"[0-9]+\.\.")


def is_ident_start(char: str) -> bool:
    """``[A-Za-z\\200-\\377_]``: in UTF-8 every byte of a non-ASCII character is high-bit."""
    return not char.isascii() or char.isalpha() or char == "_"


def is_ident_cont(char: str) -> bool:
    return is_ident_start(char) or char in "0123456789$"


def _is_dolq_cont(char: str) -> bool:
    return is_ident_start(char) or char in "0123456789"


class Kind(str, enum.Enum):
    SPACE = "space"
    COMMENT = "comment"
    WORD = "word"  # unquoted identifier or keyword
    QUOTED = "quoted"  # "…" or U&"…" [UESCAPE '…']
    STRING = "string"  # '…', E'…', U&'…' [UESCAPE '…'], $tag$…$tag$
    BITS = "bits"  # B'…', X'…'
    NUMBER = "number"
    PARAM = "param"
    OTHER = "other"  # operators and punctuation


@dataclasses.dataclass(frozen=True)
class PgToken:
    """One token: its kind, its span in the source, and what PostgreSQL makes of it
    (``value``: the canonical name of a WORD/QUOTED, the decoded text of a STRING)."""

    kind: Kind
    start: int
    end: int
    value: str = ""


def fold(name: str) -> str:
    """PostgreSQL's ``downcase_identifier`` for a UTF-8 database: ASCII letters only.

    >>> fold("SeT_CoNfIg"), fold("ÉTÉ")  # T is ASCII, É is not
    ('set_config', 'ÉtÉ')
    """
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in name)


def truncate(name: str) -> str:
    """PostgreSQL's ``truncate_identifier``: at most 63 bytes, never half a character.

    >>> len(truncate("x" * 70)), len(truncate("é" * 40).encode())
    (63, 62)
    """
    if len(name.encode("utf-8")) < NAMEDATALEN:
        return name
    return name.encode("utf-8")[: NAMEDATALEN - 1].decode("utf-8", errors="ignore")


class _Lexer:
    def __init__(self, source: str) -> None:
        self.src = source
        self.tokens: list[PgToken] = []

    def fail(self, message: str, offset: int) -> SqlSyntaxError:
        line = self.src.count("\n", 0, offset) + 1
        col = offset - (self.src.rfind("\n", 0, offset) + 1) + 1
        return SqlSyntaxError(f"{message} at line {line}, column {col}", line=line, col=col)

    def run(self) -> list[PgToken]:
        pos = 0
        while pos < len(self.src):
            pos = self.step(pos)
        return self.tokens

    def add(self, kind: Kind, start: int, end: int, value: str = "") -> int:
        self.tokens.append(PgToken(kind, start, end, value))
        return end

    def step(self, pos: int) -> int:  # noqa: PLR0911, PLR0912 - one branch per scan.l rule
        src, char = self.src, self.src[pos]
        two, three = src[pos : pos + 2], src[pos : pos + 3]
        if char in _SPACE:
            end = pos
            while end < len(src) and src[end] in _SPACE:
                end += 1
            return self.add(Kind.SPACE, pos, end)
        if two == "--":
            end = pos
            while end < len(src) and src[end] not in _NEWLINE:
                end += 1
            return self.add(Kind.COMMENT, pos, end)
        if two == "/*":
            return self.add(Kind.COMMENT, pos, self.block_comment(pos))
        if three.lower() in ('u&"', "u&'"):
            return self.unicode_quoted(pos)
        if two.lower() in ("b'", "x'"):
            return self.add(Kind.BITS, pos, self.bit_string(pos + 1))
        if two.lower() == "e'":
            end, raw = self.quoted_string(pos + 1, escapes=True)
            return self.add(
                Kind.STRING, pos, end, decode_e_string(raw, lambda message: self.fail(message, pos))
            )
        if char == "'":
            end, raw = self.quoted_string(pos, escapes=False)
            return self.add(Kind.STRING, pos, end, raw)
        if char == '"':
            end, name = self.quoted_identifier(pos + 1)
            if not name:
                raise self.fail("zero-length delimited identifier", pos)
            return self.add(Kind.QUOTED, pos, end, truncate(name))
        if char == "$":
            return self.dollar(pos)
        if char in _DIGITS or (char == "." and src[pos + 1 : pos + 2] in _DIGITS_1):
            return self.number(pos)
        if is_ident_start(char):
            end = pos + 1
            while end < len(src) and is_ident_cont(src[end]):
                end += 1
            return self.add(Kind.WORD, pos, end, truncate(fold(src[pos:end])))
        if char in _OP_CHARS:
            end = pos
            while end < len(src) and src[end] in _OP_CHARS and src[end : end + 2] not in ("--", "/*"):
                end += 1
            return self.add(Kind.OTHER, pos, max(end, pos + 1))
        return self.add(Kind.OTHER, pos, pos + 1)

    # -- comments, numbers, parameters, dollar quotes -------------------------------
    def block_comment(self, pos: int) -> int:
        depth, at = 0, pos
        while at < len(self.src):
            two = self.src[at : at + 2]
            if two == "/*":
                depth, at = depth + 1, at + 2
            elif two == "*/":
                depth, at = depth - 1, at + 2
                if depth == 0:
                    return at
            else:
                at += 1
        raise self.fail("unterminated /* comment", pos)

    def number(self, pos: int) -> int:
        dotdot = _NUMBER_DOTDOT.match(self.src, pos)
        if dotdot:  # "1..": an integer, then the rest is rescanned
            return self.add(Kind.NUMBER, pos, dotdot.end() - 2)
        match = _NUMBER.match(self.src, pos)
        assert match is not None  # the caller saw a digit (or .digit)
        end = match.end()
        if end < len(self.src) and is_ident_start(self.src[end]):
            raise self.fail("trailing junk after numeric literal", pos)
        return self.add(Kind.NUMBER, pos, end)

    def dollar(self, pos: int) -> int:
        src = self.src
        param = _INTEGER.match(src, pos + 1)
        if param:
            if param.end() < len(src) and is_ident_start(src[param.end()]):
                raise self.fail("trailing junk after parameter", pos)
            return self.add(Kind.PARAM, pos, param.end())
        end = pos + 1
        if end < len(src) and is_ident_start(src[end]):
            while end < len(src) and _is_dolq_cont(src[end]):
                end += 1
        if end >= len(src) or src[end] != "$":
            return self.add(Kind.OTHER, pos, pos + 1)  # {dolqfailed}: a lone "$"
        delimiter = src[pos : end + 1]
        close = src.find(delimiter, end + 1)
        if close < 0:
            raise self.fail("unterminated dollar-quoted string", pos)
        return self.add(Kind.STRING, pos, close + len(delimiter), src[end + 1 : close])

    # -- quoted strings and names ----------------------------------------------------
    def quoted_string(self, quote: int, *, escapes: bool) -> tuple[int, str]:
        """End offset and raw content of ``'…'`` starting at ``quote`` (``''`` kept as
        one ``'``; with ``escapes`` a backslash protects the next character, left raw)."""
        src, at, parts = self.src, quote + 1, []
        while True:
            if at >= len(src):
                raise self.fail("unterminated quoted string", quote)
            char = src[at]
            if escapes and char == "\\":
                parts.append(src[at : at + 2])
                at += 2
            elif char == "'" and src[at + 1 : at + 2] == "'":
                parts.append("''" if escapes else "'")
                at += 2
            elif char == "'":
                after = self.continuation(at + 1)
                if after is None:
                    return at + 1, "".join(parts)
                at = after + 1
            else:
                parts.append(char)
                at += 1

    def bit_string(self, quote: int) -> int:
        """End of ``B'…'``/``X'…'``: no doubled quotes inside (``{xbinside}`` is ``[^']*``)."""
        at = quote
        while True:
            close = self.src.find("'", at + 1)
            if close < 0:
                raise self.fail("unterminated bit string literal", quote)
            after = self.continuation(close + 1)
            if after is None:
                return close + 1
            at = after

    def continuation(self, at: int) -> int | None:
        """Offset of the ``'`` continuing a string after ``at`` (whitespace with a newline,
        ``--`` comments allowed, no ``/* */``), or ``None``."""
        src, newline = self.src, False
        while at < len(src):
            if src[at] in _SPACE:
                newline = newline or src[at] in _NEWLINE
                at += 1
            elif src[at : at + 2] == "--":
                while at < len(src) and src[at] not in _NEWLINE:
                    at += 1
            else:
                return at if src[at] == "'" and newline else None
        return None

    def quoted_identifier(self, at: int) -> tuple[int, str]:
        start, parts = at - 1, []
        while True:
            close = self.src.find('"', at)
            if close < 0:
                raise self.fail("unterminated quoted identifier", start)
            parts.append(self.src[at:close])
            if self.src[close + 1 : close + 2] != '"':
                return close + 1, '"'.join(parts)
            at = close + 2

    def unicode_quoted(self, pos: int) -> int:
        """``U&"…"``/``U&'…'`` and an optional ``UESCAPE`` clause (parser.c's look-ahead)."""
        is_name = self.src[pos + 2] == '"'
        if is_name:
            end, raw = self.quoted_identifier(pos + 3)
            if not raw:
                raise self.fail("zero-length delimited identifier", pos)
        else:
            end, raw = self.quoted_string(pos + 2, escapes=False)
        escape, clause_end = "\\", end
        after = self.skip_blanks(end)
        if self.src[after : after + 7].lower() == "uescape" and not is_ident_cont(
            self.src[after + 7 : after + 8] or " "
        ):
            string_at = self.skip_blanks(after + 7)
            escape, clause_end = self.uescape_char(string_at)
        value = udeescape(raw, escape, lambda message: self.fail(message, pos))
        if is_name:
            return self.add(Kind.QUOTED, pos, clause_end, truncate(value))
        return self.add(Kind.STRING, pos, clause_end, value)

    def skip_blanks(self, at: int) -> int:
        while at < len(self.src):
            if self.src[at] in _SPACE:
                at += 1
            elif self.src[at : at + 2] == "--":
                while at < len(self.src) and self.src[at] not in _NEWLINE:
                    at += 1
            elif self.src[at : at + 2] == "/*":
                at = self.block_comment(at)
            else:
                break
        return at

    def uescape_char(self, at: int) -> tuple[str, int]:
        """The escape character of ``UESCAPE <simple string>`` and where the clause ends."""
        token = None
        if at < len(self.src) and self.src[at : at + 2].lower() != "u&":
            sub = _Lexer(self.src)
            sub.step(at)
            token = sub.tokens[0]
        if token is None or token.kind != Kind.STRING:
            raise self.fail("UESCAPE must be followed by a simple string literal", at)
        escape = token.value
        if len(escape.encode("utf-8")) != 1 or escape in _HEX + "+'\"" or escape in _SPACE:
            raise self.fail("invalid Unicode escape character", at)
        return escape, token.end


def lex(source: str) -> list[PgToken]:
    """Every token of ``source``, whitespace and comments included, in order.

    >>> [(t.kind.value, t.value) for t in lex('U&"!0073et" UESCAPE \\'!\\'') ]
    [('quoted', 'set')]
    """
    return _Lexer(source).run()
