# shellcheck shell=bash
# Shared set-up steps for setup/run.sh and setup/test.sh. Every step is idempotent:
# it checks first and only does what is missing, so both commands can be re-run at will.
#
# Layout of the local state (all gitignored):
#   .venv/                 Python virtualenv (engine + Odoo requirements + tools)
#   .local/pg/<name>/      private PostgreSQL cluster owned by the `postgres` OS user
#   .local/secrets.env     generated database passwords (mode 600, never committed)
#   .local/<profile>/      per-profile Odoo config, data dir and logs (run | test)

set -euo pipefail

IPWB_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
IPWB_LOCAL="$IPWB_ROOT/.local"
IPWB_VENV="$IPWB_ROOT/.venv"
IPWB_PYTHON_MIN="3.10"
export IPWB_ROOT IPWB_LOCAL IPWB_VENV

log() { printf '\033[1;34m[ipwb]\033[0m %s\n' "$*" >&2; }
warn() { printf '\033[1;33m[ipwb] WARNING:\033[0m %s\n' "$*" >&2; }
die() {
    printf '\033[1;31m[ipwb] ERROR:\033[0m %s\n' "$*" >&2
    exit 1
}

# The "running" banner of setup/run.sh: where the admin password is kept, never the password
# itself (standard output ends up in captured logs).  Arguments: HTTP port, Odoo database,
# warehouse database, PostgreSQL port.
run_banner() {
    printf '\n\033[1;32m%s\033[0m\n' "InsightPulse Workbench is running: http://localhost:$1"
    printf '  login: admin   password: IPWB_ODOO_ADMIN_PASSWORD in %s\n' "$IPWB_LOCAL/secrets.env"
    printf '  database: %s   warehouse: %s on 127.0.0.1:%s   stop: Ctrl+C\n\n' "$2" "$3" "$4"
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
        die "need root for: $* (run as root or install sudo)"
    fi
}

# --- system packages ---------------------------------------------------------------
# Debian packages the workbench needs: PostgreSQL server, headers to build psycopg2 and
# python-ldap (Odoo requirements), Chromium for the browser tier, Node/npm for the
# front-end libraries installed at setup time, wkhtmltopdf for Odoo's PDF reports (BIR 2307).
IPWB_APT_PACKAGES=(postgresql postgresql-contrib libpq-dev libldap2-dev libsasl2-dev
    chromium wkhtmltopdf nodejs npm git curl)
# pgbouncer: the managed-PostgreSQL test runs Odoo behind it (session mode; transaction mode refused)
IPWB_APT_PACKAGES+=(pgbouncer)

