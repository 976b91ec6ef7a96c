// The NVMe parser drivers (see nvme_parser_drivers.h) and the invariants they check.
#include "fuzz/nvme_parser_drivers.h"

#include <cstdio>
#include <algorithm>
#include <cstdlib>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/identity_mapping.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme::fuzzing {
namespace {

void CheckText(absl::string_view field, const std::string& value, std::size_t max, Findings& f) {
  if (value.size() > max) f.violations.push_back(absl::StrCat(field, " longer than ", max));
  if (value.find('\0') != std::string::npos) f.violations.push_back(absl::StrCat(field, " contains a NUL"));
  if (!value.empty() && value.back() == ' ') f.violations.push_back(absl::StrCat(field, " has a trailing space"));
}

template <typename T>
bool Record(const absl::StatusOr<T>& result, Findings& f) {
  if (!result.ok()) f.failures.push_back(result.status());
  return result.ok();
}

void CheckController(const IdentifyController& c, Findings& f) {
  CheckText("SN", c.serial_number, 20, f);
  CheckText("MN", c.model_number, 40, f);
  CheckText("FR", c.firmware_revision, 8, f);
  CheckText("SUBNQN", c.subnqn, 256, f);
}

void CheckNamespace(const IdentifyNamespace& ns, Findings& f) {
  if (ns.lba_formats.size() != std::size_t{ns.nlbaf} + 1) f.violations.push_back("lba_formats != NLBAF + 1");
  if (ns.nlbaf > 63) f.violations.push_back("NLBAF above 63 accepted");
  if (!ns.active()) return;
  const std::uint32_t block = ns.block_bytes();
  if (block < 512 || (block & (block - 1)) != 0) {
    f.violations.push_back(absl::StrCat("active namespace with block size ", block));
  }
  if (ns.format_index() > ns.nlbaf) f.violations.push_back("FLBAS beyond NLBAF accepted");
  if (ns.ncap > ns.nsze || ns.nuse > ns.ncap) f.violations.push_back("NUSE <= NCAP <= NSZE broken");
}

void CheckDescriptors(const std::vector<NamespaceIdDescriptor>& list, std::size_t data_size, Findings& f) {
  std::size_t total = 0;
  for (const NamespaceIdDescriptor& d : list) {
    total += 4 + d.id.size();
    if (d.type == 0) f.violations.push_back("descriptor with NIDT 0");
    const std::size_t n = d.id.size();
    if ((d.type == 1 && n != 8) || ((d.type == 2 || d.type == 3) && n != 16) || (d.type == 4 && n != 1)) {
      f.violations.push_back(absl::StrCat("NIDT ", d.type, " with ", n, " bytes accepted"));
    }
  }
  if (total > data_size) f.violations.push_back("descriptors longer than the data");
}

void CheckIdentity(const LunIdentity& lun, Findings& f) {
  if (absl::Status s = ValidateLunIdentity(lun); !s.ok()) {
    f.violations.push_back(absl::StrCat("identity fails ValidateLunIdentity: ", s.message()));
  }
  if (lun.bus_type != BusType::kNvme) f.violations.push_back("bus type is not NVMe");
  for (const Designator& d : lun.designators) {
    if (d.type == DesignatorType::kScsiNameString && (d.bytes.size() % 4 != 0 || d.bytes.back() != 0)) {
      f.violations.push_back("SCSI name string not NUL-terminated and padded to 4");
    }
  }
}

IdentityMapping MappingFromByte(std::uint8_t b) {
  IdentityMapping m;
  constexpr DesignatorForm kForms[] = {DesignatorForm::kEui64Type, DesignatorForm::kScsiNameString,
                                       DesignatorForm::kOmit};
  m.eui64 = kForms[(b >> 0) % 3];
  m.nguid = kForms[(b >> 2) % 3];
  m.uuid = kForms[(b >> 4) % 3];
  m.serial = (b & 0x40) ? SerialSource::kTranslationNguidEui64 : SerialSource::kControllerSerial;
  m.vendor = (b & 0x80) ? VendorSource::kPciVendorId : VendorSource::kNvmeLiteral;
  m.truncate_product_to_16 = (b & 0x20) != 0;
  m.truncate_revision_to_4 = (b & 0x02) != 0;
  return m;
}

// A valid controller and namespace with every id, for the mapping-text driver.
LunIdentity IdentityWithEveryId(const IdentityMapping& mapping) {
  IdentifyController c;
  c.vid = 0x1b36;
  c.serial_number = "SN";
  c.model_number = "MODEL";
  c.firmware_revision = "1.0";
  IdentifyNamespace ns;
  ns.nsze = ns.ncap = 8;
  ns.lba_formats = {LbaFormat{0, 9, 0}};
  ns.nguid.fill(0x11);
  ns.eui64.fill(0x22);
  std::vector<NamespaceIdDescriptor> d = {{3, std::vector<std::uint8_t>(16, 0x33)}};
  return BuildNamespaceIdentity(c, ns, d, mapping);
}

}  // namespace

