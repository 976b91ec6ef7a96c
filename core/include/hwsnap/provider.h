// hwsnap/provider.h — the VSS hardware-provider protocol, platform-neutral.
//
// SnapshotProvider is what the Windows COM adapter calls, method for method
// (IVssHardwareSnapshotProvider + IVssProviderCreateSnapshotSet), and what
// hwsnapctl and the tests drive on Linux. It owns the snapshot sets, runs
// prepare jobs on a worker pool, honours AbortSnapshots from any thread, and
// talks to storage only through a Backend.
//
//   auto backend = std::make_shared<hwsnap::MockBackend>(...);
//   hwsnap::SnapshotProvider provider(backend);
//   provider.BeginPrepareSnapshot(set, snap, context, luns);   // returns at once
//   provider.EndPrepareSnapshots(set);                          // waits
//   provider.PreCommitSnapshots(set); provider.CommitSnapshots(set); ...
//
// Results: every method returns a Status whose domain code (hwsnap/status.h)
// the adapter maps to the HRESULTs that method may return. Unknown set ids give
// kObjectNotFound; calls out of order give kBadState; bad input gives
// kInvalidArgument. No call leaves state behind when it fails.
//
// Thread safety: every method may be called from any thread at any time.
// Only one set is in creation at a time; a BeginPrepareSnapshot for a new set
// id while another set is in creation aborts the older one (as VSS does).
// Completed sets keep being served (GetTargetLuns, LocateLuns, OnLunEmpty)
// concurrently with the set in creation.
#ifndef HWSNAP_PROVIDER_H_
#define HWSNAP_PROVIDER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "absl/strings/string_view.h"
#include "hwsnap/async_operation.h"
#include "hwsnap/backend.h"
#include "hwsnap/catalog.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/snapshot_set_state.h"

namespace hwsnap {

struct ProviderOptions {
  // After AbortSnapshots (or a failure) trips the set's cancel token, how long
  // in-flight backend calls are given to return before the abort proceeds
  // without them. A call that returns later has its target released the
  // moment it returns (see docs/architecture.md, "Abort and stragglers").
  absl::Duration abort_drain_timeout = absl::Seconds(10);
  // The deadline handed to CommitTargets, counted from CommitSnapshots' entry.
  // VSS holds writes for at most 10 s; the default leaves room for the rest.
  absl::Duration commit_timeout = absl::Seconds(4);
  // Extra time the core waits past the commit deadline for a backend that
  // overruns it before failing the set with kDeadlineExceeded.
  absl::Duration commit_grace = absl::Milliseconds(500);
  // Upper bound on worker threads (prepare jobs and commit groups). Threads
  // are started on demand and retire when idle, so a small set costs few.
  int max_worker_threads = 1024;
  // Upper bound on source LUNs in one set (VSS allows 64 volumes per set; a
  // volume may span several LUNs).
  int max_luns_per_set = 1024;
  // The durable catalog (hwsnap/catalog.h). Empty: sets live in memory only
  // (tests, demos); a restart forgets them. The provider opens it at
  // construction (exclusive), recovers what a crash left, and records every
  // step before acknowledging it. Failing to open it makes the provider
  // unusable: every call returns the open error (kVeto with the remedy).
  std::string catalog_path;
  // Options for opening it (path is taken from catalog_path).
  CatalogOptions catalog;
};

// What the provider did at construction with the catalog it found.
struct RecoveryReport {
  CatalogLoadReport load;
  int sets_served = 0;          // completed sets served again
  int sets_rolled_back = 0;     // sets that were in creation: rolled back
  int targets_released = 0;     // targets of those sets released through the backend
  int targets_restored = 0;     // alive targets handed back to the backend (RestoreTarget)
  int targets_unrestorable = 0; // the backend could not take them back (kept, see reclaim)
  int unknown_targets_released = 0;  // backend-listed targets no record knew (crash mid-prepare)
  std::vector<std::string> problems;  // one line per target left for reclaim, and why
};

// IVssHardwareSnapshotProviderEx::OnLunStateChange flags the core accepts
// (vsprov.h values; see CatalogTargetFlags).
inline constexpr std::uint32_t kLunStateChangeFlagsMask = 0xF00;

// A target the catalog holds that `Reclaim` would (or did) delete.
struct ReclaimCandidate {
  TargetId target;
  SnapshotSetId set_id;        // nil for a target no record knows
  LunIdentity source;          // empty for a target no record knows
  std::string reason;          // "not released since <time>", "unknown to the catalog", ...
  absl::Time since = absl::InfinitePast();
};

struct ReclaimOptions {
  // Only targets whose last change is older than this (0: all).
  absl::Duration older_than = absl::ZeroDuration();
  // Also targets the backend lists that no record knows (ListTargets).
  bool include_unknown = true;
  // Only report; delete nothing.
  bool dry_run = false;
};

struct ReclaimReport {
  std::vector<ReclaimCandidate> candidates;  // what was (or would be) released
  std::vector<ReclaimCandidate> failed;      // release failed; still there
  std::vector<std::string> notes;            // e.g. "backend cannot list targets"
};

// A point-in-time view of one set, for progress reports and tests.
struct SetProgress {
  SnapshotSetId id;
  SetState state = SetState::kPreparing;
  int snapshots = 0;         // BeginPrepareSnapshot calls accepted
  int luns = 0;              // distinct source LUNs
  int luns_prepared = 0;     // PrepareTarget returned a target
  int luns_failed = 0;       // PrepareTarget failed (cancellation included)
  int targets_alive = 0;     // targets created for the set and not yet released
  absl::Duration age;        // since the first BeginPrepareSnapshot
};

class SnapshotProvider {
 public:
  // `backend` must not be null; options out of range are an error too. Both
  // are reported by every call (kInvalidArgument) rather than by a crash.
  explicit SnapshotProvider(std::shared_ptr<Backend> backend, ProviderOptions options = {});
  // Aborts a set still in creation (recording it aborted), cancels running
  // ResyncLuns operations and waits (bounded by abort_drain_timeout) for
  // in-flight backend work. Completed sets are simply forgotten in memory
  // (their targets stay on the storage, and in the catalog, until OnLunEmpty
  // or a reclaim).
  ~SnapshotProvider();

