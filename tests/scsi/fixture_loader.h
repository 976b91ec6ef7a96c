// fixture_loader.h — reads the captured SCSI pages under tests/scsi/fixtures.
//
// Fixtures are text files of hex bytes (tests/scsi/fixtures/README.md): one
// directory per captured source and LUN, one file per response, named after
// the kind of data it holds (inquiry.hex, vpd83.hex, readcap16.hex,
// sense_write_readonly.hex, ...). Tests iterate every fixture of a kind, so a
// capture dropped into a new directory (e.g. fixtures/vm/scsi_debug/) is
// tested without touching any test.
//
//   for (const Fixture& f : LoadAllFixtures()) {
//     if (f.kind == FixtureKind::kVpd83) EXPECT_OK(ParseVpdDeviceIdentification(f.bytes)) << f.path;
//   }
//   absl::StatusOr<std::vector<uint8_t>> b = ParseHexFixture("# note\n00 83 00 00\n");
#ifndef HWSNAP_TESTS_SCSI_FIXTURE_LOADER_H_
#define HWSNAP_TESTS_SCSI_FIXTURE_LOADER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::scsi::testing {

enum class FixtureKind {
  kUnknown,     // a .hex file whose name matches no kind below (still fuzzed)
  kInquiry,     // inquiry[_*].hex      standard INQUIRY data
  kVpd00,       // vpd00[_*].hex        VPD pages, complete with the 4-byte header
  kVpd80,
  kVpd83,
  kVpd8f,
  kVpdB0,
  kVpdB2,
  kReadCap16,   // readcap16[_*].hex    READ CAPACITY(16) parameter data
  kReadCap10,   // readcap10[_*].hex
  kReportLuns,  // report_luns[_*].hex  REPORT LUNS parameter data
  kSense,       // sense_*.hex          sense data of a CHECK CONDITION
};

// "vpd83"; "unknown".
const char* FixtureKindName(FixtureKind kind);
// The kind a file stem (name without ".hex") denotes: the stem equals a kind
// name or starts with it followed by '_' ("sense" needs the '_').
FixtureKind KindOfStem(absl::string_view stem);

struct Fixture {
  std::string path;        // relative to the fixtures root: "tgt/lun1/vpd83.hex"
  std::string directory;   // relative directory: "tgt/lun1"
  std::string stem;        // "vpd83"
  FixtureKind kind = FixtureKind::kUnknown;
  std::string provenance;  // the first comment line, without "# "
  std::vector<std::uint8_t> bytes;
};

// Parses fixture text: '#' starts a comment line; otherwise whitespace-
// separated two-digit hex bytes. Errors (kInvalidArgument) name the line.
absl::StatusOr<std::vector<std::uint8_t>> ParseHexFixture(absl::string_view text);

// The fixtures directory: $HWSNAP_SCSI_FIXTURES when set, else the source
// tree's tests/scsi/fixtures (compiled in).
std::string FixturesRoot();

// Loads one file; `relative_path` is relative to FixturesRoot().
absl::StatusOr<Fixture> LoadFixture(const std::string& relative_path);

// Every *.hex below FixturesRoot() (recursively, sorted by path). Errors: the
// root is missing, or a file fails to parse or has no provenance comment.
absl::StatusOr<std::vector<Fixture>> LoadAllFixtures();

// The fixtures of one directory (e.g. "tgt/lun1"), by kind.
absl::StatusOr<std::vector<Fixture>> LoadFixtureDirectory(const std::string& relative_directory);

}  // namespace hwsnap::scsi::testing

#endif  // HWSNAP_TESTS_SCSI_FIXTURE_LOADER_H_
