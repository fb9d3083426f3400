"""``ipwb bench sql --export N``: the SQL editor's CSV export of N rows against ``psql \\copy``.

The same generated query (:data:`EXPORT_QUERY`, N rows, five columns of integers, text,
numerics and timestamps) is exported three ways in one run: by ``psql``'s ``\\copy (…) TO
file CSV HEADER`` (the yardstick: the server formats CSV itself), by the editor's engine
(:func:`ipwb.warehouse.export.export_csv`: the guard, a read-only transaction, a server-side
cursor fetched in batches, Python's csv writer) to a file, and — to show memory is bounded
by the batch and not by the result — the engine export of a tenth of the rows. Each figure
carries its time and this process's peak RSS; the ratio says how the editor compares.
The password, if the DSN needs one, goes to psql through ``PGPASSWORD``, never argv.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg2.extensions

from ipwb.bench.memory import PeakRss
from ipwb.errors import ConfigurationError
from ipwb.warehouse.connection import WarehouseConfig
from ipwb.warehouse.export import DEFAULT_BATCH_ROWS, export_csv

EXPORT_QUERY = (
    "SELECT g AS id, 'partner ' || (g % 5000) AS partner, (g % 100000) / 7.0 AS amount, "
    "TIMESTAMPTZ '2025-01-01 00:00:00+00' + g * INTERVAL '1 second' AS created_at, "
    "md5(g::text) AS memo FROM generate_series(1, {{rows}}::int) AS g"
)


@dataclasses.dataclass(frozen=True)
class ExportFigure:
    rows: int
    seconds: float
    bytes: int
    peak_rss_mib: float
    start_rss_mib: float

    @property
    def rows_per_s(self) -> float:
        return self.rows / self.seconds if self.seconds else 0.0


@dataclasses.dataclass(frozen=True)
class ExportBench:
    rows: int
    batch_rows: int
    psql_copy: ExportFigure
    engine: ExportFigure
    engine_tenth: ExportFigure
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def speed_vs_copy(self) -> float:
        return self.engine.rows_per_s / self.psql_copy.rows_per_s if self.psql_copy.rows_per_s else 0.0

    def lines(self) -> list[str]:
        def line(label: str, f: ExportFigure) -> str:
            return (
                f"{label}: {f.rows:,} rows, {f.bytes / 1e6:.1f} MB in {f.seconds:.2f} s "
                f"({f.rows_per_s:,.0f} rows/s), peak RSS {f.peak_rss_mib} MiB (at start {f.start_rss_mib})"
            )

        return [
            line("psql \\copy (yardstick)", self.psql_copy),
            line("editor export (guarded COPY … TO STDOUT)", self.engine),
            line("editor export, a tenth of the rows", self.engine_tenth),
            f"editor speed = {self.speed_vs_copy:.0%} of psql \\copy (goal >= 50%); peak RSS growth "
            f"{self.engine.peak_rss_mib - self.engine.start_rss_mib:.1f} MiB for all rows vs "
            f"{self.engine_tenth.peak_rss_mib - self.engine_tenth.start_rss_mib:.1f} MiB for a tenth",
            "load average before {:.2f} {:.2f} {:.2f}, after {:.2f} {:.2f} {:.2f}".format(
                *self.load_before, *self.load_after
            ),
        ]


def _psql_copy(dsn: str, rows: int, target: Path) -> ExportFigure:
    psql = shutil.which("psql")
    if psql is None:
        raise ConfigurationError("psql is not installed: it is the yardstick of the export benchmark")
    params = psycopg2.extensions.parse_dsn(dsn)
    password = params.pop("password", None)
    env = {**os.environ, **({"PGPASSWORD": password} if password else {})}
    literal = EXPORT_QUERY.replace("{{rows}}", str(int(rows)))
    command = f"\\copy ({literal}) TO '{target}' WITH (FORMAT csv, HEADER)"
    started = time.perf_counter()
    subprocess.run(  # noqa: S603 - psql with a DSN without its password, the command on stdin
        [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", psycopg2.extensions.make_dsn(**params)],
        input=command,
        text=True,
        env=env,
        check=True,
    )
    seconds = time.perf_counter() - started
    return ExportFigure(rows, seconds, target.stat().st_size, 0.0, 0.0)


def _engine(config: WarehouseConfig, rows: int, target: Path, batch_rows: int) -> ExportFigure:
    with PeakRss() as peak, target.open("w", encoding="utf-8", newline="") as out:
        result = export_csv(
            config, EXPORT_QUERY, out, {"rows": rows}, max_rows=max(rows, 1), batch_rows=batch_rows
        )
    if result.rows != rows:
        raise ConfigurationError(f"the export wrote {result.rows} rows, not {rows}")
    return ExportFigure(rows, peak.seconds, target.stat().st_size, peak.peak_mib, peak.start_mib)


def bench(dsn: str, rows: int, batch_rows: int = DEFAULT_BATCH_ROWS) -> ExportBench:
    config = WarehouseConfig.from_dsn(dsn, application_name="ipwb-bench")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="ipwb-export-bench-") as tmp:
        folder = Path(tmp)
        tenth = _engine(config, max(rows // 10, 1), folder / "tenth.csv", batch_rows)
        copy = _psql_copy(dsn, rows, folder / "copy.csv")
        engine = _engine(config, rows, folder / "engine.csv", batch_rows)
    return ExportBench(rows, batch_rows, copy, engine, tenth, load_before, os.getloadavg())
