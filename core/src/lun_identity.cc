// LUN identity: matching, display and validation (see hwsnap/lun_identity.h).
#include "hwsnap/lun_identity.h"

#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

// Upper bounds generous enough for SCSI INQUIRY (8/16/4 bytes) and NVMe
// (40-byte model, 20-byte serial, 8-byte firmware) alike.
constexpr size_t kMaxInquiryString = 64;
constexpr size_t kMaxSerial = 256;
constexpr size_t kMaxDesignatorBytes = 255;  // one-byte length field in VPD 0x83
constexpr size_t kMaxDesignators = 64;
constexpr size_t kMaxInterconnects = 64;
constexpr size_t kMaxInterconnectBytes = 4096;

absl::string_view TypeName(DesignatorType type) {
  switch (type) {
    case DesignatorType::kVendorSpecific: return "vendor";
    case DesignatorType::kT10VendorId: return "t10";
    case DesignatorType::kEui64: return "eui";
    case DesignatorType::kNaa: return "naa";
    case DesignatorType::kPortRelative: return "port";
    case DesignatorType::kTargetPortGroup: return "tpg";
    case DesignatorType::kLogicalUnitGroup: return "lug";
    case DesignatorType::kMd5LogicalUnitId: return "md5";
    case DesignatorType::kScsiNameString: return "name";
  }
  return "type?";
}

