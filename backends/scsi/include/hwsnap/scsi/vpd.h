// hwsnap/scsi/vpd.h — decodes the VPD pages hwsnap reads (SPC-4 7.8, SBC-3 6.6).
//
// Page 0x00 says which pages exist; 0x80 carries the unit serial number and
// 0x83 the designators Windows and VSS identify a LUN by; 0x8F says whether
// the LUN can copy to another LUN itself (EXTENDED COPY); 0xB0/0xB2 give
// transfer limits and thin provisioning. Every parser takes the complete
// page as returned by INQUIRY EVPD=1 (4-byte header included) and returns
// kBackendFailure naming the page and field when the page is malformed:
//   "VPD 0x83: designator 2 length 12 runs past page end (40 bytes)".
// A page whose PAGE LENGTH exceeds the bytes received is an error ("re-read
// with allocation length N"): use VpdFullLength() to size the re-read.
//
//   absl::StatusOr<DeviceIdentificationPage> ids = ParseVpdDeviceIdentification(bytes);
//   for (const DeviceIdDesignator& d : ids->designators) ...
#ifndef HWSNAP_SCSI_VPD_H_
#define HWSNAP_SCSI_VPD_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::scsi {

inline constexpr std::uint8_t kVpdSupportedPages = 0x00;
inline constexpr std::uint8_t kVpdUnitSerialNumber = 0x80;
inline constexpr std::uint8_t kVpdDeviceIdentification = 0x83;
inline constexpr std::uint8_t kVpdThirdPartyCopy = 0x8F;
inline constexpr std::uint8_t kVpdBlockLimits = 0xB0;
inline constexpr std::uint8_t kVpdLogicalBlockProvisioning = 0xB2;

// Header bytes 2-3 + 4: the length the whole page would have. Errors
// (kBackendFailure): fewer than 4 bytes.
absl::StatusOr<std::uint32_t> VpdFullLength(absl::Span<const std::uint8_t> page);

// VPD 0x00.
struct SupportedVpdPages {
  std::uint8_t peripheral_qualifier = 0;
  std::uint8_t peripheral_device_type = 0;
  std::vector<std::uint8_t> pages;  // as listed (ascending per SPC, not enforced)
  bool Has(std::uint8_t page) const;
};
absl::StatusOr<SupportedVpdPages> ParseVpdSupportedPages(absl::Span<const std::uint8_t> page);

// VPD 0x80: PRODUCT SERIAL NUMBER exactly as sent (ASCII, often space-padded).
struct UnitSerialNumberPage {
  std::string serial;
};
absl::StatusOr<UnitSerialNumberPage> ParseVpdUnitSerialNumber(absl::Span<const std::uint8_t> page);

// One designation descriptor of VPD 0x83, every field kept.
struct DeviceIdDesignator {
  std::uint8_t protocol_identifier = 0;  // meaningful when piv and association 1 or 2
  std::uint8_t code_set = 0;             // 1 binary, 2 ASCII, 3 UTF-8 (others reserved, kept)
  bool piv = false;
  std::uint8_t association = 0;          // 0 LU, 1 target port, 2 target device (3 reserved, kept)
  std::uint8_t designator_type = 0;      // 0..8 per SPC-4; 9+ reserved/newer, kept as sent
  std::vector<std::uint8_t> designator;  // the DESIGNATOR bytes
};

// Designator types (SPC-4 table 459).
inline constexpr std::uint8_t kDesignatorVendorSpecific = 0;
inline constexpr std::uint8_t kDesignatorT10VendorId = 1;
inline constexpr std::uint8_t kDesignatorEui64 = 2;
inline constexpr std::uint8_t kDesignatorNaa = 3;
inline constexpr std::uint8_t kDesignatorRelativeTargetPort = 4;
inline constexpr std::uint8_t kDesignatorTargetPortGroup = 5;
inline constexpr std::uint8_t kDesignatorLogicalUnitGroup = 6;
inline constexpr std::uint8_t kDesignatorMd5LogicalUnit = 7;
inline constexpr std::uint8_t kDesignatorScsiNameString = 8;

