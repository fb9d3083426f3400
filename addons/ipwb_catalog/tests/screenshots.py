# Copyright 2026 InsightPulse
# License LGPL-3.0 or later (https://www.gnu.org/licenses/lgpl.html).
"""Screenshots of the workbench's screens, taken by the browser tours themselves.

With ``IPWB_SCREENSHOTS=<directory>`` set, a tour run inside :func:`screenshot_at_end`
saves what Chromium shows when the tour ends (just before the browser stops) as
``<directory>/<name>.png``. Without it nothing changes, so the tours stay plain tests.
``setup/screenshots.sh`` runs the tours with it to refresh docs/screenshots/.
"""

import base64
import logging
import os
from contextlib import contextmanager
from pathlib import Path
from unittest.mock import patch

from odoo.tests.common import ChromeBrowser

_logger = logging.getLogger(__name__)


@contextmanager
def screenshot_at_end(name):
    target = os.environ.get("IPWB_SCREENSHOTS")
    if not target:
        yield
        return
    original_stop = ChromeBrowser.stop

    def stop(browser):
        try:
            future = browser._websocket_send(
                "Page.captureScreenshot", params={"format": "png"}, with_future=True
            )
            data = future.result(timeout=30)["data"]
            path = Path(target) / f"{name}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(base64.b64decode(data, validate=True))
            _logger.info("screenshot saved: %s", path)
        finally:
            original_stop(browser)

    with patch.object(ChromeBrowser, "stop", stop):
        yield
