#!/usr/bin/env bash
# Run every lint and type check the way CI does (also part of setup/test.sh via tests/test_lint.py).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/common.sh"
cd "$IPWB_ROOT"
if [ ! -x "$IPWB_VENV/bin/pre-commit" ]; then
    locate_odoo --no-clone || true
    ensure_venv "$ODOO_DIR"
fi
exec "$IPWB_VENV/bin/pre-commit" run --all-files "$@"
