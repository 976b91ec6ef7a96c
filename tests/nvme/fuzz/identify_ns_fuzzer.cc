// libFuzzer entry point for the NVMe identify_ns driver (see nvme_parser_drivers.h).
// Built with HWSNAP_BUILD_FUZZERS=ON under Clang; tools/fuzz.sh runs it:
//   build/fuzz/tests/nvme/nvme_identify_ns_fuzzer -max_total_time=20 corpus/
#include <cstddef>
#include <cstdint>

#include "fuzz/nvme_parser_drivers.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hwsnap::nvme::fuzzing::AbortOnFindings(
      hwsnap::nvme::fuzzing::RunIdentifyNamespace(absl::Span<const std::uint8_t>(data, size)));
  return 0;
}
