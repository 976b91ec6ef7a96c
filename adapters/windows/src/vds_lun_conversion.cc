// VDS_LUN_INFORMATION <-> hwsnap::LunIdentity (see hwsnap/windows/vds_lun_conversion.h).
//
// This file exists to keep the distrustful reading of VSS's LUN descriptions
// and the CoTaskMemAlloc bookkeeping of the ones handed back to VSS out of the
// COM methods, in one place with one set of limits. The reading itself is in
// vds_lun_checks.cc (platform-neutral, fuzzed on Linux); this file only copies
// the struct's fields into hwsnap::windows::VdsLunFields for it.
#include "hwsnap/windows/vds_lun_conversion.h"

#include <objbase.h>

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

void* CoTaskAllocate(std::size_t bytes) { return CoTaskMemAlloc(bytes); }
void CoTaskFree(void* block) { CoTaskMemFree(block); }

// The checks (hwsnap/windows/vds_lun_checks.h) know vdslun.h's values without
// its header; hold them to it.
template <typename T>
constexpr std::uint32_t AsU32(T value) { return static_cast<std::uint32_t>(value); }
static_assert(kVdsLunInformationVersion == AsU32(VER_VDS_LUN_INFORMATION), "VER_VDS_LUN_INFORMATION");
static_assert(AsU32(CodeSet::kUtf8) == AsU32(VDSStorageIdCodeSetUtf8), "last code set");
static_assert(AsU32(DesignatorType::kScsiNameString) == AsU32(VDSStorageIdTypeScsiNameString), "last type");
static_assert(AsU32(InterconnectAddressType::kScsi) == AsU32(VDS_IA_SCSI), "last address type");
static_assert(sizeof(BYTE) == sizeof(std::uint8_t) && sizeof(ULONG) == sizeof(std::uint32_t), "vdslun.h widths");

VdsIdentifierFields IdentifierFields(const VDS_STORAGE_IDENTIFIER& id) {
  VdsIdentifierFields out;
  out.code_set = static_cast<std::uint32_t>(id.m_CodeSet);
  out.type = static_cast<std::uint32_t>(id.m_Type);
  out.byte_count = id.m_cbIdentifier;
  out.bytes = id.m_rgbIdentifier;
  return out;
}

VdsInterconnectFields InterconnectFields(const VDS_INTERCONNECT& ic) {
  VdsInterconnectFields out;
  out.address_type = static_cast<std::uint32_t>(ic.m_addressType);
  out.port_count = ic.m_cbPort;
  out.port = ic.m_pbPort;
  out.address_count = ic.m_cbAddress;
  out.address = ic.m_pbAddress;
  return out;
}

// Allocation bookkeeping for LunIdentityToVds: builds into a local struct
// whose counts always cover the (zeroed) arrays, so FreeVdsLunInformation can
// undo a partial fill.
class VdsWriter {
 public:
  explicit VdsWriter(const VdsAllocator& allocator) : allocator_(allocator) {}
  ~VdsWriter() { FreeVdsLunInformation(&info_, allocator_); }
  VdsWriter(const VdsWriter&) = delete;
  VdsWriter& operator=(const VdsWriter&) = delete;

  VDS_LUN_INFORMATION& info() { return info_; }

  // A zeroed block of `bytes`, or nullptr.
  void* AllocateZeroed(std::size_t bytes) {
    void* block = allocator_.allocate(bytes);
    if (block != nullptr) std::memset(block, 0, bytes);
    return block;
  }

  absl::Status CopyString(absl::string_view field, const std::string& text, char** out) {
    auto* block = static_cast<char*>(AllocateZeroed(text.size() + 1));
    if (block == nullptr) return OutOfMemory(field);
    std::memcpy(block, text.data(), text.size());
    *out = block;
    return absl::OkStatus();
  }

  // Empty -> null pointer and length 0.
  absl::Status CopyBytes(absl::string_view field, const std::vector<std::uint8_t>& bytes, ULONG* count,
                         BYTE** out) {
    if (bytes.empty()) return absl::OkStatus();
    auto* block = static_cast<BYTE*>(AllocateZeroed(bytes.size()));
    if (block == nullptr) return OutOfMemory(field);
    std::memcpy(block, bytes.data(), bytes.size());
    *out = block;
    *count = static_cast<ULONG>(bytes.size());
    return absl::OkStatus();
  }

