"""YAML specs (pipelines, tables, domains) ⇄ typed dataclasses, validated with line numbers.

Entry points: :func:`load_file`/:func:`loads` (raise :class:`~ipwb.errors.SpecError` listing
every problem as ``file:line:col: message``), :func:`check_text` (no raise, for the canvas
import), :func:`validate_paths` (the ``ipwb spec validate`` command), :func:`dumps` (stable,
lossless YAML), and the step-kind registry in :mod:`ipwb.specs.kinds`.
"""

from ipwb.specs.kinds import LAYERS, StepKind, register_step_kind, step_kinds, unregister_step_kind
from ipwb.specs.model import (
    AccessSpec,
    ColumnSpec,
    ColumnTest,
    DomainSpec,
    ParamSpec,
    PipelineSpec,
    PositionSpec,
    SloSpec,
    Spec,
    StepSpec,
    TableSpec,
)
from ipwb.specs.schedule import CronSchedule, IntervalSchedule, parse_schedule
from ipwb.specs.validate import (
    SpecFile,
    ValidationReport,
    check_file,
    check_text,
    detect_kind,
    dump_file,
    dumps,
    load_file,
    loads,
    validate_paths,
)

__all__ = [
    "LAYERS",
    "AccessSpec",
    "ColumnSpec",
    "ColumnTest",
    "CronSchedule",
    "DomainSpec",
    "IntervalSchedule",
    "ParamSpec",
    "PipelineSpec",
    "PositionSpec",
    "SloSpec",
    "Spec",
    "SpecFile",
    "StepKind",
    "StepSpec",
    "TableSpec",
    "ValidationReport",
    "check_file",
    "check_text",
    "detect_kind",
    "dump_file",
    "dumps",
    "load_file",
    "loads",
    "parse_schedule",
    "register_step_kind",
    "step_kinds",
    "unregister_step_kind",
    "validate_paths",
]
