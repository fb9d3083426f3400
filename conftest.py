"""Repository-wide pytest hooks.

A skipped Odoo test must not pass silently: Odoo's HttpCase turns "Chromium did not start"
into a skip, which would hide a broken browser tier. When IPWB_FORBID_ODOO_SKIPS=1 (set by
setup/test.sh whenever the Odoo tier runs) a skipped test from an addon is reported as failed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if (
        report.skipped
        and os.environ.get("IPWB_FORBID_ODOO_SKIPS") == "1"
        and item.nodeid.startswith("addons/")
        and not hasattr(report, "wasxfail")
    ):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"Odoo test skipped, which the test command forbids: {reason}"
