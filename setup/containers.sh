#!/usr/bin/env bash
# Container tooling for the image tier (deploy/, tests/integration/test_deploy_image.py):
# Debian's podman, runc and debootstrap, and the engine configuration that makes podman 4.3
# work on these machines (crun fails with "cgroups in hybrid mode not supported"; systemd's
# cgroup manager is absent in containers; the default nofile ulimit cannot be raised here).
#
#   setup/containers.sh install   install the packages and write /etc/containers/containers.conf
#                                 when either is missing (idempotent)
#   setup/containers.sh check     exit 1 with a reason when podman cannot run a container
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=setup/common.sh
. "$here/common.sh"

# catatonit: the init of the pause image podman builds locally for every pod (kube play)
IPWB_CONTAINER_PACKAGES=(podman runc debootstrap catatonit)
IPWB_CONTAINERS_CONF="${IPWB_CONTAINERS_CONF:-/etc/containers/containers.conf}"

containers_conf_body() {
    cat <<'CONF'
# Written by InsightPulse Workbench setup/containers.sh: podman 4.3 on these machines needs
# runc (crun: "cgroups in hybrid mode not supported"), the cgroupfs manager and no default
# ulimits (raising nofile is refused inside the build machines' own containers).
[containers]
default_ulimits = []

[engine]
cgroup_manager = "cgroupfs"
runtime = "runc"
CONF
}

ensure_container_packages() {
    local missing=() pkg
    for pkg in "${IPWB_CONTAINER_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done
    [ "${#missing[@]}" -eq 0 ] && return 0
    command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get to install them"
    log "installing container tooling: ${missing[*]}"
    # several set-up runs may share a machine: wait for dpkg's lock instead of failing
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq \
        --no-install-recommends "${missing[@]}" >/dev/null
}

# Only the three settings above are required; an existing file that already says so is kept.
containers_conf_ok() {
    [ -f "$IPWB_CONTAINERS_CONF" ] &&
        grep -Eq '^[[:space:]]*default_ulimits[[:space:]]*=[[:space:]]*\[[[:space:]]*\]' "$IPWB_CONTAINERS_CONF" &&
        grep -Eq '^[[:space:]]*cgroup_manager[[:space:]]*=[[:space:]]*"cgroupfs"' "$IPWB_CONTAINERS_CONF" &&
        grep -Eq '^[[:space:]]*runtime[[:space:]]*=[[:space:]]*"runc"' "$IPWB_CONTAINERS_CONF"
}

ensure_containers_conf() {
    containers_conf_ok && return 0
    if [ -f "$IPWB_CONTAINERS_CONF" ] && ! grep -q 'InsightPulse Workbench' "$IPWB_CONTAINERS_CONF"; then
        as_root cp "$IPWB_CONTAINERS_CONF" "$IPWB_CONTAINERS_CONF.ipwb-backup"
        warn "replacing $IPWB_CONTAINERS_CONF (previous copy kept as $IPWB_CONTAINERS_CONF.ipwb-backup)"
    fi
    log "writing $IPWB_CONTAINERS_CONF (runc, cgroupfs, no default ulimits)"
    as_root mkdir -p "$(dirname "$IPWB_CONTAINERS_CONF")"
    containers_conf_body | as_root tee "$IPWB_CONTAINERS_CONF" >/dev/null
}

case "${1:-install}" in
install)
    ensure_container_packages
    ensure_containers_conf
    ;;
check)
    command -v podman >/dev/null || die "podman is not installed (run setup/containers.sh install)"
    containers_conf_ok || die "$IPWB_CONTAINERS_CONF lacks runc/cgroupfs/default_ulimits (run setup/containers.sh install)"
    podman info >/dev/null || die "podman info failed: podman cannot work on this machine"
    ;;
*)
    echo "usage: setup/containers.sh install|check" >&2
    exit 2
    ;;
esac