  static absl::Status OutOfMemory(absl::string_view field) {
    return OutOfMemoryError(absl::StrCat("VDS_LUN_INFORMATION: cannot allocate ", field));
  }

  // Hands the filled struct over; the destructor then frees nothing.
  VDS_LUN_INFORMATION Release() {
    VDS_LUN_INFORMATION out = info_;
    info_ = VDS_LUN_INFORMATION{};
    return out;
  }

 private:
  const VdsAllocator& allocator_;
  VDS_LUN_INFORMATION info_{};
};

}  // namespace

VdsAllocator CoTaskMemAllocator() {
  VdsAllocator allocator;
  allocator.allocate = &CoTaskAllocate;
  allocator.free = &CoTaskFree;
  return allocator;
}

absl::StatusOr<LunIdentity> LunIdentityFromVds(const VDS_LUN_INFORMATION* info) {
  if (info == nullptr) return InvalidArgumentError("VDS_LUN_INFORMATION: null pointer");
  VdsLunFields fields;
  fields.version = info->m_version;
  fields.device_type = info->m_DeviceType;
  fields.device_type_modifier = info->m_DeviceTypeModifier;
  fields.command_queueing = info->m_bCommandQueueing != FALSE;
  fields.bus_type = static_cast<std::uint32_t>(info->m_BusType);
  fields.vendor_id = info->m_szVendorId;
  fields.product_id = info->m_szProductId;
  fields.product_revision = info->m_szProductRevision;
  fields.serial_number = info->m_szSerialNumber;

  // The arrays are copied only when their counts are within the limits; an
  // over-limit count is rejected by the checks before any entry is read, so
  // the (then empty) local array only stands for "not null".
  const VDS_STORAGE_DEVICE_ID_DESCRIPTOR& descriptor = info->m_deviceIdDescriptor;
  std::array<VdsIdentifierFields, kMaxVdsIdentifiers> identifiers{};
  fields.identifier_count = descriptor.m_cIdentifiers;
  if (descriptor.m_rgIdentifiers != nullptr) {
    if (descriptor.m_cIdentifiers <= kMaxVdsIdentifiers) {
      for (ULONG i = 0; i < descriptor.m_cIdentifiers; ++i) {
        identifiers[i] = IdentifierFields(descriptor.m_rgIdentifiers[i]);
      }
    }
    fields.identifiers = identifiers.data();
  }
  std::array<VdsInterconnectFields, kMaxVdsInterconnects> interconnects{};
  fields.interconnect_count = info->m_cInterconnects;
  if (info->m_rgInterconnects != nullptr) {
    if (info->m_cInterconnects <= kMaxVdsInterconnects) {
      for (ULONG i = 0; i < info->m_cInterconnects; ++i) {
        interconnects[i] = InterconnectFields(info->m_rgInterconnects[i]);
      }
    }
    fields.interconnects = interconnects.data();
  }
  return LunIdentityFromVdsFields(fields);
}