  SnapshotProvider(const SnapshotProvider&) = delete;
  SnapshotProvider& operator=(const SnapshotProvider&) = delete;

  // All-or-nothing: true when the backend can snapshot every LUN in `luns`.
  // An empty span is kInvalidArgument. Side-effect free.
  absl::StatusOr<bool> AreLunsSupported(absl::Span<const LunIdentity> luns, std::int32_t context);

  // Completes `lun` with what the backend knows about it (in place) and says
  // whether the backend supports it. Used by VSS on import to match LUNs.
  absl::StatusOr<bool> FillInLunInfo(absl::string_view device_name, LunIdentity& lun);

  // Adds one snapshot (one volume, `luns` its LUNs) to set `set_id`, creating
  // the set on first use, and starts preparing every LUN not yet prepared for
  // the set. Returns promptly; failures of the preparation itself surface in
  // EndPrepareSnapshots.
  absl::Status BeginPrepareSnapshot(const SnapshotSetId& set_id, const SnapshotId& snapshot_id,
                                    std::int32_t context, absl::Span<const LunIdentity> luns);

  // Waits until every LUN of the set is prepared, a preparation fails, or the
  // set is aborted. On failure everything created for the set is released and
  // the most actionable failure is returned (every failure is logged with its
  // LUN). On abort returns kCancelled as soon as the abort begins.
  absl::Status EndPrepareSnapshots(const SnapshotSetId& set_id);

  absl::Status PreCommitSnapshots(const SnapshotSetId& set_id);
  // Commits every target of the set at one point in time, within
  // ProviderOptions::commit_timeout. All-or-nothing: on failure the set is
  // rolled back and fails.
  absl::Status CommitSnapshots(const SnapshotSetId& set_id);
  // `snapshot_count` is the number of snapshots VSS believes the set holds;
  // a mismatch is logged (VSS counts across providers is not guaranteed).
  absl::Status PostCommitSnapshots(const SnapshotSetId& set_id, std::int32_t snapshot_count);
  absl::Status PreFinalCommitSnapshots(const SnapshotSetId& set_id);
  absl::Status PostFinalCommitSnapshots(const SnapshotSetId& set_id);

