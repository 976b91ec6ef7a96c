// Page bytes -> hwsnap::LunIdentity (see hwsnap/scsi/identity_builder.h).
#include "hwsnap/scsi/identity_builder.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

// The limits of ValidateLunIdentity (core/src/lun_identity.cc).
constexpr std::size_t kMaxSerialLength = 256;
constexpr std::size_t kMaxDesignators = 64;

std::string CutAtNulAndClean(absl::string_view s) {
  const std::size_t nul = s.find('\0');
  if (nul != absl::string_view::npos) s = s.substr(0, nul);
  std::string out(s);
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u > 0x7E) c = '?';
  }
  return out;
}

// Empty when `d` fits hwsnap's model, else why not.
std::string WhyDropped(const DeviceIdDesignator& d) {
  if (d.association > 2) return absl::StrCat("association ", d.association, " is reserved");
  if (d.code_set < 1 || d.code_set > 3) return absl::StrCat("code set ", d.code_set, " is reserved");
  if (d.designator_type > 8) return absl::StrCat("designator type ", d.designator_type, " is not in SPC-4");
  if (d.designator.empty()) return "empty designator";
  return std::string();
}

}  // namespace

std::string NormalizeInquiryText(absl::string_view field) {
  std::string out = CutAtNulAndClean(field);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string NormalizeSerialNumber(absl::string_view serial) {
  std::string out = CutAtNulAndClean(serial);
  while (!out.empty() && out.back() == ' ') out.pop_back();
  std::size_t start = 0;
  while (start < out.size() && out[start] == ' ') ++start;
  return out.substr(start);
}

absl::StatusOr<BuiltIdentity> BuildLunIdentity(const IdentityPages& pages) {
  BuiltIdentity built;
  LunIdentity& id = built.identity;
  id.device_type = pages.inquiry.peripheral_device_type;
  id.device_type_modifier = pages.inquiry.device_type_modifier;
  id.command_queueing = pages.inquiry.cmdque;
  id.bus_type = pages.bus_type;
  id.vendor_id = NormalizeInquiryText(pages.inquiry.vendor_id);
  id.product_id = NormalizeInquiryText(pages.inquiry.product_id);
  id.product_revision = NormalizeInquiryText(pages.inquiry.product_revision);
  if (pages.serial != nullptr) {
    id.serial_number = NormalizeSerialNumber(pages.serial->serial);
    if (id.serial_number.size() > kMaxSerialLength) {
      built.dropped.push_back(absl::StrCat("serial number cut from ", id.serial_number.size(), " to ",
                                           kMaxSerialLength, " bytes"));
      id.serial_number.resize(kMaxSerialLength);
    }
  }
  if (pages.device_ids != nullptr) {
    const auto& list = pages.device_ids->designators;
    for (std::size_t i = 0; i < list.size(); ++i) {
      const DeviceIdDesignator& d = list[i];
      std::string why = WhyDropped(d);
      if (why.empty() && id.designators.size() == kMaxDesignators) {
        why = absl::StrCat("more than ", kMaxDesignators, " designators");
      }
      if (!why.empty()) {
        built.dropped.push_back(absl::StrCat("designator ", i, ": ", why));
        continue;
      }
      Designator out;
      out.code_set = static_cast<CodeSet>(d.code_set);
      out.association = static_cast<Association>(d.association);
      out.type = static_cast<DesignatorType>(d.designator_type);
      out.bytes = d.designator;
      id.designators.push_back(std::move(out));
    }
  }
  if (absl::Status valid = ValidateLunIdentity(id); !valid.ok()) {
    return BackendFailureError(absl::StrCat("LUN identity from INQUIRY/VPD pages is not valid: ", valid.message()));
  }
  return built;
}

}  // namespace hwsnap::scsi
