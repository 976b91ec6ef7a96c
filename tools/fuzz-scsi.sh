#!/usr/bin/env bash
# Kept for existing habits: fuzzes the SCSI parsers only, through
# tools/fuzz.sh (which also runs the NVMe fuzzers and documents the
# environment: HWSNAP_FUZZ_SECONDS, HWSNAP_FUZZ_BUILD_DIR, HWSNAP_JOBS, CXX_FUZZ).
#
#   tools/fuzz-scsi.sh                 # every SCSI fuzzer, 20 s each
#   tools/fuzz-scsi.sh vpd sense       # only these (scsi_vpd, scsi_sense)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ "$#" -eq 0 ]; then exec "${HERE}/fuzz.sh" scsi; fi
exec "${HERE}/fuzz.sh" "${@/#/scsi_}"
