#!/usr/bin/env bash
# Build the Debian bookworm base image from Debian packages (no container registry needed) and
# import it into podman as localhost/ipwb-base:bookworm, the same userland as debian:bookworm-slim.
# Cached per machine: nothing is done when the image exists; the root filesystem tarball is kept
# under $IPWB_BASE_CACHE so a removed image is re-imported in seconds.
#
#   deploy/base-image.sh            ensure the image; print its name
#   deploy/base-image.sh --rebuild  debootstrap again even when cached
#
# Environment: IPWB_BASE_IMAGE (default localhost/ipwb-base:bookworm), IPWB_BASE_CACHE
# (default /var/cache/ipwb/base), IPWB_DEBIAN_MIRROR (default http://deb.debian.org/debian).
set -euo pipefail
image="${IPWB_BASE_IMAGE:-localhost/ipwb-base:bookworm}"
cache="${IPWB_BASE_CACHE:-/var/cache/ipwb/base}"
mirror="${IPWB_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
tarball="$cache/bookworm-minbase.tar"

log() { printf '\033[1;34m[ipwb]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[ipwb] ERROR:\033[0m %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap and podman import need root"
command -v podman >/dev/null || die "podman is missing (run setup/containers.sh install)"
rebuild=0
[ "${1:-}" = --rebuild ] && rebuild=1

if [ "$rebuild" = 0 ] && podman image exists "$image"; then
    echo "$image"
    exit 0
fi
mkdir -p "$cache"
exec {lock}>"$cache/.lock"
flock "$lock"
if [ "$rebuild" = 1 ] || [ ! -s "$tarball" ]; then
    command -v debootstrap >/dev/null || die "debootstrap is missing (run setup/containers.sh install)"
    root="$(mktemp -d "$cache/rootfs.XXXXXX")"
    trap 'rm -rf "$root"' EXIT
    log "debootstrap --variant=minbase bookworm (once per machine, about a minute)"
    debootstrap --variant=minbase bookworm "$root" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
        die "debootstrap failed: see $cache/debootstrap.log"
    # what debian:bookworm-slim also does: security updates in the sources, no caches in the image
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\ndeb http://deb.debian.org/debian-security bookworm-security main\n' \
        "$mirror" "$mirror" >"$root/etc/apt/sources.list"
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root"/var/log/*.log
    : >"$root/etc/resolv.conf"
    : >"$root/etc/hostname"
    tar --numeric-owner -C "$root" -cf "$tarball.part" .
    mv "$tarball.part" "$tarball"
fi
log "importing $tarball as $image"
podman import --change 'CMD ["/bin/bash"]' --change 'ENV LANG=C.UTF-8' \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --message "debootstrap --variant=minbase bookworm" "$tarball" "$image" >/dev/null
echo "$image"
