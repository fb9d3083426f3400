"""Bronze row versions: the stable JSON text of a payload and its hash (re-exported by
:mod:`ipwb.finance.warehouse`)."""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any


def _json_default(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} in a bronze payload")


def canonical_json(payload: Mapping[str, Any]) -> str:
    """Stable JSON text of a payload (sorted keys, ISO dates) — what versions are hashed on."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=_json_default)


def row_version(payload: Mapping[str, Any], deleted: bool = False, parent_version: str | None = None) -> str:
    """The version hash of a payload.

    >>> row_version({"a": 1}) == row_version({"a": 1}), row_version({"a": 1}) == row_version({"a": 1}, True)
    (True, False)
    """
    text = "\x1f".join([canonical_json(payload), "D" if deleted else "", parent_version or ""])
    return hashlib.md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()
