// VPD header handling and the small fixed-layout pages: 0x00, 0x80, 0xB0 and
// 0xB2 (see hwsnap/scsi/vpd.h). Layouts: SPC-4 7.8.15/7.8.18, SBC-3 6.6.4/6.6.5.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"
#include "src/vpd_header.h"

namespace hwsnap::scsi {
namespace internal {

std::string VpdLabel(std::uint8_t page_code) { return absl::StrFormat("VPD 0x%02x", page_code); }

absl::StatusOr<VpdBody> SplitVpdPage(Bytes page, std::uint8_t expected_page_code) {
  const std::string label = VpdLabel(expected_page_code);
  if (page.size() < 4) {
    return BackendFailureError(absl::StrCat(label, ": ", page.size(), " bytes, the 4-byte header needs 4"));
  }
  if (page[1] != expected_page_code) {
    return BackendFailureError(absl::StrFormat("%s: page code field is 0x%02x", label, page[1]));
  }
  const std::size_t length = Be16(page, 2);
  if (length > page.size() - 4) {
    return BackendFailureError(absl::StrCat(label, ": page length ", length, " but only ", page.size() - 4,
                                            " bytes follow the header (truncated; re-read with allocation length ",
                                            length + 4, ")"));
  }
  VpdBody out;
  out.peripheral_qualifier = static_cast<std::uint8_t>(page[0] >> 5);
  out.peripheral_device_type = static_cast<std::uint8_t>(page[0] & 0x1F);
  out.body = page.subspan(4, length);
  return out;
}

}  // namespace internal

absl::StatusOr<std::uint32_t> VpdFullLength(absl::Span<const std::uint8_t> page) {
  if (page.size() < 4) {
    return BackendFailureError(absl::StrCat("VPD page: ", page.size(), " bytes, the 4-byte header needs 4"));
  }
  return static_cast<std::uint32_t>(internal::Be16(page, 2)) + 4u;
}

bool SupportedVpdPages::Has(std::uint8_t page) const {
  return std::find(pages.begin(), pages.end(), page) != pages.end();
}

absl::StatusOr<SupportedVpdPages> ParseVpdSupportedPages(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdSupportedPages);
  if (!split.ok()) return split.status();
  SupportedVpdPages out;
  out.peripheral_qualifier = split->peripheral_qualifier;
  out.peripheral_device_type = split->peripheral_device_type;
  out.pages.assign(split->body.begin(), split->body.end());
  return out;
}

absl::StatusOr<UnitSerialNumberPage> ParseVpdUnitSerialNumber(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdUnitSerialNumber);
  if (!split.ok()) return split.status();
  UnitSerialNumberPage out;
  out.serial = internal::TextAt(split->body, 0, split->body.size());
  return out;
}

absl::StatusOr<BlockLimitsPage> ParseVpdBlockLimits(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdBlockLimits);
  if (!split.ok()) return split.status();
  // Offsets below are relative to the page start; the body starts at byte 4.
  const internal::Bytes b = page.subspan(0, split->body.size() + 4);
  BlockLimitsPage out;
  out.wsnz = (internal::ByteOr0(b, 4) & 0x01) != 0;
  out.max_compare_and_write_length = internal::ByteOr0(b, 5);
  out.optimal_transfer_length_granularity = internal::Be16Or0(b, 6);
  out.max_transfer_length = internal::Be32Or0(b, 8);
  out.optimal_transfer_length = internal::Be32Or0(b, 12);
  out.max_prefetch_length = internal::Be32Or0(b, 16);
  out.max_unmap_lba_count = internal::Be32Or0(b, 20);
  out.max_unmap_block_descriptor_count = internal::Be32Or0(b, 24);
  out.optimal_unmap_granularity = internal::Be32Or0(b, 28);
  const std::uint32_t alignment = internal::Be32Or0(b, 32);
  out.unmap_granularity_alignment_valid = (alignment & 0x80000000u) != 0;
  out.unmap_granularity_alignment = alignment & 0x7FFFFFFFu;
  out.max_write_same_length = internal::Be64Or0(b, 36);
  return out;
}

absl::StatusOr<LogicalBlockProvisioningPage> ParseVpdLogicalBlockProvisioning(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdLogicalBlockProvisioning);
  if (!split.ok()) return split.status();
  if (split->body.size() < 4) {
    return BackendFailureError(absl::StrCat("VPD 0xb2: page length ", split->body.size(),
                                            ", the provisioning fields need 4"));
  }
  const internal::Bytes b = split->body;
  LogicalBlockProvisioningPage out;
  out.threshold_exponent = b[0];
  out.lbpu = (b[1] & 0x80) != 0;
  out.lbpws = (b[1] & 0x40) != 0;
  out.lbpws10 = (b[1] & 0x20) != 0;
  out.lbprz = static_cast<std::uint8_t>((b[1] >> 2) & 0x07);
  out.anc_sup = (b[1] & 0x02) != 0;
  out.dp = (b[1] & 0x01) != 0;
  out.minimum_percentage = static_cast<std::uint8_t>(b[2] >> 3);
  out.provisioning_type = static_cast<std::uint8_t>(b[2] & 0x07);
  out.threshold_percentage = b[3];
  return out;
}

}  // namespace hwsnap::scsi
