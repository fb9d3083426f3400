#!/usr/bin/env bash
# The README run command: prepares everything on a fresh Debian machine (idempotent) and
# serves the workbench at http://localhost:8069 (Odoo + private PostgreSQL + warehouse).
#
#   setup/run.sh            install what is missing, then serve (Ctrl+C stops Odoo)
#   setup/run.sh --update   upgrade every ipwb_* addon (-u) before serving (done by itself
#                           whenever the addons' files changed since they were installed)
#   setup/run.sh --no-serve prepare only (used by CI smoke checks and scripts)
#   setup/run.sh --volume mid   also generate a mid-size group's year of books (two companies,
#                           >= 25k invoices and bills, >= 150k journal items; benchmarks only,
#                           four processes, tens of minutes on a busy 2-CPU machine; resumes
#                           where it stopped)
#
# Environment: ODOO_PATH (Odoo 18 source), IPWB_DB (Odoo database, default ipwb),
# IPWB_HTTP_PORT (default 8069), IPWB_WAREHOUSE_DB (default ipwb_warehouse).
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/common.sh"
# shellcheck source=setup/pg.sh
. "$here/pg.sh"

update=0
serve=1
volume=""
while [ $# -gt 0 ]; do
    case "$1" in
    --update) update=1 ;;
    --no-serve) serve=0 ;;
    --volume)
        shift
        case "${1:-}" in mid | small) volume="$1" ;; *) die "--volume takes mid or small" ;; esac
        ;;
    *) die "unknown option $1 (see the header of setup/run.sh)" ;;
    esac
    shift
done

cd "$IPWB_ROOT"
ensure_system_packages
mkdir -p "$IPWB_LOCAL"
locate_odoo ||
    die "no Odoo 18 found: $IPWB_ODOO_MISSING_REASON. Set ODOO_PATH to an Odoo 18 source tree."
ensure_venv "$ODOO_DIR"
ensure_pg_cluster
ensure_template_extensions
export LITELLM_LOCAL_MODEL_COST_MAP=True IPWB_ODOO_DIR="$ODOO_DIR"

odoo_db="${IPWB_DB:-ipwb}"
warehouse_db="${IPWB_WAREHOUSE_DB:-ipwb_warehouse}"
http_port="${IPWB_HTTP_PORT:-8069}"
profile="$IPWB_LOCAL/run"
conf="$profile/odoo.conf"
mkdir -p "$profile"
ensure_warehouse_db "$warehouse_db"
ensure_npm_libs

"$IPWB_VENV/bin/python" "$here/write_odoo_conf.py" "$IPWB_ROOT/odoo.conf" "$conf" \
    "addons_path=$ODOO_DIR/addons,$ODOO_DIR/odoo/addons,$IPWB_ROOT/addons" \
    "data_dir=$profile/data" \
    "db_host=$IPWB_PG_HOST" "db_port=$IPWB_PG_PORT" "db_user=ipwb_odoo" \
    "db_password=$IPWB_ODOO_DB_PASSWORD" "db_name=$odoo_db" "dbfilter=^$odoo_db\$" \
    "admin_passwd=$IPWB_ODOO_ADMIN_PASSWORD" "http_port=$http_port" \
    "ipwb_warehouse_port=$IPWB_PG_PORT" "ipwb_warehouse_db=$warehouse_db" \
    "ipwb_warehouse_password=$IPWB_WH_READER_PASSWORD" \
    "ipwb_warehouse_writer_user=ipwb_wh_owner" "ipwb_warehouse_writer_password=$IPWB_WH_OWNER_PASSWORD" \
    "ipwb_warehouse_grants_user=ipwb_wh_grants" "ipwb_warehouse_grants_password=$IPWB_WH_GRANTS_PASSWORD"

addons="$("$IPWB_VENV/bin/python" "$here/list_addons.py" "$IPWB_ROOT/addons")"
installed=""
if pg_db_exists "$odoo_db"; then
    installed="$(pg_super -d "$odoo_db" -tA <<<"SELECT string_agg(name, ',' ORDER BY name) FROM ir_module_module
        WHERE name LIKE 'ipwb\_%' AND state = 'installed'" 2>/dev/null || true)"
fi
missing="$(comm -23 <(tr ',' '\n' <<<"$addons" | sort) <(tr ',' '\n' <<<"$installed" | sort) | paste -sd, -)"
first_install=0
[ -z "$installed" ] && first_install=1
# The addons' code as installed in this database: when it changed since (a pull, an edit),
# the addons are upgraded so the database always matches the checkout.
code_stamp="$profile/addons-$odoo_db.fingerprint"
code_fingerprint="$(cd "$IPWB_ROOT" && find addons -type f ! -path '*/static/lib/*' ! -name '*.pyc' -print0 |
    sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [ -n "$missing" ]; then
    log "installing $missing into database $odoo_db (first time: a few minutes)"
    "$IPWB_VENV/bin/python" "$here/odoo_install.py" --config "$conf" --database "$odoo_db" --install "$missing" ||
        die "installing the workbench failed (see the errors above)"
    [ -n "$installed" ] && update=1 # addons installed earlier may have changed too
