#!/usr/bin/env bash
# The one test command (README "Set-up", and what .ci/run calls): installs
# what is missing, builds, and runs every test with CTest — the plain build,
# then the whole suite under AddressSanitizer+UBSan, then the concurrency
# suites under ThreadSanitizer. Exits non-zero if anything fails.
#
#   tools/test.sh                  # everything
#   HWSNAP_SANITIZERS=0 tools/test.sh   # plain build only (quick local loop)
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
if [ "${HWSNAP_SANITIZERS:-1}" != "0" ]; then
  run_preset asan
  run_preset tsan
fi
echo "=== all test presets passed ==="
