// hwsnap/nvme/namespace_copy_control.h — the reference NVMe snapshot strategy.
//
// A snapshot target is a whole namespace on the source's controller:
//   Provision  take a namespace of the source's LBA size and at least its
//              block count — created with Namespace Management (where the
//              controller supports it) or taken from a configured pool of
//              detached namespaces — attach it to this controller so the copy
//              can reach it, and (optionally) zero it in chunks, polling the
//              cancel token between chunks;
//   TakePointInTime  copy every source block into its target: one device-side
//              Copy with cross-namespace source ranges (descriptor format 2h)
//              where the controller advertises it, else a chunked host copy
//              (Read from the source, Write to the target); then read the
//              target's Identify data and detach it (masked);
//   Expose     attach it to this controller and rescan;
//   Delete     detach, then delete a created namespace or return a pool one;
//   Adopt      (after a restart) hold a namespace an earlier process made a
//              target of — it must still be allocated; its attachment is read
//              from the controller (CNS 12h), nothing is changed — so the
//              pool never hands it out and ListTargets lists it by its name,
//              not as an orphan;
//   Mask       detach it again (OnLunStateChange mask-but-keep).
// The host copy costs a full read and write of the source inside the commit
// window: it suits small namespaces and emulated controllers (QEMU 7.2 has
// Simple Copy but not cross-namespace copy). A vendor with a real snapshot
// primitive writes a NamespaceControl of their own (docs/nvme-backend.md).
#ifndef HWSNAP_NVME_NAMESPACE_COPY_CONTROL_H_
#define HWSNAP_NVME_NAMESPACE_COPY_CONTROL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "hwsnap/nvme/namespace_control.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme {

enum class TargetAllocation {
  kAuto,    // create when the controller accepts Namespace Management, else the pool
  kCreate,  // Namespace Management only
  kPool,    // the configured pool only
};
enum class CopyEngine {
  kAuto,    // device cross-namespace Copy where advertised, else host copy
  kDevice,  // device Copy only (refuses sources it cannot copy)
  kHost,    // host copy only
};

struct NamespaceCopyOptions {
  std::string controller;                 // transport address of the controller
  std::vector<std::uint32_t> pool_nsids;  // detached namespaces to use as targets
  TargetAllocation allocation = TargetAllocation::kAuto;
  CopyEngine copy = CopyEngine::kAuto;
  int max_targets = 0;                    // live targets at most (0: no limit)
  bool zero_on_provision = true;          // Write Zeroes the target at prepare
  std::uint32_t chunk_blocks = 256;       // blocks per Read/Write/Write Zeroes
  ReadNamespaceOptions read;              // target identity reads
  absl::Duration command_timeout = absl::Seconds(10);
  NvmeTransportOpener open_transport;     // empty: OpenNvmeTransport
};

class NamespaceCopyControl : public NamespaceControl {
 public:
  explicit NamespaceCopyControl(NamespaceCopyOptions options);
  ~NamespaceCopyControl() override;

  std::string Name() const override { return "ns-copy"; }
  std::string WhyCannotSnapshot(const NvmeNamespaceInfo& source) const override;
  absl::StatusOr<std::string> Provision(const NvmeNamespaceInfo& source, const CancelToken& cancel) override;
  absl::Status TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) override;
  absl::StatusOr<NvmeNamespaceInfo> TargetInfo(const std::string& target) override;
  absl::Status Expose(const std::string& target) override;
  absl::Status Delete(const std::string& target) override;
  absl::StatusOr<std::vector<std::string>> ListTargets() override;
  // Errors additionally: kBadState from TakePointInTime of an adopted
  // uncommitted target (its source is not known here; release it).
  absl::Status Adopt(const RestoredTarget& recorded) override;
  absl::Status Mask(const std::string& target) override;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NAMESPACE_COPY_CONTROL_H_
