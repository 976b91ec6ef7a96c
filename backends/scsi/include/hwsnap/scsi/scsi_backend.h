// hwsnap/scsi/scsi_backend.h — the SCSI LUN backend: hwsnap::Backend for any
// array that presents LUNs over SCSI (FC, iSCSI, SAS, a local pass-through).
//
// What all SCSI arrays share lives here: reading a LUN's identity and
// capacity from the LUN itself (ReadLunInfo over a ScsiTransport), matching
// VSS's LUN descriptions against the LUNs this host may snapshot, the
// per-target state machine the Backend contract demands (prepared →
// committed → exposed; unknown ids, calls out of order and released targets
// answered exactly), cancellation and rollback around the slow prepare, and
// describing each committed target from what the storage reports for it,
// and taking targets back after a restart (RestoreTarget: the catalog's
// record + the strategy's Adopt; no storage I/O for DescribeTarget of a
// target restored with its identity). What differs between arrays — how a point-in-time copy is made and shown —
// is an ArrayControl strategy (hwsnap/scsi/array_control.h).
//
//   ScsiBackendOptions options;
//   options.source_addresses = {"iscsi://127.0.0.1:3260/iqn.2026-12.invalid.acme:db/1"};
//   auto backend = std::make_shared<ScsiBackend>(options, std::make_shared<TgtArrayControl>(...));
//   // hand it to hwsnap::Provider, or register it (hwsnap/scsi/scsi_registration.h)
#ifndef HWSNAP_SCSI_SCSI_BACKEND_H_
#define HWSNAP_SCSI_SCSI_BACKEND_H_

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/scsi/array_control.h"
#include "hwsnap/scsi/lun_info.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

struct ScsiBackendOptions {
  // The LUNs this host may snapshot, as transport addresses
  // (hwsnap/scsi/scsi_transport.h). More may be added with AddSource.
  std::vector<std::string> source_addresses;
  // How transports are opened (initiator name for iSCSI, ...).
  TransportOptions transport;
  // Per-command timeout for identity reads.
  absl::Duration command_timeout = absl::Seconds(10);
  // Capabilities().max_parallel_prepares (0: no limit of the backend's own).
  int max_parallel_prepares = 0;
  // Capabilities().cancel_bound: how soon the strategy observes cancellation.
  absl::Duration cancel_bound = absl::Milliseconds(250);
  // Tests replace this; empty means OpenScsiTransport with `transport`.
  TransportOpener open_transport;
};

class ScsiBackend : public Backend {
 public:
  ScsiBackend(ScsiBackendOptions options, std::shared_ptr<ArrayControl> control);

  std::string Name() const override { return "scsi"; }
  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;
  // Restart: validates the record (kInvalidArgument: empty id, malformed or
  // non-unique identity, exposed without committed, an identity equal to its
  // source's, to a readable source LUN's or to another live target's), then
  // the strategy's Adopt (kObjectNotFound, kNotSupported pass through). A
  // restored uncommitted target can only be released (CommitTargets:
  // kBadState). Restoring a target already held in the same state is a no-op.
  absl::Status RestoreTarget(const RestoredTarget& target) override;
  // The strategy's ListTargets.
  absl::StatusOr<std::vector<TargetId>> ListTargets() override;
  // The strategy's Mask (kNotSupported where it cannot hide a target: xcopy
  // pool LUNs are mapped for good); kBadState for an uncommitted target.
  absl::Status MaskTarget(const TargetId& target) override;

  // Adds a LUN this host may snapshot (thread-safe). Its identity is read on
  // first use. kInvalidArgument for an empty address.
  absl::Status AddSource(std::string address);
  // Reads (and caches) the identity of every source LUN; for hosts that list
  // the LUNs they manage. A source that cannot be read fails the call.
  absl::StatusOr<std::vector<ScsiLunInfo>> SourceLuns();

 private:
  enum class TargetState { kPrepared, kCommitted, kExposed };
  struct TargetRecord {
    ScsiLunInfo source;
    TargetState state = TargetState::kPrepared;
    std::optional<LunIdentity> described;  // DescribeTarget's answer, once read (or restored)
    bool restored = false;                  // taken back after a restart (source: identity only)
  };

  // Reads `address` through a fresh transport.
  absl::StatusOr<ScsiLunInfo> ReadInfo(const std::string& address);
  // The cached info of source `address`, read on first use.
  absl::StatusOr<ScsiLunInfo> SourceInfo(const std::string& address);
  // The source LUN `lun` denotes (a shared unique designator), nullopt when
  // none of ours does; kBackendFailure when a source that might be it cannot
  // be read.
  absl::StatusOr<std::optional<ScsiLunInfo>> FindSource(const LunIdentity& lun);
  // The described identity of a committed target `lun` denotes, nullopt when
  // none does (targets of this process; a restart forgets them).
  absl::StatusOr<std::optional<LunIdentity>> FindTarget(const LunIdentity& lun);
  // A copy of the record of `target`; kObjectNotFound for unknown or released ids.
  absl::StatusOr<TargetRecord> Record(const TargetId& target) const;
  // Why `identity` may not be the identity of target `target` (the same LUN
  // as a source read so far or as another live target), or empty. Requires mu_.
  std::string IdentityConflict(const TargetId& target, const LunIdentity& identity) const;

  const ScsiBackendOptions options_;
  const std::shared_ptr<ArrayControl> control_;
  TransportOpener open_;

  std::mutex restore_mu_;  // one RestoreTarget at a time (its checks + Adopt); before mu_
  mutable std::mutex mu_;
  std::vector<std::string> sources_;                // in the order added
  std::map<std::string, ScsiLunInfo> source_info_;  // address -> identity, once read
  std::map<TargetId, TargetRecord> targets_;
  std::set<TargetId> released_;                     // release is idempotent
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SCSI_BACKEND_H_
