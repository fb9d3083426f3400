"""Column type families and naming hints used by the type step.

Why families: the catalog says ``character varying`` where a spec says ``varchar(80)``,
``timestamp with time zone`` where it says ``timestamptz``; the type step compares what a
value *is* (text, integer, numeric, date, timestamp …), not how the type is spelled.
"""

from __future__ import annotations

import re

_FAMILIES: dict[str, str] = {
    "smallint": "integer",
    "integer": "integer",
    "int": "integer",
    "int2": "integer",
    "int4": "integer",
    "int8": "integer",
    "bigint": "integer",
    "numeric": "numeric",
    "decimal": "numeric",
    "money": "numeric",
    "real": "float",
    "float4": "float",
    "float8": "float",
    "double precision": "float",
    "text": "text",
    "varchar": "text",
    "character varying": "text",
    "char": "text",
    "character": "text",
    "bpchar": "text",
    "boolean": "boolean",
    "bool": "boolean",
    "date": "date",
    "time": "time",
    "timestamp": "timestamp",
    "timestamp without time zone": "timestamp",
    "timestamptz": "timestamptz",
    "timestamp with time zone": "timestamptz",
    "interval": "interval",
    "uuid": "uuid",
    "json": "json",
    "jsonb": "json",
    "bytea": "bytea",
    "inet": "inet",
}
_MODIFIERS = re.compile(r"\(.*?\)")

#: column names that hold money: must be ``numeric`` (exact), never float or text
AMOUNT_NAME = re.compile(r"(^|_)(amount|amt|price|cost|total|net|gross|vat|tax|sales|balance)(_|$)")
#: names that say what they are besides a money word: a kind, a flag, an identifier or a code
#: (``type_tax_use``, ``is_vat_registered``, ``vat_number``, ``tax_code``)
NOT_AMOUNT_NAME = re.compile(r"^(type|is|has)_|_(type|use|kind|code|number|no|id|name|basis|flag)$")


def is_amount_name(name: str) -> bool:
    """Whether a column name says it holds money (and so must be typed ``numeric``).

    >>> [is_amount_name(n) for n in ("vat", "tax_withheld", "total_sales", "net_amount")]
    [True, True, True, True]
    >>> [is_amount_name(n) for n in ("type_tax_use", "foreign_vat_number", "is_vat", "tax_code", "network")]
    [False, False, False, False, False]
    """
    return bool(AMOUNT_NAME.search(name)) and not NOT_AMOUNT_NAME.search(name)


#: column names that hold a calendar date / an instant
DATE_NAME = re.compile(r"(^|_)date$|_on$")
INSTANT_NAME = re.compile(r"_at$")


def family(declared: str) -> str:
    """The family of a PostgreSQL type as written in a spec or the catalog.

    >>> [family(t) for t in ("numeric(14, 2)", "character varying(80)", "timestamp with time zone", "text[]")]
    ['numeric', 'text', 'timestamptz', 'array']
    """
    text = declared.strip().lower()
    if text.endswith("[]") or text.startswith("_"):
        return "array"
    base = " ".join(_MODIFIERS.sub("", text).split())
    return _FAMILIES.get(base, base)


def value_fits(value: object, type_family: str) -> bool:  # noqa: PLR0911
    """Whether an accepted value can be stored in a column of the family.

    >>> value_fits("MNL01", "integer"), value_fits(3, "numeric"), value_fits("2024-02-30", "date")
    (False, True, False)
    """
    import datetime as dt  # noqa: PLC0415 - only this helper needs it

    if type_family in ("integer",):
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, str) and value.lstrip("-").isdigit()
        )
    if type_family in ("numeric", "float"):
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            return True
        try:
            float(str(value))
        except ValueError:
            return False
        return True
    if type_family == "boolean":
        return isinstance(value, bool)
    if type_family == "date":
        try:
            dt.date.fromisoformat(str(value))
        except ValueError:
            return False
        return True
    return True
