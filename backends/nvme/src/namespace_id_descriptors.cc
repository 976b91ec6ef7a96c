// Namespace Identification Descriptor list (CNS 03h), see hwsnap/nvme/identify.h.
// Layout (NVMe Base 2.0, "Namespace Identification Descriptor"): byte 0 NIDT,
// byte 1 NIDL, bytes 3:2 reserved, then NIDL bytes of NID; descriptors follow
// each other without padding and the list ends at a descriptor with NIDT 0
// (or at the end of the 4096-byte buffer).
#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "src/le_view.h"

namespace hwsnap::nvme {
namespace {

constexpr std::size_t kHeaderBytes = 4;

// The NIDL a known NIDT requires; 0 for types this code does not know.
std::size_t RequiredLength(std::uint8_t type) {
  switch (type) {
    case static_cast<std::uint8_t>(NamespaceIdType::kEui64): return 8;
    case static_cast<std::uint8_t>(NamespaceIdType::kNguid): return 16;
    case static_cast<std::uint8_t>(NamespaceIdType::kUuid): return 16;
    case static_cast<std::uint8_t>(NamespaceIdType::kCsi): return 1;
    default: return 0;
  }
}

}  // namespace

absl::StatusOr<std::vector<NamespaceIdDescriptor>> ParseNamespaceIdDescriptors(
    absl::Span<const std::uint8_t> data) {
  std::vector<NamespaceIdDescriptor> out;
  std::size_t at = 0;
  while (at < data.size() && data[at] != 0) {
    if (!internal::Fits(data, at, kHeaderBytes)) {
      return InvalidArgumentError(absl::StrCat("Namespace Identification Descriptor at byte ", at,
                                               ": header runs past the ", data.size(), "-byte list"));
    }
    NamespaceIdDescriptor d;
    d.type = data[at];
    const std::size_t length = data[at + 1];
    const std::size_t required = RequiredLength(d.type);
    if (required != 0 && length != required) {
      return InvalidArgumentError(absl::StrCat("Namespace Identification Descriptor at byte ", at, ": NIDT ",
                                               d.type, " with NIDL ", length, ", expected ", required));
    }
    if (!internal::Fits(data, at + kHeaderBytes, length)) {
      return InvalidArgumentError(absl::StrCat("Namespace Identification Descriptor at byte ", at, ": NIDL ",
                                               length, " runs past the ", data.size(), "-byte list"));
    }
    d.id.assign(data.begin() + static_cast<std::ptrdiff_t>(at + kHeaderBytes),
                data.begin() + static_cast<std::ptrdiff_t>(at + kHeaderBytes + length));
    out.push_back(std::move(d));
    at += kHeaderBytes + length;
  }
  return out;
}

}  // namespace hwsnap::nvme
