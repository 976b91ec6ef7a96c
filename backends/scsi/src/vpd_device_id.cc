// VPD 0x83, device identification (see hwsnap/scsi/vpd.h). Layout from SPC-4
// 7.8.6: designation descriptors of (byte 0: protocol identifier 7-4, code set
// 3-0; byte 1: PIV 7, association 5-4, designator type 3-0; byte 3: designator
// length; designator). Length rules per type from SPC-4 7.8.6.2-7.8.6.10.
#include <string>

#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"
#include "src/vpd_header.h"

namespace hwsnap::scsi {
namespace {

using internal::Bytes;

std::string Where(std::size_t index, const DeviceIdDesignator& d) {
  return absl::StrCat("VPD 0x83: designator ", index, " (type ", d.designator_type, ")");
}

absl::Status BadLength(std::size_t index, const DeviceIdDesignator& d, absl::string_view expected) {
  return BackendFailureError(absl::StrCat(Where(index, d), " length ", d.designator.size(), ", expected ", expected));
}

// SPC-4 length/format rules for the types it defines; reserved types pass.
absl::Status CheckDesignator(std::size_t index, const DeviceIdDesignator& d) {
  const std::size_t n = d.designator.size();
  switch (d.designator_type) {
    case kDesignatorVendorSpecific:
      return absl::OkStatus();
    case kDesignatorT10VendorId:
      if (n < 8) return BadLength(index, d, "at least 8 (T10 vendor identification)");
      return absl::OkStatus();
    case kDesignatorEui64:
      if (n != 8 && n != 12 && n != 16) return BadLength(index, d, "8, 12 or 16 (EUI-64 based)");
      return absl::OkStatus();
    case kDesignatorNaa: {
      if (n == 0) return BadLength(index, d, "8 or 16 (NAA)");
      const std::uint8_t naa = static_cast<std::uint8_t>(d.designator[0] >> 4);
      switch (naa) {
        case 0x1: case 0x2: case 0x3: case 0x5:
          if (n != 8) return BadLength(index, d, absl::StrCat("8 for NAA ", naa));
          return absl::OkStatus();
        case 0x6:
          if (n != 16) return BadLength(index, d, "16 for NAA 6 (IEEE registered extended)");
          return absl::OkStatus();
        default:
          if (n != 8 && n != 16) return BadLength(index, d, absl::StrCat("8 or 16 (NAA ", naa, ")"));
          return absl::OkStatus();
      }
    }
    case kDesignatorRelativeTargetPort:
    case kDesignatorTargetPortGroup:
    case kDesignatorLogicalUnitGroup:
      if (n != 4) return BadLength(index, d, "4");
      return absl::OkStatus();
    case kDesignatorMd5LogicalUnit:
      if (n != 16) return BadLength(index, d, "16 (MD5 logical unit identifier)");
      return absl::OkStatus();
    case kDesignatorScsiNameString:
      if (d.code_set != 3) {
        return BackendFailureError(absl::StrCat(Where(index, d), " code set ", d.code_set,
                                                ", SCSI name strings are UTF-8 (3)"));
      }
      if (n == 0 || n % 4 != 0) return BadLength(index, d, "a non-zero multiple of 4 (SCSI name string)");
      if (d.designator[n - 1] != 0) {
        return BackendFailureError(absl::StrCat(Where(index, d), " SCSI name string is not NUL-terminated"));
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();  // reserved/newer types (e.g. 0xA UUID): kept as sent
  }
}

}  // namespace

absl::StatusOr<DeviceIdentificationPage> ParseVpdDeviceIdentification(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdDeviceIdentification);
  if (!split.ok()) return split.status();
  const Bytes body = split->body;
  DeviceIdentificationPage out;
  out.peripheral_qualifier = split->peripheral_qualifier;
  out.peripheral_device_type = split->peripheral_device_type;
  std::size_t pos = 0;
  for (std::size_t index = 0; pos < body.size(); ++index) {
    if (body.size() - pos < 4) {
      return BackendFailureError(absl::StrCat("VPD 0x83: designator ", index, " header at offset ", pos + 4,
                                              " is cut short (page end at ", body.size() + 4, " bytes)"));
    }
    DeviceIdDesignator d;
    d.protocol_identifier = static_cast<std::uint8_t>(body[pos] >> 4);
    d.code_set = static_cast<std::uint8_t>(body[pos] & 0x0F);
    d.piv = (body[pos + 1] & 0x80) != 0;
    d.association = static_cast<std::uint8_t>((body[pos + 1] >> 4) & 0x03);
    d.designator_type = static_cast<std::uint8_t>(body[pos + 1] & 0x0F);
    const std::size_t length = body[pos + 3];
    if (length > body.size() - pos - 4) {
      return BackendFailureError(absl::StrCat("VPD 0x83: designator ", index, " length ", length,
                                              " runs past page end (", body.size() + 4, " bytes)"));
    }
    d.designator.assign(body.begin() + static_cast<std::ptrdiff_t>(pos + 4),
                        body.begin() + static_cast<std::ptrdiff_t>(pos + 4 + length));
    if (auto s = CheckDesignator(index, d); !s.ok()) return s;
    out.designators.push_back(std::move(d));
    pos += 4 + length;
  }
  return out;
}

}  // namespace hwsnap::scsi
