"""Guardian's validation cycle as data: rule specs, findings and results.

Why spec vs result (as Dagster's ``AssetCheckSpec``/``AssetCheckResult``): a
:class:`Rule` declares *what* is checked (its step of the 8-step cycle, a stable code, a
severity and whether a failure blocks promotion); running it yields a :class:`RuleResult`
holding the :class:`Finding` objects it produced, each placed on a ``file:line:col``. The
built-in rules are data (:mod:`ipwb.guardian.builtin`); :mod:`ipwb.guardian.registry` adds
the rules registered by addons, so the CLI, CI and Odoo all run the same cycle. This module
imports no rule, so every rule module may import it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from ipwb.guardian.context import Context

Severity = Literal["error", "warning", "info"]
Status = Literal["pass", "fail", "skipped"]

#: the 8 steps of the cycle, in order
STEPS: tuple[str, ...] = ("syntax", "type", "lint", "security", "test", "perf", "docs", "integration")


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a rule found, where it was written (1-based line and column)."""

    source: str
    line: int
    col: int
    message: str

    def location(self) -> str:
        return f"{self.source}:{self.line}:{self.col}"


class Skip(Exception):
    """Raised by a rule's check when it cannot run here (no DSN, no history); the message
    becomes the result's info note."""


@dataclass(frozen=True)
class Rule:
    """The spec of one check of the cycle. ``check`` yields findings (none: pass)."""

    step: str
    code: str
    title: str
    check: Callable[[Context], Iterable[Finding]] = field(compare=False, repr=False)
    severity: Severity = "error"
    blocking: bool = True

    @property
    def step_number(self) -> int:
        return STEPS.index(self.step) + 1


@dataclass(frozen=True)
class RuleResult:
    """What running one rule gave: ``fail`` when it found something, ``skipped`` with a note."""

    rule: Rule
    status: Status
    findings: tuple[Finding, ...] = ()
    note: str = ""

    @property
    def blocks(self) -> bool:
        return self.status == "fail" and self.rule.blocking

    def lines(self) -> list[str]:
        """``file:line:col: severity CODE [step] message`` for each finding."""
        head = f"{self.rule.severity} {self.rule.code} [{self.rule.step_number} {self.rule.step}]"
        return [f"{f.location()}: {head} {f.message}" for f in self.findings]

    def as_dict(self) -> dict[str, object]:
        return {
            "step": self.rule.step,
            "step_number": self.rule.step_number,
            "code": self.rule.code,
            "title": self.rule.title,
            "severity": self.rule.severity,
            "blocking": self.rule.blocking,
            "status": self.status,
            "note": self.note,
            "findings": [
                {"source": f.source, "line": f.line, "col": f.col, "message": f.message}
                for f in self.findings
            ],
        }


@dataclass
class Report:
    """Every rule's result of one run; ``ok`` when no blocking rule failed."""

    results: list[RuleResult] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(r.blocks for r in self.results)

    @property
    def blocking_findings(self) -> list[Finding]:
        return [f for r in self.results if r.blocks for f in r.findings]

    def lines(self) -> list[str]:
        """Every finding, sorted by file, line and column."""
        rows = [
            (f.source, f.line, f.col, line)
            for r in self.results
            for f, line in zip(r.findings, r.lines(), strict=True)
        ]
        return [row[3] for row in sorted(rows)]

    def summary(self) -> str:
        failed = [r for r in self.results if r.status == "fail"]
        blocking = [r for r in failed if r.rule.blocking]
        skipped = [r for r in self.results if r.status == "skipped"]
        verdict = "PASS" if self.ok else "FAIL"
        return (
            f"guardian: {verdict}: {len(self.files)} file(s), {len(self.results)} rule(s): "
            f"{len(self.results) - len(failed) - len(skipped)} passed, {len(blocking)} blocking failed, "
            f"{len(failed) - len(blocking)} non-blocking failed, {len(skipped)} skipped"
        )

    def notes(self) -> list[str]:
        """One info line per skipped rule, with why it was skipped."""
        return [
            f"info {r.rule.code} [{r.rule.step_number} {r.rule.step}] skipped: {r.note}"
            for r in self.results
            if r.status == "skipped"
        ]

    def text(self) -> str:
        return "\n".join([*self.lines(), *self.notes(), self.summary()])

    def as_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "files": self.files,
            "summary": self.summary(),
            "results": [r.as_dict() for r in self.results],
        }
