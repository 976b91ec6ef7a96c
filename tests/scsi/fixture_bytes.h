// fixture_bytes.h — the bytes of one captured page, for parser tests.
//
// A test that feeds a fixture straight to a parser wants the bytes and, when
// the file is missing or malformed, a test failure naming it — not a crash:
//
//   absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(FixtureBytes("tgt/lun1/inquiry.hex"));
#ifndef HWSNAP_TESTS_SCSI_FIXTURE_BYTES_H_
#define HWSNAP_TESTS_SCSI_FIXTURE_BYTES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "fixture_loader.h"

namespace hwsnap::scsi::testing {

// The bytes of fixtures/<path>; empty (and the test failed) when it cannot be loaded.
inline std::vector<std::uint8_t> FixtureBytes(const std::string& path) {
  absl::StatusOr<Fixture> f = LoadFixture(path);
  EXPECT_TRUE(f.ok()) << f.status();
  return f.ok() ? f->bytes : std::vector<std::uint8_t>{};
}

}  // namespace hwsnap::scsi::testing

#endif  // HWSNAP_TESTS_SCSI_FIXTURE_BYTES_H_
