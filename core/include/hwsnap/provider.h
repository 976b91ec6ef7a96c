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
#include "hwsnap/backend.h"
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
  // Aborts a set still in creation and waits (bounded by abort_drain_timeout)
  // for in-flight backend work. Completed sets are simply forgotten (their
  // targets stay on the storage until OnLunEmpty or a reclaim).
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
