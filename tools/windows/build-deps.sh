#!/usr/bin/env bash
# Cross-builds hwsnap's third-party dependencies for 64-bit Windows (MinGW-w64,
# posix threads, static libraries) from Debian's own SOURCE packages:
#
#   abseil  googletest  fmtlib  spdlog (external fmt)  boost1.74 (thread, chrono, date_time)
#
# Nothing is downloaded from anywhere but the Debian archive the host already
# uses: a private apt configuration (APT_CONFIG) turns the host's Debian
# `deb` entries into `deb-src` entries without touching /etc.
#
# Layout of the cache (default build/windows-cache in the repository,
# override with HWSNAP_WIN_CACHE):
#   apt/      private apt configuration, source indexes, downloads
#   src/      unpacked Debian source packages, one folder per package
#   build/    out-of-tree build folders
#   prefix/   the install prefix the toolchain file searches (CMake packages, headers, .a)
#   stamps/   one stamp per dependency: its Debian version and a hash of its recipe
#
# Incremental: a dependency whose stamp matches (same Debian version, same
# recipe, same toolchain file, same compiler) is skipped, so a second run
# takes seconds and needs no network. Delete a stamp (or set
# HWSNAP_WIN_REBUILD="fmtlib spdlog", or "all") to rebuild; set
# HWSNAP_WIN_REFETCH=1 to ask the archive for newer source versions.
#
# Environment: HWSNAP_WIN_CACHE (cache folder), HWSNAP_JOBS (parallel jobs,
# default: every core). Run as root or as a user who can write the cache;
# packages come from tools/windows/setup-mingw.sh.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
CACHE="${HWSNAP_WIN_CACHE:-${REPO}/build/windows-cache}"
mkdir -p "${CACHE}"
CACHE="$(cd "${CACHE}" && pwd)"
PREFIX="${CACHE}/prefix"
TOOLCHAIN="${REPO}/cmake/toolchains/mingw-w64-x86_64.cmake"
JOBS="${HWSNAP_JOBS:-$(nproc)}"
TRIPLE=x86_64-w64-mingw32
CXX_WIN="${TRIPLE}-g++-posix"
CC_WIN="${TRIPLE}-gcc-posix"

# Debian source package -> the recipe that builds it. Order matters (spdlog needs fmt).
DEPS=(abseil googletest fmtlib spdlog boost1.74)

log() { printf 'build-deps: %s\n' "$*"; }
die() { printf 'build-deps: error: %s\n' "$*" >&2; exit 1; }

# Runs "$@" quietly with its output in a log file; prints the duration, or the
# log's tail on failure.
step() {
  local name="$1"; shift
  local logfile="${CACHE}/logs/${name//[^A-Za-z0-9.+-]/_}.log"
  mkdir -p "${CACHE}/logs"
  local t0=${SECONDS}
  log "${name} ..."
  if ! "$@" >"${logfile}" 2>&1; then
    tail -n 40 "${logfile}" >&2
    die "${name} failed after $((SECONDS - t0)) s (full log: ${logfile})"
  fi
  log "${name}: done in $((SECONDS - t0)) s"
}

for tool in "${CXX_WIN}" "${CC_WIN}" cmake ninja bison g++ dpkg-source apt-get flock sha256sum; do
  command -v "${tool}" >/dev/null 2>&1 || die "${tool} not found; run tools/windows/setup-mingw.sh first"
done
[ -f "${TOOLCHAIN}" ] || die "missing ${TOOLCHAIN}"

# ---------------------------------------------------------------------------
# Private apt configuration: deb-src twins of the host's Debian entries.

APT_DIR="${CACHE}/apt"
export APT_CONFIG="${APT_DIR}/apt.conf"

