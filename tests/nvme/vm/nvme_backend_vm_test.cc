// NvmeBackend + NamespaceCopyControl on a REAL (QEMU-emulated) NVMe
// controller, inside the hwsnap test VM (tests/nvme/vm/vm_tests.cmake,
// tools/vm/guest/setup-nvme.sh): the whole conformance suite, then what only
// a device shows — the target holds the source's data as of commit, and it is
// attached to no controller (masked) until ExposeTarget. Runs only in the
// guest: without HWSNAP_NVME_CTRL every test is skipped.
//
// Environment (set by the guest's setup script):
//   HWSNAP_NVME_CTRL     /dev/nvme0
//   HWSNAP_NVME_SOURCES  "1 2 3 4"  attached source namespaces (AddSourceLun cycles them)
//   HWSNAP_NVME_POOL     "6-33"     detached pool namespaces (the strategy's targets)
//
// The rig counts targets two ways — the strategy's ListTargets and Identify
// CNS 12h on every pool namespace (attached to any controller = in use) — so
// a release that forgets a namespace on the device shows as a leak.
#include <algorithm>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/conformance/backend_conformance.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/namespace_copy_control.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_backend.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"
#include "slow_provision.h"

namespace hwsnap::nvme {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

struct VmEnvironment {
  std::string controller;
  std::vector<std::uint32_t> sources;
  std::vector<std::uint32_t> pool;
};

// "1 2 3 4", "6-33", "6,7,9-12" → NSIDs.
std::vector<std::uint32_t> ParseNsids(const char* text) {
  std::vector<std::uint32_t> out;
  if (text == nullptr) return out;
  for (absl::string_view part : absl::StrSplit(text, absl::ByAnyChar(" ,"), absl::SkipEmpty())) {
    std::vector<absl::string_view> range = absl::StrSplit(part, '-');
    std::uint32_t low = 0, high = 0;
    if (!absl::SimpleAtoi(range[0], &low)) continue;
    high = low;
    if (range.size() == 2 && !absl::SimpleAtoi(range[1], &high)) continue;
    for (std::uint32_t n = low; n <= high && n != 0; ++n) out.push_back(n);
  }
  return out;
}

std::optional<VmEnvironment> Environment() {
  const char* controller = std::getenv("HWSNAP_NVME_CTRL");
  if (controller == nullptr || *controller == '\0') return std::nullopt;
  VmEnvironment env;
  env.controller = controller;
  env.sources = ParseNsids(std::getenv("HWSNAP_NVME_SOURCES"));
  env.pool = ParseNsids(std::getenv("HWSNAP_NVME_POOL"));
  if (env.sources.empty()) env.sources = {1, 2, 3, 4};
  if (env.pool.empty()) env.pool = ParseNsids("6-33");
  return env;
}

#define HWSNAP_NEED_VM(env)                                                              \
  std::optional<VmEnvironment> env = Environment();                                      \
  if (!env.has_value()) GTEST_SKIP() << "HWSNAP_NVME_CTRL is not set: runs in the hwsnap test VM only"

class VmRig : public conformance::ConformanceRig {
 public:
  static std::unique_ptr<VmRig> Create(const conformance::RigOptions& options) {
    std::optional<VmEnvironment> env = Environment();
    if (!env.has_value()) return nullptr;
    auto rig = std::unique_ptr<VmRig>(new VmRig);
    rig->env_ = *env;
    absl::StatusOr<std::unique_ptr<NvmeTransport>> transport = OpenNvmeTransport(env->controller);
    EXPECT_TRUE(transport.ok()) << transport.status();
    if (!transport.ok()) return nullptr;
    rig->transport_ = *std::move(transport);
    absl::StatusOr<NvmeCompletion> identify =
        CheckNvmeCompletion(rig->transport_->Execute(BuildIdentify(kCnsController)), "Identify Controller");
    EXPECT_TRUE(identify.ok()) << identify.status();
    if (!identify.ok()) return nullptr;
    absl::StatusOr<IdentifyController> controller = ParseIdentifyController(identify->data_in);
    EXPECT_TRUE(controller.ok()) << controller.status();
    if (!controller.ok()) return nullptr;
    rig->controller_ = *controller;

    NamespaceCopyOptions copy;
    copy.controller = env->controller;
    copy.pool_nsids = env->pool;
    copy.max_targets = options.target_capacity;
    copy.command_timeout = kTimeout;
    // 256 KiB per command (the strategy's cap): a 1 MiB host copy is 4 Reads
    // and 4 Writes, which the commit window (2 s) needs on an emulated device
    // whose other threads hold the controller with rescans.
    copy.chunk_blocks = 512;
    rig->control_ = std::make_shared<NamespaceCopyControl>(copy);
    std::shared_ptr<NamespaceControl> strategy = rig->control_;
    if (options.prepare_latency > absl::ZeroDuration()) {
      strategy = std::make_shared<SlowProvision>(strategy, options.prepare_latency);
    }
    NvmeBackendOptions backend_options;
    backend_options.controller = env->controller;
    // A host rescan (NVME_IOCTL_RESCAN after attach) takes about half a second
    // on the emulated controller and cannot be interrupted: promise that.
    backend_options.cancel_bound = absl::Milliseconds(600);
    rig->backend_ = std::make_unique<NvmeBackend>(backend_options, strategy);
    // Every test starts from a detached pool (a failed earlier test may have left some).
    EXPECT_EQ(rig->ReclaimAll(), 0) << "pool namespaces left attached by an earlier test";
    return rig;
  }

