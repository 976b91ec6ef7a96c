#!/usr/bin/env bash
# Captures the SCSI parser fixtures tests/scsi/fixtures/vm/<device>/*.hex from
# the devices of the hwsnap test VM: scsi_debug, QEMU scsi-hd and LIO fileio
# behind tcm_loop.
#
# Why: the parser tests must run on pages real targets return, and these
# targets exist only inside the VM (the CI host kernel has no SCSI). Run it
# by hand when the VM's devices or the capture change; the result is
# committed, so ordinary test runs do not depend on it.
#
# It builds tests/scsi/vm/capture_sg_pages.cc statically with the host C++
# compiler, packs it into the test VM's initramfs with
# guest/capture-payload.sh, boots the VM once and splits the file stream the
# guest wrote to its second serial port.
#
# Usage: tools/vm/capture-scsi-fixtures.sh [OUT_DIR]
#        (default OUT_DIR: tests/scsi/fixtures/vm)
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/../.." && pwd)"
out_dir="${1:-$repo_root/tests/scsi/fixtures/vm}"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"${CXX:-g++}" -std=c++17 -O1 -Wall -Wextra -static -o "$work/capture_sg_pages" \
  "$repo_root/tests/scsi/vm/capture_sg_pages.cc"
"$script_dir/build-initramfs.sh" -o "$work/initrd.cpio.gz" \
  -p "$script_dir/guest/capture-payload.sh" -b "$work/capture_sg_pages"
"$script_dir/boot-vm.sh" -i "$work/initrd.cpio.gz" -r "$work/results.txt" -t 300

tr -d '\r' <"$work/results.txt" >"$work/stream.txt"
mkdir -p "$out_dir"
count=0
file=""
while IFS= read -r line; do
  case "$line" in
    "@@FILE "*)
      file="$out_dir/${line#@@FILE }"
      case "$file" in *..*) echo "capture: bad name $line" >&2; exit 1 ;; esac
      mkdir -p "$(dirname "$file")"
      : >"$file"
      ;;
    "@@END") file=""; count=$((count + 1)) ;;
    *) [ -z "$file" ] || printf '%s\n' "$line" >>"$file" ;;
  esac
done <"$work/stream.txt"
echo "capture: wrote $count fixture files under $out_dir"
[ "$count" -gt 0 ]
