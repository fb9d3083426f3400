#!/usr/bin/env bash
# Build the workbench image locally, without a registry:
#   deploy/build-image.sh [TAG]        (default localhost/ipwb:latest; prints the tag)
# Assembles the build context (Odoo source found like setup/ finds it, the workbench's
# tracked files plus its front-end libraries, the per-machine wheel cache) under /var/tmp
# with hard links, then runs `podman build` on the base image from deploy/base-image.sh.
# Environment: IPWB_BASE_IMAGE (default: build/import localhost/ipwb-base:bookworm),
# IPWB_WITH_WKHTMLTOPDF (true), IPWB_BUILD=podman|docker (podman).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/../setup/common.sh"
tag="${1:-localhost/ipwb:latest}"
builder="${IPWB_BUILD:-podman}"

locate_odoo --no-clone || die "${IPWB_ODOO_MISSING_REASON:-no Odoo 18 source}"
base="${IPWB_BASE_IMAGE:-}"
[ -n "$base" ] || base="$("$here/base-image.sh")"
# front-end libraries: installed by setup into addons/*/static/lib (gitignored)
if [ -d "$IPWB_LOCAL/npm/node_modules" ]; then
    "$IPWB_VENV/bin/python" "$IPWB_ROOT/setup/install_static_libs.py" "$IPWB_LOCAL/npm/node_modules" >/dev/null
fi
[ -d "$IPWB_ROOT/addons/ipwb_sql_editor/static/lib/monaco" ] ||
    die "front-end libraries are missing: run setup/test.sh or setup/run.sh once (npm install)"
wheels="$("$here/wheels.sh" "$ODOO_DIR")"

ctx="$(mktemp -d /var/tmp/ipwb-image-context.XXXXXX)"
trap 'rm -rf "$ctx"' EXIT
link_copy() { cp -al "$@" 2>/dev/null || cp -a "$@"; }
mkdir -p "$ctx/odoo" "$ctx/workbench" "$ctx/wheels"
for entry in odoo addons odoo-bin requirements.txt LICENSE COPYRIGHT setup.py setup.cfg; do
    [ -e "$ODOO_DIR/$entry" ] && link_copy "$ODOO_DIR/$entry" "$ctx/odoo/"
done
(cd "$IPWB_ROOT" && git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do
    [ -e "$f" ] && [ ! -L "$f" ] && printf '%s\0' "$f"
done | xargs -0 cp --parents -a -t "$ctx/workbench")
(cd "$IPWB_ROOT" && for lib in addons/*/static/lib; do mkdir -p "$ctx/workbench/$lib" && link_copy "$lib/." "$ctx/workbench/$lib/"; done)
find "$ctx/wheels" -maxdepth 0 >/dev/null
link_copy "$wheels"/*.whl "$ctx/wheels/"
cp "$wheels/requirements.txt" "$ctx/image-requirements.txt"

log "building $tag on $base"
"$builder" build -q -f "$here/Containerfile" --build-arg "BASE_IMAGE=$base" \
    --build-arg "WITH_WKHTMLTOPDF=${IPWB_WITH_WKHTMLTOPDF:-true}" -t "$tag" "$ctx" >/dev/null
echo "$tag"
