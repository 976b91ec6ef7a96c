// The backend conformance suite over NvmeBackend + NamespaceCopyControl +
// FakeNvmeController: a subsystem with a pool of 28 detached 1 MiB
// namespaces (NSIDs 6-33, as the QEMU test VM has), once with Namespace
// Management create refused (QEMU 7.2: every target comes from the pool) and
// once with create accepted (targets are new namespaces). The rig looks at
// the fake's namespaces and attachments directly — a pool namespace attached
// to a controller, a namespace that is neither a source nor in the pool — as
// well as at the strategy's list, so a release that frees nothing shows.
#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "fake_nvme_controller.h"
#include "slow_provision.h"
#include "hwsnap/conformance/backend_conformance.h"
#include "hwsnap/nvme/namespace_copy_control.h"
#include "hwsnap/nvme/nvme_backend.h"

namespace hwsnap::nvme {
namespace {

using testing::FakeNamespaceSpec;
using testing::FakeNvmeController;

constexpr std::uint32_t kPoolFirst = 6;
constexpr std::uint32_t kPoolLast = 33;
constexpr std::uint32_t kFirstSource = 40;
constexpr char kSerialPrefix[] = "HWSNAP-NVME-01/";

class FakeNvmeRig : public conformance::ConformanceRig {
 public:
  FakeNvmeRig(const conformance::RigOptions& options, bool create_supported) {
    FakeNvmeController::Options fake_options;
    fake_options.create_supported = create_supported;
    fake_ = std::make_shared<FakeNvmeController>(fake_options);
    FakeNamespaceSpec pool;
    pool.blocks = 2048;
    pool.attached = false;
    NamespaceCopyOptions copy;
    copy.controller = fake_options.address;
    for (std::uint32_t nsid = kPoolFirst; nsid <= kPoolLast; ++nsid) {
      fake_->AddNamespace(nsid, pool);
      copy.pool_nsids.push_back(nsid);
    }
    copy.max_targets = options.target_capacity;
    copy.open_transport = fake_->Opener();
    control_ = std::make_shared<NamespaceCopyControl>(copy);
    std::shared_ptr<NamespaceControl> strategy = control_;
    if (options.prepare_latency > absl::ZeroDuration()) {
      strategy = std::make_shared<SlowProvision>(strategy, options.prepare_latency);
    }
    NvmeBackendOptions backend_options;
    backend_options.controller = fake_options.address;
    backend_options.open_transport = fake_->Opener();
    backend_ = std::make_unique<NvmeBackend>(backend_options, strategy);
  }

  Backend& backend() override { return *backend_; }

  LunIdentity AddSourceLun() override {
    const std::uint32_t nsid = next_source_++;
    sources_.insert(nsid);
    fake_->AddNamespace(nsid);
    EXPECT_TRUE(backend_->AddSource(nsid).ok());
    std::unique_ptr<NvmeTransport> transport = fake_->NewTransport();
    absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*transport, nsid);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->identity : LunIdentity{};
  }

  bool TargetExists(const TargetId& target) override {
    std::set<std::string> live = Live();
    return live.count(target) != 0;
  }
  int LiveTargetCount() override { return static_cast<int>(Live().size()); }

 private:
  // What the storage shows (pool namespaces attached anywhere, namespaces
  // that are neither sources nor pool) plus what the strategy lists.
  std::set<std::string> Live() {
    std::set<std::string> live;
    absl::StatusOr<std::vector<std::string>> listed = control_->ListTargets();
    EXPECT_TRUE(listed.ok()) << listed.status();
    if (listed.ok()) live.insert(listed->begin(), listed->end());
    for (std::uint32_t nsid : fake_->AllocatedNamespaces()) {
      if (sources_.count(nsid) != 0) continue;
      if (nsid >= kPoolFirst && nsid <= kPoolLast) {
        if (!fake_->AttachedControllers(nsid).empty()) live.insert(absl::StrCat(kSerialPrefix, "ns", nsid));
      } else {
        live.insert(absl::StrCat(kSerialPrefix, "created-ns", nsid));
      }
    }
    return live;
  }

  std::shared_ptr<FakeNvmeController> fake_;
  std::shared_ptr<NamespaceCopyControl> control_;
  std::unique_ptr<NvmeBackend> backend_;
  std::uint32_t next_source_ = kFirstSource;
  std::set<std::uint32_t> sources_;
};

struct PoolFactory {
  static std::unique_ptr<conformance::ConformanceRig> Create(const conformance::RigOptions& options) {
    return std::make_unique<FakeNvmeRig>(options, /*create_supported=*/false);
  }
};
struct CreateFactory {
  static std::unique_ptr<conformance::ConformanceRig> Create(const conformance::RigOptions& options) {
    return std::make_unique<FakeNvmeRig>(options, /*create_supported=*/true);
  }
};

}  // namespace
}  // namespace hwsnap::nvme

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(NvmeFakePool, ::hwsnap::nvme::PoolFactory);
HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(NvmeFakeCreate, ::hwsnap::nvme::CreateFactory);
