"""The Odoo server ``ipwb bench load`` measures: started in prefork mode (``--workers``, as the
production settings size them: 2 x CPU + 1, no cron thread) on a port of its own, against an
existing workbench database, and stopped (with its workers) when the bench ends.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ipwb.errors import ConfigurationError, IntegrationError


def production_workers(cpus: int | None = None) -> int:
    """Odoo's documented sizing of HTTP workers: 2 x CPU + 1.

    >>> production_workers(2), production_workers(8)
    (5, 17)
    """
    return 2 * (cpus or os.cpu_count() or 1) + 1


def odoo_command(
    odoo_bin: Path, conf: Path, *, db: str, port: int, workers: int, addons_path: str | None
) -> list[str]:
    """The command line: the config's credentials, this database only, prefork, no cron.

    >>> odoo_command(Path("/o/odoo-bin"), Path("c.conf"), db="wb", port=18601, workers=5,
    ...              addons_path=None)[2:]  # doctest: +NORMALIZE_WHITESPACE
    ['-c', 'c.conf', '--database', 'wb', '--db-filter', '^wb$', '--http-interface', '127.0.0.1',
     '--http-port', '18601', '--workers', '5', '--max-cron-threads', '0', '--no-database-list',
     '--log-level', 'warn']
    """
    command = [sys.executable, str(odoo_bin), "-c", str(conf), "--database", db, "--db-filter", f"^{db}$"]
    command += ["--http-interface", "127.0.0.1", "--http-port", str(port), "--workers", str(workers)]
    command += ["--max-cron-threads", "0", "--no-database-list", "--log-level", "warn"]
    if addons_path:
        command += ["--addons-path", addons_path]
    return command


class PreforkOdoo:
    """``with PreforkOdoo(...) as url:`` — Odoo serving ``db`` in prefork mode on 127.0.0.1:``port``."""

    def __init__(
        self,
        *,
        conf: Path,
        db: str,
        port: int,
        workers: int,
        odoo_dir: Path,
        addons_path: str | None,
        log_path: Path,
        start_timeout_s: float = 120.0,
    ) -> None:
        odoo_bin = odoo_dir / "odoo-bin"
        if not odoo_bin.is_file():
            raise ConfigurationError(f"No odoo-bin in {odoo_dir} (set --odoo-dir or $IPWB_ODOO_DIR)")
        if not conf.is_file():
            raise ConfigurationError(f"No Odoo configuration file {conf} (set --odoo-conf)")
        self.command = odoo_command(
            odoo_bin, conf, db=db, port=port, workers=workers, addons_path=addons_path
        )
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._timeout_s = start_timeout_s
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> str:
        if _answers(self.url):
            raise ConfigurationError(f"Something already answers on {self.url}: choose another --port")
        log = self.log_path.open("ab")
        # a process group of its own: the workers are stopped with their master
        self._process = subprocess.Popen(  # noqa: S603 - our own interpreter and odoo-bin
            self.command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        deadline = time.monotonic() + self._timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise IntegrationError(
                    f"Odoo stopped while starting (exit {self._process.returncode}); see {self.log_path}"
                )
            if _answers(self.url):
                return self.url
            time.sleep(0.5)
        self.stop()
        raise IntegrationError(
            f"Odoo did not answer on {self.url} within {self._timeout_s:.0f} s; see {self.log_path}"
        )

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self._process is None or self._process.poll() is not None:
            return
        os.killpg(self._process.pid, signal.SIGTERM)
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self._process.pid, signal.SIGKILL)
            self._process.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/web/health", timeout=2) as response:  # noqa: S310 - http only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False
