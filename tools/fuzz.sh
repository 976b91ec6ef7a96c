#!/usr/bin/env bash
# Fuzzes hwsnap's untrusted-input parsers with libFuzzer. Families (the name
# prefix of each fuzzer):
#   scsi_*     SCSI device data: INQUIRY, VPD 0x80/0x83/..., sense, ... (tests/scsi/fuzz/)
#   nvme_*     NVMe Identify Controller/Namespace, descriptor lists, ... (tests/nvme/fuzz/)
#   catalog_*  the catalog journal loader (tests/core/fuzz/, seeds in corpus/)
#   core_*     core text formats: GUID parsing (tests/core/fuzz/, seeds in guid_corpus/)
#   adapter_*  the Windows adapter's platform-neutral VDS_LUN_INFORMATION
#              checks (tests/adapters/fuzz/, seeds in corpus/)
# ("core" selects core_* and catalog_*, the fuzzers of tests/core/fuzz/.)
#
# Configures a Clang build of its own (build/fuzz, HWSNAP_BUILD_FUZZERS=ON,
# libraries instrumented with -fsanitize=fuzzer-no-link,address,undefined) and
# builds the fuzzers. Then, in order:
#   1. replay: runs each fuzzer once over every seed input of its family
#      (tests/scsi/fixtures/**/*.hex as bytes, tests/nvme/fixtures/**/*.bin
#      and *.txt, the in-tree corpora above) and every regression input in
#      tests/*/fuzz/regressions/<fuzzer>/ (e.g. regressions/scsi_vpd/), no
#      mutation; any crash fails. Seconds, not minutes.
#   2. fuzz: runs each fuzzer for a bounded time (the growing corpus is kept in
#      build/fuzz/corpus/<fuzzer>/ between runs) and prints a summary table:
#      fuzzer, seconds, executions, exec/s, corpus size, result.
# Exits non-zero when a fuzzer finds a crash, a leak, undefined behaviour, a
# broken invariant or a failure without an hwsnap domain code; the reproducer
# is left in build/fuzz/artifacts/<fuzzer>/ and named in the output (replay it
# with `build/fuzz/.../<fuzzer>_fuzzer FILE`; docs/testing.md).
#
#   tools/fuzz.sh                          # CI: replay + every fuzzer 20 s
#   tools/fuzz.sh --replay                 # replay only (seeds + regressions)
#   tools/fuzz.sh --long                   # every fuzzer 600 s (HWSNAP_FUZZ_SECONDS)
#   tools/fuzz.sh --long scsi_vpd:900 core_guid:120   # per-fuzzer seconds
#   HWSNAP_FUZZ_SECONDS=300 tools/fuzz.sh nvme
#   tools/fuzz.sh scsi_vpd nvme_identity   # only these fuzzers
#
# Arguments: fuzzer names without the _fuzzer suffix or a family ("scsi",
# "nvme", "catalog", "core", "adapter"), each optionally followed by
# ":SECONDS". Environment: HWSNAP_FUZZ_SECONDS (per fuzzer; default 20, with
# --long 600), HWSNAP_FUZZ_RUNS (stop a fuzzer after this many executions,
# default unlimited), HWSNAP_FUZZ_PARALLEL (fuzzers run at once, default 1),
# HWSNAP_FUZZ_SUMMARY (also write the summary table to this file),
# HWSNAP_FUZZ_BUILD_DIR (default build/fuzz), HWSNAP_JOBS (build jobs,
# default 2), CXX_FUZZ (default clang++).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD_DIR="${HWSNAP_FUZZ_BUILD_DIR:-${REPO}/build/fuzz}"
JOBS="${HWSNAP_JOBS:-2}"
CXX_FUZZ="${CXX_FUZZ:-clang++}"
RUNS="${HWSNAP_FUZZ_RUNS:--1}"
PARALLEL="${HWSNAP_FUZZ_PARALLEL:-1}"
SUMMARY_FILE="${HWSNAP_FUZZ_SUMMARY:-}"
SCSI_FUZZERS=(scsi_inquiry scsi_vpd scsi_sense scsi_read_capacity scsi_report_luns scsi_cdb scsi_identity scsi_lun_reader)
NVME_FUZZERS=(nvme_identify_ctrl nvme_identify_ns nvme_ns_descriptors nvme_id_lists nvme_identity nvme_identity_mapping_text)
CATALOG_FUZZERS=(catalog_load)
CORE_FUZZERS=(core_guid)
ADAPTER_FUZZERS=(adapter_vds_lun)

