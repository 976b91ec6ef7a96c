// vpd_header.h — the 4-byte header every VPD page starts with (private).
//
// Checks page code and PAGE LENGTH against the bytes received and hands the
// page body to the page-specific parser:
//   absl::StatusOr<VpdBody> body = SplitVpdPage(page, 0x83);
//   // body->body: exactly PAGE LENGTH bytes, never past the buffer
#ifndef HWSNAP_SCSI_SRC_VPD_HEADER_H_
#define HWSNAP_SCSI_SRC_VPD_HEADER_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "src/byte_view.h"

namespace hwsnap::scsi::internal {

struct VpdBody {
  std::uint8_t peripheral_qualifier = 0;
  std::uint8_t peripheral_device_type = 0;
  Bytes body;  // PAGE LENGTH bytes after the header
};

// "VPD 0x83" — the prefix of every error message about that page.
std::string VpdLabel(std::uint8_t page_code);

// Errors (kBackendFailure): fewer than 4 bytes, a different page code, or a
// PAGE LENGTH larger than what was received.
absl::StatusOr<VpdBody> SplitVpdPage(Bytes page, std::uint8_t expected_page_code);

}  // namespace hwsnap::scsi::internal

#endif  // HWSNAP_SCSI_SRC_VPD_HEADER_H_
