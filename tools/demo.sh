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
#   3. durability (mock): a set completed by one process with a durable
#      catalog and array, a second process that finds it after the "restart",
#      lists it and reclaims the targets whose OnLunEmpty never came.
# HWSNAP_DEMO_BACKEND=mock, =scsi or =catalog runs only that one.
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
if [ "${which}" = all ] || [ "${which}" = catalog ]; then
  echo "=== durability: a catalog and array that outlive the process (mock) ==="
  state="$(mktemp -d)"
  trap 'rm -rf "${state}"' EXIT
  durable=(--catalog="${state}/catalog.hwsnap" --backend-option=state-dir="${state}/array")
  echo "--- process 1: a complete set of 4 LUNs whose OnLunEmpty never comes (--keep)"
  "${hwsnapctl}" simulate --backend=mock --luns=4 --keep "${durable[@]}"
  echo "--- process 2: what the catalog holds after the restart"
  "${hwsnapctl}" catalog list --catalog="${state}/catalog.hwsnap"
  "${hwsnapctl}" catalog verify --catalog="${state}/catalog.hwsnap"
  echo "--- process 3: reclaim (dry run, then for real)"
  "${hwsnapctl}" catalog reclaim --dry-run --backend=mock "${durable[@]}"
  "${hwsnapctl}" catalog reclaim --backend=mock "${durable[@]}"
  "${hwsnapctl}" catalog list --catalog="${state}/catalog.hwsnap"
fi
