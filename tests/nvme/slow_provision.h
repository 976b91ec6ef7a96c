// slow_provision.h — a NamespaceControl decorator for RigOptions::prepare_latency.
//
// The conformance suite asks for a prepare that takes long while watching its
// cancel token (PrepareObservesCancelWithinBound). SlowProvision takes the
// real provision, then holds it for `latency` watching the token, so
// NvmeBackend must delete the namespace it was handed. Shared by the rig over
// the fake controller and the rig over QEMU's controller in the test VM.
#ifndef HWSNAP_TESTS_NVME_SLOW_PROVISION_H_
#define HWSNAP_TESTS_NVME_SLOW_PROVISION_H_

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "hwsnap/nvme/namespace_control.h"

namespace hwsnap::nvme {

class SlowProvision : public NamespaceControl {
 public:
  SlowProvision(std::shared_ptr<NamespaceControl> inner, absl::Duration latency)
      : inner_(std::move(inner)), latency_(latency) {}
  std::string Name() const override { return inner_->Name(); }
  std::string WhyCannotSnapshot(const NvmeNamespaceInfo& s) const override { return inner_->WhyCannotSnapshot(s); }
  absl::StatusOr<std::string> Provision(const NvmeNamespaceInfo& source, const CancelToken& cancel) override {
    absl::StatusOr<std::string> target = inner_->Provision(source, cancel);
    if (target.ok()) (void)cancel.SleepFor(latency_);
    return target;
  }
  absl::Status TakePointInTime(absl::Span<const std::string> t, absl::Time d) override {
    return inner_->TakePointInTime(t, d);
  }
  absl::StatusOr<NvmeNamespaceInfo> TargetInfo(const std::string& t) override { return inner_->TargetInfo(t); }
  absl::Status Expose(const std::string& t) override { return inner_->Expose(t); }
  absl::Status Delete(const std::string& t) override { return inner_->Delete(t); }
  absl::StatusOr<std::vector<std::string>> ListTargets() override { return inner_->ListTargets(); }
  absl::Status Adopt(const RestoredTarget& r) override { return inner_->Adopt(r); }
  absl::Status Mask(const std::string& t) override { return inner_->Mask(t); }

 private:
  std::shared_ptr<NamespaceControl> inner_;
  absl::Duration latency_;
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_TESTS_NVME_SLOW_PROVISION_H_
