#!/usr/bin/env bash
# Boots the hwsnap SCSI test VM once and returns the guest payload's status.
#
# Why: one place knows the QEMU command line (TCG, the Debian cloud kernel,
# virtio-scsi with a QEMU scsi-hd carrying a known wwn= and serial=), the
# timeout and how the result comes back, so the test runner and the fixture
# capture boot the same machine.
#
# The guest's console (ttyS0) is streamed to stdout and kept in the log file;
# the guest's second serial port (ttyS1) is written to RESULTS (a clean data
# channel, e.g. captured fixture files). The payload's status comes from the
# line "HWSNAP-VM-RESULT: PASS|FAIL rc=N" printed by the guest's /init.
# The QEMU disk's identity reaches the guest as environment variables through
# the kernel command line (hwsnap_qemu_wwn, hwsnap_qemu_serial).
#
# Usage: tools/vm/boot-vm.sh -i INITRD [-r RESULTS] [-l CONSOLE_LOG] [-t SECONDS]
# Exit: the payload's status; 124 on timeout; 77 when qemu is unavailable;
# 1 when the guest never reported a result.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The identity given to the QEMU scsi-hd (NAA 5 + vendor serial number).
QEMU_WWN=0x5000c0ffee00d15c
QEMU_SERIAL=HWSNAP-QEMU-01

usage() { echo "usage: $0 -i INITRD [-r RESULTS] [-l CONSOLE_LOG] [-t SECONDS]" >&2; exit 2; }
initrd="" results="" console_log="" timeout_s=300
while getopts "i:r:l:t:" opt; do
  case "$opt" in
    i) initrd="$OPTARG" ;;
    r) results="$OPTARG" ;;
    l) console_log="$OPTARG" ;;
    t) timeout_s="$OPTARG" ;;
    *) usage ;;
  esac
done
[ -n "$initrd" ] || usage

if ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  echo "skipped: qemu-system-x86_64 not available (install qemu-system-x86)"
  exit 77
fi

envfile="$("$script_dir/fetch-kernel.sh")"
# shellcheck source=/dev/null
. "$envfile"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
truncate -s 16M "$work/qemu-disk.img"
[ -n "$results" ] || results="$work/results.txt"
[ -n "$console_log" ] || console_log="$work/console.log"
: >"$results"

start_ns=$(date +%s%N)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -m 512 -smp 2 -nographic -no-reboot \
  -kernel "$KERNEL_IMAGE" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 hwsnap_qemu_wwn=$QEMU_WWN hwsnap_qemu_serial=$QEMU_SERIAL" \
  -nic none -serial mon:stdio -serial "file:$results" \
  -device virtio-scsi-pci,id=scsi0 \
  -drive "file=$work/qemu-disk.img,if=none,format=raw,id=qdisk0" \
  -device "scsi-hd,drive=qdisk0,bus=scsi0.0,wwn=$QEMU_WWN,serial=$QEMU_SERIAL" \
  </dev/null 2>&1 | tr -d '\r' | tee "$console_log"
qemu_rc=${PIPESTATUS[0]}
set -e
elapsed_ms=$((($(date +%s%N) - start_ns) / 1000000))
echo "boot-vm: qemu exited with $qemu_rc after ${elapsed_ms} ms"

if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
  echo "boot-vm: FAIL: the VM did not finish within ${timeout_s}s"
  exit 124
fi
result="$(grep -a -o 'HWSNAP-VM-RESULT: [A-Z]* rc=[0-9]*' "$console_log" | tail -n 1 || true)"
if [ -z "$result" ]; then
  echo "boot-vm: FAIL: the guest reported no result (kernel panic or crash?)"
  exit 1
fi
echo "boot-vm: $result"
exit "${result##*rc=}"
