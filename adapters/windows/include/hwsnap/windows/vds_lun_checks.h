// hwsnap/windows/vds_lun_checks.h — the input checks of VDS_LUN_INFORMATION,
// without Windows headers.
//
// This file exists so that the distrustful reading of the LUN descriptions VSS
// hands a hardware provider (vdslun.h's VDS_LUN_INFORMATION: raw C strings,
// counted arrays, byte buffers) can be unit-tested and fuzzed on every
// platform. VdsLunFields mirrors VDS_LUN_INFORMATION field by field with
// fixed-width types; the Windows adapter (vds_lun_conversion.cc) copies a
// VDS_LUN_INFORMATION into it and calls LunIdentityFromVdsFields, so the DLL
// runs exactly the checks tested here.
//
//   VdsLunFields fields;
//   fields.version = kVdsLunInformationVersion;
//   fields.identifier_count = 1;
//   fields.identifiers = &naa;               // a VdsIdentifierFields
//   absl::StatusOr<LunIdentity> lun = LunIdentityFromVdsFields(fields);
//   if (!lun.ok()) return lun.status();      // kInvalidArgument naming the field
//
// Order of the checks (the first failure is returned): version, bus type,
// identifier count and array, interconnect count and array, the four strings,
// each identifier (code set, type, length, bytes), each interconnect (address
// type, port, address), then hwsnap::ValidateLunIdentity on the result.
// Nothing is read beyond what the counts allow, and every count is checked
// against its limit before anything it covers is read.
#ifndef HWSNAP_WINDOWS_VDS_LUN_CHECKS_H_
#define HWSNAP_WINDOWS_VDS_LUN_CHECKS_H_

#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "hwsnap/lun_identity.h"

namespace hwsnap {
namespace windows {

// VER_VDS_LUN_INFORMATION (vdslun.h; vds_lun_conversion.cc checks the value).
inline constexpr std::uint32_t kVdsLunInformationVersion = 1;

// Structural limits applied before anything is copied. Counts are ULONG in
// vdslun.h: a caller's "-1" arrives as 0xFFFFFFFF and is rejected as absurd.
// They match or exceed the content limits of ValidateLunIdentity, which then
// applies its own (stricter) ones.
inline constexpr std::uint32_t kMaxVdsIdentifiers = 64;
inline constexpr std::uint32_t kMaxVdsIdentifierBytes = 255;  // one-byte length in VPD page 0x83
inline constexpr std::uint32_t kMaxVdsInterconnects = 64;
inline constexpr std::uint32_t kMaxVdsInterconnectBytes = 4096;
// A string without a NUL within this many bytes is rejected unread beyond it
// (at most kMaxVdsStringBytes + 1 bytes are read).
inline constexpr std::size_t kMaxVdsStringBytes = 4096;

// VDS_STORAGE_IDENTIFIER. `bytes` must point to `byte_count` readable bytes
// unless byte_count is 0 or beyond kMaxVdsIdentifierBytes (then it is not read).
struct VdsIdentifierFields {
  std::uint32_t code_set = 0;  // m_CodeSet (VDS_STORAGE_IDENTIFIER_CODE_SET)
  std::uint32_t type = 0;      // m_Type (VDS_STORAGE_IDENTIFIER_TYPE)
  std::uint32_t byte_count = 0;
  const std::uint8_t* bytes = nullptr;
};

// VDS_INTERCONNECT. Each buffer must be readable for its count unless the
// count is 0 or beyond kMaxVdsInterconnectBytes.
struct VdsInterconnectFields {
  std::uint32_t address_type = 0;  // m_addressType (VDS_INTERCONNECT_ADDRESS_TYPE)
  std::uint32_t port_count = 0;
  const std::uint8_t* port = nullptr;
  std::uint32_t address_count = 0;
  const std::uint8_t* address = nullptr;
};

// VDS_LUN_INFORMATION without m_diskSignature and m_deviceIdDescriptor.m_version
// (VSS ignores both when matching LUNs; neither is checked). Strings may be
// null (read as empty); otherwise each must be readable up to its NUL or
// kMaxVdsStringBytes + 1 bytes, whichever comes first. Each array must hold
// its count of entries unless the count is 0 or beyond its limit.
struct VdsLunFields {
  std::uint32_t version = 0;  // m_version
  std::uint8_t device_type = 0;
  std::uint8_t device_type_modifier = 0;
  bool command_queueing = false;  // m_bCommandQueueing != FALSE
  std::uint32_t bus_type = 0;     // m_BusType (VDS_STORAGE_BUS_TYPE)
  const char* vendor_id = nullptr;
  const char* product_id = nullptr;
  const char* product_revision = nullptr;
  const char* serial_number = nullptr;
  std::uint32_t identifier_count = 0;  // m_deviceIdDescriptor.m_cIdentifiers
  const VdsIdentifierFields* identifiers = nullptr;
  std::uint32_t interconnect_count = 0;  // m_cInterconnects
  const VdsInterconnectFields* interconnects = nullptr;
};

// Converts `fields` to a LunIdentity: every identifier becomes a designator
// with association 0 (VDS has no association field). Fails with
// kInvalidArgument, the message starting "VDS_LUN_INFORMATION: " and naming
// the field, when the version is not kVdsLunInformationVersion, an enum value
// is outside vdslun.h, a count or length exceeds its limit, a pointer is null
// behind a non-zero count, a string is not NUL-terminated within
// kMaxVdsStringBytes, or the result fails ValidateLunIdentity.
absl::StatusOr<LunIdentity> LunIdentityFromVdsFields(const VdsLunFields& fields);

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_VDS_LUN_CHECKS_H_
