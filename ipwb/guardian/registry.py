"""Which rules a Guardian run applies: the built-in ones, then those registered by addons."""

from __future__ import annotations

import threading

from ipwb.errors import ConfigurationError
from ipwb.guardian.builtin import BUILTIN_RULES
from ipwb.guardian.rules import STEPS, Rule

_lock = threading.Lock()
_extra: list[Rule] = []


def builtin_rules() -> tuple[Rule, ...]:
    """The built-in rules, in step order."""
    return BUILTIN_RULES


def register_rule(rule: Rule) -> Rule:
    """Add a rule after the built-in ones (codes are unique)."""
    with _lock:
        if rule.step not in STEPS:
            raise ConfigurationError(f"unknown Guardian step {rule.step!r}; use one of {', '.join(STEPS)}")
        if any(r.code == rule.code for r in (*BUILTIN_RULES, *_extra)):
            raise ConfigurationError(f"Guardian rule {rule.code!r} is already registered")
        _extra.append(rule)
    return rule


def unregister_rule(code: str) -> None:
    with _lock:
        _extra[:] = [r for r in _extra if r.code != code]


def extra_rules() -> tuple[Rule, ...]:
    with _lock:
        return tuple(_extra)


def rules() -> tuple[Rule, ...]:
    """Built-in plus registered rules, in step order (stable within a step)."""
    return tuple(sorted((*BUILTIN_RULES, *extra_rules()), key=lambda r: STEPS.index(r.step)))
