// byte_view.h — bounds-checked big-endian reads for the SCSI parsers (private).
//
// Every SCSI structure is big-endian and every length in it comes from the
// device, so parsers read through these helpers and check ranges with
// Fits() before touching a byte; nothing here can read out of bounds.
//
//   if (!Fits(page, 8, 4)) return Malformed(...);
//   uint32_t max_transfer = Be32(page, 8);
#ifndef HWSNAP_SCSI_SRC_BYTE_VIEW_H_
#define HWSNAP_SCSI_SRC_BYTE_VIEW_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/types/span.h"

namespace hwsnap::scsi::internal {

using Bytes = absl::Span<const std::uint8_t>;

// True when [offset, offset + length) lies inside `b` (overflow-safe).
inline bool Fits(Bytes b, std::size_t offset, std::size_t length) {
  return offset <= b.size() && length <= b.size() - offset;
}

// Big-endian reads; the caller has checked Fits(b, offset, width).
inline std::uint16_t Be16(Bytes b, std::size_t o) {
  return static_cast<std::uint16_t>((b[o] << 8) | b[o + 1]);
}
inline std::uint32_t Be24(Bytes b, std::size_t o) {
  return (static_cast<std::uint32_t>(b[o]) << 16) | (static_cast<std::uint32_t>(b[o + 1]) << 8) | b[o + 2];
}
inline std::uint32_t Be32(Bytes b, std::size_t o) {
  return (static_cast<std::uint32_t>(b[o]) << 24) | Be24(b, o + 1);
}
inline std::uint64_t Be64(Bytes b, std::size_t o) {
  return (static_cast<std::uint64_t>(Be32(b, o)) << 32) | Be32(b, o + 4);
}

// Reads `width` bytes at `o` if they fit, else returns 0 (optional trailing
// fields of pages that older devices send shorter).
inline std::uint32_t Be32Or0(Bytes b, std::size_t o) { return Fits(b, o, 4) ? Be32(b, o) : 0; }
inline std::uint16_t Be16Or0(Bytes b, std::size_t o) { return Fits(b, o, 2) ? Be16(b, o) : 0; }
inline std::uint64_t Be64Or0(Bytes b, std::size_t o) { return Fits(b, o, 8) ? Be64(b, o) : 0; }
inline std::uint8_t ByteOr0(Bytes b, std::size_t o) { return o < b.size() ? b[o] : 0; }

// Big-endian writes into a buffer the caller sized.
inline void PutBe16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v >> 8);
  p[1] = static_cast<std::uint8_t>(v);
}
inline void PutBe32(std::uint8_t* p, std::uint32_t v) {
  PutBe16(p, static_cast<std::uint16_t>(v >> 16));
  PutBe16(p + 2, static_cast<std::uint16_t>(v));
}
inline void PutBe64(std::uint8_t* p, std::uint64_t v) {
  PutBe32(p, static_cast<std::uint32_t>(v >> 32));
  PutBe32(p + 4, static_cast<std::uint32_t>(v));
}

// The bytes [offset, offset + length) clipped to `b`, as a string.
inline std::string TextAt(Bytes b, std::size_t offset, std::size_t length) {
  if (offset >= b.size()) return std::string();
  const std::size_t n = length < b.size() - offset ? length : b.size() - offset;
  return std::string(reinterpret_cast<const char*>(b.data() + offset), n);
}

}  // namespace hwsnap::scsi::internal

#endif  // HWSNAP_SCSI_SRC_BYTE_VIEW_H_
