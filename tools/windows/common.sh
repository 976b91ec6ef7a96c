# Shared by tools/build-windows.sh and tools/windows/test-windows.sh (sourced,
# not run): the settings both read from the environment, the Wine
# environment, and the log/timed helpers. Set LOG_NAME and REPO first.
#
# Environment: HWSNAP_WIN_CACHE (dependency and Wine cache, default
# build/windows-cache), HWSNAP_WIN_BUILD_DIR (default build/windows),
# HWSNAP_WIN_BUILD_TYPE (default RelWithDebInfo), HWSNAP_JOBS (default: every
# core), HWSNAP_WIN_CMAKE_ARGS (extra configure arguments, word-split),
# HWSNAP_WINEPREFIX (Wine prefix, default <cache>/wine; give each concurrent
# build its own).

export HWSNAP_WIN_CACHE="${HWSNAP_WIN_CACHE:-${REPO}/build/windows-cache}"
mkdir -p "${HWSNAP_WIN_CACHE}"
HWSNAP_WIN_CACHE="$(cd "${HWSNAP_WIN_CACHE}" && pwd)"
BUILD_DIR="${HWSNAP_WIN_BUILD_DIR:-${REPO}/build/windows}"
BUILD_TYPE="${HWSNAP_WIN_BUILD_TYPE:-RelWithDebInfo}"
JOBS="${HWSNAP_JOBS:-$(nproc)}"
export HWSNAP_JOBS="${JOBS}"

# One private Wine prefix for the build (gtest discovery) and the tests;
# never ~/.wine. WINEDEBUG=-all keeps Wine's diagnostics out of test output.
export WINEPREFIX="${HWSNAP_WINEPREFIX:-${HWSNAP_WIN_CACHE}/wine}"
export WINEDEBUG=-all
export WINEARCH=win64
unset DISPLAY WAYLAND_DISPLAY

log() { printf '%s: %s\n' "${LOG_NAME}" "$*"; }
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
