"""Peak resident memory of this process over a block, sampled from ``/proc/self/status``.

``tracemalloc`` sees only Python's allocations (not libpq's buffers nor C extensions') and
slows the code it watches; the kernel's ``VmRSS`` is what the machine pays. A thread samples
it every ``every_s`` seconds; ``peak_mib`` is the highest sample inside the block.
"""

from __future__ import annotations

import threading
import time
from types import TracebackType


def rss_kib() -> int:
    """This process's resident set size in KiB (0 where ``/proc`` is not available)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return 0
    return 0


class PeakRss:
    """``with PeakRss() as peak: …`` then ``peak.peak_mib``, ``peak.start_mib``."""

    def __init__(self, every_s: float = 0.01) -> None:
        self._every = every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.start_kib = 0
        self.peak_kib = 0
        self.seconds = 0.0
        self._started = 0.0

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self.peak_kib = max(self.peak_kib, rss_kib())

    def __enter__(self) -> PeakRss:
        self.start_kib = self.peak_kib = rss_kib()
        self._started = time.perf_counter()
        self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.seconds = time.perf_counter() - self._started
        self._stop.set()
        self._thread.join()
        self.peak_kib = max(self.peak_kib, rss_kib())

    @property
    def peak_mib(self) -> float:
        return round(self.peak_kib / 1024, 1)

    @property
    def start_mib(self) -> float:
        return round(self.start_kib / 1024, 1)