ensure_system_packages() {
    local missing=()
    local pkg
    for pkg in "${IPWB_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    # node/npm may come from elsewhere than Debian: accept any working install
    if command -v node >/dev/null && command -v npm >/dev/null; then
        local filtered=()
        for pkg in "${missing[@]}"; do [[ "$pkg" == nodejs || "$pkg" == npm ]] || filtered+=("$pkg"); done
        missing=("${filtered[@]+"${filtered[@]}"}")
    fi
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get to install them"
    log "installing system packages: ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# --- Python ------------------------------------------------------------------------
find_python() {
    local candidate
    for candidate in "${IPWB_PYTHON:-}" python3.11 python3.12 python3; do
        [ -n "$candidate" ] || continue
        if command -v "$candidate" >/dev/null &&
            "$candidate" -c "import sys; sys.exit(not (sys.version_info >= (3, 10) and sys.version_info < (3, 13)))"; then
            command -v "$candidate"
            return 0
        fi
    done
    die "no Python between $IPWB_PYTHON_MIN and 3.12 found (Odoo 18 supports 3.10-3.12); set IPWB_PYTHON"
}

# Odoo's pinned requirements, minus the pins the rest of the stack cannot live with
# (Jinja2/requests/urllib3/idna are needed newer by litellm and dbt; cbor2 5.4.2 does
# not build on Python 3.11). The exact versions used are frozen in setup/constraints.txt.
odoo_requirements_filtered() {
    grep -vE '^(Jinja2|requests|urllib3|idna|cbor2)([=<> ;]|$)' "$1/requirements.txt"
}

requirements_fingerprint() {
    {
        cat "$IPWB_ROOT/setup/requirements.txt" "$IPWB_ROOT/setup/constraints.txt" "$IPWB_ROOT/pyproject.toml"
        [ -n "${1:-}" ] && [ -f "$1/requirements.txt" ] && cat "$1/requirements.txt"
        echo "${1:-no-odoo}"
    } | sha256sum | cut -c1-16
}

# pip, minus the per-line warnings some machines' pip.conf produces for absent local indexes;
# the exit status stays pip's (pipefail).
pip_quiet() {
    "$@" 2>&1 | { grep -v "is ignored: it is neither a file nor a directory" || true; }
}

# ensure_venv [ODOO_DIR]: create .venv and install the engine (editable) and its tools;
# with an Odoo tree, also Odoo's requirements and a .pth so `import odoo` works.
ensure_venv() {
    local odoo_dir="${1:-}"
    local stamp="$IPWB_VENV/.ipwb-installed"
    local fingerprint
    fingerprint="$(requirements_fingerprint "$odoo_dir")"
    if [ ! -x "$IPWB_VENV/bin/python" ]; then
        log "creating virtualenv $IPWB_VENV"
        "$(find_python)" -m venv "$IPWB_VENV"
    fi
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
        return 0
    fi
    # Serialise installs: two commands started together must not run pip in one venv at once.
    mkdir -p "$IPWB_LOCAL"
    exec {venv_lock}>"$IPWB_LOCAL/venv.lock"
    flock "$venv_lock"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$fingerprint" ]; then
        flock -u "$venv_lock"
        return 0
    fi
    local pip=(pip_quiet "$IPWB_VENV/bin/python" -m pip --disable-pip-version-check -q)
    log "installing Python dependencies into .venv (first run takes a few minutes)"
    "${pip[@]}" install -U pip wheel setuptools
    local reqs=(-r "$IPWB_ROOT/setup/requirements.txt")
    if [ -n "$odoo_dir" ]; then
        odoo_requirements_filtered "$odoo_dir" >"$IPWB_LOCAL/odoo-requirements.txt"
        reqs+=(-r "$IPWB_LOCAL/odoo-requirements.txt")
    fi
    "${pip[@]}" install -c "$IPWB_ROOT/setup/constraints.txt" "${reqs[@]}"
    # dbt-postgres pulls psycopg2-binary, which would shadow the psycopg2 built against
    # the system libpq (same import name). Keep exactly one: the source build.
    if "$IPWB_VENV/bin/python" -m pip show -q psycopg2-binary >/dev/null 2>&1; then
        "${pip[@]}" uninstall -y psycopg2-binary
        "${pip[@]}" install --force-reinstall --no-deps -c "$IPWB_ROOT/setup/constraints.txt" psycopg2
    fi
    "${pip[@]}" install --no-deps -e "$IPWB_ROOT"
    local site
    site="$("$IPWB_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
    if [ -n "$odoo_dir" ]; then
        echo "$odoo_dir" >"$site/ipwb-odoo-path.pth"
    else
        rm -f "$site/ipwb-odoo-path.pth"
    fi
    echo "$fingerprint" >"$stamp"
    flock -u "$venv_lock"
}

# --- Odoo --------------------------------------------------------------------------
is_odoo18() { [ -f "$1/odoo/release.py" ] && grep -q "^version_info = (18," "$1/odoo/release.py"; }

# locate_odoo [--no-clone]: set ODOO_DIR to the Odoo 18 source directory: $ODOO_PATH (when
# set, only that), else /opt/odoo, else a shallow clone of branch 18.0 into .local/odoo
# (where the network allows). Returns 1 with IPWB_ODOO_MISSING_REASON set when none works.
# Runs in the caller's shell (no command substitution) so both variables reach it.
locate_odoo() {
    ODOO_DIR=""
    IPWB_ODOO_MISSING_REASON=""
    local reasons=()
    if [ -n "${ODOO_PATH:-}" ]; then
        # An explicit ODOO_PATH is authoritative: never silently use another tree instead.
        if is_odoo18 "$ODOO_PATH"; then
            ODOO_DIR="$(cd "$ODOO_PATH" && pwd)"
            return 0
        fi
        IPWB_ODOO_MISSING_REASON="ODOO_PATH=$ODOO_PATH is not an Odoo 18 source tree"
        return 1
    fi
    if is_odoo18 /opt/odoo; then
        ODOO_DIR=/opt/odoo
        return 0
    fi
    reasons+=("ODOO_PATH is not set and /opt/odoo holds no Odoo 18 source")
    if is_odoo18 "$IPWB_LOCAL/odoo"; then
        ODOO_DIR="$IPWB_LOCAL/odoo"
        return 0
    fi
    if [ "${1:-}" != "--no-clone" ] && [ "${IPWB_NO_CLONE:-}" != 1 ]; then
        log "no Odoo 18 found; cloning branch 18.0 from GitHub into .local/odoo"
        mkdir -p "$IPWB_LOCAL"
        if timeout 900 git clone -q --depth 1 --branch 18.0 https://github.com/odoo/odoo.git \
            "$IPWB_LOCAL/odoo.part" 2>/dev/null && is_odoo18 "$IPWB_LOCAL/odoo.part"; then
            mv "$IPWB_LOCAL/odoo.part" "$IPWB_LOCAL/odoo"
            ODOO_DIR="$IPWB_LOCAL/odoo"
            return 0
        fi
        rm -rf "$IPWB_LOCAL/odoo.part"
        reasons+=("cloning github.com/odoo/odoo branch 18.0 failed (no network?)")
    else
        reasons+=("cloning from GitHub is disabled (IPWB_NO_CLONE=1)")
    fi
    IPWB_ODOO_MISSING_REASON="$(IFS=';'; echo "${reasons[*]}")"
    return 1
}

# --- front-end libraries (npm, installed at setup time, never committed) -------------
ensure_npm_libs() {
    local manifest="$IPWB_ROOT/setup/npm/package.json"
    [ -f "$manifest" ] || return 0
    local stamp="$IPWB_LOCAL/npm/.installed"
    local fingerprint
    fingerprint="$(sha256sum "$manifest" "$IPWB_ROOT/setup/npm/package-lock.json" 2>/dev/null | sha256sum | cut -c1-16)"
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$fingerprint" ]; then
        log "installing front-end libraries from npm"
        mkdir -p "$IPWB_LOCAL/npm"
        cp "$manifest" "$IPWB_LOCAL/npm/"
        [ -f "$IPWB_ROOT/setup/npm/package-lock.json" ] && cp "$IPWB_ROOT/setup/npm/package-lock.json" "$IPWB_LOCAL/npm/"
        (cd "$IPWB_LOCAL/npm" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
        echo "$fingerprint" >"$stamp"
    fi
    "$IPWB_VENV/bin/python" "$IPWB_ROOT/setup/install_static_libs.py" "$IPWB_LOCAL/npm/node_modules"
}
