// snapshot_set.h — one snapshot set: its state machine, its LUNs, its jobs.
//
// A SnapshotSet is created by the first BeginPrepareSnapshot for its id and
// lives until every target it made is released. Each VSS call on the set is a
// named transition (AddSnapshot, EndPrepare, PreCommit, Commit, PostCommit,
// PreFinalCommit, PostFinalCommit, Abort); a call in the wrong state returns
// kBadState and changes nothing. See hwsnap/snapshot_set_state.h for the
// state diagram and docs/architecture.md for the abort protocol.
//
// Locking: one std::mutex per set guards everything below; backend calls are
// made without it. A target is never handed to two backend calls at once:
// a slot is "busy" while a backend call on its target runs, and rollback
// defers the release of a busy target to the call that holds it.
#ifndef HWSNAP_CORE_SRC_SNAPSHOT_SET_H_
#define HWSNAP_CORE_SRC_SNAPSHOT_SET_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "absl/strings/string_view.h"
#include "hwsnap/backend.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/ids.h"
#include "hwsnap/provider.h"
#include "hwsnap/snapshot_set_state.h"
#include "release_ledger.h"
#include "set_journal.h"
#include "worker_pool.h"

namespace spdlog {
class logger;
}

namespace hwsnap {

// What a set needs from the provider that owns it.
struct SetEnvironment {
  std::shared_ptr<Backend> backend;
  // Weak: the provider owns the pool; a job that outlives the provider must
  // not keep the pool alive (its destructor would then run on a worker).
  std::weak_ptr<WorkerPool> pool;
  std::shared_ptr<ConcurrencyLimit> prepare_limit;
  std::shared_ptr<ReleaseLedger> ledger;
  ProviderOptions options;
  BackendCapabilities capabilities;
  // Where the set records its steps (never null; a no-op without a catalog).
  std::shared_ptr<SetJournal> journal;
};

// A live target of a completed set, as the provider serves it.
struct ServedTarget {
  SnapshotSetId set_id;
  TargetId id;
  LunIdentity source;
  LunIdentity identity;
  bool exposed = false;
  std::uint32_t flags = 0;       // CatalogTargetFlags received
  absl::Time updated;            // last change (described, exposed, flagged)
};

class SnapshotSet : public std::enable_shared_from_this<SnapshotSet> {
 public:
  SnapshotSet(const SnapshotSetId& id, std::int32_t context, SetEnvironment env);
  // A completed set recorded by an earlier process (recovery): its alive,
  // described targets are served exactly like those of a set completed here.
  // `record.state` must be kCompleted.
  static std::shared_ptr<SnapshotSet> Restore(CatalogSet record, SetEnvironment env);

  const SnapshotSetId& id() const { return id_; }
  SetState state() const;
  SetProgress Progress() const;

  // --- creation (VSS steps 2-7) ---------------------------------------------
  // Adds one snapshot; starts prepare jobs for LUNs new to the set. `luns` are
  // validated by the caller (well-formed, unique designators, no duplicates).
  absl::Status AddSnapshot(const SnapshotId& snapshot_id, absl::Span<const LunIdentity> luns);
  absl::Status EndPrepare();
  absl::Status PreCommit();
  absl::Status Commit();
  absl::Status PostCommit(std::int32_t snapshot_count);
  absl::Status PreFinalCommit();
  absl::Status PostFinalCommit();
  // Rolls back from any non-final state; OK on an aborted or failed set;
  // kBadState on a completed one.
  absl::Status Abort(absl::string_view reason);

  // --- serving a completed set (VSS steps 8-10) -----------------------------
  // The identity of the live target made from `source`, if the set holds one
  // and has described it (post-committed or later).
  std::optional<LunIdentity> TargetIdentityFor(const LunIdentity& source) const;
  // True when the set holds a live target whose identity matches `target`.
  bool HoldsTarget(const LunIdentity& target) const;
  // Exposes / releases the live target matching `target`. kObjectNotFound if
  // the set holds none.
  absl::Status ExposeTarget(const LunIdentity& target);
  absl::Status ReleaseTarget(const LunIdentity& target);
  // Targets created for the set and not yet released.
  int LiveTargets() const;

