// hwsnap/ids.h — snapshot-set and snapshot identifiers.
//
// VSS names sets and snapshots with GUIDs. hwsnap stores them as Boost.Uuid
// values and prints/parses them in the Windows registry form
// "{6B29FC40-CA47-1067-B31D-00DD010662DA}" (upper-case, braces), which is what
// administrators see in vssadmin and the event log. The 16 bytes are held in
// RFC 4122 (big-endian) order; the Windows adapter converts to and from the
// GUID struct, whose first three fields are little-endian.
//
//   auto id = hwsnap::ParseGuid("{6B29FC40-CA47-1067-B31D-00DD010662DA}");
//   if (!id.ok()) return id.status();   // invalid-argument for malformed text
#ifndef HWSNAP_IDS_H_
#define HWSNAP_IDS_H_

#include <array>
#include <cstdint>
#include <functional>
#include <ostream>
#include <string>
#include "absl/strings/string_view.h"

#include <boost/uuid/uuid.hpp>

#include "absl/status/statusor.h"

namespace hwsnap {

// A GUID. Tag types keep a set id from being passed where a snapshot id is expected.
template <typename Tag>
class Guid {
 public:
  Guid() = default;  // the nil GUID {00000000-0000-0000-0000-000000000000}
  explicit Guid(const boost::uuids::uuid& value) : value_(value) {}

  // A fresh random (version 4) GUID.
  static Guid Random();
  // Parses "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}" (either case; braces
  // optional). Anything else is an invalid-argument error.
  static absl::StatusOr<Guid> Parse(absl::string_view text);
  // The 16 bytes in RFC 4122 order.
  static Guid FromBytes(const std::array<std::uint8_t, 16>& bytes);

  const boost::uuids::uuid& value() const { return value_; }
  std::array<std::uint8_t, 16> bytes() const;
  bool is_nil() const { return value_.is_nil(); }
  // "{XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX}", upper-case.
  std::string ToString() const;

  friend bool operator==(const Guid& a, const Guid& b) { return a.value_ == b.value_; }
  friend bool operator!=(const Guid& a, const Guid& b) { return a.value_ != b.value_; }
  friend bool operator<(const Guid& a, const Guid& b) { return a.value_ < b.value_; }
  friend std::ostream& operator<<(std::ostream& os, const Guid& g) { return os << g.ToString(); }
  template <typename H>
  friend H AbslHashValue(H h, const Guid& g) {
    return H::combine_contiguous(std::move(h), g.value_.data, 16);
  }

 private:
  boost::uuids::uuid value_{};
};

struct SnapshotSetTag {};
struct SnapshotTag {};
using SnapshotSetId = Guid<SnapshotSetTag>;
using SnapshotId = Guid<SnapshotTag>;

// The untyped primitives the template uses (exposed for the adapter and tests).
absl::StatusOr<boost::uuids::uuid> ParseGuidText(absl::string_view text);
std::string FormatGuid(const boost::uuids::uuid& value);
boost::uuids::uuid RandomGuid();

template <typename Tag>
Guid<Tag> Guid<Tag>::Random() { return Guid(RandomGuid()); }

template <typename Tag>
absl::StatusOr<Guid<Tag>> Guid<Tag>::Parse(absl::string_view text) {
  auto parsed = ParseGuidText(text);
  if (!parsed.ok()) return parsed.status();
  return Guid(*parsed);
}

template <typename Tag>
Guid<Tag> Guid<Tag>::FromBytes(const std::array<std::uint8_t, 16>& bytes) {
  boost::uuids::uuid u{};
  for (int i = 0; i < 16; ++i) u.data[i] = bytes[i];
  return Guid(u);
}

template <typename Tag>
std::array<std::uint8_t, 16> Guid<Tag>::bytes() const {
  std::array<std::uint8_t, 16> out{};
  for (int i = 0; i < 16; ++i) out[i] = value_.data[i];
  return out;
}

template <typename Tag>
std::string Guid<Tag>::ToString() const { return FormatGuid(value_); }

}  // namespace hwsnap

#endif  // HWSNAP_IDS_H_
