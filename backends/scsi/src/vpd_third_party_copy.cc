// VPD 0x8F, third-party copy (see hwsnap/scsi/vpd.h). Layout from SPC-4
// 7.8.17: after the page header, descriptors of (type: 2 bytes, length: 2
// bytes = bytes that follow, data). Decoded: 0x0001 supported commands
// (list length, then per command: opcode, service action count, service
// actions) and 0x0004 parameter data (max CSCD descriptor count at byte 8,
// max segment descriptor count at 10, max descriptor list length at 12, max
// inline data length at 16, offsets from the descriptor start).
#include <algorithm>

#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"
#include "src/vpd_header.h"

namespace hwsnap::scsi {
namespace {

using internal::Bytes;

absl::Status ParseSupportedCommands(Bytes d, std::size_t index, ThirdPartyCopyPage& out) {
  // `d` is the descriptor data after its 4-byte header.
  if (d.empty()) {
    return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index,
                                            " (supported commands) has no COMMANDS SUPPORTED LIST LENGTH"));
  }
  const std::size_t list_length = d[0];
  if (list_length > d.size() - 1) {
    return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " (supported commands) list length ",
                                            list_length, " runs past the descriptor (", d.size() - 1, " bytes)"));
  }
  Bytes list = d.subspan(1, list_length);
  std::size_t pos = 0;
  while (pos < list.size()) {
    if (list.size() - pos < 2) {
      return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " (supported commands) entry at ",
                                              pos, " is cut short"));
    }
    SupportedCommand cmd;
    cmd.opcode = list[pos];
    const std::size_t count = list[pos + 1];
    if (count > list.size() - pos - 2) {
      return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " (supported commands) opcode 0x",
                                              absl::Hex(cmd.opcode, absl::kZeroPad2), " lists ", count,
                                              " service actions past the list end"));
    }
    cmd.service_actions.assign(list.begin() + static_cast<std::ptrdiff_t>(pos + 2),
                               list.begin() + static_cast<std::ptrdiff_t>(pos + 2 + count));
    out.supported_commands.push_back(std::move(cmd));
    pos += 2 + count;
  }
  return absl::OkStatus();
}

absl::Status ParseParameterData(Bytes whole, std::size_t index, ThirdPartyCopyPage& out) {
  // `whole` is the descriptor including its header.
  if (whole.size() < 20) {
    return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " (parameter data) is ", whole.size(),
                                            " bytes, at least 20 needed"));
  }
  out.max_cscd_descriptor_count = internal::Be16(whole, 8);
  out.max_segment_descriptor_count = internal::Be16(whole, 10);
  out.max_descriptor_list_length = internal::Be32(whole, 12);
  out.max_inline_data_length = internal::Be32(whole, 16);
  return absl::OkStatus();
}

}  // namespace

bool ThirdPartyCopyPage::Supports(std::uint8_t opcode, std::uint8_t service_action) const {
  for (const SupportedCommand& c : supported_commands) {
    if (c.opcode != opcode) continue;
    if (std::find(c.service_actions.begin(), c.service_actions.end(), service_action) != c.service_actions.end()) {
      return true;
    }
  }
  return false;
}

absl::StatusOr<ThirdPartyCopyPage> ParseVpdThirdPartyCopy(absl::Span<const std::uint8_t> page) {
  absl::StatusOr<internal::VpdBody> split = internal::SplitVpdPage(page, kVpdThirdPartyCopy);
  if (!split.ok()) return split.status();
  const Bytes body = split->body;
  ThirdPartyCopyPage out;
  std::size_t pos = 0;
  for (std::size_t index = 0; pos < body.size(); ++index) {
    if (body.size() - pos < 4) {
      return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " header at offset ", pos + 4,
                                              " is cut short (page end at ", body.size() + 4, ")"));
    }
    const std::uint16_t type = internal::Be16(body, pos);
    const std::size_t length = internal::Be16(body, pos + 2);
    if (length > body.size() - pos - 4) {
      return BackendFailureError(absl::StrCat("VPD 0x8f: descriptor ", index, " (type 0x",
                                              absl::Hex(type, absl::kZeroPad4), ") length ", length,
                                              " runs past page end (", body.size() + 4, " bytes)"));
    }
    const Bytes whole = body.subspan(pos, 4 + length);
    ThirdPartyCopyDescriptor desc;
    desc.type = type;
    desc.data.assign(whole.begin() + 4, whole.end());
    if (type == 0x0001) {
      if (auto s = ParseSupportedCommands(whole.subspan(4), index, out); !s.ok()) return s;
    } else if (type == 0x0004) {
      if (auto s = ParseParameterData(whole, index, out); !s.ok()) return s;
    }
    out.descriptors.push_back(std::move(desc));
    pos += 4 + length;
  }
  return out;
}

}  // namespace hwsnap::scsi
