// libFuzzer entry point for the SCSI report luns parser family (see parser_drivers.h).
// Built with HWSNAP_BUILD_FUZZERS=ON under Clang; tools/fuzz-scsi.sh runs it:
//   build/fuzz/tests/scsi/scsi_report_luns_fuzzer -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "fuzz/parser_drivers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hwsnap::scsi::fuzzing::AbortUnlessClassified(
      hwsnap::scsi::fuzzing::RunReportLuns(absl::Span<const std::uint8_t>(data, size)));
  return 0;
}
