#!/usr/bin/env bash
# The Windows build command: installs Debian's MinGW-w64 and Wine packages
# when missing, cross-builds the Windows dependencies from Debian source
# packages into a cache (reused when present), then configures and builds
# hwsnap for 64-bit Windows: hwsnap_vss.dll, the Windows tools and the
# GoogleTest executables. tools/windows/test-windows.sh runs it, then the tests.
#
#   tools/build-windows.sh
#
# Environment: HWSNAP_WIN_CACHE, HWSNAP_WIN_BUILD_DIR, HWSNAP_WIN_BUILD_TYPE,
# HWSNAP_JOBS, HWSNAP_WIN_CMAKE_ARGS, HWSNAP_WINEPREFIX (see
# tools/windows/common.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOG_NAME=build-windows
# shellcheck source=tools/windows/common.sh
source "${REPO}/tools/windows/common.sh"

total_t0=${SECONDS}
timed "packages" "${REPO}/tools/windows/setup-mingw.sh"
timed "dependencies" "${REPO}/tools/windows/build-deps.sh"

# shellcheck disable=SC2086  # HWSNAP_WIN_CMAKE_ARGS is word-split on purpose
timed "configure ${BUILD_DIR}" cmake -S "${REPO}" -B "${BUILD_DIR}" -G Ninja \
  -DCMAKE_TOOLCHAIN_FILE="${REPO}/cmake/toolchains/mingw-w64-x86_64.cmake" \
  -DHWSNAP_WIN_DEPS_PREFIX="${HWSNAP_WIN_CACHE}/prefix" \
  -DHWSNAP_WINEPREFIX="${WINEPREFIX}" \
  -DCMAKE_BUILD_TYPE="${BUILD_TYPE}" \
  -DHWSNAP_BUILD_TOOLS=OFF \
  ${HWSNAP_WIN_CMAKE_ARGS:-}
timed "build (${JOBS} jobs)" cmake --build "${BUILD_DIR}" -j "${JOBS}"

# The Wine prefix is created once (a few seconds; the syswow64/rundll32
# complaint there is harmless: Debian's wine64 has no 32-bit half). Mono and
# Gecko are not wanted: tests are native code.
wine_init() {
  WINEDLLOVERRIDES="mscoree,mshtml=" wine wineboot --init >"${HWSNAP_WIN_CACHE}/wineboot.log" 2>&1 || {
    tail -n 20 "${HWSNAP_WIN_CACHE}/wineboot.log" >&2
    return 1
  }
  wineserver -w
}
if [ ! -f "${WINEPREFIX}/system.reg" ]; then
  timed "create Wine prefix ${WINEPREFIX}" wine_init
fi
log "built in $((SECONDS - total_t0)) s"
