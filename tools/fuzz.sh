#!/usr/bin/env bash
# Fuzzes hwsnap's device-data parsers with libFuzzer: the SCSI parsers
# (tests/scsi/fuzz/, scsi_*_fuzzer), the NVMe parsers (tests/nvme/fuzz/,
# nvme_*_fuzzer) and the catalog journal loader (tests/core/fuzz/,
# catalog_load_fuzzer; seeds in tests/core/fuzz/corpus). Configures a Clang build of its own (build/fuzz,
# HWSNAP_BUILD_FUZZERS=ON, libraries instrumented with
# -fsanitize=fuzzer-no-link,address,undefined), builds the fuzzers, seeds each
# family's corpus with its fixtures (tests/scsi/fixtures/**/*.hex as bytes,
# tests/nvme/fixtures/**/*.bin and *.txt as they are), and runs each fuzzer
# for a bounded time. Exits non-zero when a fuzzer finds a crash, a leak,
# undefined behaviour, a broken invariant or a failure without an hwsnap
# domain code (the reproducer is left in the fuzzer's artifact directory and
# named in the output).
#
#   tools/fuzz.sh                          # every fuzzer, 20 s each
#   HWSNAP_FUZZ_SECONDS=300 tools/fuzz.sh nvme
#   tools/fuzz.sh scsi_vpd nvme_identity   # only these fuzzers
#
# Arguments: fuzzer names without the _fuzzer suffix, or a family ("scsi",
# "nvme", "catalog"). Environment: HWSNAP_FUZZ_SECONDS (per fuzzer, default 20),
# HWSNAP_FUZZ_BUILD_DIR (default build/fuzz), HWSNAP_JOBS (build jobs,
# default 2), CXX_FUZZ (default clang++).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${HWSNAP_FUZZ_BUILD_DIR:-${REPO}/build/fuzz}"
SECONDS_EACH="${HWSNAP_FUZZ_SECONDS:-20}"
JOBS="${HWSNAP_JOBS:-2}"
CXX_FUZZ="${CXX_FUZZ:-clang++}"
SCSI_FUZZERS=(scsi_inquiry scsi_vpd scsi_sense scsi_read_capacity scsi_report_luns scsi_cdb scsi_identity scsi_lun_reader)
CATALOG_FUZZERS=(catalog_load)
NVME_FUZZERS=(nvme_identify_ctrl nvme_identify_ns nvme_ns_descriptors nvme_id_lists nvme_identity nvme_identity_mapping_text)

FUZZERS=()
if [ "$#" -eq 0 ]; then set -- scsi nvme catalog; fi
for arg in "$@"; do
  case "${arg}" in
    scsi) FUZZERS+=("${SCSI_FUZZERS[@]}") ;;
    nvme) FUZZERS+=("${NVME_FUZZERS[@]}") ;;
    catalog) FUZZERS+=("${CATALOG_FUZZERS[@]}") ;;
    scsi_* | nvme_* | catalog_*) FUZZERS+=("${arg%_fuzzer}") ;;
    *) printf 'fuzz: unknown fuzzer %s (names start with scsi_, nvme_ or catalog_)\n' "${arg}" >&2; exit 2 ;;
  esac
done

log() { printf 'fuzz: %s\n' "$*"; }

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
for f in "${FUZZERS[@]}"; do targets+=("${f}_fuzzer"); done
log "build ${targets[*]}"
cmake --build "${BUILD_DIR}" --target "${targets[@]}" -j "${JOBS}"

# Seed corpora, one per family: every fixture's bytes as one file.
SEED_ROOT="${BUILD_DIR}/fuzz-seeds"
rm -rf "${SEED_ROOT}"
mkdir -p "${SEED_ROOT}/scsi" "${SEED_ROOT}/nvme" "${SEED_ROOT}/catalog"
while IFS= read -r -d '' hex; do
  name="$(echo "${hex#"${REPO}/tests/scsi/fixtures/"}" | tr '/' '_')"
  # hex text -> bytes with bash's printf (\xHH), no xxd needed
  escaped="$(grep -v '^[[:space:]]*#' "${hex}" | tr -s ' \t\r\n' '\n' | sed -n 's/^\([0-9a-fA-F][0-9a-fA-F]\)$/\\x\1/p' | tr -d '\n')"
  # shellcheck disable=SC2059  # the escapes are the format on purpose
  printf "${escaped}" >"${SEED_ROOT}/scsi/${name%.hex}.bin"
done < <(find "${REPO}/tests/scsi/fixtures" -name '*.hex' -print0)
if [ -d "${REPO}/tests/nvme/fixtures" ]; then
  while IFS= read -r -d '' file; do
    cp "${file}" "${SEED_ROOT}/nvme/$(echo "${file#"${REPO}/tests/nvme/fixtures/"}" | tr '/' '_')"
  done < <(find "${REPO}/tests/nvme/fixtures" -type f \( -name '*.bin' -o -name '*.txt' \) -print0)
fi
# Catalog journals written by catalog_journal_test (HWSNAP_WRITE_CATALOG_CORPUS).
if [ -d "${REPO}/tests/core/fuzz/corpus" ]; then
  find "${REPO}/tests/core/fuzz/corpus" -type f -name '*.hwsnap' -exec cp {} "${SEED_ROOT}/catalog/" \;
fi
log "seed inputs: $(find "${SEED_ROOT}/scsi" -type f | wc -l) SCSI, $(find "${SEED_ROOT}/nvme" -type f | wc -l) NVMe, $(find "${SEED_ROOT}/catalog" -type f | wc -l) catalog"

failed=()
for f in "${FUZZERS[@]}"; do
  family="${f%%_*}"
  bin="$(find "${BUILD_DIR}" -name "${f}_fuzzer" -type f -perm -u+x | head -n 1)"
  corpus="${BUILD_DIR}/corpus/${f}"
  artifacts="${BUILD_DIR}/artifacts/${f}/"
  mkdir -p "${corpus}" "${artifacts}"
  log "run ${f}_fuzzer for ${SECONDS_EACH} s"
  rc=0
  ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
    "${bin}" -max_total_time="${SECONDS_EACH}" -print_final_stats=1 -artifact_prefix="${artifacts}" \
      "${corpus}" "${SEED_ROOT}/${family}" >"${BUILD_DIR}/${f}_fuzzer.log" 2>&1 || rc=$?
  stats="$(grep -E '^stat::number_of_executed_units' "${BUILD_DIR}/${f}_fuzzer.log" | awk '{print $2}')"
  if [ "${rc}" -ne 0 ]; then
    log "${f}_fuzzer FAILED (exit ${rc}); log: ${BUILD_DIR}/${f}_fuzzer.log"
    grep -E 'ERROR|SUMMARY|Test unit written|without an hwsnap|invariant violated' "${BUILD_DIR}/${f}_fuzzer.log" | head -n 10 >&2 || true
    failed+=("${f}")
  else
    log "${f}_fuzzer: ok, ${stats:-?} inputs"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  log "crashes in: ${failed[*]}"
  exit 1
fi
log "all ${#FUZZERS[@]} fuzzers ran ${SECONDS_EACH} s without a crash"
