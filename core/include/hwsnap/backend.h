// hwsnap/backend.h — the one seam every storage backend implements.
//
// A backend turns "make a point-in-time copy of this LUN" into calls on a
// storage array, an NVMe controller or, for tests, memory. The core drives the
// VSS protocol and calls these methods in a fixed order for each source LUN:
//
//   IdentifyLun ........ any time, often (AreLunsSupported, FillInLunInfo)
//   PrepareTarget ...... once per source LUN per set, on a worker thread; slow
//   CommitTargets ...... once per group, while VSS holds application writes; fast
//   DescribeTarget ..... after commit, outside the write hold
//   ExposeTarget ....... on import (LocateLuns)
//   ReleaseTarget ...... on abort, on failure, on OnLunEmpty
//
// Threading: the core may call any method concurrently from several threads,
// but never twice at once for the same target. Every method returns a Status
// whose domain code (hwsnap/status.h) is one of those listed for it; anything
// a backend cannot classify is kBackendFailure. Backends never throw.
//
// A backend author implements these eight methods; the optional ones below
// (restart, reclaim, masking, resync) have defaults that say "not supported"
// and are added when the storage can do them. See docs/backend-authoring.md. ForwardingBackend below is the base for
// decorators (fault injection, tracing) that override one method.
#ifndef HWSNAP_BACKEND_H_
#define HWSNAP_BACKEND_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/lun_identity.h"

namespace hwsnap {

// The backend's name for a snapshot target it created. Opaque to the core,
// non-empty, unique within the backend, and stable across process restarts
// (the catalog stores it).
using TargetId = std::string;

// What a backend can do; queried once when the provider is constructed.
struct BackendCapabilities {
  // How many PrepareTarget calls may run at once (0: no limit of the backend's own).
  int max_parallel_prepares = 0;
  // How many targets one CommitTargets call may take (0: all targets of a set
  // at once). Larger sets are split into groups committed in parallel; VSS
  // holds writes for the whole commit, so the groups share one point in time.
  int max_commit_group = 0;
  // The backend's promise: a tripped CancelToken is observed within this long.
  absl::Duration cancel_bound = absl::Milliseconds(250);
};

// A target made before a restart, as the catalog recorded it; handed back to
// a fresh backend instance by RestoreTarget.
struct RestoredTarget {
  TargetId id;
  LunIdentity source;
  bool committed = false;
  std::optional<LunIdentity> identity;  // DescribeTarget's answer, when committed
  bool exposed = false;
};

// Progress of a long backend operation, 0.0 .. 1.0 (called from the worker
// running it; must be cheap).
using ProgressCallback = std::function<void(double fraction)>;

// The answer of IdentifyLun.
struct LunSupport {
  bool supported = false;
  // Why not, in words an administrator understands (empty when supported).
  std::string reason;
  // The LUN's identity as this backend knows it: the input, completed with
  // anything the storage adds (e.g. vendor-specific designators). Equal for
  // equal inputs (side-effect free, deterministic).
  LunIdentity identity;
};

class Backend {
 public:
  virtual ~Backend() = default;

  // A short stable name ("mock", "scsi", "nvme") for logs and the registry.
  virtual std::string Name() const = 0;

  // Capabilities; must not change during the backend's life.
  virtual BackendCapabilities Capabilities() const = 0;

  // Does this backend own `lun` and can it snapshot it now? Side-effect free.
  // A LUN that belongs to another storage system is {supported = false}, not an
  // error. Errors: kBackendFailure (storage unreachable), kInvalidArgument.
  virtual absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) = 0;

