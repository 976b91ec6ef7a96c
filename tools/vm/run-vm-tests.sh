#!/usr/bin/env bash
# Runs test binaries and guest scripts inside the hwsnap test VM ("Tier 2"),
# for the SCSI and the NVMe backend alike.
#
# Why: the CI host kernel has no SCSI stack and no NVMe, so the real SG_IO
# and NVMe passthrough transports, live INQUIRY/VPD pages and Identify data,
# real error statuses, EXTENDED COPY, NVMe attach/detach and Simple Copy can
# only be exercised in a guest: a Debian cloud kernel under QEMU TCG with
# scsi_debug, a QEMU scsi-hd and LIO fileio LUNs (guest/setup-scsi.sh) and a
# QEMU NVMe subsystem with 33 namespaces (boot-vm.sh, guest/setup-nvme.sh).
#
# Steps: fetch the kernel (cached; fetch-kernel.sh), pack the files into an
# initramfs (build-initramfs.sh; dynamic binaries with their libraries), boot
# once (boot-vm.sh), return the guest's status. In the guest
# (guest/test-payload.sh) every binary named *_test runs as a gtest binary,
# then every *.sh runs with sh; other binaries (e.g. hwsnapctl) are only
# packed for the scripts to use. CTest runs it as scsi_vm_tier and nvme_vm_tier.
#
# Usage: tools/vm/run-vm-tests.sh [-t SECONDS] FILE...
# Exit: 0 all passed; 77 skipped (no qemu-system-x86_64); 124 timeout;
#       otherwise the failing status.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { echo "usage: $0 [-t SECONDS] FILE..." >&2; exit 2; }
timeout_s=300
while getopts "t:" opt; do
  case "$opt" in
    t) timeout_s="$OPTARG" ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[ "$#" -gt 0 ] || usage
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "skipped: qemu-system-x86_64 not available (install qemu-system-x86)"
  exit 77
fi

start_ns=$(date +%s%N)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
files=()
for f in "$@"; do
  case "$f" in
    *.sh) [ -f "$f" ] || { echo "run-vm-tests: no guest script $f" >&2; exit 2; } ;;
    *) [ -x "$f" ] || { echo "run-vm-tests: $f is not an executable" >&2; exit 2; } ;;
  esac
  files+=(-b "$f")
done
"$script_dir/fetch-kernel.sh" >/dev/null
"$script_dir/build-initramfs.sh" -o "$work/initrd.cpio.gz" -p "$script_dir/guest/test-payload.sh" \
  "${files[@]}"
set +e
"$script_dir/boot-vm.sh" -i "$work/initrd.cpio.gz" -t "$timeout_s"
rc=$?
set -e
echo "run-vm-tests: exit $rc after $((($(date +%s%N) - start_ns) / 1000000)) ms (kernel, initramfs, boot, tests)"
exit "$rc"
