// hwsnap/windows/guid_conversion.h — Windows GUID/VSS_ID <-> hwsnap::Guid.
//
// This file exists because the two hold the same 16 bytes in different
// orders: hwsnap::Guid keeps RFC 4122 (big-endian) bytes, while the Windows
// GUID struct stores Data1, Data2 and Data3 as little-endian integers. A
// byte-wise copy would silently scramble every snapshot-set id VSS hands the
// provider; these two functions are the only place the conversion happens.
// Windows only (uses <guiddef.h>'s GUID).
//
//   hwsnap::SnapshotSetId set = GuidFromWindows<hwsnap::SnapshotSetTag>(SnapshotSetId);
//   GUID back = GuidToWindows(set);   // IsEqualGUID(back, SnapshotSetId)
#ifndef HWSNAP_WINDOWS_GUID_CONVERSION_H_
#define HWSNAP_WINDOWS_GUID_CONVERSION_H_

#include <windows.h>

#include <array>
#include <cstdint>

#include "hwsnap/ids.h"

namespace hwsnap {
namespace windows {

// The RFC 4122 byte order of `guid`: Data1..Data3 most significant byte first, then Data4.
std::array<std::uint8_t, 16> GuidBytes(const GUID& guid);
// The inverse of GuidBytes.
GUID GuidFromBytes(const std::array<std::uint8_t, 16>& bytes);

template <typename Tag>
Guid<Tag> GuidFromWindows(const GUID& guid) {
  return Guid<Tag>::FromBytes(GuidBytes(guid));
}

template <typename Tag>
GUID GuidToWindows(const Guid<Tag>& guid) {
  return GuidFromBytes(guid.bytes());
}

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_GUID_CONVERSION_H_