# Prints deb822 stanzas (and one-line entries converted to deb822) for the
# host's Debian archive entries of this release, as Types: deb-src, main only.
debian_src_stanzas() {
  local codename
  # shellcheck source=/dev/null
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  [ -n "${codename}" ] || die "cannot tell the Debian release from /etc/os-release"
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "${f}" ] || continue
    # A paragraph is kept when it is enabled, carries deb, a suite of this
    # release (bookworm, bookworm-updates, bookworm-security) and main.
    awk -v rel="${codename}" '
      BEGIN { RS = ""; ORS = "\n\n" }
      {
        n = split($0, lines, "\n"); types = ""; suites = ""; comps = ""; enabled = "yes"; out = ""
        for (i = 1; i <= n; i++) {
          line = lines[i]
          if (line ~ /^#/) continue
          if (line ~ /^[Tt]ypes:/)      { types = line; line = "Types: deb-src" }
          if (line ~ /^[Ss]uites:/)     suites = line
          if (line ~ /^[Cc]omponents:/) { comps = line; line = "Components: main" }
          if (line ~ /^[Ee]nabled:/)    enabled = tolower(line)
          out = out line "\n"
        }
        if (types !~ /[ \t]deb([ \t]|$)/) next
        if (enabled ~ /no/) next
        if (suites !~ ("[ \t]" rel "([-/][a-z]+)?([ \t]|$)")) next
        if (comps !~ /[ \t]main([ \t]|$)/) next
        printf "%s\n", out
      }' "${f}"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "${f}" ] || continue
    # deb [options] URI suite component...
    awk -v rel="${codename}" '
      $1 != "deb" { next }
      {
        i = 2; opts = ""
        if ($2 ~ /^\[/) { while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ } opts = opts " " $i; i++ }
        uri = $i; suite = $(i + 1); main = 0
        for (j = i + 2; j <= NF; j++) if ($j == "main") main = 1
        if (!main || suite !~ ("^" rel "([-/][a-z]+)?$")) next
        signed = ""
        if (match(opts, /signed-by=[^] ]+/)) signed = "Signed-By: " substr(opts, RSTART + 10, RLENGTH - 10) "\n"
        printf "Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\n%s\n", uri, suite, signed
      }' "${f}"
  done
}

write_apt_config() {
  mkdir -p "${APT_DIR}/sources.list.d" "${APT_DIR}/lists/partial" "${APT_DIR}/cache/archives/partial"
  local stanzas
  stanzas="$(debian_src_stanzas)"
  [ -n "${stanzas}" ] || die "no Debian archive entry for this release under /etc/apt to derive deb-src entries from"
  printf '# Generated by tools/windows/build-deps.sh from the host'"'"'s Debian entries.\n%s\n' \
    "${stanzas}" >"${APT_DIR}/sources.list.d/debian-src.sources"
  cat >"${APT_CONFIG}" <<CONF
// Private apt configuration of tools/windows/build-deps.sh: only deb-src
// entries, indexes and downloads kept in the cache, /etc left alone.
Dir::Etc::SourceList "/dev/null";
Dir::Etc::SourceParts "${APT_DIR}/sources.list.d";
Dir::State::Lists "${APT_DIR}/lists";
Dir::Cache "${APT_DIR}/cache";
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
CONF
}

APT_UPDATED=0
apt_update_once() {
  [ "${APT_UPDATED}" = 1 ] && return 0
  write_apt_config
  step "apt-get update (deb-src indexes)" apt-get update -q
  APT_UPDATED=1
}

# ---------------------------------------------------------------------------
# Sources: src/<package>/<package>-<upstream version>/ plus src/<package>/VERSION
# (line 1: the Debian version, line 2: the unpacked folder's name).

src_dir() {
  local pkg="$1" version_file="${CACHE}/src/$1/VERSION"
  [ -f "${version_file}" ] || return 1
  local dir
  dir="${CACHE}/src/${pkg}/$(sed -n 2p "${version_file}")"
  [ -d "${dir}" ] || return 1
  printf '%s\n' "${dir}"
}