  // Rolls the set back from any state before kCompleted: trips its cancel
  // token, waits up to abort_drain_timeout for in-flight backend calls,
  // releases every target. Idempotent: aborting an aborted or failed set is
  // OK. Aborting a completed set is kBadState (its LUNs belong to the
  // requester now and are freed by OnLunEmpty).
  absl::Status AbortSnapshots(const SnapshotSetId& set_id);

  // For each source LUN, the identity of its snapshot target in the most
  // recent completed set that holds it (1:1, same order). kObjectNotFound if
  // any source has none (then nothing is returned).
  absl::StatusOr<std::vector<LunIdentity>> GetTargetLuns(absl::Span<const LunIdentity> sources);

  // Makes the given snapshot target LUNs visible to this host. Validates all
  // of them first: an unknown LUN is kObjectNotFound and nothing is exposed.
  absl::Status LocateLuns(absl::Span<const LunIdentity> targets);

  // The snapshot target `target` is no longer needed: release it. Unknown LUN:
  // kObjectNotFound.
  absl::Status OnLunEmpty(absl::string_view device_name, const LunIdentity& target);

  // --- IVssHardwareSnapshotProviderEx ----------------------------------------
  // `snapshot_luns[i]` (a target of this provider) and `original_luns[i]` (its
  // source) changed state as `flags` says (kLunStateChangeFlagsMask bits):
  // read-write and recovery flags are recorded; DO_MASK_LUNS hides the
  // targets from this host through the backend but keeps them. Validates
  // everything first (sizes equal and non-zero, unknown bits kInvalidArgument,
  // an unknown target kObjectNotFound, `original_luns[i]` not the source of
  // `snapshot_luns[i]` kInvalidArgument): nothing changes on a refusal.
  // DO_MASK_LUNS on a backend without MaskTarget is kNotSupported.
  absl::Status OnLunStateChange(absl::Span<const LunIdentity> snapshot_luns,
                                absl::Span<const LunIdentity> original_luns, std::uint32_t flags);

  // Starts copying each snapshot LUN `snapshot_luns[i]` (a committed target
  // of this provider) back onto `destination_luns[i]` inside the storage.
  // Returns at once with the running operation; validation errors (sizes,
  // unknown target kObjectNotFound, a destination the backend does not
  // identify as its own kNotSupported, a target already being resynchronised
  // kBadState) come back here with nothing started. Whether the backend can
  // resync at all is learnt from its first ResyncTarget call: ResyncLuns waits
  // until that call reports progress or returns (at most
  // max(cancel_bound, 250 ms)), and a kNotSupported answer is returned here.
  // Pairs run one after the other; the first failure ends the operation.
  // While a target is resynchronised, other calls on it (OnLunEmpty,
  // LocateLuns, Reclaim) wait for the resync to end.
  absl::StatusOr<std::shared_ptr<AsyncOperation>> ResyncLuns(absl::Span<const LunIdentity> snapshot_luns,
                                                             absl::Span<const LunIdentity> destination_luns);

  // --- catalog --------------------------------------------------------------
  // OK when the provider can serve calls; otherwise the error every call
  // returns (no backend, options out of range, the catalog could not be
  // opened). Silent: for a host's load check.
  absl::Status Usable() const;
  // What construction recovered (empty report without a catalog).
  const RecoveryReport& recovery() const;
  // Releases alive targets of completed sets whose OnLunEmpty never came
  // (older than `older_than`), and targets nobody recorded; dry_run only lists.
  // Without a catalog only the in-memory completed sets are considered (a
  // target made by an earlier process cannot be told apart), and unknown
  // targets are also skipped while a set is in creation.
  absl::StatusOr<ReclaimReport> Reclaim(const ReclaimOptions& options);

  // Observability for progress displays and tests.
  absl::StatusOr<SetProgress> GetProgress(const SnapshotSetId& set_id) const;
  std::vector<SetProgress> ListSets() const;
  // Targets whose release failed during a rollback, kept for a later retry.
  std::vector<TargetId> PendingReleases() const;
  // Retries PendingReleases(); returns how many are still pending.
  int RetryPendingReleases();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwsnap

#endif  // HWSNAP_PROVIDER_H_