// VPD 0x83. Rules checked per designator (malformed -> error): NAA 1/2/3/5 are
// 8 bytes and NAA 6 16 bytes (other NAA values: 8 or 16); EUI-64 8, 12 or 16;
// T10 vendor id at least 8 (the vendor id); relative target port, target
// port group and LU group 4; MD5 16; SCSI name string UTF-8, a multiple of 4
// bytes and NUL-terminated. Reserved types, code sets and associations are
// kept unchecked.
struct DeviceIdentificationPage {
  std::uint8_t peripheral_qualifier = 0;
  std::uint8_t peripheral_device_type = 0;
  std::vector<DeviceIdDesignator> designators;  // in page order
};
absl::StatusOr<DeviceIdentificationPage> ParseVpdDeviceIdentification(absl::Span<const std::uint8_t> page);

// VPD 0xB0 (SBC-3 6.6.4). Fields a shorter (older) page lacks read 0.
struct BlockLimitsPage {
  bool wsnz = false;
  std::uint8_t max_compare_and_write_length = 0;
  std::uint16_t optimal_transfer_length_granularity = 0;  // blocks
  std::uint32_t max_transfer_length = 0;                  // blocks; 0 = not reported
  std::uint32_t optimal_transfer_length = 0;              // blocks
  std::uint32_t max_prefetch_length = 0;
  std::uint32_t max_unmap_lba_count = 0;
  std::uint32_t max_unmap_block_descriptor_count = 0;
  std::uint32_t optimal_unmap_granularity = 0;
  bool unmap_granularity_alignment_valid = false;
  std::uint32_t unmap_granularity_alignment = 0;
  std::uint64_t max_write_same_length = 0;
};
absl::StatusOr<BlockLimitsPage> ParseVpdBlockLimits(absl::Span<const std::uint8_t> page);

// VPD 0xB2 (SBC-3 6.6.5).
struct LogicalBlockProvisioningPage {
  std::uint8_t threshold_exponent = 0;
  bool lbpu = false;     // UNMAP supported
  bool lbpws = false;    // WRITE SAME(16) with UNMAP
  bool lbpws10 = false;  // WRITE SAME(10) with UNMAP
  std::uint8_t lbprz = 0;  // 3 bits (SBC-4)
  bool anc_sup = false;
  bool dp = false;
  std::uint8_t minimum_percentage = 0;
  std::uint8_t provisioning_type = 0;  // 0 not reported/full, 1 resource, 2 thin
  std::uint8_t threshold_percentage = 0;
};
absl::StatusOr<LogicalBlockProvisioningPage> ParseVpdLogicalBlockProvisioning(absl::Span<const std::uint8_t> page);

// VPD 0x8F (SPC-4 7.8.17): third-party copy descriptors.
struct SupportedCommand {
  std::uint8_t opcode = 0;
  std::vector<std::uint8_t> service_actions;
};
struct ThirdPartyCopyDescriptor {
  std::uint16_t type = 0;
  std::vector<std::uint8_t> data;  // bytes after the 4-byte type/length header
};
struct ThirdPartyCopyPage {
  std::vector<ThirdPartyCopyDescriptor> descriptors;  // all, in page order
  // From descriptor 0x0001 (supported commands), when present.
  std::vector<SupportedCommand> supported_commands;
  // From descriptor 0x0004 (parameter data), when present.
  std::optional<std::uint16_t> max_cscd_descriptor_count;
  std::optional<std::uint16_t> max_segment_descriptor_count;
  std::optional<std::uint32_t> max_descriptor_list_length;
  std::optional<std::uint32_t> max_inline_data_length;

  // True when `opcode`/`service_action` is listed in the supported commands.
  bool Supports(std::uint8_t opcode, std::uint8_t service_action) const;
  // EXTENDED COPY (LID1): opcode 0x83 service action 0x00 listed.
  bool SupportsExtendedCopyLid1() const { return Supports(0x83, 0x00); }
};
absl::StatusOr<ThirdPartyCopyPage> ParseVpdThirdPartyCopy(absl::Span<const std::uint8_t> page);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_VPD_H_
