// Namespace lists (CNS 02h, 10h) and controller lists (CNS 12h, 13h), see
// hwsnap/nvme/identify.h. NVMe Base 2.0: a Namespace List is up to 1024
// little-endian 32-bit NSIDs in increasing order, unused entries zero; a
// Controller List is a 16-bit count followed by up to 2047 16-bit ids.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "src/le_view.h"

namespace hwsnap::nvme {
namespace {

constexpr std::size_t kMaxNamespaceListEntries = 1024;
constexpr std::size_t kMaxControllerListEntries = 2047;
constexpr std::uint32_t kBroadcastNsid = 0xffffffff;

}  // namespace

absl::StatusOr<std::vector<std::uint32_t>> ParseNamespaceList(absl::Span<const std::uint8_t> data) {
  if (data.size() % 4 != 0) {
    return InvalidArgumentError(absl::StrCat("Namespace List: ", data.size(), " bytes, not a multiple of 4"));
  }
  std::vector<std::uint32_t> out;
  const std::size_t entries = std::min(data.size() / 4, kMaxNamespaceListEntries);
  for (std::size_t i = 0; i < entries; ++i) {
    const std::uint32_t nsid = internal::Le32(data, i * 4);
    if (nsid == 0) break;
    if (nsid == kBroadcastNsid) {
      return InvalidArgumentError(absl::StrCat("Namespace List: entry ", i, " is the broadcast NSID FFFFFFFFh"));
    }
    if (!out.empty() && nsid <= out.back()) {
      return InvalidArgumentError(absl::StrCat("Namespace List: entry ", i, " (NSID ", nsid,
                                               ") does not increase after NSID ", out.back()));
    }
    out.push_back(nsid);
  }
  return out;
}

absl::StatusOr<std::vector<std::uint16_t>> ParseControllerList(absl::Span<const std::uint8_t> data) {
  if (data.size() < 2) {
    return InvalidArgumentError(absl::StrCat("Controller List: ", data.size(), " bytes, at least 2 needed"));
  }
  const std::size_t count = internal::Le16(data, 0);
  if (count > kMaxControllerListEntries) {
    return InvalidArgumentError(absl::StrCat("Controller List: NUMID ", count, ", at most ",
                                             kMaxControllerListEntries));
  }
  if (!internal::Fits(data, 2, count * 2)) {
    return InvalidArgumentError(absl::StrCat("Controller List: NUMID ", count, " needs ", 2 + count * 2,
                                             " bytes, got ", data.size()));
  }
  std::vector<std::uint16_t> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i) out.push_back(internal::Le16(data, 2 + i * 2));
  return out;
}

}  // namespace hwsnap::nvme