absl::Status CheckText(absl::string_view field, const std::string& value, size_t max) {
  if (value.size() > max) {
    return InvalidArgumentError(absl::StrCat(field, " is ", value.size(), " bytes; at most ", max, " allowed"));
  }
  for (unsigned char c : value) {
    if (c < 0x20 || c > 0x7e) {
      return InvalidArgumentError(absl::StrCat(field, " contains a non-printable byte 0x",
                                               absl::Hex(c, absl::kZeroPad2)));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckDesignator(size_t index, const Designator& d) {
  const std::string where = absl::StrCat("designator ", index);
  const auto code_set = static_cast<unsigned>(d.code_set);
  const auto association = static_cast<unsigned>(d.association);
  const auto type = static_cast<unsigned>(d.type);
  if (code_set < 1 || code_set > 3) return InvalidArgumentError(absl::StrCat(where, ": unknown code set ", code_set));
  if (association > 2) return InvalidArgumentError(absl::StrCat(where, ": unknown association ", association));
  if (type > 8) return InvalidArgumentError(absl::StrCat(where, ": unknown designator type ", type));
  const size_t n = d.bytes.size();
  if (n == 0) return InvalidArgumentError(absl::StrCat(where, ": empty identifier"));
  if (n > kMaxDesignatorBytes) return InvalidArgumentError(absl::StrCat(where, ": ", n, " bytes, at most 255"));
  auto bad_length = [&](absl::string_view expected) {
    return InvalidArgumentError(absl::StrCat(where, " (", TypeName(d.type), "): ", n, " bytes, expected ", expected));
  };
  switch (d.type) {
    case DesignatorType::kNaa:
      if (n != 8 && n != 16) return bad_length("8 or 16");
      break;
    case DesignatorType::kEui64:
      if (n != 8 && n != 12 && n != 16) return bad_length("8, 12 or 16");
      break;
    case DesignatorType::kT10VendorId:
      if (n < 8) return bad_length("at least 8 (vendor id + specific)");
      break;
    case DesignatorType::kMd5LogicalUnitId:
      if (n != 16) return bad_length("16");
      break;
    case DesignatorType::kPortRelative:
    case DesignatorType::kTargetPortGroup:
    case DesignatorType::kLogicalUnitGroup:
      if (n != 4) return bad_length("4");
      break;
    case DesignatorType::kScsiNameString:
      if (d.code_set != CodeSet::kUtf8) {
        return InvalidArgumentError(absl::StrCat(where, " (name): SCSI name strings are UTF-8"));
      }
      break;
    case DesignatorType::kVendorSpecific:
      break;
  }
  return absl::OkStatus();
}

}  // namespace

bool Designator::IsUniqueLunDesignator() const {
  if (association != Association::kLogicalUnit || bytes.empty()) return false;
  switch (type) {
    case DesignatorType::kT10VendorId:
    case DesignatorType::kEui64:
    case DesignatorType::kNaa:
    case DesignatorType::kScsiNameString:
      return true;
    default:
      return false;
  }
}

std::string Designator::ToString() const {
  std::string value;
  if (code_set == CodeSet::kBinary) {
    value = absl::BytesToHexString(
        absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  } else {
    value = absl::CHexEscape(absl::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
  std::string out = absl::StrCat(TypeName(type), ":", value);
  if (association != Association::kLogicalUnit) {
    absl::StrAppend(&out, "@", association == Association::kTargetPort ? "port" : "target");
  }
  return out;
}

bool LunIdentity::HasUniqueDesignator() const {
  for (const Designator& d : designators) {
    if (d.IsUniqueLunDesignator()) return true;
  }
  return false;
}

bool LunIdentity::SameLunAs(const LunIdentity& other) const {
  for (const Designator& mine : designators) {
    if (!mine.IsUniqueLunDesignator()) continue;
    for (const Designator& theirs : other.designators) {
      if (mine == theirs) return true;
    }
  }
  return false;
}

const Designator* LunIdentity::PrimaryDesignator() const {
  for (DesignatorType preferred : {DesignatorType::kNaa, DesignatorType::kEui64,
                                   DesignatorType::kScsiNameString, DesignatorType::kT10VendorId}) {
    for (const Designator& d : designators) {
      if (d.type == preferred && d.IsUniqueLunDesignator()) return &d;
    }
  }
  return nullptr;
}

std::string LunIdentity::ToString() const {
  std::string out = absl::StrCat(vendor_id.empty() ? "?" : vendor_id, " ",
                                 product_id.empty() ? "?" : product_id);
  if (!serial_number.empty()) absl::StrAppend(&out, " sn=", serial_number);
  if (const Designator* primary = PrimaryDesignator()) {
    absl::StrAppend(&out, " ", primary->ToString());
  } else {
    absl::StrAppend(&out, " (no unique designator)");
  }
  return out;
}

bool operator==(const LunIdentity& a, const LunIdentity& b) {
  return a.device_type == b.device_type && a.device_type_modifier == b.device_type_modifier &&
         a.command_queueing == b.command_queueing && a.bus_type == b.bus_type &&
         a.vendor_id == b.vendor_id && a.product_id == b.product_id &&
         a.product_revision == b.product_revision && a.serial_number == b.serial_number &&
         a.designators == b.designators && a.interconnects == b.interconnects;
}

absl::Status ValidateLunIdentity(const LunIdentity& lun) {
  if (auto s = CheckText("vendor id", lun.vendor_id, kMaxInquiryString); !s.ok()) return s;
  if (auto s = CheckText("product id", lun.product_id, kMaxInquiryString); !s.ok()) return s;
  if (auto s = CheckText("product revision", lun.product_revision, kMaxInquiryString); !s.ok()) return s;
  if (auto s = CheckText("serial number", lun.serial_number, kMaxSerial); !s.ok()) return s;
  if (lun.bus_type > BusType::kUfs) {
    return InvalidArgumentError(absl::StrCat("unknown bus type ", static_cast<std::uint32_t>(lun.bus_type)));
  }
  if (lun.designators.size() > kMaxDesignators) {
    return InvalidArgumentError(absl::StrCat(lun.designators.size(), " designators; at most ", kMaxDesignators));
  }
  for (size_t i = 0; i < lun.designators.size(); ++i) {
    if (auto s = CheckDesignator(i, lun.designators[i]); !s.ok()) return s;
  }
  if (lun.interconnects.size() > kMaxInterconnects) {
    return InvalidArgumentError(absl::StrCat(lun.interconnects.size(), " interconnects; at most ", kMaxInterconnects));
  }
  for (size_t i = 0; i < lun.interconnects.size(); ++i) {
    const Interconnect& ic = lun.interconnects[i];
    if (ic.address_type > InterconnectAddressType::kScsi) {
      return InvalidArgumentError(absl::StrCat("interconnect ", i, ": unknown address type ",
                                               static_cast<std::uint32_t>(ic.address_type)));
    }
    if (ic.port.size() > kMaxInterconnectBytes || ic.address.size() > kMaxInterconnectBytes) {
      return InvalidArgumentError(absl::StrCat("interconnect ", i, ": port or address longer than ",
                                               kMaxInterconnectBytes, " bytes"));
    }
  }
  return absl::OkStatus();
}

}  // namespace hwsnap