log() { printf 'fuzz: %s\n' "$*"; }

MODE=ci
case "${1:-}" in
  --replay) MODE=replay; shift ;;
  --long) MODE=long; shift ;;
  -h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
DEFAULT_SECONDS=20
if [ "${MODE}" = long ]; then DEFAULT_SECONDS=600; fi
SECONDS_EACH="${HWSNAP_FUZZ_SECONDS:-${DEFAULT_SECONDS}}"

# FUZZERS: names in order, without duplicates; DURATION[name]: seconds.
FUZZERS=()
declare -A DURATION=()
add_fuzzer() {
  if [ -z "${DURATION[$1]+set}" ]; then FUZZERS+=("$1"); fi
  DURATION[$1]="$2"
}
if [ "$#" -eq 0 ]; then set -- scsi nvme catalog core adapter; fi
for arg in "$@"; do
  name="${arg%%:*}"
  secs="${SECONDS_EACH}"
  if [ "${name}" != "${arg}" ]; then secs="${arg#*:}"; fi
  if ! [[ "${secs}" =~ ^[0-9]+$ ]]; then
    printf 'fuzz: %s: seconds must be a number\n' "${arg}" >&2
    exit 2
  fi
  case "${name}" in
    scsi) members=("${SCSI_FUZZERS[@]}") ;;
    nvme) members=("${NVME_FUZZERS[@]}") ;;
    catalog) members=("${CATALOG_FUZZERS[@]}") ;;
    core) members=("${CORE_FUZZERS[@]}" "${CATALOG_FUZZERS[@]}") ;;
    adapter) members=("${ADAPTER_FUZZERS[@]}") ;;
    scsi_* | nvme_* | catalog_* | core_* | adapter_*) members=("${name%_fuzzer}") ;;
    *)
      printf 'fuzz: unknown fuzzer %s (names start with scsi_, nvme_, catalog_, core_ or adapter_)\n' "${name}" >&2
      exit 2
      ;;
  esac
  for m in "${members[@]}"; do add_fuzzer "${m}" "${secs}"; done
done

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

# Seed corpora. SCSI and NVMe: every fixture's bytes as one file per family;
# the others are in-tree corpus folders, used as they are.
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

# seed_dir FUZZER: the folder of its seed inputs.
seed_dir() {
  case "$1" in
    scsi_*) echo "${SEED_ROOT}/scsi" ;;
    nvme_*) echo "${SEED_ROOT}/nvme" ;;
    catalog_*) echo "${SEED_ROOT}/catalog" ;;
    core_guid) echo "${REPO}/tests/core/fuzz/guid_corpus" ;;
    adapter_vds_lun) echo "${REPO}/tests/adapters/fuzz/corpus" ;;
    *) echo "${SEED_ROOT}/none" ;;
  esac
}
# fuzzer_binary FUZZER
fuzzer_binary() { find "${BUILD_DIR}" -name "$1_fuzzer" -type f -perm -u+x | head -n 1; }

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"

# 1. Replay: each seed and regression input once.
failed=()
for f in "${FUZZERS[@]}"; do
  inputs=()
  seeds="$(seed_dir "${f}")"
  if [ -d "${seeds}" ]; then
    while IFS= read -r -d '' file; do inputs+=("${file}"); done < <(find "${seeds}" -type f -print0 | sort -z)
  fi
  regressions=0
  while IFS= read -r -d '' file; do
    inputs+=("${file}")
    regressions=$((regressions + 1))
  done < <(find "${REPO}/tests" -path "*/fuzz/regressions/${f}/*" -type f -print0 | sort -z)
  if [ "${#inputs[@]}" -eq 0 ]; then
    log "replay ${f}_fuzzer: no seed or regression inputs"
    continue
  fi
  replay_log="${BUILD_DIR}/${f}_fuzzer.replay.log"
  if "$(fuzzer_binary "${f}")" "${inputs[@]}" >"${replay_log}" 2>&1; then
    log "replay ${f}_fuzzer: ok, $((${#inputs[@]} - regressions)) seeds + ${regressions} regressions"
  else
    log "replay ${f}_fuzzer FAILED; log: ${replay_log}"
    grep -E '^Running:|ERROR|SUMMARY|invariant violated|without an hwsnap' "${replay_log}" | tail -n 10 >&2 || true
    failed+=("${f}")
  fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  log "replay failed in: ${failed[*]}"
  exit 1
