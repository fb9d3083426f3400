#!/usr/bin/env bash
# The README test command: prepares everything on a fresh Debian machine (idempotent) and
# runs every tier in ONE pytest session, whose summary is the last line printed:
#   engine tier   tests/ (real PostgreSQL), lint (ruff, mypy, pylint-odoo) included
#   Odoo tier     addons/*/tests through pytest-odoo, on a throwaway database
#   browser tier  HttpCase tours in headless Chromium (part of the Odoo tier, never skipped)
#   integration   tests/integration: install/uninstall each addon, `-u` upgrade safety
# Without an Odoo 18 tree the engine tier still runs, and the Odoo tier is reported as
# skipped with the reason.
#
# Arguments go to pytest: options are added to the full run (`setup/test.sh -x -k catalog`);
# when paths are given, only those paths run (`setup/test.sh addons/ipwb_catalog tests/dag`).
# Environment: ODOO_PATH (Odoo 18 source), IPWB_NO_CLONE=1 (never clone Odoo),
# IPWB_TEST_PROFILE (default "test": names the throwaway databases and .local/<profile>, so
# several runs can share one machine).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/common.sh"
# shellcheck source=setup/pg.sh
. "$here/pg.sh"

cd "$IPWB_ROOT"
ensure_system_packages
mkdir -p "$IPWB_LOCAL"
locate_odoo || true
ensure_venv "$ODOO_DIR"
ensure_pg_cluster
ensure_template_extensions
export LITELLM_LOCAL_MODEL_COST_MAP=True
export IPWB_ODOO_DIR="$ODOO_DIR"

PYTEST=("$IPWB_VENV/bin/python" -m pytest -p no:cacheprovider)
explicit_paths=0
for arg in "$@"; do
    case "$arg" in -*) ;; *) [ -e "$arg" ] && explicit_paths=1 ;; esac
done

if [ -z "$ODOO_DIR" ]; then
    reason="${IPWB_ODOO_MISSING_REASON:-no Odoo 18 source found}"
    export IPWB_ODOO_SKIP_REASON="Odoo tier skipped: $reason. Set ODOO_PATH to an Odoo 18 source tree."
    printf '\n\033[1;33m%s\n%s\n%s\033[0m\n\n' \
        "==================================================================================" \
        "  $IPWB_ODOO_SKIP_REASON" \
        "=================================================================================="
    if [ "$explicit_paths" = 1 ]; then exec "${PYTEST[@]}" -p no:odoo "$@"; fi
    exec "${PYTEST[@]}" -p no:odoo tests "$@"
fi

# --- Odoo tier: throwaway databases ---------------------------------------------------------
profile_name="${IPWB_TEST_PROFILE:-test}"
[[ "$profile_name" =~ ^[a-z][a-z0-9_]{0,20}$ && "$profile_name" != warehouse ]] ||
    die "IPWB_TEST_PROFILE must be a short lower-case name other than warehouse"
profile="$IPWB_LOCAL/$profile_name"
odoo_db="ipwb_$profile_name"
warehouse_db="ipwb_${profile_name}_warehouse"
mkdir -p "$profile"
log "preparing throwaway databases $odoo_db and $warehouse_db"
pg_drop_db "$odoo_db"
pg_drop_db "$warehouse_db"
pg_drop_warehouse_roles "$warehouse_db"
rm -rf "$profile/data/filestore/$odoo_db"
ensure_warehouse_db "$warehouse_db"
ensure_npm_libs
# a real n8n for the integration tier (cached per machine outside the repository)
"$here/n8n.sh" install >/dev/null || die "installing n8n from npm failed (see above)"
export IPWB_REQUIRE_N8N=1
# podman, runc, debootstrap and their configuration, and the debootstrap base image (cached
# per machine) for tests/integration/test_deploy_image.py
"$here/containers.sh" install || die "installing the container tooling failed (see above)"
"$IPWB_ROOT/deploy/base-image.sh" >/dev/null || die "building the base image failed (see above)"

conf="$profile/odoo.conf"
"$IPWB_VENV/bin/python" "$here/write_odoo_conf.py" "$IPWB_ROOT/odoo.conf" "$conf" \
    "addons_path=$ODOO_DIR/addons,$ODOO_DIR/odoo/addons,$IPWB_ROOT/addons" \
    "data_dir=$profile/data" \
    "db_host=$IPWB_PG_HOST" "db_port=$IPWB_PG_PORT" "db_user=ipwb_odoo" \
    "db_password=$IPWB_ODOO_DB_PASSWORD" "db_name=$odoo_db" "dbfilter=^$odoo_db\$" \
    "admin_passwd=$IPWB_ODOO_ADMIN_PASSWORD" \
    "ipwb_warehouse_port=$IPWB_PG_PORT" "ipwb_warehouse_db=$warehouse_db" \
    "ipwb_warehouse_password=$IPWB_WH_READER_PASSWORD" \
    "ipwb_warehouse_writer_user=ipwb_wh_owner" "ipwb_warehouse_writer_password=$IPWB_WH_OWNER_PASSWORD" \
    "ipwb_warehouse_grants_user=ipwb_wh_grants" "ipwb_warehouse_grants_password=$IPWB_WH_GRANTS_PASSWORD" \
    "log_level=warn" "max_cron_threads=0"
export IPWB_TEST_ODOO_CONF="$conf"

addons="$("$IPWB_VENV/bin/python" "$here/list_addons.py" "$IPWB_ROOT/addons")"
log "installing $addons into $odoo_db"
"$IPWB_VENV/bin/python" "$here/odoo_install.py" --config "$conf" --database "$odoo_db" --install "$addons" ||
    die "installing the workbench addons failed (see the errors above)"
lock_odoo_db "$odoo_db"

# HttpCase tours must really run: a skipped browser test fails the run (see conftest.py).
export IPWB_FORBID_ODOO_SKIPS=1
odoo_options=(--odoo-config="$conf" --odoo-database="$odoo_db" --odoo-http --odoo-log-level=warn)
if [ "$explicit_paths" = 1 ]; then exec "${PYTEST[@]}" "${odoo_options[@]}" "$@"; fi
mapfile -t addon_tests < <(ls -d "$IPWB_ROOT"/addons/ipwb_*/tests)
exec "${PYTEST[@]}" "${odoo_options[@]}" tests "${addon_tests[@]}" "$@"