absl::Status LunIdentityToVds(const LunIdentity& lun, VDS_LUN_INFORMATION* out, ULONG descriptor_version,
                              const VdsAllocator& allocator) {
  if (out == nullptr) return InvalidArgumentError("LunIdentityToVds: null output VDS_LUN_INFORMATION");
  if (allocator.allocate == nullptr || allocator.free == nullptr) {
    return InvalidArgumentError("LunIdentityToVds: allocator without allocate/free");
  }
  if (auto s = ValidateLunIdentity(lun); !s.ok()) return Annotate(s, "LunIdentityToVds");

  std::vector<const Designator*> designators;
  for (const Designator& d : lun.designators) {
    if (d.association == Association::kLogicalUnit) designators.push_back(&d);
  }

  VdsWriter writer(allocator);
  VDS_LUN_INFORMATION& info = writer.info();
  info.m_version = VER_VDS_LUN_INFORMATION;
  info.m_DeviceType = lun.device_type;
  info.m_DeviceTypeModifier = lun.device_type_modifier;
  info.m_bCommandQueueing = lun.command_queueing ? TRUE : FALSE;
  info.m_BusType = static_cast<VDS_STORAGE_BUS_TYPE>(lun.bus_type);
  info.m_diskSignature = GUID_NULL;
  info.m_deviceIdDescriptor.m_version = descriptor_version;
  if (auto s = writer.CopyString("vendor id", lun.vendor_id, &info.m_szVendorId); !s.ok()) return s;
  if (auto s = writer.CopyString("product id", lun.product_id, &info.m_szProductId); !s.ok()) return s;
  if (auto s = writer.CopyString("product revision", lun.product_revision, &info.m_szProductRevision); !s.ok()) {
    return s;
  }
  if (auto s = writer.CopyString("serial number", lun.serial_number, &info.m_szSerialNumber); !s.ok()) return s;

  if (!designators.empty()) {
    auto* ids = static_cast<VDS_STORAGE_IDENTIFIER*>(
        writer.AllocateZeroed(designators.size() * sizeof(VDS_STORAGE_IDENTIFIER)));
    if (ids == nullptr) return VdsWriter::OutOfMemory("identifier array");
    info.m_deviceIdDescriptor.m_rgIdentifiers = ids;
    info.m_deviceIdDescriptor.m_cIdentifiers = static_cast<ULONG>(designators.size());
    for (std::size_t i = 0; i < designators.size(); ++i) {
      const Designator& d = *designators[i];
      ids[i].m_CodeSet = static_cast<VDS_STORAGE_IDENTIFIER_CODE_SET>(d.code_set);
      ids[i].m_Type = static_cast<VDS_STORAGE_IDENTIFIER_TYPE>(d.type);
      if (auto s = writer.CopyBytes(absl::StrCat("identifier ", i), d.bytes, &ids[i].m_cbIdentifier,
                                    &ids[i].m_rgbIdentifier);
          !s.ok()) {
        return s;
      }
    }
  }

  if (!lun.interconnects.empty()) {
    auto* ics = static_cast<VDS_INTERCONNECT*>(
        writer.AllocateZeroed(lun.interconnects.size() * sizeof(VDS_INTERCONNECT)));
    if (ics == nullptr) return VdsWriter::OutOfMemory("interconnect array");
    info.m_rgInterconnects = ics;
    info.m_cInterconnects = static_cast<ULONG>(lun.interconnects.size());
    for (std::size_t i = 0; i < lun.interconnects.size(); ++i) {
      const Interconnect& ic = lun.interconnects[i];
      ics[i].m_addressType = static_cast<VDS_INTERCONNECT_ADDRESS_TYPE>(ic.address_type);
      if (auto s = writer.CopyBytes(absl::StrCat("interconnect ", i, " port"), ic.port, &ics[i].m_cbPort,
                                    &ics[i].m_pbPort);
          !s.ok()) {
        return s;
      }
      if (auto s = writer.CopyBytes(absl::StrCat("interconnect ", i, " address"), ic.address,
                                    &ics[i].m_cbAddress, &ics[i].m_pbAddress);
          !s.ok()) {
        return s;
      }
    }
  }

  *out = writer.Release();
  return absl::OkStatus();
}

void FreeVdsLunInformation(VDS_LUN_INFORMATION* info, const VdsAllocator& allocator) {
  if (info == nullptr || allocator.free == nullptr) return;
  allocator.free(info->m_szVendorId);
  allocator.free(info->m_szProductId);
  allocator.free(info->m_szProductRevision);
  allocator.free(info->m_szSerialNumber);
  VDS_STORAGE_DEVICE_ID_DESCRIPTOR& descriptor = info->m_deviceIdDescriptor;
  if (descriptor.m_rgIdentifiers != nullptr) {
    for (ULONG i = 0; i < descriptor.m_cIdentifiers; ++i) allocator.free(descriptor.m_rgIdentifiers[i].m_rgbIdentifier);
    allocator.free(descriptor.m_rgIdentifiers);
  }
  if (info->m_rgInterconnects != nullptr) {
    for (ULONG i = 0; i < info->m_cInterconnects; ++i) {
      allocator.free(info->m_rgInterconnects[i].m_pbPort);
      allocator.free(info->m_rgInterconnects[i].m_pbAddress);
    }
    allocator.free(info->m_rgInterconnects);
  }
  *info = VDS_LUN_INFORMATION{};
}

}  // namespace windows
}  // namespace hwsnap
