// BuildNamespaceIdentity and ParseIdentityMapping (see
// hwsnap/nvme/identity_mapping.h): how a namespace is described to VSS.
//
// Facts the table relies on:
//  * The translation-form serial number follows the NVM Express SCSI
//    Translation Reference 1.5 (Unit Serial Number VPD page): with a non-zero
//    NGUID, its 16 bytes as 32 upper-case hex digits with '_' after every 4
//    digits and a final '.' (40 characters); else with a non-zero EUI-64, its
//    8 bytes the same way (20 characters); else the controller's SN. This is
//    also the form Windows shows as the serial number of NVMe disks
//    ("0025_3852_91B2_3A1D."). Verified against the reference text as
//    remembered and Windows' output, not against a copy of the reference.
//  * SCSI name string designators (SPC-5 7.7.6.11) are UTF-8, NUL-terminated
//    and NUL-padded to a multiple of 4 bytes; "eui." is followed by
//    upper-case hex. "uuid." + the 36-character RFC 4122 text (lower case) is
//    hwsnap's form for UUIDs, which SPC does not define.
//  * Strings come from the device: bytes outside printable ASCII become '?'
//    so the identity always passes ValidateLunIdentity.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "hwsnap/nvme/identity_mapping.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using IdBytes = std::vector<std::uint8_t>;

constexpr std::size_t kProductShort = 16;
constexpr std::size_t kRevisionShort = 4;

bool AllZero(const IdBytes& id) {
  return std::all_of(id.begin(), id.end(), [](std::uint8_t b) { return b == 0; });
}

std::string Printable(const std::string& text) {
  std::string out = text;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7e) c = '?';
  }
  return out;
}

std::string CutAndTrim(const std::string& text, bool cut, std::size_t length) {
  std::string out = cut && text.size() > length ? text.substr(0, length) : text;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return Printable(out);
}

std::string UpperHex(const IdBytes& id) {
  std::string out;
  for (std::uint8_t b : id) absl::StrAppendFormat(&out, "%02X", b);
  return out;
}

// "0025_3852_91B2_3A1D." (SCSI Translation Reference 1.5, Unit Serial Number).
std::string TranslationSerial(const IdBytes& id) {
  const std::string hex = UpperHex(id);
  std::string out;
  for (std::size_t i = 0; i < hex.size(); i += 4) {
    if (i != 0) out.push_back('_');
    out.append(hex, i, 4);
  }
  out.push_back('.');
  return out;
}

std::string UuidText(const IdBytes& id) {
  std::string out;
  for (std::size_t i = 0; i < id.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    absl::StrAppendFormat(&out, "%02x", id[i]);
  }
  return out;
}

Designator BinaryEui64(const IdBytes& id) {
  Designator d;
  d.code_set = CodeSet::kBinary;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kEui64;
  d.bytes = id;
  return d;
}

// UTF-8 SCSI name string, NUL-terminated and NUL-padded to a multiple of 4.
Designator ScsiName(const std::string& name) {
  Designator d;
  d.code_set = CodeSet::kUtf8;
  d.association = Association::kLogicalUnit;
  d.type = DesignatorType::kScsiNameString;
  d.bytes.assign(name.begin(), name.end());
  d.bytes.push_back(0);
  while (d.bytes.size() % 4 != 0) d.bytes.push_back(0);
  return d;
}

// The first descriptor of `type` with a non-zero id, else `fallback` when
// non-zero (Identify Namespace fields), else nothing.
std::optional<IdBytes> PickId(const std::vector<NamespaceIdDescriptor>& descriptors, NamespaceIdType type,
                              std::size_t length, const IdBytes& fallback) {
  for (const NamespaceIdDescriptor& d : descriptors) {
    if (d.type == static_cast<std::uint8_t>(type) && d.id.size() == length && !AllZero(d.id)) return d.id;
  }
  if (fallback.size() == length && !AllZero(fallback)) return fallback;
  return std::nullopt;
}

void AddEuiDesignator(DesignatorForm form, const IdBytes& id, std::vector<Designator>& out) {
  switch (form) {
    case DesignatorForm::kEui64Type:
      out.push_back(BinaryEui64(id));
      break;
    case DesignatorForm::kScsiNameString:
      out.push_back(ScsiName(absl::StrCat("eui.", UpperHex(id))));
      break;
    case DesignatorForm::kOmit:
    default:
      break;
  }
}

