"""Escape decoding of PostgreSQL strings and names, byte for byte as the server does it.

``E'…'`` bodies (``scan.l``'s ``xe`` rules: ``\\b \\f \\n \\r \\t``, octal, ``\\xHH``,
``\\uXXXX``/``\\UXXXXXXXX`` with surrogate pairs, any other character taken literally;
the bytes must then be valid UTF-8 without NUL) and ``U&"…"``/``U&'…'`` bodies
(``parser.c``'s ``str_udeescape``). ``fail(message)`` builds the error to raise, with the
position of the token being read.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_HEX = "0123456789abcdefABCDEF"
_E_OCTAL = re.compile(r"[0-7]{1,3}")
_E_HEX = re.compile(r"x[0-9A-Fa-f]{1,2}")
_E_UNICODE = re.compile(r"u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}")
_E_SIMPLE = {"b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def decode_e_string(raw: str, fail: Callable[[str], Exception]) -> str:
    """Decode an ``E'…'`` body (``''`` already kept raw) as PostgreSQL does: bytes,
    then UTF-8 (a NUL or an invalid sequence is an error)."""
    out, at = bytearray(), 0
    while at < len(raw):
        char = raw[at]
        if char == "'":  # '' (doubled quote)
            out += b"'"
            at += 2
        elif char != "\\" or at + 1 >= len(raw):
            out += char.encode("utf-8")
            at += 1
        else:
            at = _e_escape(raw, at + 1, out, fail)
    try:
        text = out.decode("utf-8")
    except UnicodeDecodeError:
        raise fail("invalid byte sequence for encoding UTF8") from None
    if "\0" in text:
        raise fail("invalid byte sequence for encoding UTF8: 0x00")
    return text


def _e_escape(raw: str, at: int, out: bytearray, fail: Callable[[str], Exception]) -> int:
    for pattern, base, skip in ((_E_OCTAL, 8, 0), (_E_HEX, 16, 1)):
        match = pattern.match(raw, at)
        if match:
            out.append(int(match.group()[skip:], base) & 0xFF)
            return match.end()
    match = _E_UNICODE.match(raw, at)
    if match:
        code = int(match.group()[1:], 16)
        if 0xD800 <= code <= 0xDBFF:  # a first surrogate needs its second at once
            second = re.compile(r"\\(?:u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8})").match(raw, match.end())
            low = int(second.group()[2:], 16) if second else 0
            if not 0xDC00 <= low <= 0xDFFF:
                raise fail("invalid Unicode surrogate pair")
            out += chr(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)).encode("utf-8")
            return second.end() if second else at
        if not 0 < code <= 0x10FFFF or 0xDC00 <= code <= 0xDFFF:
            raise fail("invalid Unicode escape value")
        out += chr(code).encode("utf-8")
        return match.end()
    if raw[at] in "uU":
        raise fail("invalid Unicode escape")
    out += _E_SIMPLE.get(raw[at], raw[at]).encode("utf-8")
    return at + 1


def udeescape(raw: str, escape: str, fail: Callable[[str], Exception]) -> str:
    """PostgreSQL's ``str_udeescape``: ``<e>XXXX``, ``<e>+XXXXXX``, ``<e><e>``, UTF-16
    surrogate pairs; anything else after the escape character is an error."""
    out: list[str] = []
    first = 0  # a first surrogate waiting for its second
    at = 0
    while at < len(raw):
        code, at, escaped = _unicode_escape(raw, at, escape, fail)
        if first and not (escaped and 0xDC00 <= code <= 0xDFFF):
            raise fail("invalid Unicode surrogate pair")
        if first:
            code, first = 0x10000 + ((first - 0xD800) << 10) + (code - 0xDC00), 0
        elif escaped and 0xDC00 <= code <= 0xDFFF:
            raise fail("invalid Unicode surrogate pair")
        elif escaped and 0xD800 <= code <= 0xDBFF:
            first = code
            continue
        out.append(chr(code))
    if first:
        raise fail("invalid Unicode surrogate pair")
    return "".join(out)


def _unicode_escape(
    raw: str, at: int, escape: str, fail: Callable[[str], Exception]
) -> tuple[int, int, bool]:
    """The code point at ``raw[at]``, the next offset, and whether it was a hex escape
    (only those can be halves of a surrogate pair)."""
    if raw[at] != escape:
        return ord(raw[at]), at + 1, False
    if raw[at + 1 : at + 2] == escape:
        return ord(escape), at + 2, False
    if _all_hex(raw[at + 1 : at + 5], 4):
        code, after = int(raw[at + 1 : at + 5], 16), at + 5
    elif raw[at + 1 : at + 2] == "+" and _all_hex(raw[at + 2 : at + 8], 6):
        code, after = int(raw[at + 2 : at + 8], 16), at + 8
    else:
        raise fail("invalid Unicode escape (Unicode escapes must be \\XXXX or \\+XXXXXX)")
    if not 0 < code <= 0x10FFFF:
        raise fail("invalid Unicode escape value")
    return code, after, True


def _all_hex(text: str, count: int) -> bool:
    return len(text) == count and all(c in _HEX for c in text)
