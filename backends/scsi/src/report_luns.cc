// REPORT LUNS data and LUN structures (see hwsnap/scsi/report_luns.h).
// Address methods from SAM-5 4.7.3ff: peripheral device (00b: bus id in byte 0
// bits 5-0, LUN in byte 1), flat space (01b: 14-bit LUN), logical unit (10b),
// extended (11b: length code bits 5-4, extended method bits 3-0; well-known
// LUN = length 00b method 1h; extended flat space = length 01b method 2h, 24
// bits; long extended flat space = length 10b method 2h, 40 bits).
#include "hwsnap/scsi/report_luns.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {
namespace {

bool ZeroFrom(const std::array<std::uint8_t, 8>& raw, std::size_t from) {
  for (std::size_t i = from; i < raw.size(); ++i) {
    if (raw[i] != 0) return false;
  }
  return true;
}

}  // namespace

LunEntry DecodeLun(const std::array<std::uint8_t, 8>& raw) {
  LunEntry e;
  e.raw = raw;
  e.method = static_cast<LunAddressMethod>(raw[0] >> 6);
  switch (e.method) {
    case LunAddressMethod::kPeripheral:
      e.multi_level = !ZeroFrom(raw, 2);
      if ((raw[0] & 0x3F) == 0) {
        e.decoded = true;
        e.number = raw[1];
      }
      break;
    case LunAddressMethod::kFlat:
      e.multi_level = !ZeroFrom(raw, 2);
      e.decoded = true;
      e.number = (static_cast<std::uint64_t>(raw[0] & 0x3F) << 8) | raw[1];
      break;
    case LunAddressMethod::kLogicalUnit:
      e.multi_level = !ZeroFrom(raw, 2);
      break;
    case LunAddressMethod::kExtended: {
      const std::uint8_t length_code = static_cast<std::uint8_t>((raw[0] >> 4) & 0x03);
      const std::uint8_t method = static_cast<std::uint8_t>(raw[0] & 0x0F);
      if (length_code == 0 && method == 0x1) {
        e.well_known = true;
        e.decoded = true;
        e.number = raw[1];
        e.multi_level = !ZeroFrom(raw, 2);
      } else if (length_code == 1 && method == 0x2) {
        e.decoded = true;
        e.number = (static_cast<std::uint64_t>(raw[1]) << 16) | (static_cast<std::uint64_t>(raw[2]) << 8) | raw[3];
        e.multi_level = !ZeroFrom(raw, 4);
      } else if (length_code == 2 && method == 0x2) {
        e.decoded = true;
        for (std::size_t i = 1; i <= 5; ++i) e.number = (e.number << 8) | raw[i];
        e.multi_level = !ZeroFrom(raw, 6);
      }
      break;
    }
  }
  return e;
}

std::string LunEntry::ToString() const {
  if (decoded && well_known) return absl::StrFormat("w-lun 0x%02x", number);
  if (decoded && !multi_level) return absl::StrCat("lun ", number);
  return absl::StrCat("raw ", absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(raw.data()),
                                                                         raw.size())));
}

absl::StatusOr<ReportLuns> ParseReportLuns(absl::Span<const std::uint8_t> data) {
  if (data.size() < 8) {
    return BackendFailureError(absl::StrCat("REPORT LUNS: ", data.size(), " bytes, the 8-byte header needs 8"));
  }
  ReportLuns out;
  out.list_length = internal::Be32(data, 0);
  if (out.list_length % 8 != 0) {
    return BackendFailureError(absl::StrCat("REPORT LUNS: LUN list length ", out.list_length,
                                            " is not a multiple of 8"));
  }
  const std::size_t available = (data.size() - 8) / 8;
  const std::size_t listed = out.list_length / 8;
  out.truncated = listed > available;
  const std::size_t count = listed < available ? listed : available;
  out.luns.reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    std::array<std::uint8_t, 8> raw{};
    for (std::size_t j = 0; j < 8; ++j) raw[j] = data[8 + i * 8 + j];
    out.luns.push_back(DecodeLun(raw));
  }
  return out;
}

}  // namespace hwsnap::scsi
