// hwsnap/scsi/tgt_array_control.h — point-in-time snapshot LUNs on a Linux tgt target.
//
// The reference ArrayControl (hwsnap/scsi/array_control.h) for a tgtd the
// backend controls (e.g. a TgtDaemon). Every snapshot is its own iSCSI
// target "<prefix>:snap-<unique>" with one LUN, so exposing it to the host is
// one exact ACL change:
//
//   Provision        reserves a slot: checks limits (max targets, a space
//                    limit, free space via statvfs), creates the target (no
//                    LUN yet) bound only to the control initiator name, and
//                    creates the snapshot file in the work dir preallocated
//                    to the source's size (fallocate in chunks, polling the
//                    cancel token). Rolls everything back on failure/cancel.
//   TakePointInTime  copies each source backing file into its snapshot file
//                    (FICLONE reflink where the filesystem shares extents —
//                    XFS, btrfs: O(metadata); else copy_file_range in chunks,
//                    checking the deadline between chunks), then adds it as
//                    LUN 1 with its own scsi_sn and scsi_id (so its serial
//                    and NAA designators differ from the source's) and
//                    readonly=1. All-or-nothing across the group: LUNs added
//                    by a failed call are removed again.
//                    COST: without reflink this is a full copy of every
//                    source inside the commit window (VSS allows ~10 s), so
//                    it suits only small LUNs; the copies of a group run one
//                    after another and are consistent only because the host
//                    holds writes during commit.
//   TargetAddress    iscsi://127.0.0.1:PORT/<snapshot-iqn>/1 (read through the
//                    control initiator, which the ACL admits).
//   Expose           binds the host initiator name (--initiator-name) and/or
//                    address (--initiator-address); idempotent.
//   Delete           unbinds the ACLs, deletes the target (--force) and its
//                    file; idempotent; refuses names outside its prefix.
//   ListTargets      the targets with the snapshot prefix tgt holds now.
//   Adopt            (after a restart) finds the target in `show` (its tid,
//                    whether LUN 1 — the snapshot — is there) and keeps a
//                    slot for it; kObjectNotFound when tgt no longer has it
//                    or a committed one has no LUN 1. Expose and Delete work
//                    from `show` anyway; an adopted uncommitted target can
//                    only be deleted.
//   Mask             not supported: unbinding the host's ACL would stop new
//                    logins only — tgt keeps an initiator's live session (and
//                    the LUN in it), so the LUN would not really be hidden.
//
// A source is supported when it is a LUN of this tgtd (its address
// "iscsi://127.0.0.1:PORT/IQN/LUN" matches the portal and `show` output)
// backed by a regular file with bstype rdwr.
//
// tgt admits an initiator matching *any* ACL entry (address or name); a
// target without entries admits nobody. Snapshot targets therefore carry only
// name entries until exposed by address.
//
// Thread-safe: calls for different targets may run concurrently (shared
// bookkeeping is locked; tgtd serializes tgtadm requests).
//
//   auto daemon = hwsnap::scsi::TgtDaemon::Start();
//   hwsnap::scsi::TgtArrayControlOptions o = hwsnap::scsi::TgtArrayControlOptionsFor(**daemon);
//   o.host_initiator_name = "iqn.2026-12.invalid.hwsnap:host";
//   auto control = hwsnap::scsi::TgtArrayControl::Create(o);
//   auto target = (*control)->Provision(source_info, cancel_token);   // prepare
//   (*control)->TakePointInTime({*target}, absl::Now() + absl::Seconds(10));
//   (*control)->Expose(*target);
//   (*control)->Delete(*target);
#ifndef HWSNAP_SCSI_TGT_ARRAY_CONTROL_H_
#define HWSNAP_SCSI_TGT_ARRAY_CONTROL_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/scsi/array_control.h"
#include "hwsnap/scsi/lun_info.h"
#include "hwsnap/scsi/tgt_admin.h"

