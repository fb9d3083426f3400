#!/usr/bin/env bash
# A real n8n (npm) for the integration tier, installed once per machine into a cache keyed by
# its version (never into the repository), and started on 127.0.0.1 only.
#
#   setup/n8n.sh install   install n8n into $IPWB_N8N_CACHE/<version> if missing; print its bin path
#   setup/n8n.sh bin       print the n8n executable path (exit 1 when not installed)
#
# Environment: IPWB_N8N_VERSION (default 2.4.8: the newest 2.x whose engines accept the
# Debian Node 20), IPWB_N8N_CACHE (default /var/cache/ipwb/n8n).
# n8n pins its `xlsx` dependency to a tarball on a vendor CDN (not the npm registry); an npm
# `overrides` entry takes xlsx 0.18.5 from the registry instead, so only the registry is used.
set -euo pipefail
version="${IPWB_N8N_VERSION:-2.4.8}"
cache="${IPWB_N8N_CACHE:-/var/cache/ipwb/n8n}/$version"
bin="$cache/node_modules/.bin/n8n"

case "${1:-bin}" in
bin)
    [ -x "$bin" ] || { echo "n8n $version is not installed (run setup/n8n.sh install)" >&2; exit 1; }
    echo "$bin"
    ;;
install)
    if [ ! -x "$bin" ] || [ ! -f "$cache/.installed" ]; then
        command -v npm >/dev/null || { echo "npm is missing" >&2; exit 1; }
        mkdir -p "$cache"
        cat >"$cache/package.json" <<JSON
{
  "name": "ipwb-n8n-runtime",
  "private": true,
  "dependencies": { "n8n": "$version" },
  "overrides": { "xlsx": "0.18.5" }
}
JSON
        echo "[ipwb] installing n8n $version into $cache (large: a few minutes, once per machine)" >&2
        (cd "$cache" && npm install --no-audit --no-fund --loglevel=error >&2)
        touch "$cache/.installed"
    fi
    echo "$bin"
    ;;
*)
    echo "usage: setup/n8n.sh install|bin" >&2
    exit 2
    ;;
esac