Findings RunIdentifyController(Bytes data) {
  Findings f;
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(data);
  if (Record(c, f)) CheckController(*c, f);
  return f;
}

Findings RunIdentifyNamespace(Bytes data) {
  Findings f;
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(data);
  if (Record(ns, f)) CheckNamespace(*ns, f);
  return f;
}

Findings RunNamespaceDescriptors(Bytes data) {
  Findings f;
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(data);
  if (Record(list, f)) CheckDescriptors(*list, data.size(), f);
  return f;
}

Findings RunIdLists(Bytes data) {
  Findings f;
  absl::StatusOr<std::vector<std::uint32_t>> nsids = ParseNamespaceList(data);
  if (Record(nsids, f)) {
    if (nsids->size() > 1024) f.violations.push_back("more than 1024 NSIDs");
    for (std::size_t i = 0; i < nsids->size(); ++i) {
      const std::uint32_t n = (*nsids)[i];
      if (n == 0 || n == 0xffffffff) f.violations.push_back(absl::StrCat("NSID ", n, " accepted"));
      if (i > 0 && n <= (*nsids)[i - 1]) f.violations.push_back("NSIDs not increasing");
    }
  }
  absl::StatusOr<std::vector<std::uint16_t>> ids = ParseControllerList(data);
  if (Record(ids, f)) {
    if (ids->size() > 2047) f.violations.push_back("more than 2047 controller ids");
    if (2 + ids->size() * 2 > data.size()) f.violations.push_back("controller list longer than the data");
  }
  return f;
}

Findings RunIdentity(Bytes data) {
  Findings f;
  if (data.empty()) return f;
  const IdentityMapping mapping = MappingFromByte(data[0]);
  data.remove_prefix(1);
  // Controller data, then namespace data, then descriptors; short inputs are
  // stretched by reusing the bytes so small mutations reach every parser.
  constexpr std::size_t kControllerBytes = 1024, kNamespaceBytes = 384;
  std::vector<std::uint8_t> buffer(data.begin(), data.end());
  if (buffer.empty()) return f;
  while (buffer.size() < kControllerBytes + kNamespaceBytes) {
    buffer.insert(buffer.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(
                                                                      std::min(buffer.size(), std::size_t{4096})));
  }
  const Bytes all(buffer);
  absl::StatusOr<IdentifyController> c = ParseIdentifyController(all.subspan(0, kControllerBytes));
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(all.subspan(kControllerBytes, kNamespaceBytes));
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> d =
      ParseNamespaceIdDescriptors(all.subspan(kControllerBytes + kNamespaceBytes));
  const bool c_ok = Record(c, f), ns_ok = Record(ns, f), d_ok = Record(d, f);
  if (!c_ok || !ns_ok) return f;
  const std::vector<NamespaceIdDescriptor> none;
  CheckIdentity(BuildNamespaceIdentity(*c, *ns, d_ok ? *d : none, mapping), f);
  return f;
}

Findings RunIdentityMappingText(Bytes data) {
  Findings f;
  const absl::string_view text(reinterpret_cast<const char*>(data.data()), data.size());
  absl::StatusOr<IdentityMapping> mapping = ParseIdentityMapping(text);
  if (Record(mapping, f)) CheckIdentity(IdentityWithEveryId(*mapping), f);
  return f;
}

const std::vector<NvmeParserDriver>& AllNvmeParserDrivers() {
  static const std::vector<NvmeParserDriver> kDrivers = {
      {"identify_ctrl", RunIdentifyController}, {"identify_ns", RunIdentifyNamespace},
      {"ns_descriptors", RunNamespaceDescriptors}, {"id_lists", RunIdLists},
      {"identity", RunIdentity},                {"identity_mapping_text", RunIdentityMappingText},
  };
  return kDrivers;
}

void AbortOnFindings(const Findings& findings) {
  for (const std::string& v : findings.violations) {
    std::fprintf(stderr, "invariant violated: %s\n", v.c_str());
    std::abort();
  }
  for (const absl::Status& s : findings.failures) {
    if (!HasErrorCode(s)) {
      std::fprintf(stderr, "failure without an hwsnap domain code: %s\n", s.ToString().c_str());
      std::abort();
    }
  }
}

}  // namespace hwsnap::nvme::fuzzing
