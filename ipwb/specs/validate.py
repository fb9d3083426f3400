"""Load, validate and dump specs: syntax → JSON Schema → semantics → cross-file references.

Every problem is reported as ``file:line:col: message`` and a run reports all of them, so a
pre-merge check or the canvas import shows the whole list at once. The spec kind comes from
the directory (``…/pipelines/``, ``…/tables/``, ``…/domains/``) unless given explicitly.

Cross-file rule (only when the validated set contains the referenced kind, so validating a
single pipeline does not demand the whole repository): a ``domain`` named by a pipeline or
table must be one of the loaded domain specs; tables listed by a domain must be loaded table
specs; a table declaring a domain must be listed by it; names are unique per kind.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ipwb.errors import SpecError
from ipwb.specs.model import SPEC_CLASSES, DomainSpec, PipelineSpec, Spec, TableSpec, from_data, to_data
from ipwb.specs.schemas import SPEC_KINDS, Issue, validate_data
from ipwb.specs.semantic import check
from ipwb.specs.yamlio import Document, dump_data, parse

SPEC_SUFFIXES = (".yaml", ".yml")
_DIRECTORY_KINDS = {"pipelines": "pipeline", "tables": "table", "domains": "domain"}


@dataclass
class SpecFile:
    """The outcome for one file: its kind, the spec when valid, every problem otherwise."""

    source: str
    kind: str | None = None
    spec: Spec | None = None
    document: Document | None = None
    problems: list[str] = field(default_factory=list)


@dataclass
class ValidationReport:
    """Every file checked, every problem found, and the files a directory walk skipped."""

    files: list[SpecFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        bad = len({p.split(":", 1)[0] for p in self.problems})
        skipped = f"; {len(self.skipped)} other file(s) skipped" if self.skipped else ""
        if self.ok:
            return f"{len(self.files)} spec file(s) valid{skipped}"
        return f"{len(self.problems)} problem(s) in {bad} of {len(self.files)} spec file(s){skipped}"


def detect_kind(path: str | os.PathLike[str]) -> str | None:
    """Spec kind from the nearest ``pipelines``/``tables``/``domains`` directory.

    >>> detect_kind("specs/tables/gold/gold_daily_sales.yaml")
    'table'
    """
    for part in reversed(Path(path).parts[:-1]):
        if part in _DIRECTORY_KINDS:
            return _DIRECTORY_KINDS[part]
    return None


def _sort_key(problem: str) -> tuple[str, int, int, str]:
    source, _, rest = problem.partition(":")
    line, _, rest = rest.partition(":")
    column, _, _ = rest.partition(":")
    digits = line.isdigit() and column.isdigit()
    return (source, int(line) if digits else 0, int(column) if digits else 0, problem)


def _place(doc: Document, issues: Iterable[Issue]) -> list[str]:
    return [doc.problem(i.path, i.message, key=i.at_key) for i in issues]


def check_text(text: str, kind: str, source: str = "<string>") -> SpecFile:
    """Validate one spec's text without raising; the spec is set only when valid."""
    result = SpecFile(source, kind)
    if kind not in SPEC_KINDS:
        result.problems.append(f"{source}: unknown spec kind {kind!r}; use one of {', '.join(SPEC_KINDS)}")
        return result
    try:
        doc = parse(text, source)
    except SpecError as exc:
        result.problems.extend(exc.problems)
        return result
    result.document = doc
    problems = list(doc.problems)
    if not isinstance(doc.data, dict):
        problems.append(doc.problem((), f"a {kind} spec is a mapping of keys, got {type(doc.data).__name__}"))
    else:
        schema_problems = _place(doc, validate_data(kind, doc.data))
        problems += schema_problems
        if not schema_problems:
            spec = from_data(SPEC_CLASSES[kind], doc.data)
            problems += _place(doc, check(spec))
            if not problems:
                result.spec = spec
    result.problems = sorted(problems, key=_sort_key)
    return result


def loads(text: str, kind: str, source: str = "<string>") -> Spec:
    """Parse and validate one spec; :class:`SpecError` lists every problem with its line."""
    result = check_text(text, kind, source)
    if result.spec is None:
        raise SpecError(f"{source}: invalid {kind} spec ({len(result.problems)} problem(s))", result.problems)
    return result.spec


