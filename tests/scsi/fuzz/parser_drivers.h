// parser_drivers.h — one entry per SCSI parser family, for fuzzing.
//
// Each driver runs its parsers (and what consumes their output: sense ->
// Status mapping, identity building, ReadLunInfo) over arbitrary bytes and
// returns every failure Status it saw. The invariant both fuzzing harnesses
// check: nothing crashes, and every failure carries an hwsnap domain code
// (hwsnap::HasErrorCode). Used by the libFuzzer targets in this directory
// and by the deterministic scsi_parsers_fuzz_test that every build runs.
//
//   for (const ParserDriver& d : AllParserDrivers()) {
//     for (const absl::Status& s : d.run(bytes)) assert(hwsnap::HasErrorCode(s));
//   }
#ifndef HWSNAP_TESTS_SCSI_FUZZ_PARSER_DRIVERS_H_
#define HWSNAP_TESTS_SCSI_FUZZ_PARSER_DRIVERS_H_

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace hwsnap::scsi::fuzzing {

using Failures = std::vector<absl::Status>;
using Bytes = absl::Span<const std::uint8_t>;

Failures RunInquiry(Bytes data);       // ParseStandardInquiry
Failures RunVpd(Bytes data);           // every VPD parser + VpdFullLength
Failures RunSense(Bytes data);         // ParseSense, SenseToStatus, CheckScsiResult
Failures RunReadCapacity(Bytes data);  // ParseReadCapacity16/10
Failures RunReportLuns(Bytes data);    // ParseReportLuns, LunEntry::ToString
Failures RunCdb(Bytes data);           // ParseCdb, CdbInfo::ToString, the xcopy builder
Failures RunIdentity(Bytes data);      // INQUIRY + VPD 0x80 + 0x83 split from `data` -> BuildLunIdentity
Failures RunLunReader(Bytes data);     // ReadLunInfo over a device whose answers come from `data`

struct ParserDriver {
  const char* name;
  Failures (*run)(Bytes);
};
// All of the above.
const std::vector<ParserDriver>& AllParserDrivers();

// Aborts the process when a failure lacks a domain code (for libFuzzer).
void AbortUnlessClassified(const Failures& failures);

}  // namespace hwsnap::scsi::fuzzing

#endif  // HWSNAP_TESTS_SCSI_FUZZ_PARSER_DRIVERS_H_
