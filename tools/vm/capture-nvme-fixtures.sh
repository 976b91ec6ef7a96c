#!/usr/bin/env bash
# Captures the NVMe parser fixtures tests/nvme/fixtures/vm/qemu-nvme/ from the
# hwsnap test VM's QEMU 7.2 NVMe controller (boot-vm.sh: subsystem, one
# controller, namespaces 1-5 attached, 6-33 detached).
#
# Why: the parser tests must run on data a real controller returned, and this
# controller exists only inside the VM (the CI host kernel has no NVMe). Run
# it by hand when the VM's NVMe layout or the capture change; the result is
# committed, so ordinary test runs do not depend on it.
#
# It builds tests/nvme/vm/capture_nvme_identify.cc statically with the host
# C++ compiler, packs it into the test VM's initramfs with
# guest/capture-nvme-payload.sh, boots the VM once and decodes the hex file
# stream the guest wrote to its second serial port (xxd -r -p).
# errors.txt is text ("<what was sent>\t0x<status field>"); the guest's
# observations (Simple Copy, attach/detach timings) go next to OUT_DIR as
# <OUT_DIR>.observations.log, outside the directory the parser tests scan;
# tests/nvme/fixtures/README.md summarizes them.
#
# Usage: tools/vm/capture-nvme-fixtures.sh [OUT_DIR]
#        (default OUT_DIR: tests/nvme/fixtures/vm/qemu-nvme)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
out_dir="${1:-$repo_root/tests/nvme/fixtures/vm/qemu-nvme}"
command -v xxd >/dev/null || { echo "capture: needs xxd" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${CXX:-g++}" -std=c++17 -O1 -Wall -Wextra -static -o "$work/capture_nvme_identify" \
  "$repo_root/tests/nvme/vm/capture_nvme_identify.cc"
"$script_dir/build-initramfs.sh" -o "$work/initrd.cpio.gz" \
  -p "$script_dir/guest/capture-nvme-payload.sh" -b "$work/capture_nvme_identify"
set +e
"$script_dir/boot-vm.sh" -i "$work/initrd.cpio.gz" -r "$work/results.txt" -t 300
guest_rc=$?
set -e

tr -d '\r' <"$work/results.txt" >"$work/stream.txt"
mkdir -p "$work/out"
count=0
file=""
while IFS= read -r line; do
  case "$line" in
    "@@FILE "*)
      file="$work/out/${line#@@FILE }"
      case "${line#@@FILE }" in *..* | */*) echo "capture: bad name $line" >&2; exit 1 ;; esac
      : >"$file.hex"
      ;;
    "@@END")
      [ -n "$file" ] || continue
      xxd -r -p "$file.hex" >"$file"
      rm -f "$file.hex"
      file=""
      count=$((count + 1))
      ;;
    *) [ -z "$file" ] || printf '%s\n' "$line" >>"$file.hex" ;;
  esac
done <"$work/stream.txt"
if [ "$count" -eq 0 ]; then
  echo "capture: the guest wrote no files (rc=$guest_rc)" >&2
  exit 1
fi
mkdir -p "$out_dir"
if [ -f "$work/out/observations.txt" ]; then
  mv "$work/out/observations.txt" "$out_dir.observations.log"
  cat "$out_dir.observations.log"
fi
cp "$work/out/"* "$out_dir/"
echo "capture: wrote $count fixture files under $out_dir (guest rc=$guest_rc)"
exit "$guest_rc"