def load_file(path: str | os.PathLike[str], kind: str | None = None) -> Spec:
    """Like :func:`loads` for a file; the kind defaults to :func:`detect_kind`."""
    result = check_file(path, kind)
    if result.spec is None:
        raise SpecError(f"{result.source}: invalid spec ({len(result.problems)} problem(s))", result.problems)
    return result.spec


def check_file(path: str | os.PathLike[str], kind: str | None = None) -> SpecFile:
    source = os.fspath(path)
    kind = kind or detect_kind(path)
    if kind is None:
        return SpecFile(
            source,
            problems=[f"{source}: cannot tell the spec kind: put it under pipelines/, tables/ or domains/"],
        )
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return SpecFile(source, kind, problems=[f"{source}: cannot read: {exc}"])
    return check_text(text, kind, source)


def dumps(spec: Spec) -> str:
    """The spec as YAML in the stable format (see :mod:`ipwb.specs.model` for key order)."""
    return dump_data(to_data(spec))


def dump_file(spec: Spec, path: str | os.PathLike[str]) -> None:
    Path(path).write_text(dumps(spec), encoding="utf-8")


def spec_paths(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Path]]:
    """(files to validate, files skipped): named files as-is; directories are walked for
    ``*.yaml``/``*.yml`` under a ``pipelines``/``tables``/``domains`` directory — other YAML
    living under ``specs/`` (Genie catalogs, dbt projects) is not ours to judge."""
    found: list[Path] = []
    skipped: list[Path] = []
    for entry in map(Path, paths):
        if not entry.is_dir():
            found.append(entry)
            continue
        for path in sorted(p for p in entry.rglob("*") if p.suffix in SPEC_SUFFIXES and p.is_file()):
            (found if detect_kind(path) else skipped).append(path)
    return found, skipped


def _cross_references(files: list[SpecFile]) -> list[str]:
    valid = [f for f in files if f.spec is not None and f.document is not None]
    problems: list[str] = []
    names: dict[tuple[str, str], str] = {}
    for f in valid:
        assert f.spec is not None and f.document is not None
        name = f.spec.qualified_name if isinstance(f.spec, TableSpec) else f.spec.name
        key = (f.spec.spec_kind, name)
        if key in names:
            problems.append(
                f.document.problem(("name",), f"{key[0]} {name!r} is also defined in {names[key]}")
            )
        names.setdefault(key, f.source)
    domains = {f.spec.name: f.spec for f in valid if isinstance(f.spec, DomainSpec)}
    tables = {f.spec.qualified_name for f in valid if isinstance(f.spec, TableSpec)}
    for f in valid:
        spec, doc = f.spec, f.document
        assert doc is not None
        if (
            isinstance(spec, PipelineSpec | TableSpec)
            and domains
            and spec.domain
            and spec.domain not in domains
        ):
            problems.append(
                doc.problem(("domain",), f"unknown domain {spec.domain!r} (known: {', '.join(domains)})")
            )
        if (
            isinstance(spec, TableSpec)
            and spec.domain in domains
            and spec.qualified_name not in domains[spec.domain].tables
        ):
            problems.append(
                doc.problem(
                    ("domain",), f"domain {spec.domain!r} does not list table {spec.qualified_name!r}"
                )
            )
        if isinstance(spec, DomainSpec) and tables:
            for index, table in enumerate(spec.tables):
                if table not in tables:
                    problems.append(doc.problem(("tables", index), f"no table spec for {table!r}"))
    return problems


def validate_paths(paths: Iterable[str | os.PathLike[str]]) -> ValidationReport:
    """Validate files and directories of specs; the report holds every problem found."""
    report = ValidationReport()
    found, skipped = spec_paths(paths)
    report.skipped = [str(p) for p in skipped]
    for path in found:
        if not path.exists():
            report.problems.append(f"{path}: no such file or directory")
            continue
        report.files.append(check_file(path))
    for f in report.files:
        report.problems += f.problems
    report.problems += _cross_references(report.files)
    return report
