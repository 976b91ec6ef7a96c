#!/usr/bin/env bash
# Runs SCSI test binaries inside the hwsnap test VM (issue 6, "Tier 2").
#
# Why: the CI host kernel has no SCSI stack, so the real SG_IO transport,
# live INQUIRY/VPD pages, real CHECK CONDITIONs and EXTENDED COPY between
# LUNs can only be exercised in a guest: a Debian cloud kernel under QEMU TCG
# with scsi_debug, a QEMU scsi-hd (known wwn/serial) and LIO fileio LUNs
# behind tcm_loop (tools/vm/guest/setup-scsi.sh).
#
# Steps: fetch the kernel (cached; fetch-kernel.sh), pack the binaries into
# an initramfs (build-initramfs.sh; dynamic ones with their libraries), boot
# once (boot-vm.sh), return the tests' status. CTest runs it as scsi_vm_tier.
#
# Usage: tools/vm/run-scsi-vm-tests.sh [-t SECONDS] TEST_BINARY...
# Exit: 0 all passed; 77 skipped (no qemu-system-x86_64); 124 timeout;
#       otherwise the failing status.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
timeout_s=300
while getopts "t:" opt; do
  case "$opt" in
    t) timeout_s="$OPTARG" ;;
    *) echo "usage: $0 [-t SECONDS] TEST_BINARY..." >&2; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ "$#" -eq 0 ]; then
  echo "usage: $0 [-t SECONDS] TEST_BINARY..." >&2
  exit 2
fi
if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "skipped: qemu-system-x86_64 not available (install qemu-system-x86)"
  exit 77
fi

start_ns=$(date +%s%N)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
binaries=()
for b in "$@"; do
  [ -x "$b" ] || { echo "run-scsi-vm-tests: $b is not an executable" >&2; exit 2; }
  binaries+=(-b "$b")
done
"$script_dir/fetch-kernel.sh" >/dev/null
"$script_dir/build-initramfs.sh" -o "$work/initrd.cpio.gz" -p "$script_dir/guest/test-payload.sh" \
  "${binaries[@]}"
set +e
"$script_dir/boot-vm.sh" -i "$work/initrd.cpio.gz" -t "$timeout_s"
rc=$?
set -e
echo "run-scsi-vm-tests: exit $rc after $((($(date +%s%N) - start_ns) / 1000000)) ms (kernel, initramfs, boot, tests)"
exit "$rc"
