// hwsnap/scsi/inquiry.h — decodes standard INQUIRY data (SPC-4 6.6.2).
//
// The first thing hwsnap asks a LUN: what it is (peripheral qualifier and
// device type), who made it (vendor/product/revision) and what it can do
// (command queueing, third-party copy). The strings are kept exactly as the
// device sent them (space-padded, fixed width); identity_builder.h decides
// how Windows would show them.
//
//   absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(result.data_in);
//   if (inq.ok() && inq->peripheral_qualifier != 0) ... no LUN at this address
//   if (inq->additional_length + 5u > result.data_in.size()) ... re-read longer
#ifndef HWSNAP_SCSI_INQUIRY_H_
#define HWSNAP_SCSI_INQUIRY_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::scsi {

struct StandardInquiry {
  std::uint8_t peripheral_qualifier = 0;    // byte 0 bits 7-5 (0: a LUN is here)
  std::uint8_t peripheral_device_type = 0;  // byte 0 bits 4-0 (0: disk, 0x1f: unknown)
  bool removable = false;                   // RMB
  std::uint8_t device_type_modifier = 0;    // byte 1 bits 6-0 (SCSI-2; Windows reports it)
  std::uint8_t version = 0;                 // 0x05 SPC-3, 0x06 SPC-4, 0x07 SPC-5
  bool normaca = false;
  bool hisup = false;
  std::uint8_t response_data_format = 0;
  std::uint8_t additional_length = 0;       // bytes after byte 4 the device has
  bool sccs = false;
  bool acc = false;
  std::uint8_t tpgs = 0;                    // ALUA support, 2 bits
  bool third_party_copy = false;            // 3PC
  bool protect = false;
  bool encserv = false;
  bool multip = false;
  bool cmdque = false;
  std::string vendor_id;         // bytes 8-15 as sent (may be shorter if the data was short)
  std::string product_id;        // bytes 16-31
  std::string product_revision;  // bytes 32-35

  // The length the device would return with a large enough buffer.
  std::uint32_t full_length() const { return additional_length + 5u; }
};

// Parses standard INQUIRY data. Fields beyond the received bytes stay empty/
// zero (a device may send fewer than 36 bytes). Errors (kBackendFailure):
// fewer than 5 bytes.
absl::StatusOr<StandardInquiry> ParseStandardInquiry(absl::Span<const std::uint8_t> data);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_INQUIRY_H_
