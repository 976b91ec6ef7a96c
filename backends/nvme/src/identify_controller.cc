// Identify Controller (CNS 01h) data, see hwsnap/nvme/identify.h. Offsets from
// NVMe Base Specification 2.0, figure "Identify - Identify Controller Data
// Structure"; tests/nvme/libnvme_layout_test.cc checks them against
// libnvme's struct nvme_id_ctrl.
#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "src/le_view.h"

namespace hwsnap::nvme {
namespace {

using internal::AsciiField;
using internal::Le16;
using internal::Le32;

// Byte offsets (NVMe Base 2.0).
constexpr std::size_t kVid = 0, kSsvid = 2, kSn = 4, kMn = 24, kFr = 64, kIeee = 73, kCmic = 76, kMdts = 77,
                      kCntlid = 78, kVer = 80, kOacs = 256, kNn = 516, kOncs = 520, kOcfs = 534, kMnan = 540,
                      kSubnqn = 768;
constexpr std::size_t kSnBytes = 20, kMnBytes = 40, kFrBytes = 8, kSubnqnBytes = 256;
// Everything parsed lies below the end of SUBNQN; the reserved and
// vendor-specific rest of the 4096 bytes is not needed.
constexpr std::size_t kMinimumBytes = kSubnqn + kSubnqnBytes;

}  // namespace

absl::StatusOr<IdentifyController> ParseIdentifyController(absl::Span<const std::uint8_t> data) {
  if (data.size() < kMinimumBytes) {
    return InvalidArgumentError(absl::StrCat("Identify Controller: ", data.size(), " bytes, at least ",
                                             kMinimumBytes, " needed (through SUBNQN)"));
  }
  IdentifyController c;
  c.vid = Le16(data, kVid);
  c.ssvid = Le16(data, kSsvid);
  c.serial_number = AsciiField(data, kSn, kSnBytes);
  c.model_number = AsciiField(data, kMn, kMnBytes);
  c.firmware_revision = AsciiField(data, kFr, kFrBytes);
  c.ieee_oui = {data[kIeee], data[kIeee + 1], data[kIeee + 2]};
  c.cmic = data[kCmic];
  c.mdts = data[kMdts];
  c.cntlid = Le16(data, kCntlid);
  c.version = Le32(data, kVer);
  c.oacs = Le16(data, kOacs);
  c.nn = Le32(data, kNn);
  c.oncs = Le16(data, kOncs);
  c.ocfs = Le16(data, kOcfs);
  c.mnan = Le32(data, kMnan);
  c.subnqn = AsciiField(data, kSubnqn, kSubnqnBytes);
  return c;
}

}  // namespace hwsnap::nvme