namespace hwsnap::scsi {

class TgtDaemon;

struct TgtArrayControlOptions {
  int control_id = 0;             // the tgtd to drive (`tgtadm -C`)
  std::string portal;             // its portal, "127.0.0.1:PORT"
  // Snapshot targets are named "<prefix>:snap-<unique>".
  std::string snapshot_iqn_prefix = "iqn.2026-12.invalid.hwsnap";
  // The initiator name the backend logs in with to read target identity
  // (TransportOptions::initiator_name); bound at Provision.
  std::string control_initiator_name = "iqn.2026-12.invalid.hwsnap:initiator";
  // Whom Expose unmasks to: an initiator name, an address, or both (at
  // least one is required).
  std::string host_initiator_name;
  std::string host_initiator_address;
  // Where snapshot files live (created if missing). Same filesystem as the
  // sources for reflink.
  std::filesystem::path work_dir;
  std::uint64_t space_limit_bytes = 0;  // 0: only the filesystem's free space limits
  int max_targets = 0;                  // 0: no limit
  absl::Duration command_timeout = absl::Seconds(10);  // each tgtadm call
  std::uint64_t copy_chunk_bytes = 16 << 20;  // deadline/cancel checks between chunks
  // Test seam (RocksDB-style sync point): called with a step name —
  // "provision:reserved", "provision:target-created", "provision:preallocating",
  // "provision:done", "commit:copied", "commit:lun-added" — on the calling thread.
  std::function<void(absl::string_view step)> test_hook;
};

// Options for a TgtDaemon: its control id and portal, work dir
// "<daemon work dir>/snapshots". Host initiator fields are left empty.
TgtArrayControlOptions TgtArrayControlOptionsFor(const TgtDaemon& daemon);

class TgtArrayControl : public ArrayControl {
 public:
  // Errors: kInvalidArgument (no control id/portal/prefix, no host initiator,
  // a portal other than 127.0.0.1:PORT), kBackendFailure (work dir).
  static absl::StatusOr<std::unique_ptr<TgtArrayControl>> Create(TgtArrayControlOptions options);

  std::string Name() const override { return "tgt"; }
  std::string WhyCannotSnapshot(const ScsiLunInfo& source) const override;
  absl::StatusOr<std::string> Provision(const ScsiLunInfo& source, const CancelToken& cancel) override;
  // Errors additionally: kObjectNotFound (a target this object did not
  // provision, e.g. after a restart).
  absl::Status TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) override;
  absl::StatusOr<std::string> TargetAddress(const std::string& target) override;
  absl::Status Expose(const std::string& target) override;
  // Errors additionally: kInvalidArgument (not a name with this prefix).
  absl::Status Delete(const std::string& target) override;
  absl::StatusOr<std::vector<std::string>> ListTargets() override;
  // Errors additionally: kInvalidArgument (not a name with this prefix).
  absl::Status Adopt(const RestoredTarget& recorded) override;

  // The snapshot file backing `target` (whether or not it exists).
  std::filesystem::path SnapshotFile(const std::string& target) const;
  const TgtArrayControlOptions& options() const { return options_; }

 private:
  struct Slot {
    int tid = 0;
    std::string source_path;
    std::filesystem::path file;
    std::uint64_t size_bytes = 0;
    bool committed = false;
    bool adopted = false;  // made before a restart: no source_path, cannot be committed here
  };
  struct SourceLun {
    std::string backing_path;
    std::uint64_t size_bytes = 0;
  };

  explicit TgtArrayControl(TgtArrayControlOptions options);

  // Why `source` cannot be snapshotted (non-empty), or its backing file.
  absl::StatusOr<SourceLun> ResolveSource(const ScsiLunInfo& source, std::string* why) const;
  // Checks limits and reserves a tid and the space; kInsufficientStorage when full.
  absl::StatusOr<int> Reserve(std::uint64_t size_bytes);
  void Unreserve(int tid, std::uint64_t size_bytes);
  // The tid of `target` (bookkeeping, else `show`); kObjectNotFound when gone.
  absl::StatusOr<int> FindTid(const std::string& target);
  bool IsOurTargetName(absl::string_view target) const;
  void Hook(absl::string_view step) const;

  TgtArrayControlOptions options_;
  std::string snapshot_prefix_;  // "<prefix>:snap-"
  mutable TgtAdmin admin_;

  std::mutex mutex_;
  std::map<std::string, Slot> slots_;   // provisioned by this object, by target name
  std::set<int> reserved_tids_;         // tids of provisions in flight
  int last_tid_ = 0;                    // tids only grow (see Reserve)
  int pending_targets_ = 0;
  std::uint64_t pending_bytes_ = 0;
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_TGT_ARRAY_CONTROL_H_
