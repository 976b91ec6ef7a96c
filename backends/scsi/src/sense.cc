// Sense data decoding (see hwsnap/scsi/sense.h). Layouts from SPC-4 4.5:
// fixed format (4.5.3: VALID/response code, sense key at byte 2, INFORMATION
// 3-6, additional length 7, command-specific 8-11, asc/ascq 12-13, FRU 14,
// SKSV + sense key specific 15-17) and descriptor format (4.5.2: sense key at
// byte 1, asc/ascq 2-3, additional length 7, descriptors from byte 8 as
// type/additional length/data; 0x00 information, 0x01 command-specific,
// 0x02 sense key specific, 0x03 FRU).
#include <algorithm>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {
namespace {

using internal::Bytes;

// Fills `out` in place (copying a SenseData with disengaged optionals draws
// GCC 12's -Wmaybe-uninitialized false positive at -O2).
absl::Status ParseFixed(Bytes s, SenseData& out) {
  // Fixed sense may arrive short (the initiator's buffer, or a lazy device):
  // fields past the end read 0; ADDITIONAL SENSE LENGTH bounds the rest.
  const std::size_t valid_length = s.size() >= 8 ? std::min<std::size_t>(s.size(), 8u + s[7]) : s.size();
  s = s.subspan(0, valid_length);
  const std::uint8_t b2 = internal::ByteOr0(s, 2);
  out.filemark = (b2 & 0x80) != 0;
  out.eom = (b2 & 0x40) != 0;
  out.ili = (b2 & 0x20) != 0;
  out.sense_key = static_cast<SenseKey>(b2 & 0x0F);
  if ((s[0] & 0x80) != 0 && internal::Fits(s, 3, 4)) out.information = internal::Be32(s, 3);
  if (internal::Fits(s, 8, 4)) {
    const std::uint32_t csi = internal::Be32(s, 8);
    if (csi != 0) out.command_specific = csi;
  }
  out.asc = internal::ByteOr0(s, 12);
  out.ascq = internal::ByteOr0(s, 13);
  out.fru = internal::ByteOr0(s, 14);
  if (internal::Fits(s, 15, 3) && (s[15] & 0x80) != 0) {
    out.sense_key_specific = std::array<std::uint8_t, 3>{s[15], s[16], s[17]};
  }
  return absl::OkStatus();
}

absl::Status ParseDescriptor(Bytes s, SenseData& out) {
  if (s.size() < 4) {
    return BackendFailureError(absl::StrCat("sense (descriptor format): ", s.size(), " bytes, at least 4 needed"));
  }
  out.sense_key = static_cast<SenseKey>(s[1] & 0x0F);
  out.asc = s[2];
  out.ascq = s[3];
  if (s.size() < 8) return absl::OkStatus();
  const std::size_t end = std::min<std::size_t>(s.size(), 8u + s[7]);
  // Cut short by the initiator's sense buffer (not by the device): keep the
  // key, ASC/ASCQ and whole descriptors, drop the one the cut went through.
  const bool cut_by_buffer = s.size() < 8u + s[7];
  std::size_t pos = 8;
  for (std::size_t index = 0; pos < end; ++index) {
    if (cut_by_buffer && (end - pos < 2 || s[pos + 1] > end - pos - 2)) break;
    if (end - pos < 2) {
      return BackendFailureError(absl::StrCat("sense: descriptor ", index, " header at byte ", pos,
                                              " is cut short (sense end at ", end, ")"));
    }
    SenseDescriptor d;
    d.type = s[pos];
    const std::size_t length = s[pos + 1];
    if (length > end - pos - 2) {
      return BackendFailureError(absl::StrFormat("sense: descriptor %d (type 0x%02x) length %d runs past sense end "
                                                 "(%d bytes)", index, d.type, length, end));
    }
    const Bytes data = s.subspan(pos + 2, length);
    d.data.assign(data.begin(), data.end());
    switch (d.type) {
      case 0x00:  // information: VALID at data[0] bit 7, value at data[2..9]
        if (data.size() >= 10 && (data[0] & 0x80) != 0) out.information = internal::Be64(data, 2);
        break;
      case 0x01:  // command-specific information at data[2..9]
        if (data.size() >= 10) out.command_specific = internal::Be64(data, 2);
        break;
      case 0x02:  // sense key specific at data[2..4]
        if (data.size() >= 5 && (data[2] & 0x80) != 0) {
          out.sense_key_specific = std::array<std::uint8_t, 3>{data[2], data[3], data[4]};
        }
        break;
      case 0x03:  // field replaceable unit at data[1]
        if (data.size() >= 2) out.fru = data[1];
        break;
      default:
        break;
    }
    out.descriptors.push_back(std::move(d));
    pos += 2 + length;
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view SenseKeyName(SenseKey key) {
  switch (key) {
    case SenseKey::kNoSense: return "NO SENSE";
    case SenseKey::kRecoveredError: return "RECOVERED ERROR";
    case SenseKey::kNotReady: return "NOT READY";
    case SenseKey::kMediumError: return "MEDIUM ERROR";
    case SenseKey::kHardwareError: return "HARDWARE ERROR";
    case SenseKey::kIllegalRequest: return "ILLEGAL REQUEST";
    case SenseKey::kUnitAttention: return "UNIT ATTENTION";
    case SenseKey::kDataProtect: return "DATA PROTECT";
    case SenseKey::kBlankCheck: return "BLANK CHECK";
    case SenseKey::kVendorSpecific: return "VENDOR SPECIFIC";
    case SenseKey::kCopyAborted: return "COPY ABORTED";
    case SenseKey::kAbortedCommand: return "ABORTED COMMAND";
    case SenseKey::kReserved: return "RESERVED";
    case SenseKey::kVolumeOverflow: return "VOLUME OVERFLOW";
    case SenseKey::kMiscompare: return "MISCOMPARE";
    case SenseKey::kCompleted: return "COMPLETED";
  }
  return "UNKNOWN SENSE KEY";
}

std::string SenseData::FieldPointerText() const {
  if (sense_key != SenseKey::kIllegalRequest || !sense_key_specific) return std::string();
  const auto& sks = *sense_key_specific;
  const bool in_cdb = (sks[0] & 0x40) != 0;
  const unsigned field = (static_cast<unsigned>(sks[1]) << 8) | sks[2];
  std::string out = absl::StrCat(in_cdb ? "CDB" : "parameter list", " byte ", field);
  if ((sks[0] & 0x08) != 0) absl::StrAppend(&out, " bit ", sks[0] & 0x07);
  return out;
}

absl::StatusOr<SenseData> ParseSense(absl::Span<const std::uint8_t> sense) {
  if (sense.empty()) return BackendFailureError("sense: no sense bytes");
  SenseData out;
  out.response_code = static_cast<std::uint8_t>(sense[0] & 0x7F);
  switch (out.response_code) {
    case 0x70:
    case 0x71:
      out.deferred = out.response_code == 0x71;
      if (absl::Status s = ParseFixed(sense, out); !s.ok()) return s;
      return out;
    case 0x72:
    case 0x73:
      out.descriptor_format = true;
      out.deferred = out.response_code == 0x73;
      if (absl::Status s = ParseDescriptor(sense, out); !s.ok()) return s;
      return out;
    default:
      return BackendFailureError(absl::StrFormat("sense: unknown response code 0x%02x", out.response_code));
  }
}

}  // namespace hwsnap::scsi
