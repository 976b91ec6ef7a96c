// LUN descriptions built and freed the way VSS does (see lun_fixture.h).
#include "lun_fixture.h"

#include <objbase.h>

#include <cstdio>
#include <cstring>
#include <utility>

namespace hwsnap {
namespace vss_driver {
namespace {

// A CoTaskMemAlloc copy of `bytes` (nullptr for none); `*ok` false on failure.
BYTE* CopyBytes(const std::vector<std::uint8_t>& bytes, bool* ok) {
  if (bytes.empty()) return nullptr;
  auto* block = static_cast<BYTE*>(CoTaskMemAlloc(bytes.size()));
  if (block == nullptr) {
    *ok = false;
    return nullptr;
  }
  std::memcpy(block, bytes.data(), bytes.size());
  return block;
}

// A CoTaskMemAlloc NUL-terminated copy of `text` (VSS passes "" as a block too).
char* CopyString(const std::string& text, bool* ok) {
  auto* block = static_cast<char*>(CoTaskMemAlloc(text.size() + 1));
  if (block == nullptr) {
    *ok = false;
    return nullptr;
  }
  std::memcpy(block, text.c_str(), text.size() + 1);
  return block;
}

bool IsUniqueType(VDS_STORAGE_IDENTIFIER_TYPE type) {
  return type == VDSStorageIdTypeVendorId || type == VDSStorageIdTypeEUI64 || type == VDSStorageIdTypeFCPHName ||
         type == VDSStorageIdTypeScsiNameString;
}

const char* TypeText(VDS_STORAGE_IDENTIFIER_TYPE type) {
  switch (type) {
    case VDSStorageIdTypeVendorId: return "t10";
    case VDSStorageIdTypeEUI64: return "eui";
    case VDSStorageIdTypeFCPHName: return "naa";
    case VDSStorageIdTypeScsiNameString: return "name";
    default: return "id";
  }
}

std::string Hex(const BYTE* bytes, ULONG count) {
  std::string out;
  char two[3];
  for (ULONG i = 0; i < count; ++i) {
    std::snprintf(two, sizeof(two), "%02x", bytes[i]);
    out += two;
  }
  return out;
}

// Identifiers of `info` that VSS treats as unique LUN names.
std::vector<const VDS_STORAGE_IDENTIFIER*> UniqueIdentifiers(const VDS_LUN_INFORMATION& info) {
  std::vector<const VDS_STORAGE_IDENTIFIER*> out;
  const VDS_STORAGE_DEVICE_ID_DESCRIPTOR& d = info.m_deviceIdDescriptor;
  if (d.m_rgIdentifiers == nullptr) return out;
  for (ULONG i = 0; i < d.m_cIdentifiers; ++i) {
    const VDS_STORAGE_IDENTIFIER& id = d.m_rgIdentifiers[i];
    if (IsUniqueType(id.m_Type) && id.m_cbIdentifier > 0 && id.m_rgbIdentifier != nullptr) out.push_back(&id);
  }
  return out;
}

}  // namespace

LunFactory::LunFactory() {
  GUID random{};
  if (SUCCEEDED(CoCreateGuid(&random))) std::memcpy(run_, random.Data4, sizeof(run_));
  run_[0] = static_cast<std::uint8_t>(run_[0] | 0x01);  // never all zero
}

LunSpec LunFactory::Unique(const std::string& label) {
  const std::uint8_t n = next_++;
  LunSpec lun;
  lun.label = label;
  char serial[40];
  std::snprintf(serial, sizeof(serial), "DRV%02X%02X%02X%02X-%s", run_[0], run_[1], run_[2], n, label.c_str());
  lun.serial_number = serial;
  // NAA 6 (IEEE registered extended): 0x6 + a made-up OUI, then run and LUN bytes.
  IdentifierSpec naa;
  naa.type = VDSStorageIdTypeFCPHName;
  naa.bytes = {0x60, 0x0d, 0x7a, 0x50, run_[0], run_[1], run_[2], run_[3],
               run_[4], run_[5], run_[6], run_[7], 0x00, 0x00, 0x00, n};
  IdentifierSpec vendor;  // type 0: never a unique name on its own
  vendor.type = VDSStorageIdTypeVendorSpecific;
  vendor.bytes = {0xd7, 0x1e, n};
  lun.identifiers = {naa, vendor};
  InterconnectSpec path;
  path.address_type = VDS_IA_SCSI;
  path.port = {0, 0, 0, 3};
  path.address = {0, 0, 0, n};
  lun.interconnects = {path};
  return lun;
}

LunSpec LunFactory::WithoutUniqueDesignator(const std::string& label) {
  LunSpec lun = Unique(label);
  lun.serial_number += "-NOID";
  IdentifierSpec port;  // relative target port: names a port, not the LUN
  port.type = VDSStorageIdTypePortRelative;
  port.bytes = {0, 0, 0, 1};
  lun.identifiers = {lun.identifiers[1], port};
  return lun;
}

bool BuildVdsLun(const LunSpec& spec, VDS_LUN_INFORMATION* out) {
  VDS_LUN_INFORMATION info{};
  bool ok = true;
  info.m_version = VER_VDS_LUN_INFORMATION;
  info.m_DeviceType = spec.device_type;
  info.m_DeviceTypeModifier = 0;
  info.m_bCommandQueueing = TRUE;
  info.m_BusType = spec.bus_type;
  info.m_szVendorId = CopyString(spec.vendor_id, &ok);
  info.m_szProductId = CopyString(spec.product_id, &ok);
  info.m_szProductRevision = CopyString(spec.product_revision, &ok);
  info.m_szSerialNumber = CopyString(spec.serial_number, &ok);
  info.m_diskSignature = GUID_NULL;
  info.m_deviceIdDescriptor.m_version = 1;
  if (!spec.identifiers.empty()) {
    const std::size_t bytes = spec.identifiers.size() * sizeof(VDS_STORAGE_IDENTIFIER);
    auto* ids = static_cast<VDS_STORAGE_IDENTIFIER*>(CoTaskMemAlloc(bytes));
    if (ids == nullptr) {
      ok = false;
    } else {
      std::memset(ids, 0, bytes);
      info.m_deviceIdDescriptor.m_rgIdentifiers = ids;
      info.m_deviceIdDescriptor.m_cIdentifiers = static_cast<ULONG>(spec.identifiers.size());
      for (std::size_t i = 0; i < spec.identifiers.size(); ++i) {
        ids[i].m_CodeSet = spec.identifiers[i].code_set;
        ids[i].m_Type = spec.identifiers[i].type;
        ids[i].m_rgbIdentifier = CopyBytes(spec.identifiers[i].bytes, &ok);
        ids[i].m_cbIdentifier = ids[i].m_rgbIdentifier ? static_cast<ULONG>(spec.identifiers[i].bytes.size()) : 0;
      }
    }
  }
  if (!spec.interconnects.empty()) {
    const std::size_t bytes = spec.interconnects.size() * sizeof(VDS_INTERCONNECT);
    auto* paths = static_cast<VDS_INTERCONNECT*>(CoTaskMemAlloc(bytes));
    if (paths == nullptr) {
      ok = false;
    } else {
      std::memset(paths, 0, bytes);
      info.m_rgInterconnects = paths;
      info.m_cInterconnects = static_cast<ULONG>(spec.interconnects.size());
      for (std::size_t i = 0; i < spec.interconnects.size(); ++i) {
        const InterconnectSpec& s = spec.interconnects[i];
        paths[i].m_addressType = s.address_type;
        paths[i].m_pbPort = CopyBytes(s.port, &ok);
        paths[i].m_cbPort = paths[i].m_pbPort ? static_cast<ULONG>(s.port.size()) : 0;
        paths[i].m_pbAddress = CopyBytes(s.address, &ok);
        paths[i].m_cbAddress = paths[i].m_pbAddress ? static_cast<ULONG>(s.address.size()) : 0;
      }
    }
  }
  if (!ok) {
    FreeVdsLun(&info);
    *out = VDS_LUN_INFORMATION{};
    return false;
  }
  *out = info;
  return true;
}

void FreeVdsLun(VDS_LUN_INFORMATION* info) {
  if (info == nullptr) return;
  CoTaskMemFree(info->m_szVendorId);
  CoTaskMemFree(info->m_szProductId);
  CoTaskMemFree(info->m_szProductRevision);
  CoTaskMemFree(info->m_szSerialNumber);
  VDS_STORAGE_DEVICE_ID_DESCRIPTOR& d = info->m_deviceIdDescriptor;
  if (d.m_rgIdentifiers != nullptr) {
    for (ULONG i = 0; i < d.m_cIdentifiers; ++i) CoTaskMemFree(d.m_rgIdentifiers[i].m_rgbIdentifier);
    CoTaskMemFree(d.m_rgIdentifiers);
  }
  if (info->m_rgInterconnects != nullptr) {
    for (ULONG i = 0; i < info->m_cInterconnects; ++i) {
      CoTaskMemFree(info->m_rgInterconnects[i].m_pbPort);
      CoTaskMemFree(info->m_rgInterconnects[i].m_pbAddress);
    }
    CoTaskMemFree(info->m_rgInterconnects);
  }
  *info = VDS_LUN_INFORMATION{};
}

VdsLunArray::VdsLunArray(const std::vector<LunSpec>& specs) : infos_(specs.size()) {
  for (std::size_t i = 0; i < specs.size(); ++i) {
    if (!BuildVdsLun(specs[i], &infos_[i])) ok_ = false;
    if (i > 0) label_ += ",";
    label_ += specs[i].label;
  }
}

VdsLunArray VdsLunArray::Empty(std::size_t count) {
  VdsLunArray out;
  out.infos_.resize(count);
  return out;
}

VdsLunArray::~VdsLunArray() {
  for (VDS_LUN_INFORMATION& info : infos_) FreeVdsLun(&info);
}

VdsLunArray::VdsLunArray(VdsLunArray&& other) noexcept
    : infos_(std::move(other.infos_)), label_(std::move(other.label_)), ok_(other.ok_) {
  other.infos_.clear();
}

VdsLunArray& VdsLunArray::operator=(VdsLunArray&& other) noexcept {
  if (this != &other) {
    for (VDS_LUN_INFORMATION& info : infos_) FreeVdsLun(&info);
    infos_ = std::move(other.infos_);
    label_ = std::move(other.label_);
    ok_ = other.ok_;
    other.infos_.clear();
  }
  return *this;
}

DeviceNames::DeviceNames(const std::vector<int>& numbers) {
  names_.reserve(numbers.size());
  for (int n : numbers) names_.push_back(L"\\\\?\\PhysicalDrive" + std::to_wstring(n));
  for (std::wstring& name : names_) pointers_.push_back(name.data());
}

LunSpec SpecOf(const VDS_LUN_INFORMATION& info, const std::string& label) {
  auto text = [](const char* s) { return std::string(s == nullptr ? "" : s); };
  auto bytes = [](const BYTE* p, ULONG n) {
    return p == nullptr ? std::vector<std::uint8_t>() : std::vector<std::uint8_t>(p, p + n);
  };
  LunSpec spec;
  spec.label = label;
  spec.device_type = info.m_DeviceType;
  spec.bus_type = info.m_BusType;
  spec.vendor_id = text(info.m_szVendorId);
  spec.product_id = text(info.m_szProductId);
  spec.product_revision = text(info.m_szProductRevision);
  spec.serial_number = text(info.m_szSerialNumber);
  const VDS_STORAGE_DEVICE_ID_DESCRIPTOR& d = info.m_deviceIdDescriptor;
  for (ULONG i = 0; d.m_rgIdentifiers != nullptr && i < d.m_cIdentifiers; ++i) {
    const VDS_STORAGE_IDENTIFIER& id = d.m_rgIdentifiers[i];
    spec.identifiers.push_back(IdentifierSpec{id.m_CodeSet, id.m_Type, bytes(id.m_rgbIdentifier, id.m_cbIdentifier)});
  }
  for (ULONG i = 0; info.m_rgInterconnects != nullptr && i < info.m_cInterconnects; ++i) {
    const VDS_INTERCONNECT& ic = info.m_rgInterconnects[i];
    spec.interconnects.push_back(InterconnectSpec{ic.m_addressType, bytes(ic.m_pbPort, ic.m_cbPort),
                                                  bytes(ic.m_pbAddress, ic.m_cbAddress)});
  }
  return spec;
}

std::vector<std::string> UniqueIdentifierTexts(const VDS_LUN_INFORMATION& info) {
  std::vector<std::string> out;
  for (const VDS_STORAGE_IDENTIFIER* id : UniqueIdentifiers(info)) {
    out.push_back(std::string(TypeText(id->m_Type)) + ":" + Hex(id->m_rgbIdentifier, id->m_cbIdentifier));
  }
  return out;
}

bool SameLun(const VDS_LUN_INFORMATION& a, const VDS_LUN_INFORMATION& b) {
  for (const VDS_STORAGE_IDENTIFIER* x : UniqueIdentifiers(a)) {
    for (const VDS_STORAGE_IDENTIFIER* y : UniqueIdentifiers(b)) {
      if (x->m_Type == y->m_Type && x->m_CodeSet == y->m_CodeSet && x->m_cbIdentifier == y->m_cbIdentifier &&
          std::memcmp(x->m_rgbIdentifier, y->m_rgbIdentifier, x->m_cbIdentifier) == 0) {
        return true;
      }
    }
  }
  return false;
}

std::string DescribeLun(const VDS_LUN_INFORMATION& info) {
  auto text = [](const char* s) { return std::string(s == nullptr ? "(null)" : s); };
  std::string out = text(info.m_szVendorId) + " " + text(info.m_szProductId) + " sn=" + text(info.m_szSerialNumber);
  const std::vector<std::string> ids = UniqueIdentifierTexts(info);
  out += ids.empty() ? std::string(" (no unique identifier)") : " " + ids.front();
  return out;
}

}  // namespace vss_driver
}  // namespace hwsnap
