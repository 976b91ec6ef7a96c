// hwsnap/windows/vds_lun_conversion.h — VDS_LUN_INFORMATION <-> hwsnap::LunIdentity.
//
// This file exists because VSS describes every LUN to a hardware provider as a
// VDS_LUN_INFORMATION (vdslun.h): raw C strings, counted arrays and byte
// buffers that arrive from outside the process and must be distrusted, and
// that the provider must hand back (GetTargetLuns, FillInLunInfo) allocated
// with CoTaskMemAlloc because VSS frees them. The core only knows
// hwsnap::LunIdentity; these functions are the one place where the two meet.
// Windows only (it includes <vdslun.h>); built into hwsnap_vss_adapter.
//
//   absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&rgLunInformation[i]);
//   if (!lun.ok()) return MapStatusToResult(method, lun.status());  // E_INVALIDARG
//
//   VDS_LUN_INFORMATION* dest = &rgDestinationLuns[i];              // empty, from VSS
//   absl::Status s = LunIdentityToVds(target_identity, dest);       // VSS frees it
//
// Reading (LunIdentityFromVds) checks the structure first — version, null
// pointers behind non-zero counts, counts and lengths beyond sane limits,
// enum values outside vdslun.h, strings not NUL-terminated within a bound —
// and then the content with hwsnap::ValidateLunIdentity. Any failure is an
// hwsnap kInvalidArgument whose message names the field; nothing is read
// beyond the bounds the counts give (and the bounds are checked first).
// VDS has no association field: every identifier becomes a designator with
// association 0 (the logical unit), which is what VSS's descriptors are.
// m_diskSignature and m_deviceIdDescriptor.m_version are not represented in
// LunIdentity (VSS ignores both when matching LUNs) and are not checked.
//
// Writing (LunIdentityToVds) validates the identity, then allocates every
// string and buffer with CoTaskMemAlloc; only association-0 designators are
// written (VSS's descriptor list holds the logical unit's identifiers only).
// If an allocation fails, everything allocated so far is freed, the output is
// left untouched and the result is hwsnap kOutOfMemory.
#ifndef HWSNAP_WINDOWS_VDS_LUN_CONVERSION_H_
#define HWSNAP_WINDOWS_VDS_LUN_CONVERSION_H_

#include <windows.h>
// windows.h first: vdslun.h uses its types.
#include <vdslun.h>

#include <cstddef>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/windows/vds_lun_checks.h"

namespace hwsnap {
namespace windows {

// The structural limits (kMaxVdsIdentifiers, kMaxVdsIdentifierBytes,
// kMaxVdsInterconnects, kMaxVdsInterconnectBytes, kMaxVdsStringBytes) and the
// checks themselves are in hwsnap/windows/vds_lun_checks.h, which builds on
// every platform; LunIdentityFromVds copies `info` into VdsLunFields and runs
// LunIdentityFromVdsFields.

// Converts `info` (from VSS) to a LunIdentity. `info` is only read.
// Fails with kInvalidArgument (message names the field) when `info` is null,
// m_version is not VER_VDS_LUN_INFORMATION, a count exceeds its limit, a
// pointer is null behind a non-zero count, an enum value is unknown, a string
// is not NUL-terminated within kMaxVdsStringBytes, or the result fails
// ValidateLunIdentity. Null strings become empty strings.
absl::StatusOr<LunIdentity> LunIdentityFromVds(const VDS_LUN_INFORMATION* info);

// Where LunIdentityToVds gets and returns memory. The default is the COM task
// allocator (what VSS frees with); tests substitute a counting or failing one.
struct VdsAllocator {
  void* (*allocate)(std::size_t bytes) = nullptr;  // may return nullptr (out of memory)
  void (*free)(void* block) = nullptr;             // must accept nullptr
};
// CoTaskMemAlloc / CoTaskMemFree.
VdsAllocator CoTaskMemAllocator();

// Fills `*out` with `lun`: m_version VER_VDS_LUN_INFORMATION, every scalar
// field, the four strings (empty strings are allocated as "" — never null),
// the association-0 designators as m_deviceIdDescriptor identifiers
// (descriptor version `descriptor_version`), the interconnects, and GUID_NULL
// as disk signature. `*out` is treated as empty: whatever it held is
// overwritten, not freed. Fails with kInvalidArgument when `out` is null or
// `lun` fails ValidateLunIdentity, and with kOutOfMemory when an allocation
// fails; on failure nothing stays allocated and `*out` is unchanged.
absl::Status LunIdentityToVds(const LunIdentity& lun, VDS_LUN_INFORMATION* out,
                              ULONG descriptor_version = 1,
                              const VdsAllocator& allocator = CoTaskMemAllocator());

// Frees everything a VDS_LUN_INFORMATION owns (strings, identifier array and
// buffers, interconnect array and buffers) with `allocator` and zeroes the
// struct; the struct itself is not freed. Null members are skipped, so it is
// safe on a zeroed struct, a partly filled one (as long as counts do not
// exceed the allocated arrays) and on nullptr.
void FreeVdsLunInformation(VDS_LUN_INFORMATION* info,
                           const VdsAllocator& allocator = CoTaskMemAllocator());

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_VDS_LUN_CONVERSION_H_
