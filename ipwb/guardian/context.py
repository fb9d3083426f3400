"""What one validation run looks at: the spec files, the catalog, run history, a warehouse.

Everything a rule needs is here as plain data, so the cycle runs the same in CI (files +
optional JSON/YAML inputs), in the CLI with ``--dsn`` and inside Odoo (texts + records).
The catalog is ``{"schema.table": {"column": "type"}}``; run history is a list of
:class:`RunRecord`. SQL embedded in pipeline steps is exposed as :class:`SqlSource`, which
maps a position inside the SQL back onto the YAML (or ``.sql``) file it was written in.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlglot import exp

from ipwb.errors import SpecError, SqlSyntaxError
from ipwb.guardian.outcomes import TestOutcome
from ipwb.guardian.rules import Finding
from ipwb.specs.model import DomainSpec, PipelineSpec, StepSpec, TableSpec
from ipwb.specs.validate import SpecFile
from ipwb.specs.yamlio import PathKey
from ipwb.sql.lineage import parse_script
from ipwb.sql.params import convert
from ipwb.warehouse.connection import WarehouseConfig

#: seconds a query may take (EXPLAIN ANALYZE) unless the run says otherwise
DEFAULT_PERF_BUDGET_S = 3.0
_PROBLEM = re.compile(r"^(?P<source>.*?):(?P<line>\d+):(?P<col>\d+): (?P<message>.*)$", re.S)
_PYFORMAT = re.compile(r"%\((\w+)\)s")

Catalog = dict[str, dict[str, str]]


@dataclass(frozen=True)
class RunRecord:
    """One past run of a pipeline (integration step input)."""

    pipeline: str
    status: str  # success | failed | cancelled …
    started_at: dt.datetime


@dataclass(frozen=True)
class SqlSource:
    """SQL of one pipeline step, with the way back to file positions."""

    spec_file: SpecFile
    step_index: int
    step: StepSpec
    text: str
    source: str  # the file the SQL is written in (the spec, or the .sql file)
    first_line: int  # file line of SQL line 1
    col_offset: int  # added to SQL columns (indentation of a block scalar)

    def finding(self, line: int | None, col: int | None, message: str) -> Finding:
        line = line or 1
        return Finding(self.source, self.first_line + line - 1, self.col_offset + (col or 1), message)

    @property
    def checkable(self) -> str:
        """The SQL with ``%(name)s`` and ``{{name}}`` parameters as same-length ``NULL``s."""
        text = _PYFORMAT.sub(lambda m: "NULL".ljust(len(m.group(0))), self.text)
        return convert(text).checkable


def problem_finding(problem: str) -> Finding:
    """A ``file:line:col: message`` string (the form ipwb.specs reports) as a finding."""
    match = _PROBLEM.match(problem)
    if match is None:
        source, _, message = problem.partition(": ")
        return Finding(source, 1, 1, message or problem)
    return Finding(match["source"], int(match["line"]), int(match["col"]), match["message"])


@dataclass
class Context:
    files: list[SpecFile]
    spec_problems: list[str] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)
    catalog: Catalog | None = None
    history: list[RunRecord] | None = None
    warehouse: WarehouseConfig | None = None
    perf_budget_s: float = DEFAULT_PERF_BUDGET_S
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.timezone.utc))
    #: DQ checks declared outside the specs (Odoo ``ipwb.dq.check``), per ``schema.table``
    extra_tests: Mapping[str, int] = field(default_factory=dict)
    #: latest outcomes of tests (dbt run results, DQ check results); None: not known
    outcomes: list[TestOutcome] | None = None
    #: results rules share within one run (e.g. perf measurements)
    cache: dict[Any, Any] = field(default_factory=dict)

    def valid(self) -> Iterator[SpecFile]:
        return (f for f in self.files if f.spec is not None and f.document is not None)

    def tables(self) -> Iterator[tuple[SpecFile, TableSpec]]:
        return ((f, f.spec) for f in self.valid() if isinstance(f.spec, TableSpec))

    def pipelines(self) -> Iterator[tuple[SpecFile, PipelineSpec]]:
        return ((f, f.spec) for f in self.valid() if isinstance(f.spec, PipelineSpec))

    def domains(self) -> Iterator[tuple[SpecFile, DomainSpec]]:
        return ((f, f.spec) for f in self.valid() if isinstance(f.spec, DomainSpec))

    def table_specs(self) -> dict[str, TableSpec]:
        return {spec.qualified_name: spec for _, spec in self.tables()}

    def at(self, spec_file: SpecFile, path: Sequence[PathKey], message: str, *, key: bool = False) -> Finding:
        assert spec_file.document is not None
        location = spec_file.document.locate(path, key=key)
        return Finding(spec_file.source, location.line, location.column, message)

    def text_of(self, source: str) -> str:
        if source not in self.texts:
            try:
                self.texts[source] = Path(source).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self.texts[source] = ""
        return self.texts[source]

    def sql_sources(self) -> list[SqlSource | Finding]:
        """Every ``sql`` step's SQL; a finding instead when a ``file`` cannot be read (cached)."""
        if "sql_sources" not in self.cache:
            self.cache["sql_sources"] = list(self._sql_sources())
        return list(self.cache["sql_sources"])

    def parsed(self, source: SqlSource) -> tuple[list[exp.Expr] | None, SqlSyntaxError | None]:
        """The parsed statements of a step's SQL, or the syntax error (cached per step)."""
        key = ("parsed", source.spec_file.source, source.step_index)
        if key not in self.cache:
            try:
                self.cache[key] = (parse_script(source.checkable), None)
            except SqlSyntaxError as exc:
                self.cache[key] = (None, exc)
        trees, error = self.cache[key]
        return trees, error

    def _sql_sources(self) -> Iterator[SqlSource | Finding]:
        for spec_file, pipeline in self.pipelines():
            for index, step in enumerate(pipeline.steps):
                if step.kind != "sql":
                    continue
                if isinstance(step.config.get("sql"), str):
                    yield self._inline(spec_file, index, step)
                elif isinstance(step.config.get("file"), str):
                    yield self._from_file(spec_file, index, step)

    def _inline(self, spec_file: SpecFile, index: int, step: StepSpec) -> SqlSource:
        assert spec_file.document is not None
        location = spec_file.document.locate(("steps", index, "config", "sql"))
        lines = self.text_of(spec_file.source).splitlines()
        rest = lines[location.line - 1][location.column - 1 :] if location.line <= len(lines) else ""
        if rest[:1] in ("|", ">"):  # block scalar: content starts on the next non-blank line
            following = location.line
            while following < len(lines) and not lines[following].strip():
                following += 1
            body = lines[following] if following < len(lines) else ""
            first, offset = following + 1, len(body) - len(body.lstrip(" "))
        else:
            first, offset = location.line, location.column - 1 + (rest[:1] in ("'", '"'))
        return SqlSource(spec_file, index, step, step.config["sql"], spec_file.source, first, offset)

    def _from_file(self, spec_file: SpecFile, index: int, step: StepSpec) -> SqlSource | Finding:
        relative = Path(step.config["file"])
        spec_path = Path(spec_file.source)
        roots = [p.parent for p in spec_path.parents if p.name == "pipelines"] + [Path.cwd()]
        for root in roots:
            candidate = root / relative
            if candidate.is_file():
                text = self.text_of(str(candidate))
                return SqlSource(spec_file, index, step, text, str(candidate), 1, 0)
        return self.at(
            spec_file,
            ("steps", index, "config", "file"),
            f"step {step.id!r}: SQL file {str(relative)!r} not found under {roots[0] if roots else '.'}",
        )