// One "key:value" item of the option text.
absl::Status ApplyItem(absl::string_view key, absl::string_view value, IdentityMapping& m) {
  auto bad_value = [&](absl::string_view allowed) {
    return InvalidArgumentError(absl::StrCat("identity mapping: '", value, "' is not a value of '", key,
                                             "' (one of ", allowed, ")"));
  };
  auto designator = [&](DesignatorForm& field, bool eui_allowed) -> absl::Status {
    if (value == "omit") {
      field = DesignatorForm::kOmit;
    } else if (value == "scsi-name") {
      field = DesignatorForm::kScsiNameString;
    } else if (value == "eui64" && eui_allowed) {
      field = DesignatorForm::kEui64Type;
    } else {
      return bad_value(eui_allowed ? "eui64, scsi-name, omit" : "scsi-name, omit");
    }
    return absl::OkStatus();
  };
  if (key == "eui64") return designator(m.eui64, true);
  if (key == "nguid") return designator(m.nguid, true);
  if (key == "uuid") return designator(m.uuid, false);
  if (key == "serial") {
    if (value == "controller") {
      m.serial = SerialSource::kControllerSerial;
    } else if (value == "translation") {
      m.serial = SerialSource::kTranslationNguidEui64;
    } else {
      return bad_value("controller, translation");
    }
    return absl::OkStatus();
  }
  if (key == "vendor") {
    if (value == "nvme") {
      m.vendor = VendorSource::kNvmeLiteral;
    } else if (value == "pci-vid") {
      m.vendor = VendorSource::kPciVendorId;
    } else {
      return bad_value("nvme, pci-vid");
    }
    return absl::OkStatus();
  }
  if (key == "product") {
    if (value != "full" && value != "16") return bad_value("full, 16");
    m.truncate_product_to_16 = value == "16";
    return absl::OkStatus();
  }
  if (key == "revision") {
    if (value != "full" && value != "4") return bad_value("full, 4");
    m.truncate_revision_to_4 = value == "4";
    return absl::OkStatus();
  }
  return InvalidArgumentError(absl::StrCat("identity mapping: unknown key '", key,
                                           "' (keys: eui64, nguid, uuid, serial, vendor, product, revision)"));
}

}  // namespace

absl::StatusOr<IdentityMapping> ParseIdentityMapping(absl::string_view text) {
  IdentityMapping mapping;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return mapping;
  std::vector<std::string> seen;
  for (absl::string_view item : absl::StrSplit(text, ',')) {
    item = absl::StripAsciiWhitespace(item);
    const std::size_t colon = item.find(':');
    if (colon == absl::string_view::npos) {
      return InvalidArgumentError(absl::StrCat("identity mapping: '", item, "' is not key:value"));
    }
    const absl::string_view key = absl::StripAsciiWhitespace(item.substr(0, colon));
    const absl::string_view value = absl::StripAsciiWhitespace(item.substr(colon + 1));
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return InvalidArgumentError(absl::StrCat("identity mapping: key '", key, "' given twice"));
    }
    seen.emplace_back(key);
    if (absl::Status s = ApplyItem(key, value, mapping); !s.ok()) return s;
  }
  return mapping;
}

LunIdentity BuildNamespaceIdentity(const IdentifyController& controller, const IdentifyNamespace& ns,
                                   const std::vector<NamespaceIdDescriptor>& descriptors,
                                   const IdentityMapping& mapping) {
  LunIdentity lun;
  lun.device_type = 0;
  lun.command_queueing = true;
  lun.bus_type = BusType::kNvme;
  lun.vendor_id =
      mapping.vendor == VendorSource::kPciVendorId ? absl::StrFormat("%04X", controller.vid) : std::string("NVMe");
  lun.product_id = CutAndTrim(controller.model_number, mapping.truncate_product_to_16, kProductShort);
  lun.product_revision = CutAndTrim(controller.firmware_revision, mapping.truncate_revision_to_4, kRevisionShort);

  const IdBytes ns_eui64(ns.eui64.begin(), ns.eui64.end());
  const IdBytes ns_nguid(ns.nguid.begin(), ns.nguid.end());
  const std::optional<IdBytes> eui64 = PickId(descriptors, NamespaceIdType::kEui64, 8, ns_eui64);
  const std::optional<IdBytes> nguid = PickId(descriptors, NamespaceIdType::kNguid, 16, ns_nguid);
  const std::optional<IdBytes> uuid = PickId(descriptors, NamespaceIdType::kUuid, 16, IdBytes());

  lun.serial_number = CutAndTrim(controller.serial_number, false, 0);
  if (mapping.serial == SerialSource::kTranslationNguidEui64) {
    if (nguid) {
      lun.serial_number = TranslationSerial(*nguid);
    } else if (eui64) {
      lun.serial_number = TranslationSerial(*eui64);
    }
  }

  if (eui64) AddEuiDesignator(mapping.eui64, *eui64, lun.designators);
  if (nguid) AddEuiDesignator(mapping.nguid, *nguid, lun.designators);
  // A UUID is not an EUI: kEui64Type (which ParseIdentityMapping refuses for
  // uuid) is reported as a SCSI name string, the only form a UUID has.
  if (uuid && mapping.uuid != DesignatorForm::kOmit) lun.designators.push_back(ScsiName("uuid." + UuidText(*uuid)));
  return lun;
}

}  // namespace hwsnap::nvme