  // Reserves and provisions a snapshot target for `source` (allocates space,
  // starts a mirror sync, ...). May take minutes. Must observe `cancel` within
  // Capabilities().cancel_bound and then return kCancelled having created
  // nothing (or having released what it created). Errors: kInsufficientStorage
  // (no space / no free target), kNotSupported, kVeto (with a remedy),
  // kCancelled, kBackendFailure.
  // Core guarantees: `source` passed IdentifyLun; called once per source LUN per set.
  virtual absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source,
                                                 const CancelToken& cancel) = 0;

  // Takes the point-in-time copy for every target in `targets` (all prepared
  // by this backend, none committed yet), all-or-nothing: on failure none of
  // them holds a copy and each may still be released. Runs while VSS holds
  // application writes: no I/O to the source volumes, no blocking logging,
  // finish before `deadline` or return kDeadlineExceeded without committing.
  // Errors: kDeadlineExceeded, kInsufficientStorage, kObjectNotFound (unknown
  // target), kBadState (target not prepared), kBackendFailure.
  virtual absl::Status CommitTargets(absl::Span<const TargetId> targets,
                                     absl::Time deadline) = 0;

  // The identity a host will see for the committed `target`, taken from the
  // storage (the LUN is not visible yet): it must carry a unique designator
  // that differs from the source's. Errors: kObjectNotFound, kBadState
  // (not committed), kBackendFailure.
  virtual absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) = 0;

  // Makes the committed `target` visible to this host (unmask/map it).
  // Idempotent. Errors: kObjectNotFound, kBadState, kBackendFailure.
  virtual absl::Status ExposeTarget(const TargetId& target) = 0;

  // Deletes `target` and frees everything it holds, in any state. Idempotent:
  // releasing a target already released succeeds. Errors: kObjectNotFound
  // (never created here), kBackendFailure (the core records it for reclaim).
  virtual absl::Status ReleaseTarget(const TargetId& target) = 0;

  // --- optional: restart and reclaim ------------------------------------------
  // A new process takes back a target an earlier one made (the catalog
  // replays them at load). After it, Expose/Release/Mask/Resync on `target.id`
  // work as if this instance had made it. Errors: kObjectNotFound (the storage
  // no longer has it), kNotSupported (default: this backend keeps targets in
  // memory only; the core then keeps the record and reports the target for
  // reclaim with the backend's own tools), kBackendFailure.
  virtual absl::Status RestoreTarget(const RestoredTarget& target);

  // Every target this backend made that still exists on the storage,
  // including ones no catalog knows (a crash between PrepareTarget's storage
  // work and the catalog record). Errors: kNotSupported (default), kBackendFailure.
  virtual absl::StatusOr<std::vector<TargetId>> ListTargets();

  // --- optional: IVssHardwareSnapshotProviderEx --------------------------------
  // Hides the exposed `target` from this host but keeps it (OnLunStateChange
  // with VSS_ONLUNSTATECHANGE_DO_MASK_LUNS). Idempotent. Errors:
  // kObjectNotFound, kNotSupported (default), kBackendFailure.
  virtual absl::Status MaskTarget(const TargetId& target);

  // Copies the committed snapshot `target` back onto `destination` (a source
  // LUN of this storage, the original or another one) inside the storage,
  // never through the host; resizes `destination` to the snapshot's size.
  // May take long: reports progress and observes `cancel` within
  // cancel_bound (then returns kCancelled; the destination's content is
  // undefined). Errors: kObjectNotFound, kNotSupported (default),
  // kInsufficientStorage, kCancelled, kBackendFailure.
  virtual absl::Status ResyncTarget(const TargetId& target, const LunIdentity& destination,
                                    const CancelToken& cancel, const ProgressCallback& progress);
};

// Forwards every call to another backend; decorators derive from it and
// override only what they change.
class ForwardingBackend : public Backend {
 public:
  explicit ForwardingBackend(std::shared_ptr<Backend> inner) : inner_(std::move(inner)) {}

  std::string Name() const override { return inner_->Name(); }
  BackendCapabilities Capabilities() const override { return inner_->Capabilities(); }
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override {
    return inner_->IdentifyLun(lun);
  }
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source,
                                         const CancelToken& cancel) override {
    return inner_->PrepareTarget(source, cancel);
  }
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override {
    return inner_->CommitTargets(targets, deadline);
  }
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    return inner_->DescribeTarget(target);
  }
  absl::Status ExposeTarget(const TargetId& target) override { return inner_->ExposeTarget(target); }
  absl::Status ReleaseTarget(const TargetId& target) override { return inner_->ReleaseTarget(target); }
  absl::Status RestoreTarget(const RestoredTarget& target) override { return inner_->RestoreTarget(target); }
  absl::StatusOr<std::vector<TargetId>> ListTargets() override { return inner_->ListTargets(); }
  absl::Status MaskTarget(const TargetId& target) override { return inner_->MaskTarget(target); }
  absl::Status ResyncTarget(const TargetId& target, const LunIdentity& destination,
                            const CancelToken& cancel, const ProgressCallback& progress) override {
    return inner_->ResyncTarget(target, destination, cancel, progress);
  }

 protected:
  Backend& inner() const { return *inner_; }

 private:
  std::shared_ptr<Backend> inner_;
};

}  // namespace hwsnap

#endif  // HWSNAP_BACKEND_H_
