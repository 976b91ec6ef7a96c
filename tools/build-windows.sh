#!/usr/bin/env bash
# The Windows build command: installs Debian's MinGW-w64 and Wine packages
# when missing, cross-builds the Windows dependencies from Debian source
# packages into a cache (reused when present), then configures and builds
# hwsnap for 64-bit Windows: hwsnap_vss.dll, the Windows tools and the
# GoogleTest executables. tools/windows/test-windows.sh runs it, then the tests.
#
#   tools/build-windows.sh
#
# Environment: HWSNAP_WIN_CACHE (dependency and Wine cache, default
# build/windows-cache), HWSNAP_WIN_BUILD_DIR (default build/windows),
# HWSNAP_WIN_BUILD_TYPE (default RelWithDebInfo), HWSNAP_JOBS (default: every
# core), HWSNAP_WIN_CMAKE_ARGS (extra configure arguments, word-split),
# HWSNAP_WINEPREFIX (Wine prefix, default <cache>/wine; give each concurrent
# build its own).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export HWSNAP_WIN_CACHE="${HWSNAP_WIN_CACHE:-${REPO}/build/windows-cache}"
mkdir -p "${HWSNAP_WIN_CACHE}"
HWSNAP_WIN_CACHE="$(cd "${HWSNAP_WIN_CACHE}" && pwd)"
BUILD_DIR="${HWSNAP_WIN_BUILD_DIR:-${REPO}/build/windows}"
BUILD_TYPE="${HWSNAP_WIN_BUILD_TYPE:-RelWithDebInfo}"
JOBS="${HWSNAP_JOBS:-$(nproc)}"
export HWSNAP_JOBS="${JOBS}"

log() { printf 'build-windows: %s\n' "$*"; }
# Runs "$@" and reports how long it took; returns its exit status.
timed() {
  local name="$1" t0=${SECONDS} rc=0; shift
  log "${name} ..."
  "$@" || rc=$?
  if [ "${rc}" -ne 0 ]; then
    log "${name}: FAILED (exit ${rc}) after $((SECONDS - t0)) s"
    return "${rc}"
  fi
  log "${name}: done in $((SECONDS - t0)) s"
}

total_t0=${SECONDS}
timed "packages" "${REPO}/tools/windows/setup-mingw.sh"
timed "dependencies" "${REPO}/tools/windows/build-deps.sh"

# One private Wine prefix for the build (gtest discovery) and the tests;
# never ~/.wine. WINEDEBUG=-all keeps Wine's diagnostics out of test output.
export WINEPREFIX="${HWSNAP_WINEPREFIX:-${HWSNAP_WIN_CACHE}/wine}"
export WINEDEBUG=-all
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY

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
