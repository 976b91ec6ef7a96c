#!/usr/bin/env bash
# Boots the hwsnap test VM once and returns the guest payload's status.
#
# Why: one place knows the QEMU command line (TCG, the Debian cloud kernel,
# virtio-scsi with a QEMU scsi-hd carrying a known wwn= and serial=, and an
# NVMe subsystem with one controller and 33 namespaces of known identity),
# the timeout and how the result comes back, so the test runners and the
# fixture captures of both backends (SCSI, NVMe) boot the same machine.
#
# NVMe (QEMU 7.2 nvme-subsys + nvme + nvme-ns): subsystem NVME_NQN, one
# controller NVME_SERIAL; namespaces are 1 MiB sparse raw files with 512-byte
# blocks: nsid 1-4 sources and 5 scratch (attached), 6-33 a pool of detached
# namespaces (detached=true) that tests attach/detach at runtime. nsid N has
# eui64 0x00c0ffee000000NN and uuid 6e766d65-0000-4000-8000-0000000000NN
# (NN = N as two hex digits; QEMU 7.2 cannot set an NGUID).
#
# The guest's console (ttyS0) is streamed to stdout and kept in the log file;
# the guest's second serial port (ttyS1) is written to RESULTS (a clean data
# channel, e.g. captured fixture files). The payload's status comes from the
# line "HWSNAP-VM-RESULT: PASS|FAIL rc=N" printed by the guest's /init.
# The QEMU disk's identity and the NVMe layout reach the guest as environment
# variables through the kernel command line (hwsnap_qemu_wwn,
# hwsnap_qemu_serial, hwsnap_nvme_*; guest/setup-nvme.sh exports them as
# HWSNAP_NVME_*).
#
# Usage: tools/vm/boot-vm.sh -i INITRD [-r RESULTS] [-l CONSOLE_LOG] [-t SECONDS]
# Exit: the payload's status; 124 on timeout; 77 when qemu is unavailable;
# 1 when the guest never reported a result.
set -euo pipefail

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# The identity given to the QEMU scsi-hd (NAA 5 + vendor serial number).
QEMU_WWN=0x5000c0ffee00d15c
QEMU_SERIAL=HWSNAP-QEMU-01
# The NVMe subsystem (see above). NN in the templates = the nsid, 2 hex digits.
NVME_NQN=nqn.2026-12.invalid.hwsnap:subsys0
NVME_SERIAL=HWSNAP-NVME-01
NVME_SOURCES=1-4 NVME_SCRATCH=5 NVME_POOL=6-33
NVME_EUI64_TEMPLATE=00c0ffee000000NN
NVME_UUID_TEMPLATE=6e766d65-0000-4000-8000-0000000000NN
NVME_NAMESPACES="${NVME_POOL#*-}"  # the pool ends the nsid range

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
nvme_args=(-device "nvme-subsys,id=nvmesubsys0,nqn=$NVME_NQN"
           -device "nvme,id=nvme0,serial=$NVME_SERIAL,subsys=nvmesubsys0")
for nsid in $(seq 1 "$NVME_NAMESPACES"); do
  nn="$(printf '%02x' "$nsid")"
  truncate -s 1M "$work/nvme-ns$nsid.img"
  detached=""
  [ "$nsid" -lt "${NVME_POOL%-*}" ] || detached=",detached=true"
  nvme_args+=(-drive "file=$work/nvme-ns$nsid.img,if=none,format=raw,id=nvmens$nsid"
              -device "nvme-ns,drive=nvmens$nsid,bus=nvme0,nsid=$nsid,logical_block_size=512,physical_block_size=512,eui64=0x${NVME_EUI64_TEMPLATE%NN}$nn,uuid=${NVME_UUID_TEMPLATE%NN}$nn$detached")
done
[ -n "$results" ] || results="$work/results.txt"
[ -n "$console_log" ] || console_log="$work/console.log"
: >"$results"

start_ns=$(date +%s%N)
set +e
timeout -k 10 "$timeout_s" qemu-system-x86_64 \
  -accel tcg -m 512 -smp 2 -nographic -no-reboot \
  -kernel "$KERNEL_IMAGE" -initrd "$initrd" \
  -append "console=ttyS0 quiet panic=-1 hwsnap_qemu_wwn=$QEMU_WWN hwsnap_qemu_serial=$QEMU_SERIAL \
hwsnap_nvme_nqn=$NVME_NQN hwsnap_nvme_serial=$NVME_SERIAL hwsnap_nvme_sources=$NVME_SOURCES \
hwsnap_nvme_scratch=$NVME_SCRATCH hwsnap_nvme_pool=$NVME_POOL \
hwsnap_nvme_eui64=$NVME_EUI64_TEMPLATE hwsnap_nvme_uuid=$NVME_UUID_TEMPLATE" \
  -nic none -serial mon:stdio -serial "file:$results" \
  -device virtio-scsi-pci,id=scsi0 \
  -drive "file=$work/qemu-disk.img,if=none,format=raw,id=qdisk0" \
  -device "scsi-hd,drive=qdisk0,bus=scsi0.0,wwn=$QEMU_WWN,serial=$QEMU_SERIAL" \
  "${nvme_args[@]}" \
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
