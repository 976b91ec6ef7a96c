#!/usr/bin/env bash
# Fetches the guest kernel for the SCSI VM test tier (issue 6, "Tier 2").
#
# Why: the host kernel that runs CI has no SCSI, no configfs and no loadable
# modules, so SG_IO, scsi_debug and LIO can only be exercised inside a QEMU
# guest. Debian's cloud kernel is small, boots under TCG in seconds and ships
# scsi_debug, sg, sd_mod, target_core_* and tcm_loop as modules.
#
# What: resolves EXACTLY ONE version of Debian's linux-image-*-cloud-amd64
# (the package linux-image-cloud-amd64 currently depends on, at its apt
# candidate version; a wildcard would match dozens of versions), downloads it
# with `apt-get download`, unpacks it with `dpkg-deb -x` and runs `depmod -b`
# on the unpacked tree. Idempotent: when a kernel is already cached it is
# reused as is (no apt access at all, so later runs work offline).
#
# Usage: tools/vm/fetch-kernel.sh        (prints the path of kernel.env)
# Env:   HWSNAP_VM_CACHE  cache directory (default: <repo>/build/vm-cache)
# Result: $HWSNAP_VM_CACHE/kernel/kernel.env, a shell fragment defining
#   KERNEL_PACKAGE, KERNEL_VERSION, KERNEL_RELEASE, KERNEL_IMAGE, KERNEL_ROOT
#   (KERNEL_ROOT/lib/modules/KERNEL_RELEASE holds the modules).
# Needs: apt-get with fresh lists (tools/setup.sh runs `apt-get update`),
# dpkg-deb, depmod (kmod). Root is not required for the download itself.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cache="${HWSNAP_VM_CACHE:-$repo_root/build/vm-cache}"
kdir="$cache/kernel"
envfile="$kdir/kernel.env"

log() { echo "fetch-kernel: $*" >&2; }

if [ -f "$envfile" ]; then
  # shellcheck source=/dev/null
  . "$envfile"
  if [ -f "$KERNEL_IMAGE" ] && [ -f "$KERNEL_ROOT/lib/modules/$KERNEL_RELEASE/modules.dep" ]; then
    log "cached $KERNEL_PACKAGE $KERNEL_VERSION"
    echo "$envfile"
    exit 0
  fi
  log "cache incomplete; fetching again"
fi

for tool in apt-cache apt-get dpkg-deb depmod; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    log "missing $tool (install apt, dpkg and kmod)"
    exit 1
  fi
done

# The one concrete kernel package the meta package points at, e.g.
# linux-image-6.1.0-57-cloud-amd64, at its candidate version; downloaded into
# $kdir/download. Fails when the lists do not know it or the mirror no longer
# has that version (stale lists after a kernel update).
resolve_and_download() {
  package="$(apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1)"
  if [ -z "$package" ]; then
    log "cannot resolve linux-image-cloud-amd64"
    return 1
  fi
  version="$(apt-cache policy "$package" | sed -n 's/^ *Candidate: *//p' | head -n 1)"
  if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    log "no candidate version for $package"
    return 1
  fi
  log "downloading $package=$version"
  rm -rf "$kdir"
  mkdir -p "$kdir/download"
  (cd "$kdir/download" && apt-get download -q "$package=$version" >&2) || return 1
  deb="$(find "$kdir/download" -maxdepth 1 -name "${package}_*.deb" | head -n 1)"
  if [ -z "$deb" ]; then
    log "apt-get download produced no .deb"
    return 1
  fi
}

if ! resolve_and_download; then
  # Stale or missing package lists: refresh them once (root only) and retry.
  if [ "$(id -u)" -ne 0 ]; then
    log "run 'apt-get update' as root first"
    exit 1
  fi
  log "refreshing the package lists (apt-get update) and retrying"
  apt-get update -qq >&2
  resolve_and_download || { log "cannot download the guest kernel"; exit 1; }
fi
release="${package#linux-image-}"
log "downloaded $(basename "$deb") ($(stat -c %s "$deb") bytes)"

root="$kdir/root"
mkdir -p "$root"
dpkg-deb -x "$deb" "$root"
rm -rf "$kdir/download"

# Debian 12 ships modules under /lib; merged-/usr layouts under /usr/lib.
if [ ! -d "$root/lib/modules/$release" ] && [ -d "$root/usr/lib/modules/$release" ]; then
  mkdir -p "$root/lib/modules"
  ln -s "../../usr/lib/modules/$release" "$root/lib/modules/$release"
fi
image="$root/boot/vmlinuz-$release"
if [ ! -f "$image" ] || [ ! -d "$root/lib/modules/$release" ]; then
  log "unexpected package layout: no $image or lib/modules/$release"
  exit 1
fi
depmod -b "$root" "$release"

cat >"$envfile.tmp" <<ENV
KERNEL_PACKAGE='$package'
KERNEL_VERSION='$version'
KERNEL_RELEASE='$release'
KERNEL_IMAGE='$image'
KERNEL_ROOT='$root'
ENV
mv "$envfile.tmp" "$envfile"
log "ready: $package $version"
echo "$envfile"