  ~VmRig() override {
    backend_.reset();
    // Leave the pool detached for the next test, whatever this one did.
    if (control_ != nullptr) ReclaimAll();
  }

  Backend& backend() override { return *backend_; }
  NvmeBackend& nvme() { return *backend_; }
  NamespaceCopyControl& control() { return *control_; }
  NvmeTransport& transport() { return *transport_; }
  const IdentifyController& controller() const { return controller_; }
  const VmEnvironment& env() const { return env_; }

  // The next source namespace (cycling through HWSNAP_NVME_SOURCES).
  LunIdentity AddSourceLun() override { return AddSource().identity; }

  NvmeNamespaceInfo AddSource() {
    const std::uint32_t nsid = env_.sources[next_source_++ % env_.sources.size()];
    if (added_.insert(nsid).second) {
      absl::Status s = backend_->AddSource(nsid);
      EXPECT_TRUE(s.ok()) << s;
    }
    std::lock_guard<std::mutex> lock(mu_);
    absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*transport_, nsid);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : NvmeNamespaceInfo{};
  }

  bool TargetExists(const TargetId& target) override { return Live().count(target) != 0; }
  int LiveTargetCount() override { return static_cast<int>(Live().size()); }

  // Controllers namespace `nsid` is attached to (Identify CNS 12h), on the device.
  std::vector<std::uint16_t> AttachedControllers(std::uint32_t nsid) {
    std::lock_guard<std::mutex> lock(mu_);
    absl::StatusOr<NvmeCompletion> done = CheckNvmeCompletion(
        transport_->Execute(BuildIdentify(kCnsNamespaceAttachedControllers, nsid)), "Identify CNS 12h");
    EXPECT_TRUE(done.ok()) << done.status();
    if (!done.ok()) return {};
    absl::StatusOr<std::vector<std::uint16_t>> list = ParseControllerList(done->data_in);
    EXPECT_TRUE(list.ok()) << list.status();
    return list.ok() ? *list : std::vector<std::uint16_t>{};
  }

 private:
  VmRig() = default;

  // The strategy's list plus every pool namespace attached anywhere.
  std::set<std::string> Live() {
    std::set<std::string> live;
    absl::StatusOr<std::vector<std::string>> listed = control_->ListTargets();
    EXPECT_TRUE(listed.ok()) << listed.status();
    if (listed.ok()) live.insert(listed->begin(), listed->end());
    for (std::uint32_t nsid : env_.pool) {
      if (!AttachedControllers(nsid).empty()) live.insert(absl::StrCat(controller_.serial_number, "/ns", nsid));
    }
    return live;
  }

  // Deletes every target the strategy lists (its own and orphans); how many there were.
  int ReclaimAll() {
    absl::StatusOr<std::vector<std::string>> listed = control_->ListTargets();
    if (!listed.ok()) return -1;
    for (const std::string& name : *listed) {
      absl::Status s = control_->Delete(name);
      EXPECT_TRUE(s.ok()) << name << ": " << s;
    }
    return static_cast<int>(listed->size());
  }

