// READ CAPACITY(16)/(10) parameter data (see hwsnap/scsi/read_capacity.h).
#include "hwsnap/scsi/read_capacity.h"

#include <limits>

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {

absl::StatusOr<ReadCapacity> ParseReadCapacity16(absl::Span<const std::uint8_t> data) {
  if (data.size() < 12) {
    return BackendFailureError(absl::StrCat("READ CAPACITY(16): ", data.size(),
                                            " bytes, at least 12 needed (LBA and block length)"));
  }
  const std::uint64_t last_lba = internal::Be64(data, 0);
  if (last_lba == std::numeric_limits<std::uint64_t>::max()) {
    return BackendFailureError("READ CAPACITY(16): returned logical block address 0xffffffffffffffff overflows");
  }
  ReadCapacity out;
  out.block_count = last_lba + 1;
  out.block_length = internal::Be32(data, 8);
  if (out.block_length == 0) return BackendFailureError("READ CAPACITY(16): logical block length 0");
  const std::uint8_t b12 = internal::ByteOr0(data, 12);
  const std::uint8_t b13 = internal::ByteOr0(data, 13);
  out.protection_type = static_cast<std::uint8_t>((b12 >> 1) & 0x07);
  out.protection_enabled = (b12 & 0x01) != 0;
  out.logical_blocks_per_physical_exponent = static_cast<std::uint8_t>(b13 & 0x0F);
  out.lbpme = (internal::ByteOr0(data, 14) & 0x80) != 0;
  out.lbprz = (internal::ByteOr0(data, 14) & 0x40) != 0;
  out.lowest_aligned_lba =
      static_cast<std::uint16_t>(((internal::ByteOr0(data, 14) & 0x3F) << 8) | internal::ByteOr0(data, 15));
  return out;
}

absl::StatusOr<ReadCapacity> ParseReadCapacity10(absl::Span<const std::uint8_t> data) {
  if (data.size() < 8) {
    return BackendFailureError(absl::StrCat("READ CAPACITY(10): ", data.size(), " bytes, 8 needed"));
  }
  const std::uint32_t last_lba = internal::Be32(data, 0);
  ReadCapacity out;
  out.block_count = static_cast<std::uint64_t>(last_lba) + 1;
  out.block_length = internal::Be32(data, 4);
  out.needs_read_capacity16 = last_lba == 0xFFFFFFFFu;
  if (out.block_length == 0) return BackendFailureError("READ CAPACITY(10): logical block length 0");
  return out;
}

}  // namespace hwsnap::scsi
