// hwsnap/scsi/tgt_show_parser.h — reads `tgtadm --op show --mode target`.
//
// tgt has no machine-readable output; its `show` listing is the only way to
// learn which targets, LUNs, backing files, SCSI ids and ACLs a tgtd holds.
// This parser is pure (text in, structs out), so it is unit-tested over
// captured real output (tests/scsi/fixtures/tgt/) and never crashes on bad
// input. Unknown keys are ignored (newer tgt versions add lines).
//
//   absl::StatusOr<std::vector<TgtTarget>> t = ParseTgtShowTargets(stdout_text);
//   for (const TgtTarget& target : *t) ... target.FindLun(1)->backing_store_path ...
#ifndef HWSNAP_SCSI_TGT_SHOW_PARSER_H_
#define HWSNAP_SCSI_TGT_SHOW_PARSER_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::scsi {

// One "LUN: n" block.
struct TgtLun {
  int lun = -1;
  std::string type;                 // "disk", "controller", ...
  std::string scsi_id;              // "SCSI ID:" (tgt derives the NAA designators from it)
  std::string scsi_sn;              // "SCSI SN:" (VPD page 0x80)
  std::uint64_t size_mb = 0;        // "Size: 8 MB" as printed (tgt rounds down)
  std::uint32_t block_size = 0;     // "Block size: 512"
  bool online = false;
  bool readonly = false;
  bool thin_provisioning = false;
  std::string backing_store_type;   // "rdwr", "null", ...
  std::string backing_store_path;   // "None" for LUN 0
  std::string backing_store_flags;
};

// One "I_T nexus: n" block: a logged-in initiator.
struct TgtNexus {
  std::uint64_t nexus = 0;
  std::string initiator;            // the initiator IQN (without " alias: ...")
  std::vector<std::string> ip_addresses;
};

// One "Target tid: name" block.
struct TgtTarget {
  int tid = 0;
  std::string name;                 // the target IQN
  std::string driver;               // "iscsi"
  std::string state;                // "ready"
  std::vector<TgtNexus> nexuses;
  std::vector<TgtLun> luns;
  std::vector<std::string> accounts;  // CHAP users bound ("alice", "bob (outgoing)")
  // ACL entries: initiator addresses ("ALL", "127.0.0.1") and initiator names
  // bound with --initiator-name; tgt lists both kinds in one section and
  // admits an initiator matching any entry.
  std::vector<std::string> acls;

  // The LUN numbered `lun`, or nullptr.
  const TgtLun* FindLun(int lun) const;
  bool HasAcl(absl::string_view entry) const;
};

// Parses the whole listing (empty text = no targets).
// Errors: kBackendFailure naming the line number and text for structure it
// cannot read (a line outside any target, a non-numeric tid or LUN, a
// duplicate tid).
absl::StatusOr<std::vector<TgtTarget>> ParseTgtShowTargets(absl::string_view text);

// The target named `name` in `targets`, or nullptr.
const TgtTarget* FindTargetByName(const std::vector<TgtTarget>& targets, absl::string_view name);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_TGT_SHOW_PARSER_H_