fi
if [ "$update" = 1 ] || { [ -n "$installed" ] && [ "$(cat "$code_stamp" 2>/dev/null)" != "$code_fingerprint" ]; }; then
    log "upgrading $addons in database $odoo_db (the addons changed since they were installed)"
    "$IPWB_VENV/bin/python" "$here/odoo_install.py" --config "$conf" --database "$odoo_db" --update "$addons" ||
        die "upgrading the workbench failed (see the errors above)"
fi
echo "$code_fingerprint" >"$code_stamp"
lock_odoo_db "$odoo_db"
if [ "$first_install" = 1 ]; then
    # The admin password is generated per checkout (secrets.env), never the demo default.
    "$IPWB_VENV/bin/python" "$here/odoo_shell.py" --config "$conf" --database "$odoo_db" \
        --script "$here/shell/set_admin_password.py" || die "could not set the admin password"
fi
# Finance demo data (a Philippine company's year of books) and a first pipeline run; idempotent.
"$IPWB_VENV/bin/python" "$here/odoo_shell.py" --config "$conf" --database "$odoo_db" \
    --script "$here/shell/finance_demo.py" || die "could not generate the finance demo data"
if [ -n "$volume" ]; then
    log "generating the $volume volume books (committed in batches; a re-run resumes)"
    # the companies and partners first, then one process per company and document type (they
    # share no journal, so no sequence): progress in $profile/volume-*.log
    IPWB_VOLUME="$volume" IPWB_VOLUME_KINDS=none "$IPWB_VENV/bin/python" "$here/odoo_shell.py" --config "$conf" \
        --database "$odoo_db" --script "$here/shell/finance_volume.py" || die "could not create the $volume volume companies"
    pids=()
    for company in 0 1; do
        for kind in out_invoice in_invoice; do
            rm -f "$profile/volume-$company-$kind.log"
            IPWB_VOLUME="$volume" IPWB_VOLUME_COMPANIES="$company" IPWB_VOLUME_KINDS="$kind" \
                IPWB_VOLUME_PROGRESS="$profile/volume-$company-$kind.log" \
                "$IPWB_VENV/bin/python" "$here/odoo_shell.py" --config "$conf" --database "$odoo_db" \
                --script "$here/shell/finance_volume.py" &
            pids+=("$!")
        done
    done
    failed=0
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    [ "$failed" = 0 ] || die "could not generate the $volume volume books (re-run to resume)"
fi
# Superset-ready: a read-only login on the warehouse's bi views (password kept in secrets.env).
if [ -z "${IPWB_BI_READER_PASSWORD:-}" ]; then
    IPWB_BI_READER_PASSWORD="$(random_secret)"
    (umask 077 && echo "IPWB_BI_READER_PASSWORD=$IPWB_BI_READER_PASSWORD" >>"$IPWB_LOCAL/secrets.env")
fi
export IPWB_BI_READER_PASSWORD
# the admin password goes through libpq's PGPASSWORD, never on the command line (ps shows it)
PGPASSWORD="$IPWB_PG_ADMIN_PASSWORD" "$IPWB_VENV/bin/ipwb" finance bi-role \
    --dsn "host=$IPWB_PG_HOST port=$IPWB_PG_PORT user=$IPWB_PG_ADMIN_USER dbname=$warehouse_db" \
    --password-env IPWB_BI_READER_PASSWORD || die "could not provision the BI role ipwb_bi_reader"
# Home: the app opens on the overview; the metadata goes to the warehouse's ip_workbench schema.
"$IPWB_VENV/bin/python" "$here/odoo_shell.py" --config "$conf" --database "$odoo_db" \
    --script "$here/shell/workbench_home.py" || die "could not publish ip_workbench / set the home action"

[ "$serve" = 1 ] || {
    log "prepared; not serving (--no-serve)"
    exit 0
}
port_is_free "$http_port" || die "port $http_port is already in use; set IPWB_HTTP_PORT to another port"
"$IPWB_VENV/bin/python" "$ODOO_DIR/odoo-bin" -c "$conf" &
odoo_pid=$!
trap 'kill "$odoo_pid" 2>/dev/null; wait "$odoo_pid" 2>/dev/null' INT TERM EXIT
for _ in $(seq 1 120); do
    if curl -fsS -o /dev/null "http://127.0.0.1:$http_port/web/login" 2>/dev/null; then
        run_banner "$http_port" "$odoo_db" "$warehouse_db" "$IPWB_PG_PORT"
        break
    fi
    kill -0 "$odoo_pid" 2>/dev/null || die "Odoo stopped while starting; see the log above"
    sleep 1
done
wait "$odoo_pid"
