// hwsnap/scsi/array_control.h — the part of the SCSI backend a vendor replaces.
//
// Everything SCSI arrays share (identity from INQUIRY/VPD pages, capacity,
// sense decoding, transports, target state, cancellation and rollback) lives
// in ScsiBackend. What differs between arrays is how a point-in-time copy is
// made and shown to the host: a REST call, a CLI, a SCSI copy command. That is
// an ArrayControl. The reference strategies are real:
//   TgtArrayControl   — Linux tgt: a copy of the backing store added as a new
//                       LUN with its own serial and NAA id, unmasked by ACL;
//   XcopyArrayControl — SCSI EXTENDED COPY (LID1) into a pool LUN, where the
//                       target advertises it (LIO does; tgt does not).
//
// ScsiBackend calls a strategy in this order per target — Provision (prepare,
// on a worker thread, cancellable), TakePointInTime (commit, all targets of a
// group at once), TargetAddress (describe), Expose, Delete (any state) — and
// never twice at once for the same target. It keeps the target states itself,
// so a strategy need not re-check them. Strategies never throw; every failure
// carries an hwsnap domain code (hwsnap/status.h).
//
// After a restart (VSS unloads the provider when idle, so OnLunEmpty and
// LocateLuns usually reach a new process) the backend hands each target the
// catalog recorded to a fresh strategy with Adopt, before any Provision; from
// then on Expose/Mask/Delete of it work as if this instance had made it. The
// optional methods (Adopt, Mask) default to kNotSupported: a strategy without
// Adopt leaves restarted targets to reclaim (docs/backend-authoring.md).
#ifndef HWSNAP_SCSI_ARRAY_CONTROL_H_
#define HWSNAP_SCSI_ARRAY_CONTROL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "hwsnap/backend.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/scsi/lun_info.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {

class ArrayControl {
 public:
  virtual ~ArrayControl() = default;

  // Short stable name for logs ("tgt", "xcopy").
  virtual std::string Name() const = 0;

  // Empty when this strategy can snapshot `source`; otherwise why not, in an
  // administrator's words (the LUN is then "not supported"). Side-effect free.
  virtual std::string WhyCannotSnapshot(const ScsiLunInfo& source) const = 0;

  // Prepare: reserves and provisions a target for `source` and returns its
  // name (non-empty, unique, stable across restarts). Slow steps poll
  // `cancel`; on cancellation or failure nothing created is left behind.
  // Errors: kInsufficientStorage, kCancelled, kDeadlineExceeded, kBackendFailure.
  virtual absl::StatusOr<std::string> Provision(const ScsiLunInfo& source,
                                                const CancelToken& cancel) = 0;

  // Commit: takes the point-in-time copy of every target (each provisioned
  // and not yet committed) at once, all-or-nothing, before `deadline`.
  // Errors: kDeadlineExceeded, kInsufficientStorage, kBackendFailure.
  virtual absl::Status TakePointInTime(absl::Span<const std::string> targets,
                                       absl::Time deadline) = 0;

  // After commit: a transport address through which the backend reads the
  // target's identity from the storage (a control path; the host may not see
  // the LUN yet). Errors: kBackendFailure.
  virtual absl::StatusOr<std::string> TargetAddress(const std::string& target) = 0;

  // Makes the committed target visible to the host. Idempotent.
  virtual absl::Status Expose(const std::string& target) = 0;

  // Deletes the target in whatever state and frees what it holds. Idempotent
  // (a target already gone is success). Errors: kBackendFailure.
  virtual absl::Status Delete(const std::string& target) = 0;

  // The targets this strategy's storage holds now (leak audit, orphan reclaim).
  // The core releases a listed target no catalog record knows, so list only
  // what this strategy made (its name prefix, its pool).
  virtual absl::StatusOr<std::vector<std::string>> ListTargets() = 0;

  // --- optional ---------------------------------------------------------------
  // Restart: takes back `recorded.id`, made by an earlier instance, in the
  // state the catalog recorded (`committed`, `exposed`; `identity` and
  // `source` are there for a strategy that checks them). Looks at the storage
  // but changes nothing on it. Afterwards the target is held as if this
  // instance had made it: a pool never hands it out again until Delete, and
  // Expose/Mask/Delete/TargetAddress work. TakePointInTime of an adopted,
  // uncommitted target may be refused (its source is not known here): such a
  // target is only released. Adopting a target already held is a no-op.
  // Called before any Provision of this instance, one call per target.
  // Errors: kObjectNotFound (the storage no longer holds it, or holds no
  // snapshot where `committed` says there is one), kInvalidArgument (a name
  // this strategy never makes), kNotSupported (default), kBackendFailure.
  virtual absl::Status Adopt(const RestoredTarget& recorded);

  // Hides the exposed target from the host again and keeps it (undoes Expose;
  // Expose shows it again). Idempotent. Errors: kObjectNotFound, kBadState
  // (not committed), kNotSupported (default: the strategy cannot hide a
  // target, e.g. pool LUNs mapped for good), kBackendFailure.
  virtual absl::Status Mask(const std::string& target);
};

// Header-only defaults: strategy libraries link the core, not ScsiBackend.
inline absl::Status ArrayControl::Adopt(const RestoredTarget& recorded) {
  return NotSupportedError(absl::StrCat("the '", Name(), "' array strategy cannot take back target '", recorded.id,
                                        "' made before a restart"));
}

inline absl::Status ArrayControl::Mask(const std::string& target) {
  return NotSupportedError(absl::StrCat("the '", Name(), "' array strategy cannot hide target '", target,
                                        "' from the host again"));
}

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_ARRAY_CONTROL_H_
