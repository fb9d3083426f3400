# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Warehouse values as JSON for the result grid: exact, never rounded.

NUMERIC stays a string ("7.00" keeps its scale; a float would not), dates and times are
ISO 8601, binary is ``\\x``-hex like psql shows it; JSON values pass through; NaN and
infinities (not JSON) become their text.
"""

import datetime
import math


def to_json(value):
    plain = isinstance(value, bool | int | str) or (isinstance(value, float) and math.isfinite(value))
    if value is None or plain:
        return value
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, memoryview | bytes):
        return "\\x" + bytes(value).hex()
    if isinstance(value, dict):
        return {str(key): to_json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [to_json(item) for item in value]
    return str(value)  # Decimal (exact text), NaN/inf, UUID, timedelta, ranges, …


#: exact types that are JSON as they are (a set lookup per value instead of isinstance chains)
_AS_IS = frozenset({int, str, bool, type(None)})


def rows_to_json(rows):
    """A page of rows as JSON-able lists, each value converted once: :func:`to_json` is
    called only for values that are not already JSON (``NUMERIC``, dates, floats, …)."""
    as_is, convert = _AS_IS, to_json
    return [[value if type(value) in as_is else convert(value) for value in row] for row in rows]
