// VDS_LUN_INFORMATION <-> hwsnap::LunIdentity (see hwsnap/windows/vds_lun_conversion.h).
//
// This file exists to keep the distrustful reading of VSS's LUN descriptions
// and the CoTaskMemAlloc bookkeeping of the ones handed back to VSS out of the
// COM methods, in one place with one set of limits.
#include "hwsnap/windows/vds_lun_conversion.h"

#include <objbase.h>

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

// "0xFFFFFFFF (-1 as a signed LONG)" for counts a caller probably meant as negative.
std::string DescribeCount(ULONG count) {
  if (count > 0x7FFFFFFFu) {
    return absl::StrCat(count, " (", static_cast<std::int64_t>(count) - (std::int64_t{1} << 32),
                        " as a signed LONG)");
  }
  return absl::StrCat(count);
}

absl::Status CheckCount(absl::string_view field, ULONG count, ULONG max) {
  if (count > max) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", field, " is ", DescribeCount(count),
                                             "; at most ", max, " allowed"));
  }
  return absl::OkStatus();
}

// Reads a NUL-terminated string of at most kMaxVdsStringBytes; null -> empty.
absl::Status ReadString(absl::string_view field, const char* text, std::string* out) {
  out->clear();
  if (text == nullptr) return absl::OkStatus();
  const void* nul = std::memchr(text, '\0', kMaxVdsStringBytes + 1);
  if (nul == nullptr) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", field, " is not NUL-terminated within ",
                                             kMaxVdsStringBytes, " bytes"));
  }
  out->assign(text, static_cast<const char*>(nul));
  return absl::OkStatus();
}

// Copies `count` bytes at `data`; a null `data` is legal only for count 0.
absl::Status ReadBytes(absl::string_view field, const BYTE* data, ULONG count, ULONG max,
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

absl::StatusOr<Designator> ReadIdentifier(ULONG index, const VDS_STORAGE_IDENTIFIER& id) {
  const std::string where = absl::StrCat("identifier ", index);
  // Check the enum range before narrowing: 0x101 must not pass as code set 1.
  const auto code_set = static_cast<std::uint32_t>(id.m_CodeSet);
  const auto type = static_cast<std::uint32_t>(id.m_Type);
  if (code_set > static_cast<std::uint32_t>(VDSStorageIdCodeSetUtf8)) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown code set ", code_set));
  }
  if (type > static_cast<std::uint32_t>(VDSStorageIdTypeScsiNameString)) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown identifier type ", type));
  }
  Designator designator;
  designator.code_set = static_cast<CodeSet>(code_set);
  designator.type = static_cast<DesignatorType>(type);
  designator.association = Association::kLogicalUnit;  // VDS carries no association
  if (auto s = ReadBytes(absl::StrCat(where, " bytes"), id.m_rgbIdentifier, id.m_cbIdentifier,
                         kMaxVdsIdentifierBytes, &designator.bytes);
      !s.ok()) {
    return s;
  }
  return designator;
}

absl::StatusOr<Interconnect> ReadInterconnect(ULONG index, const VDS_INTERCONNECT& ic) {
  const std::string where = absl::StrCat("interconnect ", index);
  const auto address_type = static_cast<std::uint32_t>(ic.m_addressType);
  if (address_type > static_cast<std::uint32_t>(VDS_IA_SCSI)) {
    return InvalidArgumentError(
        absl::StrCat("VDS_LUN_INFORMATION: ", where, ": unknown address type ", address_type));
  }
  Interconnect out;
  out.address_type = static_cast<InterconnectAddressType>(address_type);
  if (auto s = ReadBytes(absl::StrCat(where, " port"), ic.m_pbPort, ic.m_cbPort, kMaxVdsInterconnectBytes,
                         &out.port);
      !s.ok()) {
    return s;
  }
  if (auto s = ReadBytes(absl::StrCat(where, " address"), ic.m_pbAddress, ic.m_cbAddress,
                         kMaxVdsInterconnectBytes, &out.address);
      !s.ok()) {
    return s;
  }
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
  if (info->m_version != VER_VDS_LUN_INFORMATION) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: unknown m_version ", info->m_version,
                                             "; expected ", VER_VDS_LUN_INFORMATION));
  }
  const auto bus_type = static_cast<std::uint32_t>(info->m_BusType);
  if (bus_type > static_cast<std::uint32_t>(BusType::kUfs)) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: unknown bus type ", bus_type));
  }
  const VDS_STORAGE_DEVICE_ID_DESCRIPTOR& descriptor = info->m_deviceIdDescriptor;
  if (auto s = CheckCount("m_deviceIdDescriptor.m_cIdentifiers", descriptor.m_cIdentifiers, kMaxVdsIdentifiers);
      !s.ok()) {
    return s;
  }
  if (descriptor.m_cIdentifiers != 0 && descriptor.m_rgIdentifiers == nullptr) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: m_deviceIdDescriptor.m_rgIdentifiers is null but ",
                                             "m_cIdentifiers is ", descriptor.m_cIdentifiers));
  }
  if (auto s = CheckCount("m_cInterconnects", info->m_cInterconnects, kMaxVdsInterconnects); !s.ok()) return s;
  if (info->m_cInterconnects != 0 && info->m_rgInterconnects == nullptr) {
    return InvalidArgumentError(absl::StrCat("VDS_LUN_INFORMATION: m_rgInterconnects is null but m_cInterconnects is ",
                                             info->m_cInterconnects));
  }

  LunIdentity lun;
  lun.device_type = info->m_DeviceType;
  lun.device_type_modifier = info->m_DeviceTypeModifier;
  lun.command_queueing = info->m_bCommandQueueing != FALSE;
  lun.bus_type = static_cast<BusType>(bus_type);
  if (auto s = ReadString("m_szVendorId", info->m_szVendorId, &lun.vendor_id); !s.ok()) return s;
  if (auto s = ReadString("m_szProductId", info->m_szProductId, &lun.product_id); !s.ok()) return s;
  if (auto s = ReadString("m_szProductRevision", info->m_szProductRevision, &lun.product_revision); !s.ok()) {
    return s;
  }
  if (auto s = ReadString("m_szSerialNumber", info->m_szSerialNumber, &lun.serial_number); !s.ok()) return s;

  lun.designators.reserve(descriptor.m_cIdentifiers);
  for (ULONG i = 0; i < descriptor.m_cIdentifiers; ++i) {
    absl::StatusOr<Designator> designator = ReadIdentifier(i, descriptor.m_rgIdentifiers[i]);
    if (!designator.ok()) return designator.status();
    lun.designators.push_back(*std::move(designator));
  }
  lun.interconnects.reserve(info->m_cInterconnects);
  for (ULONG i = 0; i < info->m_cInterconnects; ++i) {
    absl::StatusOr<Interconnect> interconnect = ReadInterconnect(i, info->m_rgInterconnects[i]);
    if (!interconnect.ok()) return interconnect.status();
    lun.interconnects.push_back(*std::move(interconnect));
  }

  if (auto s = ValidateLunIdentity(lun); !s.ok()) return Annotate(s, "VDS_LUN_INFORMATION");
  return lun;
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
