#!/usr/bin/env bash
# Per-machine wheel cache for image builds: every runtime requirement of the image (see
# deploy/image_requirements.py) built once as a wheel into $IPWB_WHEEL_CACHE/<fingerprint>,
# keyed by the requirement and constraint files, so a warm rebuild installs offline in a
# couple of minutes. Built with the host's Python, which must match the image's (Debian
# bookworm: CPython 3.11, glibc 2.36).
#
#   deploy/wheels.sh ODOO_DIR   ensure the cache; print its directory
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
odoo_dir="${1:?usage: deploy/wheels.sh ODOO_DIR}"
python="${IPWB_WHEEL_PYTHON:-$root/.venv/bin/python}"
base="${IPWB_WHEEL_CACHE:-/var/cache/ipwb/wheels}"

"$python" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' ||
    { echo "[ipwb] $python is not CPython 3.11 (the image's Python): wheels would not match" >&2; exit 1; }
req="$(mktemp)"
trap 'rm -f "$req"' EXIT
"$python" "$root/deploy/image_requirements.py" "$odoo_dir" "$req"
fingerprint="$(cat "$req" "$root/setup/constraints.txt" | sha256sum | cut -c1-16)"
dir="$base/$fingerprint"
if [ ! -f "$dir/.complete" ]; then
    mkdir -p "$dir"
    exec {lock}>"$dir/.lock"
    flock "$lock"
    if [ ! -f "$dir/.complete" ]; then
        echo "[ipwb] building the image's wheels into $dir (once per requirement set)" >&2
        "$python" -m pip wheel -q --disable-pip-version-check -w "$dir" \
            -c "$root/setup/constraints.txt" -r "$req" pip setuptools wheel >&2
        cp "$req" "$dir/requirements.txt"
        touch "$dir/.complete"
    fi
fi
echo "$dir"
