// hwsnap/nvme/namespace_control.h — the part of the NVMe backend a vendor replaces.
//
// Everything NVMe devices share (identity from Identify data, status
// decoding, transports, target state, cancellation and rollback) lives in
// NvmeBackend. How a point-in-time copy of a namespace is made and shown to
// the host differs: an array's snapshot primitive, or — the reference
// strategy, NamespaceCopyControl — a namespace of the source's size and
// format (created with Namespace Management, or taken from a pool of detached
// namespaces where the controller cannot create them), filled at commit by a
// device-side cross-namespace Copy where advertised or a chunked host copy
// otherwise, detached (masked) until Expose attaches it.
//
// NvmeBackend calls a strategy in this order per target — Provision (prepare,
// worker thread, cancellable), TakePointInTime (commit, all targets of a
// group at once), TargetInfo (describe), Expose, Delete (any state) — and
// never twice at once for the same target. Strategies never throw; every
// failure carries an hwsnap domain code (hwsnap/status.h).
//
// After a restart (VSS unloads the provider when idle, so OnLunEmpty and
// LocateLuns usually reach a new process) the backend hands each target the
// catalog recorded to a fresh strategy with Adopt, before any Provision; from
// then on Expose/Mask/Delete of it work as if this instance had made it. The
// optional methods (Adopt, Mask) default to kNotSupported. A strategy that
// hands out targets from a pool MUST implement Adopt: otherwise a restarted
// process sees a namespace holding a committed snapshot as free and may
// overwrite it (docs/backend-authoring.md).
#ifndef HWSNAP_NVME_NAMESPACE_CONTROL_H_
#define HWSNAP_NVME_NAMESPACE_CONTROL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/backend.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/nvme/namespace_info.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {

class NamespaceControl {
 public:
  virtual ~NamespaceControl() = default;

  // Short stable name for logs ("ns-copy").
  virtual std::string Name() const = 0;

  // Empty when this strategy can snapshot `source`; otherwise why not, in an
  // administrator's words. Side-effect free.
  virtual std::string WhyCannotSnapshot(const NvmeNamespaceInfo& source) const = 0;

  // Prepare: reserves a target for `source` and returns its name (non-empty,
  // unique, stable across restarts). Slow steps poll `cancel`; on
  // cancellation or failure nothing reserved is left behind.
  // Errors: kInsufficientStorage, kCancelled, kDeadlineExceeded, kBackendFailure.
  virtual absl::StatusOr<std::string> Provision(const NvmeNamespaceInfo& source,
                                                const CancelToken& cancel) = 0;

  // Commit: the point-in-time copy of every target at once, all-or-nothing,
  // before `deadline`. Errors: kDeadlineExceeded, kInsufficientStorage, kBackendFailure.
  virtual absl::Status TakePointInTime(absl::Span<const std::string> targets,
                                       absl::Time deadline) = 0;

  // After commit: the target namespace as the storage reports it (Identify
  // data read while the strategy could see it). Errors: kBackendFailure.
  virtual absl::StatusOr<NvmeNamespaceInfo> TargetInfo(const std::string& target) = 0;

  // Makes the committed target visible to the host (attach). Idempotent.
  virtual absl::Status Expose(const std::string& target) = 0;

  // Deletes the target in whatever state and frees what it holds.
  // Idempotent. Errors: kBackendFailure.
  virtual absl::Status Delete(const std::string& target) = 0;

  // The targets this strategy holds now (leak audit, orphan reclaim). The
  // core releases a listed target no catalog record knows, so list only what
  // this strategy made (and, after a restart, call it once the known targets
  // are adopted).
  virtual absl::StatusOr<std::vector<std::string>> ListTargets() = 0;

  // --- optional ---------------------------------------------------------------
  // Restart: takes back `recorded.id`, made by an earlier instance, in the
  // state the catalog recorded (`committed`, `exposed`; `identity` and
  // `source` are there for a strategy that checks them). Looks at the
  // controller but changes nothing on it (an attached target stays attached,
  // a detached one detached). Afterwards the target is held as if this
  // instance had made it: a pool never hands it out again until Delete, it is
  // no orphan, and Expose/Mask/Delete/TargetInfo work. TakePointInTime of an
  // adopted, uncommitted target may be refused (its source is not known
  // here): such a target is only released. Adopting a target already held
  // under the same name is a no-op. Errors: kObjectNotFound (the namespace is
  // no longer allocated), kNotSupported (default), kBackendFailure (a name
  // not of this controller or pool, a namespace in use by another target).
  virtual absl::Status Adopt(const RestoredTarget& recorded) {
    return NotSupportedError(absl::StrCat("the '", Name(), "' namespace strategy cannot take back target '",
                                          recorded.id, "' made before a restart"));
  }

  // Hides the exposed target from the host again (detach) and keeps it;
  // Expose shows it again. Idempotent. Errors: kObjectNotFound, kBadState
  // (not committed), kNotSupported (default), kBackendFailure.
  virtual absl::Status Mask(const std::string& target) {
    return NotSupportedError(absl::StrCat("the '", Name(), "' namespace strategy cannot hide target '", target,
                                          "' from the host again"));
  }
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NAMESPACE_CONTROL_H_
