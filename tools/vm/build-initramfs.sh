#!/usr/bin/env bash
# Builds the initramfs of the hwsnap test VM (SCSI and NVMe, "Tier 2").
#
# Why: the guest needs nothing but a shell, the SCSI/LIO kernel modules and
# the programs under test, so it is a busybox initramfs (no disk image, no
# distribution install): built in well under a second from Debian packages
# only (busybox-static, the cloud kernel fetched by fetch-kernel.sh).
#
# Contents: /bin/busybox (busybox-static), /init, /hwsnap/setup-scsi.sh and
# /hwsnap/setup-nvme.sh (tools/vm/guest/; NVMe is built into the kernel),
# the SCSI/LIO kernel modules below with every dependency (resolved from the
# extracted kernel's modules.dep via `modprobe --show-depends`, loaded in that
# order), /hwsnap/payload.sh (what the guest runs) and the given binaries and
# guest scripts (*.sh) in /hwsnap/bin. A dynamically linked binary is copied
# with the shared libraries ldd lists (same paths), so it runs unchanged in
# the guest; binaries are packed without debug info (strip --strip-debug).
# Reproducible: fixed mtimes (SOURCE_DATE_EPOCH, default 0), sorted names,
# owner 0:0, `cpio --reproducible`, `gzip -n`.
#
# Usage: tools/vm/build-initramfs.sh -o OUT.cpio.gz -p PAYLOAD.sh [-b FILE]...
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODULES=(configfs virtio_pci virtio_scsi sg sd_mod scsi_debug
         target_core_mod target_core_file tcm_loop)

usage() { echo "usage: $0 -o OUT.cpio.gz -p PAYLOAD.sh [-b FILE]..." >&2; exit 2; }
out="" payload="" binaries=()
while getopts "o:p:b:" opt; do
  case "$opt" in
    o) out="$OPTARG" ;;
    p) payload="$OPTARG" ;;
    b) binaries+=("$OPTARG") ;;
    *) usage ;;
  esac
done
if [ -z "$out" ] || [ -z "$payload" ]; then usage; fi
log() { echo "build-initramfs: $*" >&2; }

# ldd fails on a static executable: the guest has no libraries to offer.
is_static() { ! ldd "$1" >/dev/null 2>&1; }

busybox=/bin/busybox
if [ ! -x "$busybox" ] || ! is_static "$busybox"; then
  log "$busybox is not the static busybox (install busybox-static)"
  exit 1
fi

envfile="$("$script_dir/fetch-kernel.sh")"
# shellcheck source=/dev/null
. "$envfile"
moddir="$KERNEL_ROOT/lib/modules/$KERNEL_RELEASE"

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,run,hwsnap/bin,lib/modules}
cp "$busybox" "$stage/bin/busybox"
install -m 0755 "$script_dir/guest/init" "$stage/init"
install -m 0644 "$script_dir/guest/setup-scsi.sh" "$stage/hwsnap/setup-scsi.sh"
install -m 0644 "$script_dir/guest/setup-nvme.sh" "$stage/hwsnap/setup-nvme.sh"
install -m 0755 "$payload" "$stage/hwsnap/payload.sh"

# Modules and their dependencies, dependencies first, each once.
: >"$stage/hwsnap/modules.list"
for m in "${MODULES[@]}"; do
  deps="$(modprobe -d "$KERNEL_ROOT" -S "$KERNEL_RELEASE" --show-depends "$m")" ||
    { log "cannot resolve module $m"; exit 1; }
  while read -r kind path _; do
    [ "$kind" = "insmod" ] || continue
    rel="${path#"$moddir"/}"
    if ! grep -qxF "$rel" "$stage/hwsnap/modules.list"; then
      echo "$rel" >>"$stage/hwsnap/modules.list"
      mkdir -p "$stage/lib/modules/$(dirname "$rel")"
      cp "$path" "$stage/lib/modules/$rel"
    fi
  done <<<"$deps"
done

# Binaries (and, for dynamic ones, their shared libraries).
for b in ${binaries[@]+"${binaries[@]}"}; do
  install -m 0755 "$b" "$stage/hwsnap/bin/$(basename "$b")"
  # Debug info only slows the guest's boot (unpacking under TCG): drop it
  # from the copy (a RelWithDebInfo hwsnapctl shrinks from ~44 MB to ~2 MB).
  if [ "${b%.sh}" = "$b" ] && command -v strip >/dev/null 2>&1; then
    strip --strip-debug "$stage/hwsnap/bin/$(basename "$b")" 2>/dev/null || true
  fi
  if [ "${b%.sh}" = "$b" ] && ! is_static "$b"; then
    ldd "$b" | grep -o '/[^ ]*' | while read -r lib; do
      mkdir -p "$stage$(dirname "$lib")"
      cp -L "$lib" "$stage$lib"
    done
    log "$(basename "$b") is dynamically linked: copied its libraries"
  fi
done

epoch="${SOURCE_DATE_EPOCH:-0}"
find "$stage" -exec touch -h -d "@$epoch" {} +
mkdir -p "$(dirname "$out")"
(cd "$stage" && find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --null -o -H newc -R 0:0 --reproducible --quiet) | gzip -n -6 >"$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out ($(stat -c %s "$out") bytes, $(wc -l <"$stage/hwsnap/modules.list") modules)"