def load_catalog(data: Mapping[str, Any]) -> Catalog:
    """``{"schema.table": {col: type}}`` or ``{schema: {table: {col: type}}}`` → the first form."""
    catalog: Catalog = {}
    for key, value in data.items():
        if not isinstance(value, Mapping):
            raise SpecError(f"catalog entry {key!r} is not a mapping of columns")
        if "." in key:
            catalog[key] = {str(c): str(t) for c, t in value.items()}
            continue
        for table, columns in value.items():
            if not isinstance(columns, Mapping):
                raise SpecError(f"catalog entry {key}.{table} is not a mapping of columns")
            catalog[f"{key}.{table}"] = {str(c): str(t) for c, t in columns.items()}
    return catalog


def load_history(data: Any) -> list[RunRecord]:
    """Runs as ``[{pipeline, status, started_at}]`` or ``{pipeline: [{status, started_at}]}``."""
    items: list[tuple[str, Any]] = []
    if isinstance(data, Mapping):
        for name, runs in data.items():
            items += [(str(name), run) for run in runs or []]
    elif isinstance(data, list):
        items = [(str(run.get("pipeline", "")) if isinstance(run, Mapping) else "", run) for run in data]
    else:
        raise SpecError("run history must be a list of runs or a mapping of pipeline → runs")
    records: list[RunRecord] = []
    for name, run in items:
        if not isinstance(run, Mapping) or "status" not in run or "started_at" not in run:
            raise SpecError(f"run {run!r} of {name!r} needs status and started_at")
        started = run["started_at"]
        if not isinstance(started, dt.datetime):
            try:
                started = dt.datetime.fromisoformat(str(started))
            except ValueError:
                raise SpecError(f"run of {name!r}: started_at {started!r} is not an ISO date-time") from None
        if started.tzinfo is None:
            started = started.replace(tzinfo=dt.timezone.utc)
        records.append(RunRecord(name, str(run["status"]), started))
    return records
