// The EXTENDED COPY (LID1) parameter list (see hwsnap/scsi/cdb.h). Layouts
// from SPC-4's EXTENDED COPY (LID1) clause: the 16-byte parameter list header
// (list identifier; STR, LIST ID USAGE and PRIORITY in byte 1; CSCD and
// segment descriptor list lengths; inline data length), the 32-byte
// identification CSCD descriptor 0xE4 (peripheral device type, relative
// initiator port, a 20-byte designation descriptor, block device type
// specific parameters with the 24-bit DISK BLOCK LENGTH in bytes 29-31), and
// the 28-byte block device to block device segment descriptor 0x02
// (descriptor length 0x18).
#include <vector>

#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {
namespace {

constexpr std::size_t kHeaderLength = 16;
constexpr std::size_t kCscdLength = 32;
constexpr std::size_t kSegmentLength = 28;

absl::Status CheckLun(const char* which, const CopyLun& lun) {
  if (lun.naa.size() != 8 && lun.naa.size() != 16) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY: ", which, " NAA designator is ", lun.naa.size(),
                                             " bytes, expected 8 or 16"));
  }
  if (lun.block_length == 0 || lun.block_length > 0xFFFFFF) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY: ", which, " block length ", lun.block_length,
                                             " does not fit the 24-bit DISK BLOCK LENGTH"));
  }
  if (lun.peripheral_device_type > 0x1F) {
    return InvalidArgumentError(absl::StrCat("EXTENDED COPY: ", which, " peripheral device type ",
                                             lun.peripheral_device_type, " over 0x1f"));
  }
  return absl::OkStatus();
}

void PutCscd(std::uint8_t* d, const CopyLun& lun) {
  d[0] = 0xE4;                         // identification CSCD descriptor
  d[1] = lun.peripheral_device_type;   // LU ID TYPE 00b (LUN field), NUL 0
  // d[2..3] relative initiator port identifier: 0 (any port)
  d[4] = 0x01;                                          // code set: binary
  d[5] = 0x03;                                          // association 0 (LU), type 3 (NAA)
  d[7] = static_cast<std::uint8_t>(lun.naa.size());     // designator length
  for (std::size_t i = 0; i < lun.naa.size(); ++i) d[8 + i] = lun.naa[i];
  // d[28]: PAD 0; d[29..31]: disk block length
  d[29] = static_cast<std::uint8_t>(lun.block_length >> 16);
  d[30] = static_cast<std::uint8_t>(lun.block_length >> 8);
  d[31] = static_cast<std::uint8_t>(lun.block_length);
}

}  // namespace

absl::StatusOr<std::vector<std::uint8_t>> BuildExtendedCopyLid1Parameters(
    const CopyLun& source, const CopyLun& destination, absl::Span<const CopySegment> segments,
    const ExtendedCopyOptions& options) {
  if (auto s = CheckLun("source", source); !s.ok()) return s;
  if (auto s = CheckLun("destination", destination); !s.ok()) return s;
  if (segments.empty()) return InvalidArgumentError("EXTENDED COPY: no segment");
  if (options.priority > 7) return InvalidArgumentError("EXTENDED COPY: priority over 7");
  if (!options.hold_results && options.list_id != 0) {
    return InvalidArgumentError("EXTENDED COPY: a list id needs hold_results (LIST ID USAGE 00b)");
  }
  const std::size_t segment_bytes = segments.size() * kSegmentLength;
  if (segment_bytes > 0xFFFFFFFFu - kHeaderLength - 2 * kCscdLength) {
    return InvalidArgumentError("EXTENDED COPY: too many segments");
  }
  std::vector<std::uint8_t> list(kHeaderLength + 2 * kCscdLength + segment_bytes, 0);
  std::uint8_t* p = list.data();
  p[0] = options.list_id;
  const std::uint8_t list_id_usage = options.hold_results ? 0x00 : 0x03;
  p[1] = static_cast<std::uint8_t>((list_id_usage << 3) | options.priority);
  internal::PutBe16(p + 2, static_cast<std::uint16_t>(2 * kCscdLength));  // CSCD descriptor list length
  internal::PutBe32(p + 8, static_cast<std::uint32_t>(segment_bytes));  // segment descriptor list length
  // p[12..15] inline data length: 0
  PutCscd(p + kHeaderLength, source);
  PutCscd(p + kHeaderLength + kCscdLength, destination);
  std::uint8_t* seg = p + kHeaderLength + 2 * kCscdLength;
  for (std::size_t i = 0; i < segments.size(); ++i, seg += kSegmentLength) {
    const CopySegment& s = segments[i];
    if (s.block_count == 0) {
      return InvalidArgumentError(absl::StrCat("EXTENDED COPY: segment ", i, " has no blocks"));
    }
    seg[0] = 0x02;  // block device to block device
    seg[1] = 0x00;  // DC 0: block counts; CAT 0
    internal::PutBe16(seg + 2, kSegmentLength - 4);
    internal::PutBe16(seg + 4, 0);  // source CSCD descriptor id
    internal::PutBe16(seg + 6, 1);  // destination CSCD descriptor id
    internal::PutBe16(seg + 10, s.block_count);
    internal::PutBe64(seg + 12, s.source_lba);
    internal::PutBe64(seg + 20, s.destination_lba);
  }
  return list;
}

}  // namespace hwsnap::scsi