  // --- IVssHardwareSnapshotProviderEx and reclaim (completed sets only) ------
  // The live target matching `target`, if this completed set holds it.
  std::optional<ServedTarget> FindServedTarget(const LunIdentity& target) const;
  // Every live, described target of this completed set.
  std::vector<ServedTarget> ServedTargets() const;
  // Hides the target from this host (backend MaskTarget), records it unexposed
  // and flagged kTargetMasked.
  absl::Status MaskTarget(const TargetId& target);
  // Records OnLunStateChange flags on the target (ORs `flags`, removes `clear`).
  absl::Status RecordTargetFlags(const TargetId& target, std::uint32_t flags, std::uint32_t clear);
  // Releases the target through the backend and records it (OnLunEmpty, Reclaim).
  absl::Status ReleaseTargetById(const TargetId& target);
  // Runs `call` on the target with its slot busy (no other backend call on it
  // meanwhile). kObjectNotFound if the set holds no such live target.
  absl::Status CallOnTarget(const TargetId& target, const std::function<absl::Status(const TargetId&)>& call);

 private:
  enum class Phase { kQueued, kRunning, kPrepared, kFailed };

  struct LunSlot {
    LunIdentity source;
    Phase phase = Phase::kQueued;
    absl::Status failure;
    std::optional<TargetId> target;              // alive on the storage
    std::optional<LunIdentity> target_identity;  // from DescribeTarget
    bool committed = false;
    bool exposed = false;
    bool busy = false;             // a backend call on `target` is running
    bool release_when_idle = false;  // rollback came while busy
    std::uint32_t flags = 0;       // OnLunStateChange / resync flags
    absl::Time updated = absl::InfinitePast();
  };

  // Prepare job body, run on a worker.
  void RunPrepare(size_t index);
  // Records a failure of the set; the first hard failure cancels the siblings.
  void NoteFailureLocked(const absl::Status& failure);
  // Collects every live, idle target for release and marks the set rolled
  // back (busy targets are released by their running call). Requires mu_.
  // The caller releases the targets and then calls RollBackDone.
  std::vector<TargetId> RollBackLocked(SetState final_state);
  // The releases of a RollBackLocked have returned: AbortSnapshots calls
  // waiting for them may answer.
  void RollBackDone();
  // Releases `targets` through the backend, recording failures in the ledger
  // and (`journal`) each success in the catalog; returns the released ones.
  std::vector<TargetId> ReleaseAll(const std::vector<TargetId>& targets, absl::string_view why,
                                   bool journal = true);
  // After a rollback: records the final state and forgets the set in the
  // catalog once nothing of it is alive.
  void RecordRolledBack(SetState final_state);
  // Forgets the set in the catalog if it is final and nothing of it is alive.
  void MaybeForget();
  // Records the set's new state and enters it (lock held throughout). On a
  // catalog failure the set is rolled back to kFailed, `lock` is released and
  // the error returned: the step is refused.
  absl::Status EnterStateLocked(std::unique_lock<std::mutex>& lock, SetState state, absl::string_view call);
  // The failure to report for the set: the most actionable one.
  absl::Status BestFailureLocked() const;
  // Finds the slot of the live target matching `target`; -1 if none. Requires mu_.
  int FindTargetSlotLocked(const LunIdentity& target) const;
  // The slot holding live target `target`; -1 if none. Requires mu_.
  int FindTargetIdSlotLocked(const TargetId& target) const;
  // Runs `call` on the slot's target with the slot marked busy.
  absl::Status WithBusySlot(size_t index, const std::function<absl::Status(const TargetId&)>& call);
  // Runs `task` on the pool, or inline when the pool is gone (shutdown).
  void Submit(std::function<void()> task);
  // A transition that only checks and advances the state.
  absl::Status Advance(SetState from, SetState to, absl::string_view call);
  std::string Tag() const;  // "set={GUID}"
  // Slot of the source LUN sharing a unique designator with `lun`, or -1. Requires mu_.
  int FindSourceSlotLocked(const LunIdentity& lun) const;

  const SnapshotSetId id_;
  const std::int32_t context_;
  const SetEnvironment env_;
  absl::Time created_;  // set once (Restore overrides before sharing)
  const std::shared_ptr<spdlog::logger> log_;
  CancelSource cancel_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // any change of state, phase, busy or in_flight_
  SetState state_ = SetState::kPreparing;
  std::vector<LunSlot> luns_;
  // Every unique designator of every source LUN -> its slot: "is this LUN
  // already in the set" in O(log n) (a set may hold hundreds of LUNs).
  std::map<std::string, size_t> slot_by_designator_;
  std::vector<SnapshotId> snapshots_;
  int in_flight_ = 0;              // prepare jobs and commit groups not yet returned
  bool end_prepare_called_ = false;
  bool aborting_ = false;          // Abort began (EndPrepare/Commit waiters return)
  bool rolled_back_ = false;       // targets collected; late arrivals release themselves
  int rollbacks_running_ = 0;      // rollbacks (and late releases after one) still releasing
  absl::Status first_failure_;     // OK until something failed
  absl::Time failure_time_ = absl::InfiniteFuture();
};

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_SNAPSHOT_SET_H_
