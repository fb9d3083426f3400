#!/usr/bin/env bash
# Refresh docs/screenshots/: runs the browser tours that end on each screen (real Odoo,
# real Chromium, the test warehouse) with IPWB_SCREENSHOTS set, so each of them saves what
# the browser shows when it ends (addons/ipwb_catalog/tests/screenshots.py).
#
#   setup/screenshots.sh    then review and commit docs/screenshots/*.png
#
# Environment: as setup/test.sh (IPWB_TEST_PROFILE names the throwaway databases).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
export IPWB_SCREENSHOTS="$root/docs/screenshots"
mkdir -p "$IPWB_SCREENSHOTS"
cd "$root" || exit 1
exec "$here/test.sh" \
    addons/ipwb_sql_editor/tests/test_tour.py \
    addons/ipwb_pipeline/tests/test_canvas_tour.py \
    addons/ipwb_guardian/tests/test_tour.py \
    -k "schema_browser_grid or new_pipeline_from or scorecards_read or empty_states"