  VmEnvironment env_;
  std::mutex mu_;  // transport_ (not thread-safe)
  std::unique_ptr<NvmeTransport> transport_;
  IdentifyController controller_;
  std::shared_ptr<NamespaceCopyControl> control_;
  std::unique_ptr<NvmeBackend> backend_;
  std::size_t next_source_ = 0;
  std::set<std::uint32_t> added_;
};

struct VmFactory {
  static std::unique_ptr<conformance::ConformanceRig> Create(const conformance::RigOptions& options) {
    return VmRig::Create(options);
  }
};

std::vector<std::uint8_t> Pattern(std::size_t bytes, std::uint8_t seed) {
  std::vector<std::uint8_t> out(bytes);
  for (std::size_t i = 0; i < bytes; ++i) out[i] = static_cast<std::uint8_t>(seed ^ (i * 13 + i / 512));
  return out;
}

absl::Status WriteBlocks(NvmeTransport& transport, std::uint32_t nsid, std::uint32_t blocks,
                         std::vector<std::uint8_t> data) {
  absl::StatusOr<NvmeCommand> write = BuildWrite(nsid, 0, blocks, std::move(data));
  if (!write.ok()) return write.status();
  write->timeout = kTimeout;
  return CheckNvmeCompletion(transport.Execute(*write), absl::StrCat("Write nsid ", nsid)).status();
}

absl::StatusOr<std::vector<std::uint8_t>> ReadBlocks(NvmeTransport& transport, std::uint32_t nsid,
                                                     std::uint32_t blocks, std::uint32_t bytes) {
  absl::StatusOr<NvmeCommand> read = BuildRead(nsid, 0, blocks, bytes);
  if (!read.ok()) return read.status();
  read->timeout = kTimeout;
  absl::StatusOr<NvmeCompletion> done = CheckNvmeCompletion(transport.Execute(*read), absl::StrCat("Read nsid ", nsid));
  if (!done.ok()) return done.status();
  done->data_in.resize(bytes);
  return done->data_in;
}

TEST(NvmeBackendVmTest, EnvironmentIsComplete) {
  HWSNAP_NEED_VM(env);
  EXPECT_FALSE(env->sources.empty());
  EXPECT_GE(env->pool.size(), 8u) << "the conformance suite needs a pool of namespaces";
  std::unique_ptr<VmRig> rig = VmRig::Create({});
  ASSERT_NE(rig, nullptr);
  for (std::uint32_t nsid : env->pool) {
    EXPECT_TRUE(rig->AttachedControllers(nsid).empty()) << "pool namespace " << nsid << " is attached";
  }
}

