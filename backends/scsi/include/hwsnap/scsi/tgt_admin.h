// hwsnap/scsi/tgt_admin.h — typed calls to `tgtadm` for one tgtd.
//
// tgt is configured only through its tgtadm tool, one process per request.
// TgtAdmin runs it for one daemon (its control id, `-C N`) with the iSCSI
// driver, without a shell, with a timeout, and turns tgtadm's answers into
// hwsnap Status codes in one place (ClassifyTgtadmFailure):
//   "can't find the target" / "... logical unit" / "this access control rule
//   does not exist"        -> kObjectNotFound
//   "... already exists"   -> kBadState (the state must change first)
//   anything else, a non-zero exit or a daemon that does not answer
//                          -> kBackendFailure naming the command
//
//   hwsnap::scsi::TgtAdmin admin(31);
//   if (auto s = admin.NewTarget(1, "iqn.2026-12.invalid.hwsnap:src"); !s.ok()) return s;
//   admin.NewLun(1, 1, "/tmp/w/src.img");
//   admin.UpdateLunParams(1, 1, {.scsi_sn = "SRC1", .scsi_id = "src-1"});
//   admin.BindInitiatorAddress(1, "ALL");
//   auto targets = admin.ShowTargets();   // parsed (hwsnap/scsi/tgt_show_parser.h)
//
// Thread-safe: every call is an independent tgtadm process (tgtd serializes them).
#ifndef HWSNAP_SCSI_TGT_ADMIN_H_
#define HWSNAP_SCSI_TGT_ADMIN_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/scsi/process_runner.h"
#include "hwsnap/scsi/tgt_show_parser.h"

namespace hwsnap::scsi {

// LUN parameters settable with `--op update --mode logicalunit --params`.
// Unset fields are left as they are. Values must not contain ',' or '='.
struct TgtLunParams {
  std::optional<std::string> scsi_sn;     // VPD 0x80 serial (tgt allows up to 36 chars)
  std::optional<std::string> scsi_id;     // VPD 0x83 T10 id; the NAA ids follow it
  std::optional<std::string> vendor_id;   // INQUIRY vendor (8 chars)
  std::optional<std::string> product_id;  // INQUIRY product (16 chars)
  std::optional<bool> readonly;           // writes get CHECK CONDITION (DATA PROTECT)
};

// The domain code for a failed tgtadm run: `message` is tgtadm's stderr
// ("tgtadm: can't find the target"), `command` a short description for the
// message. See the table in the file comment.
absl::Status ClassifyTgtadmFailure(absl::string_view command, const ProcessResult& result);

class TgtAdmin {
 public:
  explicit TgtAdmin(int control_id, absl::Duration timeout = absl::Seconds(10));

  int control_id() const { return control_id_; }

  // Targets. `tid` > 0 is chosen by the caller (tgt requires it).
  absl::Status NewTarget(int tid, absl::string_view iqn);
  // force: delete even with logged-in initiators and LUNs (they go with it).
  absl::Status DeleteTarget(int tid, bool force);

  // Logical units. `backing_store` must exist; bstype "rdwr" = a regular file.
  absl::Status NewLun(int tid, int lun, absl::string_view backing_store,
                      absl::string_view bstype = "rdwr");
  absl::Status DeleteLun(int tid, int lun);
  // Errors additionally: kInvalidArgument (no field set, or ',' '=' in a value).
  absl::Status UpdateLunParams(int tid, int lun, const TgtLunParams& params);

  // ACLs: an initiator address ("ALL", "127.0.0.1") or an initiator name
  // (IQN, `--initiator-name`). tgt admits an initiator matching any entry.
  absl::Status BindInitiatorAddress(int tid, absl::string_view address);
  absl::Status UnbindInitiatorAddress(int tid, absl::string_view address);
  absl::Status BindInitiatorName(int tid, absl::string_view initiator_name);
  absl::Status UnbindInitiatorName(int tid, absl::string_view initiator_name);

  // `--op show --mode target`, parsed.
  absl::StatusOr<std::vector<TgtTarget>> ShowTargets();
  // `--op show --mode target`, raw text (for fixtures and diagnostics).
  absl::StatusOr<std::string> ShowTargetsText();
  // `--op show --mode system`: succeeds once the daemon answers.
  absl::StatusOr<std::string> ShowSystem();
  // `--op show --mode portal`: the listening portals ("127.0.0.1:3300,1").
  absl::StatusOr<std::vector<std::string>> ShowPortals();
  // `--op delete --mode system`: asks tgtd to exit (it refuses while targets exist).
  absl::Status ShutdownDaemon();

  // Runs `tgtadm -C <id> <args...>` and returns stdout, classifying failures.
  absl::StatusOr<std::string> Run(const std::vector<std::string>& args);

 private:
  int control_id_;
  absl::Duration timeout_;
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_TGT_ADMIN_H_
