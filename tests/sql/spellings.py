"""The refused-spellings corpus (``fixtures/refused_spellings.yaml``), loaded once."""

from __future__ import annotations

import pathlib
from typing import Any

import yaml

CORPUS_FILE = pathlib.Path(__file__).parent / "fixtures" / "refused_spellings.yaml"
DATA: dict[str, Any] = yaml.safe_load(CORPUS_FILE.read_text(encoding="utf-8"))
REFUSED: list[dict[str, Any]] = DATA["refused"]
ALLOWED: list[str] = DATA["allowed"]
NOT_CALLS: list[dict[str, Any]] = DATA["not_calls"]
INVALID: list[dict[str, Any]] = DATA["invalid"]
IDENTIFIERS: list[tuple[str, str]] = [(spelling, name) for spelling, name in DATA["identifiers"]]
STRINGS: list[tuple[str, str]] = [(spelling, value) for spelling, value in DATA["strings"]]


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in entries]