// Write a pattern to the source, snapshot, overwrite the source, expose the
// target and read it back: the target holds the pattern as of commit.
TEST(NvmeBackendVmTest, TargetHoldsTheSourceAsOfCommit) {
  HWSNAP_NEED_VM(env);
  std::unique_ptr<VmRig> rig = VmRig::Create({});
  ASSERT_NE(rig, nullptr);
  const NvmeNamespaceInfo source = rig->AddSource();  // the first source (nsid 1 in the VM)
  ASSERT_NE(source.nsid, 0u);
  const std::uint32_t block_bytes = source.block_bytes();
  ASSERT_GT(block_bytes, 0u);
  const std::uint32_t blocks = std::max<std::uint32_t>(1, 4096 / block_bytes);
  const std::uint32_t bytes = blocks * block_bytes;
  const std::vector<std::uint8_t> before = Pattern(bytes, 0x5a);
  const std::vector<std::uint8_t> after = Pattern(bytes, 0xa5);
  ASSERT_TRUE(WriteBlocks(rig->transport(), source.nsid, blocks, before).ok());

  absl::StatusOr<TargetId> target = rig->backend().PrepareTarget(source.identity, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(rig->backend().CommitTargets({*target}, absl::Now() + absl::Seconds(30)).ok());
  ASSERT_TRUE(WriteBlocks(rig->transport(), source.nsid, blocks, after).ok());  // the source moves on

  absl::StatusOr<NvmeNamespaceInfo> info = rig->control().TargetInfo(*target);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_TRUE(rig->backend().ExposeTarget(*target).ok());
  absl::StatusOr<std::vector<std::uint8_t>> read = ReadBlocks(rig->transport(), info->nsid, blocks, bytes);
  ASSERT_TRUE(read.ok()) << read.status();
  EXPECT_TRUE(*read == before) << "target nsid " << info->nsid << " does not hold the source's data as of commit";
  absl::StatusOr<std::vector<std::uint8_t>> now = ReadBlocks(rig->transport(), source.nsid, blocks, bytes);
  ASSERT_TRUE(now.ok()) << now.status();
  EXPECT_TRUE(*now == after);

  // The identity DescribeTarget gives is the one the device reports for the target.
  absl::StatusOr<LunIdentity> described = rig->backend().DescribeTarget(*target);
  ASSERT_TRUE(described.ok()) << described.status();
  {
    absl::StatusOr<NvmeNamespaceInfo> live = ReadNamespaceInfo(rig->transport(), info->nsid);
    ASSERT_TRUE(live.ok()) << live.status();
    EXPECT_TRUE(live->identity.SameLunAs(*described));
    EXPECT_FALSE(live->identity.SameLunAs(source.identity));
  }
  ASSERT_TRUE(rig->backend().ReleaseTarget(*target).ok());
  EXPECT_EQ(rig->LiveTargetCount(), 0);
}

// After commit the target is attached to no controller (masked); after
// ExposeTarget it is attached to this one; after release to none again.
TEST(NvmeBackendVmTest, TargetIsMaskedUntilExposed) {
  HWSNAP_NEED_VM(env);
  std::unique_ptr<VmRig> rig = VmRig::Create({});
  ASSERT_NE(rig, nullptr);
  const NvmeNamespaceInfo source = rig->AddSource();
  absl::StatusOr<TargetId> target = rig->backend().PrepareTarget(source.identity, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(rig->backend().CommitTargets({*target}, absl::Now() + absl::Seconds(30)).ok());
  absl::StatusOr<NvmeNamespaceInfo> info = rig->control().TargetInfo(*target);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(rig->AttachedControllers(info->nsid).empty()) << "committed target is visible before expose";
  EXPECT_EQ(rig->LiveTargetCount(), 1);  // still counted (the strategy holds it)

  ASSERT_TRUE(rig->backend().ExposeTarget(*target).ok());
  EXPECT_EQ(rig->AttachedControllers(info->nsid), std::vector<std::uint16_t>{rig->controller().cntlid});
  ASSERT_TRUE(rig->backend().ExposeTarget(*target).ok());  // idempotent on the device too
  absl::StatusOr<std::vector<std::uint32_t>> active = ReadActiveNamespaces(rig->transport(), kTimeout);
  ASSERT_TRUE(active.ok()) << active.status();
  EXPECT_NE(std::find(active->begin(), active->end(), info->nsid), active->end());

  ASSERT_TRUE(rig->backend().ReleaseTarget(*target).ok());
  EXPECT_TRUE(rig->AttachedControllers(info->nsid).empty());
  EXPECT_EQ(rig->LiveTargetCount(), 0);
}

// Abort mid-prepare: the zeroing is cancelled and the namespace returns to the pool.
TEST(NvmeBackendVmTest, CancelledPrepareLeavesThePoolDetached) {
  HWSNAP_NEED_VM(env);
  std::unique_ptr<VmRig> rig = VmRig::Create(conformance::RigOptions{0, absl::Seconds(2)});
  ASSERT_NE(rig, nullptr);
  const NvmeNamespaceInfo source = rig->AddSource();
  CancelSource cancel;
  std::thread aborter([&] {
    absl::SleepFor(absl::Milliseconds(300));
    cancel.Cancel("aborted by the test");
  });
  absl::StatusOr<TargetId> target = rig->backend().PrepareTarget(source.identity, cancel.token());
  aborter.join();
  EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kCancelled) << target.status();
  EXPECT_EQ(rig->LiveTargetCount(), 0);
}

}  // namespace
}  // namespace hwsnap::nvme

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(NvmeVm, ::hwsnap::nvme::VmFactory);