fetch_source() {
  local pkg="$1"
  if [ "${HWSNAP_WIN_REFETCH:-0}" != 1 ] && src_dir "${pkg}" >/dev/null; then
    return 0
  fi
  apt_update_once
  # The newest version any configured suite offers (as apt-get source picks).
  local version="" v
  for v in $(apt-cache showsrc --only-source "${pkg}" 2>/dev/null | awk '/^Version:/ { print $2 }'); do
    if [ -z "${version}" ] || dpkg --compare-versions "${v}" gt "${version}"; then version="${v}"; fi
  done
  [ -n "${version}" ] || die "no source package ${pkg} in the Debian archive"
  if [ -f "${CACHE}/src/${pkg}/VERSION" ] && [ "$(head -n 1 "${CACHE}/src/${pkg}/VERSION")" = "${version}" ] &&
     src_dir "${pkg}" >/dev/null; then
    return 0
  fi
  rm -rf "${CACHE}/src/${pkg}"
  mkdir -p "${CACHE}/src/${pkg}"
  # apt downloads as the unprivileged _apt user when that user can write here.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "${CACHE}/src/${pkg}"; fi
  (cd "${CACHE}/src/${pkg}" && step "fetch ${pkg} ${version}" apt-get source -q --only-source "${pkg}=${version}")
  # The unpacked tree is the only directory apt-get source left behind.
  local dir
  dir="$(find "${CACHE}/src/${pkg}" -mindepth 1 -maxdepth 1 -type d | head -n 1)"
  [ -n "${dir}" ] || die "apt-get source ${pkg} unpacked nothing"
  printf '%s\n%s\n' "${version}" "$(basename "${dir}")" >"${CACHE}/src/${pkg}/VERSION"
}

# ---------------------------------------------------------------------------
# Recipes. Each builds from "$SRC" into "$PREFIX" using build folder "$BLD".

COMMON_CMAKE=(
  -G Ninja
  "-DCMAKE_TOOLCHAIN_FILE=${TOOLCHAIN}"
  "-DHWSNAP_WIN_DEPS_PREFIX=${PREFIX}"
  "-DCMAKE_INSTALL_PREFIX=${PREFIX}"
  -DCMAKE_BUILD_TYPE=Release
  -DCMAKE_CXX_STANDARD=17
  -DCMAKE_CXX_STANDARD_REQUIRED=ON
  -DBUILD_SHARED_LIBS=OFF
  -DBUILD_TESTING=OFF
)

cmake_build_install() {
  local name="$1"; shift
  step "${name}: configure" cmake --fresh --no-warn-unused-cli -S "${SRC}" -B "${BLD}" "${COMMON_CMAKE[@]}" "$@"
  step "${name}: build (${JOBS} jobs)" cmake --build "${BLD}" -j "${JOBS}"
  step "${name}: install" cmake --install "${BLD}"
}

recipe_abseil() {
  # Keep Debian's options.h (its patches pin absl's own string_view/optional,
  # as the Linux build sees them), and make absl's targets require C++17.
  cmake_build_install abseil -DABSL_PROPAGATE_CXX_STD=ON -DABSL_BUILD_TESTING=OFF -DABSL_ENABLE_INSTALL=ON
}

recipe_googletest() {
  # Win32 threading primitives rather than winpthreads.
  cmake_build_install googletest -DBUILD_GMOCK=ON -DINSTALL_GTEST=ON -Dgtest_disable_pthreads=ON
}

recipe_fmtlib() {
  cmake_build_install fmtlib -DFMT_TEST=OFF -DFMT_DOC=OFF -DFMT_INSTALL=ON
}

recipe_spdlog() {
  cmake_build_install spdlog -DSPDLOG_FMT_EXTERNAL=ON -DSPDLOG_BUILD_SHARED=OFF -DSPDLOG_INSTALL=ON \
    -DSPDLOG_BUILD_EXAMPLE=OFF -DSPDLOG_BUILD_TESTS=OFF -DSPDLOG_BUILD_BENCH=OFF
}

