"""``ipwb bench guardian``: the validation cycle on N generated table specs and one pipeline per 10 tables.

Prints figures only (files per second, time per rule); never a pass/fail on timings.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ipwb.bench.figures import emit
from ipwb.errors import ConfigurationError
from ipwb.guardian.context import Context
from ipwb.guardian.cycle import run_rule
from ipwb.guardian.cycle import validate_paths as _validate_paths
from ipwb.guardian.registry import rules
from ipwb.specs.validate import validate_paths as spec_validate_paths

_TABLE = """name: silver_t{n}
layer: silver
owner: bench@insightpulse.example
description: Benchmark table {n}.
columns:
  - name: id
    type: bigint
    description: Key.
    tests: [not_null, unique]
  - name: amount
    type: numeric(14, 2)
    description: Amount.
  - name: created_at
    type: timestamptz
    description: Creation time.
"""

_STEP = """  - id: s{n}
    kind: sql
    description: Load table {n}.
    config:
      target: silver.silver_t{n}
      sql: |
        insert into silver.silver_t{n} (id, amount, created_at)
        select b.id, b.amount, b.created_at from bronze.bronze_t{n} as b where b.id > 0
"""


@dataclass
class GuardianBench:
    tables: int
    files: int
    seconds: float
    files_per_second: float
    ok: bool
    per_rule_ms: dict[str, float] = field(default_factory=dict)

    def lines(self) -> list[str]:
        head = [
            f"tables: {self.tables}, spec files: {self.files}, verdict: {'PASS' if self.ok else 'FAIL'}",
            f"whole cycle: {self.seconds * 1000:.1f} ms ({self.files_per_second:.0f} files/s)",
        ]
        slowest = sorted(self.per_rule_ms.items(), key=lambda kv: -kv[1])
        return head + [f"  {code}: {ms:.1f} ms" for code, ms in slowest]


def write_specs(root: Path, tables: int) -> None:
    (root / "tables" / "silver").mkdir(parents=True)
    (root / "pipelines").mkdir()
    for n in range(tables):
        (root / "tables" / "silver" / f"silver_t{n}.yaml").write_text(_TABLE.format(n=n), encoding="utf-8")
    for start in range(0, tables, 10):
        steps = "".join(_STEP.format(n=n) for n in range(start, min(start + 10, tables)))
        text = f"name: p{start}\nowner: bench\ndescription: Loads.\nsteps:\n{steps}"
        (root / "pipelines" / f"p{start}.yaml").write_text(text, encoding="utf-8")


def bench_guardian(tables: int = 200, repeat: int = 3) -> GuardianBench:
    with tempfile.TemporaryDirectory(prefix="ipwb-guardian-bench-") as tmp:
        root = Path(tmp)
        write_specs(root, tables)
        best = float("inf")
        report = None
        for _ in range(repeat):
            started = time.perf_counter()
            report = _validate_paths([root])
            best = min(best, time.perf_counter() - started)
        assert report is not None
        spec_report = spec_validate_paths([root])
        ctx = Context(spec_report.files, spec_report.problems)
        per_rule: dict[str, float] = {}
        for rule in rules():
            started = time.perf_counter()
            run_rule(rule, ctx)
            per_rule[rule.code] = (time.perf_counter() - started) * 1000
        files = len(report.files)
        return GuardianBench(tables, files, best, files / best if best else 0.0, report.ok, per_rule)


def add_parser(benches: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    guardian = benches.add_parser("guardian", help="time the Guardian validation cycle on N generated specs")
    guardian.add_argument("--tables", type=int, default=200, help="table specs to generate (default 200)")
    guardian.add_argument("--repeat", type=int, default=3, help="best of N timings (default 3)")
    guardian.add_argument("--json", action="store_true", help="print the figures as JSON")
    volume = guardian.add_argument_group("checks at volume (with --rows)")
    volume.add_argument(
        "--rows", type=int, help="instead: run the usual DQ checks on a generated gold table of N rows"
    )
    volume.add_argument("--dsn", help="libpq DSN of a warehouse, as a role that may create a schema")
    volume.add_argument("--schema", default="ipwb_bench_dq", help="schema of the generated table")
    volume.add_argument("--drop", action="store_true", help="drop the generated table at the end")
    volume.add_argument("--no-per-check", action="store_true", help="skip the one-query-per-check run")
    volume.add_argument(
        "--no-keys",
        action="store_true",
        help="no primary key on id nor unique index on invoice_code (the unique checks then sort)",
    )
    guardian.set_defaults(func=run_guardian)


def run_guardian(args: argparse.Namespace) -> int:
    if args.tables < 1 or args.repeat < 1:
        raise ConfigurationError("--tables and --repeat must be at least 1")
    if args.rows is not None:
        return run_volume(args)
    result = bench_guardian(args.tables, args.repeat)
    emit(asdict(result), as_json=args.json, lines=result.lines())
    return 0


def run_volume(args: argparse.Namespace) -> int:
    from ipwb.bench import guardian_volume  # noqa: PLC0415 - only when a warehouse is benched
    from ipwb.warehouse.connection import WarehouseConfig  # noqa: PLC0415

    if args.rows < 1 or not args.dsn:
        raise ConfigurationError("--rows needs a positive row count and --dsn (a warehouse)")
    result = guardian_volume.bench(
        WarehouseConfig.from_dsn(args.dsn, application_name="ipwb-bench"),
        rows=args.rows,
        schema=args.schema,
        repeat=args.repeat,
        per_check=not args.no_per_check,
        primary_key=not args.no_keys,
        drop=args.drop,
    )
    emit(asdict(result), as_json=args.json, lines=result.lines())
    return 0
