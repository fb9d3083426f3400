"""JSON Schema (draft 2020-12) validation of spec data, with errors placed on source lines.

Why map errors ourselves: jsonschema reports a JSON path (``steps/2/retries``); the author
needs ``pipelines/x.yaml:14:16``. Each error's path is looked up in the
:class:`~ipwb.specs.yamlio.Document`; an unknown key points at the key itself, a missing
key at the mapping that lacks it, and ``anyOf`` failures at their most relevant branch.
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from ipwb.specs.yamlio import Path, PathKey

SPEC_KINDS: tuple[str, ...] = ("pipeline", "table", "domain")


@dataclass(frozen=True, slots=True)
class Issue:
    """A problem at a data path; ``at_key`` points at the mapping key instead of its value."""

    path: Path
    message: str
    at_key: bool = False


def path_text(path: Sequence[PathKey]) -> str:
    """``("steps", 2, "retries")`` → ``steps[2].retries``.

    >>> path_text(("steps", 2, "depends_on", 0))
    'steps[2].depends_on[0]'
    """
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


@functools.cache
def load_schema(kind: str) -> Mapping[str, Any]:
    """The packaged JSON Schema of a spec kind (``pipeline``, ``table``, ``domain``)."""
    text = resources.files("ipwb.specs").joinpath("schemas", f"{kind}.json").read_text(encoding="utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator_for_kind(kind: str) -> Draft202012Validator:
    return Draft202012Validator(load_schema(kind))


def _validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    return Draft202012Validator(schema)


def _issues(error: ValidationError, prefix: Path) -> Iterator[Issue]:
    if error.context:
        # anyOf/oneOf: the branch that got furthest into the instance is the one the author
        # meant ({relationships: {to: …}} → the bad `to`, not "is not one of [not_null, …]")
        deepest = max(len(e.absolute_path) for e in error.context)
        yield from _issues(best_match(e for e in error.context if len(e.absolute_path) == deepest), prefix)
        return
    path: Path = (*prefix, *error.absolute_path)
    where = f"{path_text(path)}: " if path else ""
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        allowed = list(error.schema.get("properties", {})) if isinstance(error.schema, dict) else []
        for key in error.instance:
            if key in allowed:
                continue
            hint = difflib.get_close_matches(key, allowed, n=1)
            suffix = f" (did you mean {hint[0]!r}?)" if hint else f"; allowed: {', '.join(allowed)}"
            yield Issue((*path, key), f"{where}unknown key {key!r}{suffix}", at_key=True)
        return
    if error.validator == "required" and isinstance(error.instance, dict):
        missing = [k for k in error.validator_value if k not in error.instance]
        for key in missing:
            yield Issue(path, f"{where}missing required key {key!r}")
        return
    yield Issue(path, f"{where}{error.message}")


def validate_data(schema: Mapping[str, Any] | str, data: Any, prefix: Path = ()) -> list[Issue]:
    """Every schema violation of ``data`` (a kind name selects a packaged schema).

    ``prefix`` is prepended to the issue paths, for data nested in a document (a step's
    ``config`` validated against its kind's schema).
    """
    validator = _validator_for_kind(schema) if isinstance(schema, str) else _validator(schema)
    issues: list[Issue] = []
    for error in validator.iter_errors(data):
        issues.extend(_issues(error, prefix))
    return issues
