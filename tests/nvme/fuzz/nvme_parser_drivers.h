// nvme_parser_drivers.h — one entry per NVMe parser family, for fuzzing.
//
// Each driver runs its parsers (and what consumes their output: identity
// building and validation) over arbitrary bytes and reports what it saw:
// every failure Status, and every *violation* — an ok result that breaks an
// invariant the parser promises (strings without padding, NSIDs increasing,
// a block size for an active namespace, an identity that passes
// hwsnap::ValidateLunIdentity, ...). Both harnesses require: nothing crashes,
// no violations, and every failure carries an hwsnap domain code. Used by
// the libFuzzer targets in this directory and by the deterministic
// nvme_parsers_fuzz_test that every build runs.
//
//   for (const NvmeParserDriver& d : AllNvmeParserDrivers()) {
//     Findings f = d.run(bytes);
//     assert(f.violations.empty());
//   }
#ifndef HWSNAP_TESTS_NVME_FUZZ_NVME_PARSER_DRIVERS_H_
#define HWSNAP_TESTS_NVME_FUZZ_NVME_PARSER_DRIVERS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace hwsnap::nvme::fuzzing {

using Bytes = absl::Span<const std::uint8_t>;

struct Findings {
  std::vector<absl::Status> failures;   // parser refusals (must carry a domain code)
  std::vector<std::string> violations;  // broken invariants of ok results (bugs)
};

Findings RunIdentifyController(Bytes data);   // ParseIdentifyController
Findings RunIdentifyNamespace(Bytes data);    // ParseIdentifyNamespace, block_bytes, format_index
Findings RunNamespaceDescriptors(Bytes data); // ParseNamespaceIdDescriptors
Findings RunIdLists(Bytes data);              // ParseNamespaceList, ParseControllerList
// Byte 0 picks a mapping, the rest is split into controller, namespace and
// descriptor data -> BuildNamespaceIdentity -> ValidateLunIdentity.
Findings RunIdentity(Bytes data);
// `data` as option text -> ParseIdentityMapping -> an identity built with it.
Findings RunIdentityMappingText(Bytes data);

struct NvmeParserDriver {
  const char* name;
  Findings (*run)(Bytes);
};
// All of the above.
const std::vector<NvmeParserDriver>& AllNvmeParserDrivers();

// Aborts the process (for libFuzzer) on a violation or a failure without an
// hwsnap domain code, printing it first.
void AbortOnFindings(const Findings& findings);

}  // namespace hwsnap::nvme::fuzzing

#endif  // HWSNAP_TESTS_NVME_FUZZ_NVME_PARSER_DRIVERS_H_
