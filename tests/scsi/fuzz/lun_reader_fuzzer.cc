// libFuzzer entry point for ReadLunInfo over a device whose answers come from
// the input (see parser_drivers.h).
// Built with HWSNAP_BUILD_FUZZERS=ON under Clang; tools/fuzz-scsi.sh runs it:
//   build/fuzz/tests/scsi/scsi_lun_reader_fuzzer -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "fuzz/parser_drivers.h"
#include "hwsnap/logging.h"

// ReadLunInfo logs dropped designators; keep the fuzzer's output to crashes.
extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
  hwsnap::SetLogLevel(spdlog::level::off);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hwsnap::scsi::fuzzing::AbortUnlessClassified(
      hwsnap::scsi::fuzzing::RunLunReader(absl::Span<const std::uint8_t>(data, size)));
  return 0;
}
