// The input checks of VDS_LUN_INFORMATION (see hwsnap/windows/vds_lun_checks.h).
#include "hwsnap/windows/vds_lun_checks.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

// The highest values vdslun.h defines (the Windows build checks them against
// VDSStorageIdCodeSetUtf8, VDSStorageIdTypeScsiNameString and VDS_IA_SCSI).
constexpr auto kLastCodeSet = static_cast<std::uint32_t>(CodeSet::kUtf8);
constexpr auto kLastIdentifierType = static_cast<std::uint32_t>(DesignatorType::kScsiNameString);
constexpr auto kLastAddressType = static_cast<std::uint32_t>(InterconnectAddressType::kScsi);
constexpr auto kLastBusType = static_cast<std::uint32_t>(BusType::kUfs);

// "4294967295 (-1 as a signed LONG)" for counts a caller probably meant as negative.
std::string DescribeCount(std::uint32_t count) {
  if (count > 0x7FFFFFFFu) {
    return absl::StrCat(count, " (", static_cast<std::int64_t>(count) - (std::int64_t{1} << 32),
                        " as a signed LONG)");
  }
  return absl::StrCat(count);
}

absl::Status CheckCount(absl::string_view field, std::uint32_t count, std::uint32_t max) {
  if (count > max) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", field, " is ", DescribeCount(count),
                                             "; at most ", max, " allowed"));
  }
  return absl::OkStatus();
}

// A count within `max` and, when non-zero, a non-null array behind it.
absl::Status CheckArray(absl::string_view count_field, absl::string_view array_field, std::uint32_t count,
                        const void* array, std::uint32_t max) {
  if (auto s = CheckCount(count_field, count, max); !s.ok()) return s;
  if (count != 0 && array == nullptr) {
    return InvalidArgumentError(
        absl::StrCat("VDS_LUN_INFORMATION: ", array_field, " is null but ", count_field, " is ", count));
  }
  return absl::OkStatus();
}

// Reads a NUL-terminated string of at most kMaxVdsStringBytes; null -> empty.
absl::Status ReadString(absl::string_view field, const char* text, std::string* out) {
  out->clear();
  if (text == nullptr) return absl::OkStatus();
  // memchr stops at the first NUL: nothing beyond it is read.
  const void* nul = std::memchr(text, '\0', kMaxVdsStringBytes + 1);
  if (nul == nullptr) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", field, " is not NUL-terminated within ",
                                             kMaxVdsStringBytes, " bytes"));
  }
  out->assign(text, static_cast<const char*>(nul));
  return absl::OkStatus();
}

// Copies `count` bytes at `data`; a null `data` is legal only for count 0.
absl::Status ReadBytes(absl::string_view field, const std::uint8_t* data, std::uint32_t count, std::uint32_t max,
                       std::vector<std::uint8_t>* out) {
  out->clear();
  if (auto s = CheckCount(absl::StrCat(field, " length"), count, max); !s.ok()) return s;
  if (count == 0) return absl::OkStatus();
  if (data == nullptr) {
    return InvalidArgumentError(
        absl::StrCat("VDS_LUN_INFORMATION: ", field, " is null but its length is ", count));
  }
  out->assign(data, data + count);
  return absl::OkStatus();
}

absl::StatusOr<Designator> ReadIdentifier(std::uint32_t index, const VdsIdentifierFields& id) {
  const std::string where = absl::StrCat("identifier ", index);
  // Check the enum range before narrowing: 0x101 must not pass as code set 1.
  if (id.code_set > kLastCodeSet) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown code set ", id.code_set));
  }
  if (id.type > kLastIdentifierType) {
    return InvalidArgumentError(
        absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown identifier type ", id.type));
  }
  Designator designator;
  designator.code_set = static_cast<CodeSet>(id.code_set);
  designator.type = static_cast<DesignatorType>(id.type);
  designator.association = Association::kLogicalUnit;  // VDS carries no association
  if (auto s = ReadBytes(absl::StrCat(where, " bytes"), id.bytes, id.byte_count, kMaxVdsIdentifierBytes,
                         &designator.bytes);
      !s.ok()) {
    return s;
  }
  return designator;
}

absl::StatusOr<Interconnect> ReadInterconnect(std::uint32_t index, const VdsInterconnectFields& ic) {
  const std::string where = absl::StrCat("interconnect ", index);
  if (ic.address_type > kLastAddressType) {
    return InvalidArgumentError(
        absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown address type ", ic.address_type));
  }
  Interconnect out;
  out.address_type = static_cast<InterconnectAddressType>(ic.address_type);
  if (auto s = ReadBytes(absl::StrCat(where, " port"), ic.port, ic.port_count, kMaxVdsInterconnectBytes, &out.port);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBytes(absl::StrCat(where, " address"), ic.address, ic.address_count, kMaxVdsInterconnectBytes,
                         &out.address);
      !s.ok()) {
    return s;
  }
  return out;
}

}  // namespace

absl::StatusOr<LunIdentity> LunIdentityFromVdsFields(const VdsLunFields& fields) {
  if (fields.version != kVdsLunInformationVersion) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: unknown m_version ", fields.version,
                                             "; expected ", kVdsLunInformationVersion));
  }
  if (fields.bus_type > kLastBusType) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: unknown bus type ", fields.bus_type));
  }
  if (auto s = CheckArray("m_deviceIdDescriptor.m_cIdentifiers", "m_deviceIdDescriptor.m_rgIdentifiers",
                          fields.identifier_count, fields.identifiers, kMaxVdsIdentifiers);
      !s.ok()) {
    return s;
  }
  if (auto s = CheckArray("m_cInterconnects", "m_rgInterconnects", fields.interconnect_count, fields.interconnects,
                          kMaxVdsInterconnects);
      !s.ok()) {
    return s;
  }

  LunIdentity lun;
  lun.device_type = fields.device_type;
  lun.device_type_modifier = fields.device_type_modifier;
  lun.command_queueing = fields.command_queueing;
  lun.bus_type = static_cast<BusType>(fields.bus_type);
  if (auto s = ReadString("m_szVendorId", fields.vendor_id, &lun.vendor_id); !s.ok()) return s;
  if (auto s = ReadString("m_szProductId", fields.product_id, &lun.product_id); !s.ok()) return s;
  if (auto s = ReadString("m_szProductRevision", fields.product_revision, &lun.product_revision); !s.ok()) {
    return s;
  }
  if (auto s = ReadString("m_szSerialNumber", fields.serial_number, &lun.serial_number); !s.ok()) return s;

  lun.designators.reserve(fields.identifier_count);
  for (std::uint32_t i = 0; i < fields.identifier_count; ++i) {
    absl::StatusOr<Designator> designator = ReadIdentifier(i, fields.identifiers[i]);
    if (!designator.ok()) return designator.status();
    lun.designators.push_back(*std::move(designator));
  }
  lun.interconnects.reserve(fields.interconnect_count);
  for (std::uint32_t i = 0; i < fields.interconnect_count; ++i) {
    absl::StatusOr<Interconnect> interconnect = ReadInterconnect(i, fields.interconnects[i]);
    if (!interconnect.ok()) return interconnect.status();
    lun.interconnects.push_back(*std::move(interconnect));
  }

  if (auto s = ValidateLunIdentity(lun); !s.ok()) return Annotate(s, "VDS_LUN_INFORMATION");
  return lun;
}

}  // namespace windows
}  // namespace hwsnap
