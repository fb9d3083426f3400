#!/usr/bin/env bash
# Run every lint and type check the way CI does (also part of setup/test.sh via tests/test_lint.py).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/common.sh"
cd "$IPWB_ROOT"
[ -x "$IPWB_VENV/bin/pre-commit" ] || ensure_venv "$(find_odoo --no-clone || true)"
exec "$IPWB_VENV/bin/pre-commit" run --all-files "$@"
