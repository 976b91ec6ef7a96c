// tgt_show_parser.cc — the `tgtadm --op show --mode target` parser.
//
// The listing is indented by four spaces per level:
//   Target 1: iqn...            level 0
//       LUN information:        level 1 (section)
//           LUN: 1              level 2 (item)
//               Type: disk      level 3 (item attribute)
//                   IP Address  level 4 (nexus connection attribute)
// The parser tracks the current target, section and item by indentation.
#include "hwsnap/scsi/tgt_show_parser.h"

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {

namespace {

enum class Section { kNone, kSystem, kNexus, kLun, kAccount, kAcl, kUnknown };

Section SectionFor(absl::string_view title) {
  if (title == "System information:") return Section::kSystem;
  if (title == "I_T nexus information:") return Section::kNexus;
  if (title == "LUN information:") return Section::kLun;
  if (title == "Account information:") return Section::kAccount;
  if (title == "ACL information:") return Section::kAcl;
  return Section::kUnknown;
}

// Splits "Key: value" at the first ": " (or a trailing ':'). False if no colon.
bool SplitKeyValue(absl::string_view line, absl::string_view& key, absl::string_view& value) {
  size_t colon = line.find(':');
  if (colon == absl::string_view::npos) return false;
  key = absl::StripAsciiWhitespace(line.substr(0, colon));
  value = absl::StripAsciiWhitespace(line.substr(colon + 1));
  return true;
}

bool YesNo(absl::string_view value) { return value == "Yes"; }

absl::Status LineError(int line_number, absl::string_view line, absl::string_view why) {
  return BackendFailureError(absl::StrCat("tgtadm show output line ", line_number, " (\"",
                                          line.substr(0, 120), "\"): ", why));
}

// "8 MB, Block size: 512" -> size_mb 8 and block size 512 (the LUN's "Size:" line).
void ParseSizeLine(absl::string_view value, TgtLun& lun) {
  std::vector<absl::string_view> parts = absl::StrSplit(value, ',');
  if (!parts.empty()) {
    absl::string_view size = absl::StripAsciiWhitespace(parts[0]);
    std::vector<absl::string_view> words = absl::StrSplit(size, ' ', absl::SkipEmpty());
    std::uint64_t n = 0;
    if (!words.empty() && absl::SimpleAtoi(words[0], &n)) lun.size_mb = n;
  }
  if (parts.size() > 1) {
    absl::string_view key, block;
    if (SplitKeyValue(parts[1], key, block) && key == "Block size") {
      std::uint32_t b = 0;
      if (absl::SimpleAtoi(block, &b)) lun.block_size = b;
    }
  }
}

void ApplyLunAttribute(absl::string_view key, absl::string_view value, TgtLun& lun) {
  if (key == "Type") lun.type = std::string(value);
  else if (key == "SCSI ID") lun.scsi_id = std::string(value);
  else if (key == "SCSI SN") lun.scsi_sn = std::string(value);
  else if (key == "Size") ParseSizeLine(value, lun);
  else if (key == "Online") lun.online = YesNo(value);
  else if (key == "Readonly") lun.readonly = YesNo(value);
  else if (key == "Thin-provisioning") lun.thin_provisioning = YesNo(value);
  else if (key == "Backing store type") lun.backing_store_type = std::string(value);
  else if (key == "Backing store path") lun.backing_store_path = std::string(value);
  else if (key == "Backing store flags") lun.backing_store_flags = std::string(value);
}

}  // namespace

const TgtLun* TgtTarget::FindLun(int lun_number) const {
  for (const TgtLun& lun : luns) {
    if (lun.lun == lun_number) return &lun;
  }
  return nullptr;
}

bool TgtTarget::HasAcl(absl::string_view entry) const {
  return std::find(acls.begin(), acls.end(), entry) != acls.end();
}

const TgtTarget* FindTargetByName(const std::vector<TgtTarget>& targets, absl::string_view name) {
  for (const TgtTarget& t : targets) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

absl::StatusOr<std::vector<TgtTarget>> ParseTgtShowTargets(absl::string_view text) {
  std::vector<TgtTarget> targets;
  std::set<int> tids;
  Section section = Section::kNone;
  int line_number = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line_number;
    if (!raw.empty() && raw.back() == '\r') raw.remove_suffix(1);
    absl::string_view line = absl::StripTrailingAsciiWhitespace(raw);
    if (absl::StripAsciiWhitespace(line).empty()) continue;
    size_t indent = line.find_first_not_of(' ');
    absl::string_view body = line.substr(indent);
    size_t level = indent / 4;

    if (level == 0) {
      // "Target <tid>: <name>"
      if (!absl::StartsWith(body, "Target ")) return LineError(line_number, line, "expected \"Target N: name\"");
      absl::string_view rest = body.substr(7);
      size_t colon = rest.find(':');
      if (colon == absl::string_view::npos) return LineError(line_number, line, "missing ':' after the tid");
      TgtTarget target;
      if (!absl::SimpleAtoi(rest.substr(0, colon), &target.tid) || target.tid <= 0) {
        return LineError(line_number, line, "the tid is not a positive number");
      }
      if (!tids.insert(target.tid).second) return LineError(line_number, line, "duplicate tid");
      target.name = std::string(absl::StripAsciiWhitespace(rest.substr(colon + 1)));
      if (target.name.empty()) return LineError(line_number, line, "empty target name");
      targets.push_back(std::move(target));
      section = Section::kNone;
      continue;
    }
    if (targets.empty()) return LineError(line_number, line, "text before the first target");
    TgtTarget& target = targets.back();

    if (level == 1) {
      section = SectionFor(body);
      continue;
    }
    absl::string_view key, value;
    const bool has_colon = SplitKeyValue(body, key, value);
    switch (section) {
      case Section::kSystem:
        if (has_colon && key == "Driver") target.driver = std::string(value);
        if (has_colon && key == "State") target.state = std::string(value);
        break;
      case Section::kLun:
        if (level == 2) {
          if (!has_colon || key != "LUN") return LineError(line_number, line, "expected \"LUN: n\"");
          TgtLun lun;
          if (!absl::SimpleAtoi(value, &lun.lun) || lun.lun < 0) {
            return LineError(line_number, line, "the LUN is not a number");
          }
          target.luns.push_back(std::move(lun));
        } else {
          if (target.luns.empty()) return LineError(line_number, line, "LUN attribute before \"LUN: n\"");
          if (has_colon) ApplyLunAttribute(key, value, target.luns.back());
        }
        break;
      case Section::kNexus:
        if (level == 2) {
          if (!has_colon || key != "I_T nexus") return LineError(line_number, line, "expected \"I_T nexus: n\"");
          TgtNexus nexus;
          if (!absl::SimpleAtoi(value, &nexus.nexus)) return LineError(line_number, line, "the nexus is not a number");
          target.nexuses.push_back(std::move(nexus));
        } else {
          if (target.nexuses.empty()) return LineError(line_number, line, "nexus attribute before \"I_T nexus: n\"");
          TgtNexus& nexus = target.nexuses.back();
          if (has_colon && key == "Initiator") {
            // "iqn.x:y alias: none": the IQN is the first word (IQNs hold ':' but no spaces).
            absl::string_view after = absl::StripAsciiWhitespace(body.substr(body.find(':') + 1));
            nexus.initiator = std::string(after.substr(0, after.find(' ')));
          } else if (has_colon && key == "IP Address") {
            nexus.ip_addresses.emplace_back(value);
          }
        }
        break;
      case Section::kAccount:
        target.accounts.emplace_back(body);
        break;
      case Section::kAcl:
        target.acls.emplace_back(body);
        break;
      case Section::kNone:
        return LineError(line_number, line, "attribute outside a section");
      case Section::kUnknown:
      default:
        break;  // a section this parser does not know: skip its lines
    }
  }
  return targets;
}

}  // namespace hwsnap::scsi
