// le_view.h — bounds-checked little-endian reads and writes for the NVMe parsers (private).
//
// Every NVMe data structure is little-endian and every length or count in it
// comes from the device, so the parsers read through these helpers after
// checking Fits(); nothing here can read out of bounds. The builders write
// command data (Copy ranges, controller lists) with the Put* helpers.
//
//   if (!Fits(data, 516, 4)) return Short(...);
//   std::uint32_t nn = Le32(data, 516);
#ifndef HWSNAP_NVME_SRC_LE_VIEW_H_
#define HWSNAP_NVME_SRC_LE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <string>

#include "absl/types/span.h"

namespace hwsnap::nvme::internal {

using Bytes = absl::Span<const std::uint8_t>;

// True when [offset, offset + length) lies inside `b` (overflow-safe).
inline bool Fits(Bytes b, std::size_t offset, std::size_t length) {
  return offset <= b.size() && length <= b.size() - offset;
}

// Little-endian reads; the caller has checked Fits(b, offset, width).
inline std::uint16_t Le16(Bytes b, std::size_t o) {
  return static_cast<std::uint16_t>(b[o] | (b[o + 1] << 8));
}
inline std::uint32_t Le32(Bytes b, std::size_t o) {
  return static_cast<std::uint32_t>(Le16(b, o)) | (static_cast<std::uint32_t>(Le16(b, o + 2)) << 16);
}
inline std::uint64_t Le64(Bytes b, std::size_t o) {
  return static_cast<std::uint64_t>(Le32(b, o)) | (static_cast<std::uint64_t>(Le32(b, o + 4)) << 32);
}

// Little-endian writes into a buffer the caller sized.
inline void PutLe16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void PutLe32(std::uint8_t* p, std::uint32_t v) {
  PutLe16(p, static_cast<std::uint16_t>(v));
  PutLe16(p + 2, static_cast<std::uint16_t>(v >> 16));
}
inline void PutLe64(std::uint8_t* p, std::uint64_t v) {
  PutLe32(p, static_cast<std::uint32_t>(v));
  PutLe32(p + 4, static_cast<std::uint32_t>(v >> 32));
}

// An ASCII field of Identify data ([offset, offset + length), which the
// caller has checked): cut at the first NUL, trailing spaces removed.
inline std::string AsciiField(Bytes b, std::size_t offset, std::size_t length) {
  std::size_t n = 0;
  while (n < length && b[offset + n] != 0) ++n;
  while (n > 0 && b[offset + n - 1] == ' ') --n;
  return std::string(reinterpret_cast<const char*>(b.data() + offset), n);
}

}  // namespace hwsnap::nvme::internal

#endif  // HWSNAP_NVME_SRC_LE_VIEW_H_
