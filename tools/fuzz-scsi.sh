#!/usr/bin/env bash
# Fuzzes the SCSI parsers with libFuzzer: configures a Clang build of its own
# (build/fuzz, HWSNAP_BUILD_FUZZERS=ON, libraries instrumented with
# -fsanitize=fuzzer-no-link,address,undefined), builds the scsi_*_fuzzer
# targets (tests/scsi/fuzz/), seeds each corpus with every fixture under
# tests/scsi/fixtures, and runs each fuzzer for a bounded time. Exits
# non-zero when a fuzzer finds a crash, a leak, undefined behaviour or a
# failure without an hwsnap domain code (the reproducer is left in the
# fuzzer's artifact directory and named in the output).
#
#   tools/fuzz-scsi.sh                 # 20 s per fuzzer
#   HWSNAP_FUZZ_SECONDS=300 tools/fuzz-scsi.sh
#   tools/fuzz-scsi.sh vpd sense       # only these fuzzers
#
# Environment: HWSNAP_FUZZ_SECONDS (per fuzzer, default 20),
# HWSNAP_FUZZ_BUILD_DIR (default build/fuzz), HWSNAP_JOBS (build jobs,
# default 2), CXX_FUZZ (default clang++).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${HWSNAP_FUZZ_BUILD_DIR:-${REPO}/build/fuzz}"
SECONDS_EACH="${HWSNAP_FUZZ_SECONDS:-20}"
JOBS="${HWSNAP_JOBS:-2}"
CXX_FUZZ="${CXX_FUZZ:-clang++}"
ALL_FUZZERS=(inquiry vpd sense read_capacity report_luns cdb identity lun_reader)
if [ "$#" -gt 0 ]; then FUZZERS=("$@"); else FUZZERS=("${ALL_FUZZERS[@]}"); fi

log() { printf 'fuzz-scsi: %s\n' "$*"; }

if ! command -v "${CXX_FUZZ}" >/dev/null; then
  log "${CXX_FUZZ} not found; install clang and libclang-rt-dev (libFuzzer)" >&2
  exit 2
fi

log "configure ${BUILD_DIR} with ${CXX_FUZZ}"
mkdir -p "${BUILD_DIR}"
cmake -S "${REPO}" -B "${BUILD_DIR}" -G Ninja \
  -DCMAKE_CXX_COMPILER="${CXX_FUZZ}" \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_CXX_FLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
  -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
  -DHWSNAP_BUILD_FUZZERS=ON -DHWSNAP_BUILD_TOOLS=OFF -DHWSNAP_WERROR=OFF >"${BUILD_DIR}/configure.log" 2>&1 || {
  tail -n 30 "${BUILD_DIR}/configure.log" >&2
  exit 1
}
targets=()
for f in "${FUZZERS[@]}"; do targets+=("scsi_${f}_fuzzer"); done
log "build ${targets[*]}"
cmake --build "${BUILD_DIR}" --target "${targets[@]}" -j "${JOBS}"

# Seed corpus: every fixture's bytes as one binary file.
SEED_DIR="${BUILD_DIR}/fuzz-seeds"
rm -rf "${SEED_DIR}"
mkdir -p "${SEED_DIR}"
while IFS= read -r -d '' hex; do
  name="$(echo "${hex#"${REPO}/tests/scsi/fixtures/"}" | tr '/' '_')"
  # hex text -> bytes with bash's printf (\xHH), no xxd needed
  escaped="$(grep -v '^[[:space:]]*#' "${hex}" | tr -s ' \t\r\n' '\n' | sed -n 's/^\([0-9a-fA-F][0-9a-fA-F]\)$/\\x\1/p' | tr -d '\n')"
  # shellcheck disable=SC2059  # the escapes are the format on purpose
  printf "${escaped}" >"${SEED_DIR}/${name%.hex}.bin"
done < <(find "${REPO}/tests/scsi/fixtures" -name '*.hex' -print0)
log "$(find "${SEED_DIR}" -type f | wc -l) seed inputs from tests/scsi/fixtures"

failed=()
for f in "${FUZZERS[@]}"; do
  bin="$(find "${BUILD_DIR}" -name "scsi_${f}_fuzzer" -type f -perm -u+x | head -n 1)"
  corpus="${BUILD_DIR}/corpus/${f}"
  artifacts="${BUILD_DIR}/artifacts/${f}/"
  mkdir -p "${corpus}" "${artifacts}"
  log "run scsi_${f}_fuzzer for ${SECONDS_EACH} s"
  rc=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "${bin}" -max_total_time="${SECONDS_EACH}" -print_final_stats=1 -artifact_prefix="${artifacts}" \
      "${corpus}" "${SEED_DIR}" >"${BUILD_DIR}/scsi_${f}_fuzzer.log" 2>&1 || rc=$?
  stats="$(grep -E '^stat::number_of_executed_units' "${BUILD_DIR}/scsi_${f}_fuzzer.log" | awk '{print $2}')"
  if [ "${rc}" -ne 0 ]; then
    log "scsi_${f}_fuzzer FAILED (exit ${rc}); log: ${BUILD_DIR}/scsi_${f}_fuzzer.log"
    grep -E 'ERROR|SUMMARY|Test unit written|without an hwsnap' "${BUILD_DIR}/scsi_${f}_fuzzer.log" | head -n 10 >&2 || true
    failed+=("${f}")
  else
    log "scsi_${f}_fuzzer: ok, ${stats:-?} inputs"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  log "crashes in: ${failed[*]}"
  exit 1
fi
log "all ${#FUZZERS[@]} fuzzers ran ${SECONDS_EACH} s without a crash"
