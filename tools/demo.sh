#!/usr/bin/env bash
# The main job (README "Set-up"): installs what is missing, builds hwsnapctl,
# and runs a complete simulated VSS snapshot sequence, printing every call
# with its duration and result:
#   1. 64 LUNs against the mock backend;
#   2. 8 LUNs against the SCSI backend on a real SCSI target: a private tgt
#      iSCSI target on 127.0.0.1 with file-backed LUNs, snapshots made by the
#      tgt strategy and read back over iSCSI (needs root for tgtd; skipped,
#      with the reason, otherwise).
# Extra arguments go to both `hwsnapctl simulate` runs, e.g.
#   tools/demo.sh --abort-after=end-prepare
#   tools/demo.sh --fault=prepare:hang --abort-delay=500ms
# HWSNAP_DEMO_BACKEND=mock or =scsi runs only that one.
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target hwsnapctl
hwsnapctl=build/default/tools/hwsnapctl/hwsnapctl
which="${HWSNAP_DEMO_BACKEND:-all}"

if [ "${which}" = all ] || [ "${which}" = mock ]; then
  echo "=== mock backend: 64 LUNs ==="
  "${hwsnapctl}" simulate --backend=mock --luns=64 "$@"
fi
if [ "${which}" = all ] || [ "${which}" = scsi ]; then
  echo "=== SCSI backend on a real tgt iSCSI target (127.0.0.1): 8 LUNs ==="
  if [ "$(id -u)" -ne 0 ]; then
    echo "skipped: tgtd needs root (run as root, or HWSNAP_DEMO_BACKEND=mock)"
  else
    "${hwsnapctl}" simulate --backend=scsi --backend-option=tgt-sandbox=true --luns=8 "$@"
  fi
fi
