// Windows GUID <-> RFC 4122 bytes (see hwsnap/windows/guid_conversion.h).
//
// This file exists to spell out, once, the byte order of Data1..Data3.
#include "hwsnap/windows/guid_conversion.h"

namespace hwsnap {
namespace windows {

std::array<std::uint8_t, 16> GuidBytes(const GUID& guid) {
  std::array<std::uint8_t, 16> out{};
  const auto d1 = static_cast<std::uint32_t>(guid.Data1);
  out[0] = static_cast<std::uint8_t>(d1 >> 24);
  out[1] = static_cast<std::uint8_t>(d1 >> 16);
  out[2] = static_cast<std::uint8_t>(d1 >> 8);
  out[3] = static_cast<std::uint8_t>(d1);
  out[4] = static_cast<std::uint8_t>(guid.Data2 >> 8);
  out[5] = static_cast<std::uint8_t>(guid.Data2);
  out[6] = static_cast<std::uint8_t>(guid.Data3 >> 8);
  out[7] = static_cast<std::uint8_t>(guid.Data3);
  for (int i = 0; i < 8; ++i) out[8 + i] = guid.Data4[i];
  return out;
}

GUID GuidFromBytes(const std::array<std::uint8_t, 16>& bytes) {
  GUID guid{};
  guid.Data1 = (static_cast<unsigned long>(bytes[0]) << 24) | (static_cast<unsigned long>(bytes[1]) << 16) |
               (static_cast<unsigned long>(bytes[2]) << 8) | static_cast<unsigned long>(bytes[3]);
  guid.Data2 = static_cast<unsigned short>((bytes[4] << 8) | bytes[5]);
  guid.Data3 = static_cast<unsigned short>((bytes[6] << 8) | bytes[7]);
  for (int i = 0; i < 8; ++i) guid.Data4[i] = bytes[8 + i];
  return guid;
}

}  // namespace windows
}  // namespace hwsnap
