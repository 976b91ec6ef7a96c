#!/usr/bin/env bash
# The one test command (README "Set-up", and what .ci/run calls): installs
# what is missing, builds, and runs every test with CTest — the plain build,
# then the whole suite under AddressSanitizer+UBSan, then the concurrency
# suites under ThreadSanitizer, then the same core and mock suites cross-built
# for Windows with MinGW and run under Wine. Exits non-zero if anything fails.
#
#   tools/test.sh                       # everything
#   HWSNAP_SANITIZERS=0 tools/test.sh   # skip the ASan/TSan builds
#   HWSNAP_WINDOWS=0 tools/test.sh      # skip the Windows cross-build
set -euo pipefail
cd "$(dirname "$0")/.."

tools/setup.sh

JOBS="${HWSNAP_JOBS:-$(nproc)}"
run_preset() {
  local preset="$1"
  echo "=== preset ${preset}: configure, build, test ==="
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" -j "${JOBS}"
  ctest --preset "${preset}" -j "${JOBS}"
}

run_preset default
tools/test-example-backend.sh  # the out-of-tree example backend, against an install of the default build
if [ "${HWSNAP_SANITIZERS:-1}" != "0" ]; then
  run_preset asan
  run_preset tsan
fi
if [ "${HWSNAP_WINDOWS:-1}" != "0" ]; then
  echo "=== Windows: MinGW cross-build, tests under Wine ==="
  bash tools/windows/test-windows.sh
fi
echo "=== all test stages passed ==="
