#!/usr/bin/env bash
# The main job (README "Set-up"): installs what is missing, builds hwsnapctl,
# and runs a complete simulated VSS snapshot sequence for 64 LUNs against the
# mock backend, printing every call with its duration and result.
# Extra arguments go to `hwsnapctl simulate`, e.g.
#   tools/demo.sh --abort-after=end-prepare
#   tools/demo.sh --prepare-latency=2s --abort-delay=500ms
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh
cmake --preset default >/dev/null
cmake --build --preset default -j "$(nproc)" --target hwsnapctl
exec build/default/tools/hwsnapctl/hwsnapctl simulate --backend=mock --luns=64 "$@"