recipe_boost1.74() {
  # Debian's tarball lacks b2's generated grammar: regenerate it with bison,
  # then build the b2 engine natively.
  local engine="${SRC}/tools/build/src/engine"
  if [ ! -x "${BLD}/b2" ]; then
    step "boost: regenerate jam grammar" \
      bash -c "cd '${SRC}/tools/build' && bison -y -d -o src/engine/jamgram.cpp src/engine/jamgram.y"
    step "boost: bootstrap b2" bash -c "cd '${engine}' && ./build.sh gcc"
    mkdir -p "${BLD}"
    cp "${engine}/b2" "${BLD}/b2"
  fi
  cat >"${BLD}/user-config.jam" <<JAM
# Generated by tools/windows/build-deps.sh
using gcc : mingw : ${CXX_WIN} :
    <archiver>${TRIPLE}-ar
    <ranlib>${TRIPLE}-ranlib
    <rc>${TRIPLE}-windres
  ;
JAM
  step "boost: b2 thread chrono date_time (${JOBS} jobs)" \
    bash -c "cd '${SRC}' && '${BLD}/b2' -j '${JOBS}' -q -d1 \
      --ignore-site-config --user-config='${BLD}/user-config.jam' \
      --build-dir='${BLD}/obj' --prefix='${PREFIX}' --layout=system \
      --with-thread --with-chrono --with-date_time \
      toolset=gcc-mingw target-os=windows threadapi=win32 threading=multi \
      architecture=x86 address-model=64 binary-format=pe abi=ms \
      link=static runtime-link=static variant=release cxxstd=17 \
      install"
}

# ---------------------------------------------------------------------------
# The stamp key: the Debian version, this dependency's recipe, the toolchain
# file, the compiler, and the keys of what it builds on.

declare -A KEY
compute_key() {
  local pkg="$1" extra=""
  [ "${pkg}" = spdlog ] && extra="${KEY[fmtlib]}"
  {
    head -n 1 "${CACHE}/src/${pkg}/VERSION"
    declare -f "recipe_${pkg}" cmake_build_install
    # The toolchain file counts by content, not by path: another checkout
    # with the same recipes reuses the cache.
    printf '%s\n' "${COMMON_CMAKE[@]}" "${extra}" | sed "s#${TOOLCHAIN}#<toolchain>#g"
    cat "${TOOLCHAIN}"
    "${CXX_WIN}" --version | head -n 1
  } | sha256sum | cut -c1-16
}

# One run at a time per cache.
exec 9>"${CACHE}/.build-deps.lock"
if ! flock -n 9; then
  log "another build-deps.sh is using ${CACHE}; waiting"
  flock 9
fi

total_t0=${SECONDS}
log "cache ${CACHE}, prefix ${PREFIX}, ${JOBS} jobs"
mkdir -p "${CACHE}/stamps" "${PREFIX}"
built=0
for pkg in "${DEPS[@]}"; do
  fetch_source "${pkg}"
  KEY[${pkg}]="$(compute_key "${pkg}")"
  stamp="${CACHE}/stamps/${pkg}.stamp"
  version="$(head -n 1 "${CACHE}/src/${pkg}/VERSION")"
  if [[ " ${HWSNAP_WIN_REBUILD:-} " != *" ${pkg} "* && "${HWSNAP_WIN_REBUILD:-}" != all ]] &&
     [ -f "${stamp}" ] && [ "$(cat "${stamp}")" = "${KEY[${pkg}]}" ]; then
    log "${pkg} ${version}: up to date"
    continue
  fi
  SRC="$(src_dir "${pkg}")"
  BLD="${CACHE}/build/${pkg}"
  t0=${SECONDS}
  log "${pkg} ${version}: building"
  # A changed recipe or version starts from an empty build folder; a run that
  # was interrupted (no stamp) resumes in the one it left.
  [ -f "${stamp}" ] && rm -rf "${BLD}"
  rm -f "${stamp}"
  "recipe_${pkg}"
  printf '%s\n' "${KEY[${pkg}]}" >"${stamp}"
  log "${pkg} ${version}: built in $((SECONDS - t0)) s"
  built=$((built + 1))
done
log "${built} built, $(( ${#DEPS[@]} - built )) up to date, total $((SECONDS - total_t0)) s"
