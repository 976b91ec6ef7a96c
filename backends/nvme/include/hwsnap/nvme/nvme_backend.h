// hwsnap/nvme/nvme_backend.h — the NVMe namespace backend: hwsnap::Backend for
// namespaces of one NVMe controller (PCIe, or NVMe-oF where the host sees a
// controller device).
//
// What all NVMe storage shares lives here: reading a namespace's identity
// (Identify Controller/Namespace + descriptor list, mapped to a LUN identity by
// hwsnap/nvme/identity_mapping.h), matching VSS's LUN descriptions against the
// namespaces this host may snapshot, the per-target state machine the Backend
// contract demands (prepared → committed → exposed; unknown ids, calls out of
// order and released targets answered exactly), cancellation and rollback
// around the slow prepare, and describing each committed target from what the
// controller reports for it, and taking targets back after a restart
// (RestoreTarget: the catalog's record + the strategy's Adopt; no I/O for
// DescribeTarget of a target restored with its identity). How a point-in-time copy is made and shown is a
// NamespaceControl strategy (hwsnap/nvme/namespace_control.h).
//
//   NvmeBackendOptions options;
//   options.controller = "/dev/nvme0";
//   options.source_nsids = {1, 2};
//   auto backend = std::make_shared<NvmeBackend>(options, std::make_shared<NamespaceCopyControl>(...));
#ifndef HWSNAP_NVME_NVME_BACKEND_H_
#define HWSNAP_NVME_NVME_BACKEND_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/nvme/namespace_control.h"
#include "hwsnap/nvme/namespace_info.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme {

struct NvmeBackendOptions {
  // The controller's transport address ("/dev/nvme0", "\\.\PhysicalDrive1").
  std::string controller;
  // The namespaces of that controller this host may snapshot.
  std::vector<std::uint32_t> source_nsids;
  // How identities are read and mapped (timeout per Identify command).
  ReadNamespaceOptions read;
  // Capabilities().max_parallel_prepares (0: no limit of the backend's own).
  int max_parallel_prepares = 0;
  // Capabilities().cancel_bound: how soon the strategy observes cancellation.
  absl::Duration cancel_bound = absl::Milliseconds(250);
  // Tests replace this; empty means OpenNvmeTransport.
  NvmeTransportOpener open_transport;
};

class NvmeBackend : public Backend {
 public:
  NvmeBackend(NvmeBackendOptions options, std::shared_ptr<NamespaceControl> control);

  std::string Name() const override { return "nvme"; }
  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;
  // Restart: validates the record (kInvalidArgument: empty id, malformed or
  // non-unique identity, exposed without committed, an identity equal to its
  // source's, to a readable source namespace's or to another live target's),
  // then the strategy's Adopt (kObjectNotFound, kNotSupported pass through).
  // A restored uncommitted target can only be released (CommitTargets:
  // kBadState). Restoring a target already held in the same state is a no-op.
  absl::Status RestoreTarget(const RestoredTarget& target) override;
  // The strategy's ListTargets.
  absl::StatusOr<std::vector<TargetId>> ListTargets() override;
  // The strategy's Mask (NamespaceCopyControl: detach); kBadState for an
  // uncommitted target.
  absl::Status MaskTarget(const TargetId& target) override;

  // Adds a namespace this host may snapshot (thread-safe); read on first use.
  // kInvalidArgument for nsid 0 or 0xffffffff.
  absl::Status AddSource(std::uint32_t nsid);
  // Reads (and caches) every source namespace; a source that cannot be read
  // fails the call.
  absl::StatusOr<std::vector<NvmeNamespaceInfo>> SourceNamespaces();

 private:
  enum class TargetState { kPrepared, kCommitted, kExposed };
  struct TargetRecord {
    NvmeNamespaceInfo source;
    TargetState state = TargetState::kPrepared;
    std::optional<LunIdentity> described;  // DescribeTarget's answer, once read (or restored)
    bool restored = false;                  // taken back after a restart (source: identity only)
  };

  // Reads namespace `nsid` of the controller through a fresh transport.
  absl::StatusOr<NvmeNamespaceInfo> ReadInfo(std::uint32_t nsid);
  // The cached info of source namespace `nsid`, read on first use.
  absl::StatusOr<NvmeNamespaceInfo> SourceInfo(std::uint32_t nsid);
  // The source namespace `lun` denotes (a shared unique designator), nullopt
  // when none of ours does; kBackendFailure when a source that might be it
  // cannot be read.
  absl::StatusOr<std::optional<NvmeNamespaceInfo>> FindSource(const LunIdentity& lun);
  // The described identity of a committed target `lun` denotes, nullopt when
  // none does (targets of this process; a restart forgets them).
  absl::StatusOr<std::optional<LunIdentity>> FindTarget(const LunIdentity& lun);
  // A copy of the record of `target`; kObjectNotFound for unknown or released ids.
  absl::StatusOr<TargetRecord> Record(const TargetId& target) const;
  // Why `identity` may not be the identity of target `target` (the same LUN
  // as a source read so far or as another live target), or empty. Requires mu_.
  std::string IdentityConflict(const TargetId& target, const LunIdentity& identity) const;

  const NvmeBackendOptions options_;
  const std::shared_ptr<NamespaceControl> control_;
  NvmeTransportOpener open_;

  std::mutex restore_mu_;  // one RestoreTarget at a time (its checks + Adopt); before mu_
  mutable std::mutex mu_;
  std::vector<std::uint32_t> sources_;                    // in the order added
  std::map<std::uint32_t, NvmeNamespaceInfo> source_info_;  // nsid -> identity, once read
  std::map<TargetId, TargetRecord> targets_;
  std::set<TargetId> released_;                           // release is idempotent
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_BACKEND_H_
