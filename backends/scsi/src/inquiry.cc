// Standard INQUIRY data (see hwsnap/scsi/inquiry.h); layout from SPC-4 table 141.
#include "hwsnap/scsi/inquiry.h"

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {

absl::StatusOr<StandardInquiry> ParseStandardInquiry(absl::Span<const std::uint8_t> data) {
  if (data.size() < 5) {
    return BackendFailureError(absl::StrCat("standard INQUIRY: ", data.size(),
                                            " bytes, at least 5 needed (header and additional length)"));
  }
  StandardInquiry inq;
  inq.peripheral_qualifier = static_cast<std::uint8_t>(data[0] >> 5);
  inq.peripheral_device_type = static_cast<std::uint8_t>(data[0] & 0x1F);
  inq.removable = (data[1] & 0x80) != 0;
  inq.device_type_modifier = static_cast<std::uint8_t>(data[1] & 0x7F);
  inq.version = data[2];
  inq.normaca = (data[3] & 0x20) != 0;
  inq.hisup = (data[3] & 0x10) != 0;
  inq.response_data_format = static_cast<std::uint8_t>(data[3] & 0x0F);
  inq.additional_length = data[4];
  // Bytes past ADDITIONAL LENGTH are not INQUIRY data (SPC-4 6.6.2).
  data = data.subspan(0, inq.full_length());
  const std::uint8_t b5 = internal::ByteOr0(data, 5);
  const std::uint8_t b6 = internal::ByteOr0(data, 6);
  const std::uint8_t b7 = internal::ByteOr0(data, 7);
  inq.sccs = (b5 & 0x80) != 0;
  inq.acc = (b5 & 0x40) != 0;
  inq.tpgs = static_cast<std::uint8_t>((b5 >> 4) & 0x03);
  inq.third_party_copy = (b5 & 0x08) != 0;
  inq.protect = (b5 & 0x01) != 0;
  inq.encserv = (b6 & 0x40) != 0;
  inq.multip = (b6 & 0x10) != 0;
  inq.cmdque = (b7 & 0x02) != 0;
  inq.vendor_id = internal::TextAt(data, 8, 8);
  inq.product_id = internal::TextAt(data, 16, 16);
  inq.product_revision = internal::TextAt(data, 32, 4);
  return inq;
}

}  // namespace hwsnap::scsi