fi
if [ "${MODE}" = replay ]; then
  log "replayed the inputs of ${#FUZZERS[@]} fuzzers without a crash"
  exit 0
fi

# 2. Fuzz. run_fuzzer FUZZER writes its summary row to results/FUZZER.
RESULTS="${BUILD_DIR}/results"
rm -rf "${RESULTS}"
mkdir -p "${RESULTS}"
run_fuzzer() {
  local f="$1" secs="${DURATION[$1]}"
  local corpus="${BUILD_DIR}/corpus/${f}" artifacts="${BUILD_DIR}/artifacts/${f}/" fuzz_log="${BUILD_DIR}/${f}_fuzzer.log"
  mkdir -p "${corpus}" "${artifacts}"
  local seeds
  seeds="$(seed_dir "${f}")"
  local -a dirs=("${corpus}")
  if [ -d "${seeds}" ]; then dirs+=("${seeds}"); fi
  local rc=0 t0="${SECONDS}"
  "$(fuzzer_binary "${f}")" -max_total_time="${secs}" -runs="${RUNS}" -print_final_stats=1 \
    -artifact_prefix="${artifacts}" "${dirs[@]}" >"${fuzz_log}" 2>&1 || rc=$?
  local wall=$((SECONDS - t0))
  local execs rate
  execs="$(awk '/^stat::number_of_executed_units/ {print $2}' "${fuzz_log}" | tail -n 1)"
  rate="$(awk '/^stat::average_exec_per_sec/ {print $2}' "${fuzz_log}" | tail -n 1)"
  local result=ok
  if [ "${rc}" -ne 0 ]; then result="FAILED:exit=${rc}"; fi
  printf '%s %s %s %s %s %s\n' "${f}" "${wall}" "${execs:-?}" "${rate:-?}" \
    "$(find "${corpus}" -type f | wc -l)" "${result}" >"${RESULTS}/${f}"
  if [ "${rc}" -ne 0 ]; then
    log "${f}_fuzzer FAILED (exit ${rc}); log: ${fuzz_log}"
    grep -E 'ERROR|SUMMARY|Test unit written|without an hwsnap|invariant violated' "${fuzz_log}" | head -n 10 >&2 || true
  else
    log "${f}_fuzzer: ok, ${execs:-?} executions in ${wall} s"
  fi
}

running=0
for f in "${FUZZERS[@]}"; do
  log "run ${f}_fuzzer for ${DURATION[${f}]} s$([ "${RUNS}" != -1 ] && echo " or ${RUNS} executions")"
  if [ "${PARALLEL}" -le 1 ]; then
    run_fuzzer "${f}"
  else
    run_fuzzer "${f}" &
    running=$((running + 1))
    if [ "${running}" -ge "${PARALLEL}" ]; then
      wait -n || true
      running=$((running - 1))
    fi
  fi
done
wait || true

summary="$(
  printf '%-30s %8s %14s %10s %8s  %s\n' fuzzer seconds executions exec/s corpus result
  for f in "${FUZZERS[@]}"; do
    if [ -f "${RESULTS}/${f}" ]; then
      read -r name wall execs rate corpus result <"${RESULTS}/${f}"
      printf '%-30s %8s %14s %10s %8s  %s\n' "${name}" "${wall}" "${execs}" "${rate}" "${corpus}" "${result}"
    else
      printf '%-30s %8s %14s %10s %8s  %s\n' "${f}" ? ? ? ? "no result"
    fi
  done
)"
printf '%s\n' "${summary}"
if [ -n "${SUMMARY_FILE}" ]; then printf '%s\n' "${summary}" >"${SUMMARY_FILE}"; fi

failed=()
for f in "${FUZZERS[@]}"; do
  if ! grep -q ' ok$' "${RESULTS}/${f}" 2>/dev/null; then failed+=("${f}"); fi
done
if [ "${#failed[@]}" -gt 0 ]; then
  log "crashes in: ${failed[*]}"
  exit 1
fi
log "all ${#FUZZERS[@]} fuzzers ran without a crash"
