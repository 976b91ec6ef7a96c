// Identify Namespace (CNS 00h / 11h) data, see hwsnap/nvme/identify.h.
// Offsets from the NVM Command Set Specification 1.0 (the NVM command set's
// I/O Command Set specific Identify Namespace data structure, which CNS 00h
// returns); tests/nvme/libnvme_layout_test.cc checks them against libnvme's
// struct nvme_id_ns.
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "src/le_view.h"

namespace hwsnap::nvme {
namespace {

using internal::Le16;
using internal::Le32;
using internal::Le64;

constexpr std::size_t kNsze = 0, kNcap = 8, kNuse = 16, kNsfeat = 24, kNlbaf = 25, kFlbas = 26, kNmic = 30,
                      kMssrl = 74, kMcl = 76, kMsrc = 80, kNguid = 104, kEui64 = 120, kLbaf = 128;
constexpr std::size_t kLbafBytes = 4;
constexpr std::uint8_t kMaxNlbaf = 63;  // LBAF0..LBAF63 (NVMe 2.0)
// A logical block is at least 512 bytes (LBADS >= 9); LBADS above 31 cannot
// be a block size this code can represent.
constexpr std::uint8_t kMinLbads = 9, kMaxLbads = 31;

bool AnyNonZero(absl::Span<const std::uint8_t> bytes) {
  return std::any_of(bytes.begin(), bytes.end(), [](std::uint8_t b) { return b != 0; });
}

}  // namespace

std::uint32_t IdentifyNamespace::block_bytes() const {
  const std::uint8_t index = format_index();
  if (index > nlbaf || index >= lba_formats.size()) return 0;
  const std::uint8_t lbads = lba_formats[index].lba_data_size_log2;
  if (lbads < kMinLbads || lbads > kMaxLbads) return 0;
  return std::uint32_t{1} << lbads;
}

bool IdentifyNamespace::nguid_present() const { return AnyNonZero(nguid); }
bool IdentifyNamespace::eui64_present() const { return AnyNonZero(eui64); }

absl::StatusOr<IdentifyNamespace> ParseIdentifyNamespace(absl::Span<const std::uint8_t> data) {
  if (data.size() < kLbaf + kLbafBytes) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: ", data.size(), " bytes, at least ",
                                             kLbaf + kLbafBytes, " needed (through LBAF0)"));
  }
  IdentifyNamespace ns;
  ns.nsze = Le64(data, kNsze);
  ns.ncap = Le64(data, kNcap);
  ns.nuse = Le64(data, kNuse);
  ns.nsfeat = data[kNsfeat];
  ns.nlbaf = data[kNlbaf];
  ns.flbas = data[kFlbas];
  ns.nmic = data[kNmic];
  ns.mssrl = Le16(data, kMssrl);
  ns.mcl = Le32(data, kMcl);
  ns.msrc = data[kMsrc];
  std::copy_n(data.begin() + kNguid, ns.nguid.size(), ns.nguid.begin());
  std::copy_n(data.begin() + kEui64, ns.eui64.size(), ns.eui64.begin());
  if (ns.nlbaf > kMaxNlbaf) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: NLBAF (byte 25) is ", ns.nlbaf, ", at most ",
                                             kMaxNlbaf, " (64 LBA formats)"));
  }
  const std::size_t formats = std::size_t{ns.nlbaf} + 1;
  if (!internal::Fits(data, kLbaf, formats * kLbafBytes)) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: ", data.size(), " bytes cannot hold NLBAF+1 = ",
                                             formats, " LBA formats (", kLbaf + formats * kLbafBytes,
                                             " bytes needed)"));
  }
  ns.lba_formats.reserve(formats);
  for (std::size_t i = 0; i < formats; ++i) {
    const std::size_t at = kLbaf + i * kLbafBytes;
    LbaFormat f;
    f.metadata_size = Le16(data, at);
    f.lba_data_size_log2 = data[at + 2];
    f.relative_performance = static_cast<std::uint8_t>(data[at + 3] & 0x03);
    ns.lba_formats.push_back(f);
  }
  // An inactive NSID answers with zeros (NVMe Base 2.0, Identify CNS 00h):
  // nothing else to check. An active (or allocated) one must be consistent.
  if (!ns.active()) return ns;
  if (ns.format_index() > ns.nlbaf) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: FLBAS (byte 26) selects LBA format ",
                                             ns.format_index(), " but NLBAF is ", ns.nlbaf));
  }
  const std::uint8_t lbads = ns.lba_formats[ns.format_index()].lba_data_size_log2;
  if (lbads < kMinLbads || lbads > kMaxLbads) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: LBA format ", ns.format_index(),
                                             " in use has LBADS ", lbads, " (expected ", kMinLbads, "..",
                                             kMaxLbads, ")"));
  }
  if (ns.ncap > ns.nsze || ns.nuse > ns.ncap) {
    return InvalidArgumentError(absl::StrCat("Identify Namespace: inconsistent sizes NSZE ", ns.nsze, ", NCAP ",
                                             ns.ncap, ", NUSE ", ns.nuse, " (NUSE <= NCAP <= NSZE)"));
  }
  return ns;
}

}  // namespace hwsnap::nvme
