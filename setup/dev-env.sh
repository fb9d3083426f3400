# shellcheck shell=bash
# `source setup/dev-env.sh` in an interactive shell: starts the private PostgreSQL
# cluster if needed and exports IPWB_PG_* so `.venv/bin/pytest tests/...` runs by hand.
_ipwb_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
(
    # shellcheck source=setup/common.sh
    . "$_ipwb_here/common.sh"
    # shellcheck source=setup/pg.sh
    . "$_ipwb_here/pg.sh"
    ensure_pg_cluster
    ensure_template_extensions
    declare -p IPWB_PG_HOST IPWB_PG_PORT IPWB_PG_SOCKET_DIR IPWB_PG_ADMIN_USER IPWB_PG_ADMIN_DSN | sed 's/^declare -x/export/;s/^declare --/export/' >"$IPWB_LOCAL/dev-env.vars"
) && . "$_ipwb_here/../.local/dev-env.vars"
set -a; . "$_ipwb_here/../.local/secrets.env"; set +a
unset _ipwb_here
