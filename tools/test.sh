#!/usr/bin/env bash
# The one test command (README "Set-up", and what .ci/run calls): installs
# what is missing, builds, and runs every test with CTest — the plain build,
# then the whole suite under AddressSanitizer+UBSan, then the concurrency
# suites under ThreadSanitizer, then libFuzzer runs of the untrusted-input
# parsers (corpus replay, then bounded runs; tools/fuzz.sh), then the same
# suites cross-built for Windows with MinGW and run under Wine. The default
# preset includes the SCSI backend's tiers: tests against private tgt iSCSI
# targets on 127.0.0.1 (label "tgt") and the QEMU test VM (label "vm"). Exits
# non-zero if anything fails.
#
#   tools/test.sh                       # everything
#   HWSNAP_SANITIZERS=0 tools/test.sh   # skip the ASan/TSan builds
#   HWSNAP_FUZZ=0 tools/test.sh         # skip the fuzzers (HWSNAP_FUZZ_SECONDS: per fuzzer, default 10)
#   HWSNAP_WINDOWS=0 tools/test.sh      # skip the Windows cross-build
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh

JOBS="${HWSNAP_JOBS:-$(nproc)}"
# run_preset PRESET [TARGET]: configure, build (everything, or TARGET only),
# and run the preset's tests.
run_preset() {
  local preset="$1" target="${2:-}"
  echo "=== preset ${preset}: configure, build${target:+ ${target}}, test ==="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${JOBS}" ${target:+--target "${target}"}
  ctest --preset "${preset}" -j "${JOBS}"
}

run_preset default
tools/test-example-backend.sh  # the out-of-tree example backend, against an install of the default build
if [ "${HWSNAP_SANITIZERS:-1}" != "0" ]; then
  run_preset asan
  run_preset tsan hwsnap_concurrency_tests  # the tsan preset runs only label "concurrency"
fi
if [ "${HWSNAP_FUZZ:-1}" != "0" ]; then
  echo "=== fuzzing: replay seeds and regressions, then SCSI/NVMe parsers, catalog loader, GUIDs, VDS LUN checks (libFuzzer) ==="
  HWSNAP_FUZZ_SECONDS="${HWSNAP_FUZZ_SECONDS:-10}" HWSNAP_JOBS="${JOBS}" tools/fuzz.sh
fi
if [ "${HWSNAP_WINDOWS:-1}" != "0" ]; then
  echo "=== Windows: MinGW cross-build, tests under Wine ==="
  bash tools/windows/test-windows.sh
fi
echo "=== all test stages passed ==="
