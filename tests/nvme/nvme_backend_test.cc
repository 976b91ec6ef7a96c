// Tests of NvmeBackend's own logic over two in-test fakes: a FakeController
// reached through the backend's NvmeTransportOpener, answering Identify
// Controller / Namespace / descriptor list with bytes built at the NVMe Base
// Specification's offsets (so identities travel through the real reader and
// mapping), and a FakeNamespaceControl strategy that "snapshots" by adding a
// namespace with its own EUI-64 and NGUID. Covered: namespace matching and
// refusal, the target state machine, the codes each method may return,
// rollback on cancellation, orphan reclaim, the identity cache, concurrency;
// then the whole backend conformance suite over the same fakes.
#include "hwsnap/nvme/nvme_backend.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/conformance/backend_conformance.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr char kControllerAddress[] = "fake-nvme://ctrl0";
constexpr std::uint16_t kInvalidOpcode = 0x0001;      // SCT 0h SC 01h
constexpr std::uint16_t kInvalidField = 0x0002;       // SCT 0h SC 02h

void PutLe(std::vector<std::uint8_t>& b, std::size_t offset, std::uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) b[offset + static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(value >> (8 * i));
}

void PutAscii(std::vector<std::uint8_t>& b, std::size_t offset, std::size_t width, const std::string& text) {
  for (std::size_t i = 0; i < width; ++i) b[offset + i] = i < text.size() ? static_cast<std::uint8_t>(text[i]) : ' ';
}

std::array<std::uint8_t, 8> Eui64Of(std::uint32_t seed) {
  return {0x00, 0x25, 0x38, 0xa0, static_cast<std::uint8_t>(seed >> 24), static_cast<std::uint8_t>(seed >> 16),
          static_cast<std::uint8_t>(seed >> 8), static_cast<std::uint8_t>(seed)};
}

std::array<std::uint8_t, 16> NguidOf(std::uint32_t seed) {
  std::array<std::uint8_t, 16> id = {0x6e, 0x76, 0x6d, 0x65, 0x68, 0x77, 0x73, 0x6e, 0, 0, 0, 0};
  id[12] = static_cast<std::uint8_t>(seed >> 24);
  id[13] = static_cast<std::uint8_t>(seed >> 16);
  id[14] = static_cast<std::uint8_t>(seed >> 8);
  id[15] = static_cast<std::uint8_t>(seed);
  return id;
}

// An NVMe controller in memory: namespaces by NSID, each with ids from a seed.
class FakeController {
 public:
  struct Namespace {
    std::uint32_t seed = 0;
    bool unique = true;          // false: no EUI-64, NGUID or descriptors
    std::uint64_t blocks = 2048;
  };

  void AddNamespace(std::uint32_t nsid, std::uint32_t seed, bool unique = true) {
    std::lock_guard<std::mutex> lock(mu_);
    namespaces_[nsid] = Namespace{seed, unique, 2048};
  }
  void RemoveNamespace(std::uint32_t nsid) {
    std::lock_guard<std::mutex> lock(mu_);
    namespaces_.erase(nsid);
  }
  std::uint32_t SeedOf(std::uint32_t nsid) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = namespaces_.find(nsid);
    return it == namespaces_.end() ? 0 : it->second.seed;
  }
  // Identify commands naming `nsid` fail at the transport with `error` (OK: work again).
  void SetUnreadable(std::uint32_t nsid, absl::Status error) {
    std::lock_guard<std::mutex> lock(mu_);
    if (error.ok()) {
      unreadable_.erase(nsid);
    } else {
      unreadable_[nsid] = std::move(error);
    }
  }
  // Opening a transport fails with `error` (OK: works again).
  void SetOpenError(absl::Status error) {
    std::lock_guard<std::mutex> lock(mu_);
    open_error_ = std::move(error);
  }
  // Identify Namespace answers with bytes that do not parse.
  void SetGarbage(std::uint32_t nsid) {
    std::lock_guard<std::mutex> lock(mu_);
    garbage_.insert(nsid);
  }
  int opens() const {
    std::lock_guard<std::mutex> lock(mu_);
    return opens_;
  }
  int identifies() const {
    std::lock_guard<std::mutex> lock(mu_);
    return identifies_;
  }

  NvmeTransportOpener Opener();
  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command);

 private:
  static std::vector<std::uint8_t> ControllerData() {
    std::vector<std::uint8_t> b(kIdentifyDataBytes, 0);
    PutLe(b, 0, 0x1b36, 2);                       // VID
    PutAscii(b, 4, 20, "HWSNAPFAKE0001");          // SN
    PutAscii(b, 24, 40, "hwsnap fake NVMe");       // MN
    PutAscii(b, 64, 8, "1.0");                     // FR
    PutLe(b, 78, 1, 2);                            // CNTLID
    PutLe(b, 80, 0x00010400, 4);                   // VER 1.4
    PutLe(b, 256, 0x0008, 2);                      // OACS: Namespace Management
    PutLe(b, 516, 4096, 4);                        // NN
    PutLe(b, 520, 0x0008, 2);                      // ONCS: Write Zeroes
    return b;
  }
  static std::vector<std::uint8_t> NamespaceData(const Namespace& ns) {
    std::vector<std::uint8_t> b(kIdentifyDataBytes, 0);
    PutLe(b, 0, ns.blocks, 8);    // NSZE
    PutLe(b, 8, ns.blocks, 8);    // NCAP
    PutLe(b, 16, ns.blocks, 8);   // NUSE
    b[25] = 0;                    // NLBAF: one format
    b[26] = 0;                    // FLBAS: format 0
    if (ns.unique) {
      const std::array<std::uint8_t, 16> nguid = NguidOf(ns.seed);
      const std::array<std::uint8_t, 8> eui = Eui64Of(ns.seed);
      std::copy(nguid.begin(), nguid.end(), b.begin() + 104);
      std::copy(eui.begin(), eui.end(), b.begin() + 120);
    }
    b[128 + 2] = 9;               // LBAF0: MS 0, LBADS 9 (512 bytes)
    return b;
  }
  static std::vector<std::uint8_t> DescriptorData(const Namespace& ns) {
    std::vector<std::uint8_t> b(kIdentifyDataBytes, 0);
    if (!ns.unique) return b;
    const std::array<std::uint8_t, 8> eui = Eui64Of(ns.seed);
    const std::array<std::uint8_t, 16> nguid = NguidOf(ns.seed);
    b[0] = 1;  // NIDT EUI-64
    b[1] = 8;  // NIDL
    std::copy(eui.begin(), eui.end(), b.begin() + 4);
    b[12] = 2;   // NIDT NGUID
    b[13] = 16;  // NIDL
    std::copy(nguid.begin(), nguid.end(), b.begin() + 16);
    return b;
  }

  mutable std::mutex mu_;
  std::map<std::uint32_t, Namespace> namespaces_;
  std::map<std::uint32_t, absl::Status> unreadable_;
  std::set<std::uint32_t> garbage_;
  absl::Status open_error_;
  int opens_ = 0;
  int identifies_ = 0;
};

class FakeTransport : public NvmeTransport {
 public:
  explicit FakeTransport(FakeController* controller) : controller_(controller) {}
  std::string Address() const override { return kControllerAddress; }
  std::uint32_t nsid() const override { return 0; }
  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) override {
    return controller_->Execute(command);
  }
  absl::Status Rescan() override { return absl::OkStatus(); }

 private:
  FakeController* const controller_;
};

NvmeTransportOpener FakeController::Opener() {
  return [this](absl::string_view address) -> absl::StatusOr<std::unique_ptr<NvmeTransport>> {
    std::lock_guard<std::mutex> lock(mu_);
    ++opens_;
    if (!open_error_.ok()) return open_error_;
    if (address != kControllerAddress) return BackendFailureError(absl::StrCat("fake: no controller at ", address));
    return std::unique_ptr<NvmeTransport>(std::make_unique<FakeTransport>(this));
  };
}

absl::StatusOr<NvmeCompletion> FakeController::Execute(const NvmeCommand& command) {
  std::lock_guard<std::mutex> lock(mu_);
  NvmeCompletion completion;
  if (command.queue != NvmeQueue::kAdmin || command.opcode != 0x06) {
    completion.status.raw = kInvalidOpcode;
    return completion;
  }
  ++identifies_;
  const std::uint8_t cns = static_cast<std::uint8_t>(command.cdw10 & 0xff);
  if (auto down = unreadable_.find(command.nsid); command.nsid != 0 && down != unreadable_.end()) {
    return down->second;
  }
  auto ns = namespaces_.find(command.nsid);
  switch (cns) {
    case 0x01:
      completion.data_in = ControllerData();
      break;
    case 0x00:
    case 0x11:
      if (garbage_.count(command.nsid) > 0) {
        completion.data_in.assign(kIdentifyDataBytes, 0xff);  // NLBAF 255, FLBAS out of range
      } else {
        completion.data_in = ns == namespaces_.end() ? std::vector<std::uint8_t>(kIdentifyDataBytes, 0)
                                                     : NamespaceData(ns->second);
      }
      break;
    case 0x03:
      if (ns == namespaces_.end()) {
        completion.status.raw = 0x000b;  // Invalid Namespace or Format
      } else {
        completion.data_in = DescriptorData(ns->second);
      }
      break;
    default:
      completion.status.raw = kInvalidField;
  }
  return completion;
}

// The strategy: a target is a new namespace (NSID 1000 + n) with its own ids.
class FakeNamespaceControl : public NamespaceControl {
 public:
  explicit FakeNamespaceControl(FakeController* controller) : controller_(controller) {}

  // Knobs, set before use.
  int capacity = 0;                                       // > 0: live target limit
  absl::Duration provision_latency = absl::ZeroDuration();  // observed with the token
  std::set<std::uint32_t> refused;                        // NSIDs WhyCannotSnapshot refuses
  absl::Status provision_error;
  absl::Status commit_error;
  absl::Status target_info_error;
  absl::Status expose_error;
  absl::Status delete_error;
  bool describe_as_source = false;                        // targets carry their source's ids
  std::function<void()> after_provision;                  // runs after a successful provision

  std::string Name() const override { return "fake-ns"; }
  std::string WhyCannotSnapshot(const NvmeNamespaceInfo& source) const override {
    return refused.count(source.nsid) ? "the fake controller refuses this namespace" : "";
  }
  absl::StatusOr<std::string> Provision(const NvmeNamespaceInfo& source, const CancelToken& cancel) override {
    if (provision_latency > absl::ZeroDuration()) {
      if (absl::Status s = cancel.SleepFor(provision_latency); !s.ok()) return s;
    }
    if (cancel.IsCancelled()) return cancel.status();
    if (!provision_error.ok()) return provision_error;
    std::string name;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (capacity > 0 && static_cast<int>(targets_.size()) >= capacity) {
        return InsufficientStorageError(absl::StrCat("fake: all ", capacity, " namespaces in use"));
      }
      ++provisions_;
      name = absl::StrCat("fake-ns-snap-", ++next_);
      Target& target = targets_[name];
      target.source_nsid = source.nsid;
      target.own_nsid = 1000u + static_cast<std::uint32_t>(next_);
      target.own_seed = 0x80000000u + static_cast<std::uint32_t>(next_);
    }
    if (after_provision) after_provision();
    return name;
  }
  absl::Status TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) override {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> made;  // nsid, seed
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++commit_calls_;
      if (!commit_error.ok()) return commit_error;
      if (absl::Now() > deadline) return DeadlineExceededError("fake: past the commit deadline");
      for (const std::string& target : targets) {
        auto it = targets_.find(target);
        if (it == targets_.end()) return BackendFailureError(absl::StrCat("fake: no target ", target));
        if (it->second.committed) return BackendFailureError(absl::StrCat("fake: ", target, " committed twice"));
      }
      for (const std::string& target : targets) {
        Target& t = targets_[target];
        t.committed = true;
        made.emplace_back(t.own_nsid, describe_as_source ? controller_->SeedOf(t.source_nsid) : t.own_seed);
      }
    }
    for (const auto& [nsid, seed] : made) controller_->AddNamespace(nsid, seed);
    return absl::OkStatus();
  }
  absl::StatusOr<NvmeNamespaceInfo> TargetInfo(const std::string& target) override {
    std::uint32_t nsid = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++target_info_calls_;
      if (!target_info_error.ok()) return target_info_error;
      auto it = targets_.find(target);
      if (it == targets_.end() || !it->second.committed) return BackendFailureError("fake: no committed target");
      nsid = it->second.own_nsid;
    }
    absl::StatusOr<std::unique_ptr<NvmeTransport>> transport = controller_->Opener()(kControllerAddress);
    if (!transport.ok()) return transport.status();
    return ReadNamespaceInfo(**transport, nsid);
  }
  absl::Status Expose(const std::string& target) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (!expose_error.ok()) return expose_error;
    auto it = targets_.find(target);
    if (it == targets_.end()) return BackendFailureError("fake: no target");
    it->second.exposed = true;
    return absl::OkStatus();
  }
  absl::Status Delete(const std::string& target) override {
    std::uint32_t nsid = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!delete_error.ok()) return delete_error;
      auto it = targets_.find(target);
      if (it == targets_.end()) return absl::OkStatus();
      nsid = it->second.own_nsid;
      targets_.erase(it);
    }
    if (nsid != 0) controller_->RemoveNamespace(nsid);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> ListTargets() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> names;
    for (const auto& [name, target] : targets_) names.push_back(name);
    return names;
  }

  // Adds a target as if a previous process had made it (orphan reclaim).
  void AddOrphan(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    targets_[name];
  }
  bool IsExposed(const std::string& target) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find(target);
    return it != targets_.end() && it->second.exposed;
  }
  std::uint32_t TargetNsid(const std::string& target) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = targets_.find(target);
    return it == targets_.end() ? 0 : it->second.own_nsid;
  }
  int commit_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commit_calls_;
  }
  int provisions() const {
    std::lock_guard<std::mutex> lock(mu_);
    return provisions_;
  }
  int target_info_calls() const {
    std::lock_guard<std::mutex> lock(mu_);
    return target_info_calls_;
  }
  int live() const {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(targets_.size());
  }

 private:
  struct Target {
    std::uint32_t source_nsid = 0;
    std::uint32_t own_nsid = 0;
    std::uint32_t own_seed = 0;
    bool committed = false;
    bool exposed = false;
  };
  FakeController* const controller_;
  mutable std::mutex mu_;
  std::map<std::string, Target> targets_;
  int next_ = 0;
  int provisions_ = 0;
  int commit_calls_ = 0;
  int target_info_calls_ = 0;
};

// The identity a host reports for namespace `nsid` of `controller`.
LunIdentity HostView(FakeController& controller, std::uint32_t nsid) {
  absl::StatusOr<std::unique_ptr<NvmeTransport>> transport = controller.Opener()(kControllerAddress);
  EXPECT_TRUE(transport.ok()) << transport.status();
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(**transport, nsid);
  EXPECT_TRUE(info.ok()) << info.status();
  return info.ok() ? info->identity : LunIdentity();
}

// A backend over a fake controller with source namespaces 1..n (seeds = NSIDs).
struct FakeRig {
  explicit FakeRig(int n = 2) {
    for (int i = 1; i <= n; ++i) {
      controller.AddNamespace(static_cast<std::uint32_t>(i), static_cast<std::uint32_t>(i));
      nsids.push_back(static_cast<std::uint32_t>(i));
    }
    control = std::make_shared<FakeNamespaceControl>(&controller);
    NvmeBackendOptions options;
    options.controller = kControllerAddress;
    options.source_nsids = nsids;
    options.max_parallel_prepares = 4;
    options.open_transport = controller.Opener();
    backend = std::make_shared<NvmeBackend>(options, control);
  }
  LunIdentity Host(std::uint32_t nsid) { return HostView(controller, nsid); }

  FakeController controller;
  std::vector<std::uint32_t> nsids;
  std::shared_ptr<FakeNamespaceControl> control;
  std::shared_ptr<NvmeBackend> backend;
};

// A namespace of another controller (distinct ids), as a host reports it.
LunIdentity ForeignNamespace(std::uint32_t seed) {
  FakeController elsewhere;
  elsewhere.AddNamespace(1, seed);
  return HostView(elsewhere, 1);
}

ErrorCode CodeOf(const absl::Status& s) { return GetErrorCode(s); }
absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

// --- Name, capabilities, sources -------------------------------------------

TEST(NvmeBackendTest, NameAndCapabilities) {
  FakeRig rig;
  EXPECT_EQ(rig.backend->Name(), "nvme");
  const BackendCapabilities caps = rig.backend->Capabilities();
  EXPECT_EQ(caps.max_parallel_prepares, 4);
  EXPECT_EQ(caps.max_commit_group, 0);
  EXPECT_GT(caps.cancel_bound, absl::ZeroDuration());
}

TEST(NvmeBackendTest, AddSourceRejectsInvalidNsidsAndAcceptsNewNamespaces) {
  FakeRig rig(0);
  EXPECT_EQ(CodeOf(rig.backend->AddSource(0)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->AddSource(0xffffffffu)), ErrorCode::kInvalidArgument);
  rig.controller.AddNamespace(42, 42);
  ASSERT_TRUE(rig.backend->AddSource(42).ok());
  ASSERT_TRUE(rig.backend->AddSource(42).ok());  // once is enough
  absl::StatusOr<std::vector<NvmeNamespaceInfo>> sources = rig.backend->SourceNamespaces();
  ASSERT_TRUE(sources.ok()) << sources.status();
  ASSERT_EQ(sources->size(), 1u);
  EXPECT_EQ((*sources)[0].nsid, 42u);
  EXPECT_EQ((*sources)[0].identity, rig.Host(42));
}

TEST(NvmeBackendTest, SourceNamespacesFailsWhenOneCannotBeRead) {
  FakeRig rig;
  rig.controller.SetUnreadable(2, BackendFailureError("controller fatal status"));
  absl::StatusOr<std::vector<NvmeNamespaceInfo>> sources = rig.backend->SourceNamespaces();
  EXPECT_EQ(CodeOf(sources.status()), ErrorCode::kBackendFailure);
  EXPECT_NE(sources.status().message().find("controller fatal status"), absl::string_view::npos)
      << sources.status();
}

// --- IdentifyLun -------------------------------------------------------------

TEST(NvmeBackendTest, IdentifiesItsOwnNamespaceWithTheControllersIdentity) {
  FakeRig rig;
  const LunIdentity host_view = rig.Host(1);
  ASSERT_TRUE(host_view.HasUniqueDesignator());
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(host_view);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;
  EXPECT_TRUE(support->reason.empty());
  EXPECT_EQ(support->identity, host_view);
  EXPECT_EQ(support->identity.bus_type, BusType::kNvme);
  EXPECT_EQ(support->identity.vendor_id, "NVMe");
  EXPECT_EQ(support->identity.product_id, "hwsnap fake NVMe");
  EXPECT_EQ(support->identity.serial_number, "HWSNAPFAKE0001");
}

TEST(NvmeBackendTest, MatchesByUniqueDesignatorNotByStrings) {
  FakeRig rig;
  LunIdentity reported = rig.Host(2);
  reported.vendor_id = "OTHER";  // VSS matches on designators only
  reported.serial_number = "whatever";
  reported.designators.resize(1);  // one shared unique id is enough
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(reported);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported);
  EXPECT_EQ(support->identity, rig.Host(2));  // the controller's view wins
}

TEST(NvmeBackendTest, ForeignNamespaceIsUnsupportedWithAReason) {
  FakeRig rig;
  const LunIdentity foreign = ForeignNamespace(999);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(foreign);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_NE(support->reason.find("not one of the namespaces"), std::string::npos) << support->reason;
  EXPECT_EQ(support->identity, foreign);
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(foreign, CancelToken()).status()), ErrorCode::kNotSupported);
  EXPECT_EQ(rig.control->live(), 0);
}

TEST(NvmeBackendTest, MalformedLunDescriptionIsInvalidArgument) {
  FakeRig rig;
  LunIdentity bad = rig.Host(1);
  ASSERT_FALSE(bad.designators.empty());
  bad.designators[0].bytes.resize(5);  // an EUI-64 designator of 5 bytes
  EXPECT_EQ(CodeOf(rig.backend->IdentifyLun(bad).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(bad, CancelToken()).status()), ErrorCode::kInvalidArgument);
  LunIdentity nul = rig.Host(1);
  nul.product_id = std::string("bad\0id", 6);
  EXPECT_EQ(CodeOf(rig.backend->IdentifyLun(nul).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(rig.control->live(), 0);
}

TEST(NvmeBackendTest, NamespaceWithoutAnyIdIsRefused) {
  FakeController controller;
  controller.AddNamespace(7, 7, /*unique=*/false);
  auto control = std::make_shared<FakeNamespaceControl>(&controller);
  NvmeBackendOptions options;
  options.controller = kControllerAddress;
  options.source_nsids = {7};
  options.open_transport = controller.Opener();
  NvmeBackend backend(options, control);
  const LunIdentity plain = HostView(controller, 7);
  ASSERT_FALSE(plain.HasUniqueDesignator());
  absl::StatusOr<LunSupport> support = backend.IdentifyLun(plain);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_NE(support->reason.find("unique"), std::string::npos) << support->reason;
}

TEST(NvmeBackendTest, StrategyRefusalIsUnsupportedAndPrepareNotSupported) {
  FakeRig rig;
  rig.control->refused.insert(1);
  const LunIdentity lun = rig.Host(1);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(lun);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
  EXPECT_EQ(support->reason, "the fake controller refuses this namespace");
  absl::Status prepare = rig.backend->PrepareTarget(lun, CancelToken()).status();
  EXPECT_EQ(CodeOf(prepare), ErrorCode::kNotSupported);
  EXPECT_NE(prepare.message().find("refuses"), absl::string_view::npos) << prepare;
  EXPECT_EQ(rig.control->provisions(), 0);
}

TEST(NvmeBackendTest, UnreadableSourceIsABackendFailureNotForeign) {
  FakeRig rig;
  const LunIdentity second = rig.Host(2);
  rig.controller.SetUnreadable(1, BackendFailureError("link down"));
  // The LUN asked about could be the unreadable namespace: no verdict of "foreign".
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(ForeignNamespace(555));
  EXPECT_EQ(CodeOf(support.status()), ErrorCode::kBackendFailure);
  EXPECT_NE(support.status().message().find("link down"), absl::string_view::npos) << support.status();
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(ForeignNamespace(555), CancelToken()).status()),
            ErrorCode::kBackendFailure);
  // A readable namespace is still found and prepared.
  absl::StatusOr<LunSupport> found = rig.backend->IdentifyLun(second);
  ASSERT_TRUE(found.ok()) << found.status();
  EXPECT_TRUE(found->supported);
  // Once the link is back, the first namespace is identified.
  rig.controller.SetUnreadable(1, absl::OkStatus());
  absl::StatusOr<LunSupport> back = rig.backend->IdentifyLun(rig.Host(1));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(back->supported);
}

TEST(NvmeBackendTest, ReadFailuresReachTheCallerOnlyAsCodesItsMethodMayReturn) {
  const LunIdentity foreign = ForeignNamespace(556);
  // A read that says "not found" (an inactive namespace), times out, or the
  // device answers with garbage must not leak out of IdentifyLun/PrepareTarget
  // as kObjectNotFound, kDeadlineExceeded or kInvalidArgument.
  for (int fault = 0; fault < 5; ++fault) {
    FakeRig rig;  // nothing cached yet
    std::string needle;
    switch (fault) {
      case 0:
        rig.controller.RemoveNamespace(1);  // inactive: Identify Namespace is all zeros
        needle = "not active";
        break;
      case 1:
        rig.controller.SetUnreadable(1, DeadlineExceededError("Identify timed out"));
        needle = "timed out";
        break;
      case 2:
        rig.controller.SetGarbage(1);
        needle = "malformed";
        break;
      case 3:
        rig.controller.SetOpenError(ObjectNotFoundError("no such device"));
        needle = "no such device";
        break;
      case 4:
        rig.controller.SetOpenError(InvalidArgumentError("malformed address"));
        needle = kControllerAddress;
        break;
    }
    absl::Status identify = rig.backend->IdentifyLun(foreign).status();
    EXPECT_EQ(CodeOf(identify), ErrorCode::kBackendFailure) << fault << ": " << identify;
    EXPECT_NE(identify.message().find(needle), absl::string_view::npos) << fault << ": " << identify;
    absl::Status prepare = rig.backend->PrepareTarget(foreign, CancelToken()).status();
    EXPECT_EQ(CodeOf(prepare), ErrorCode::kBackendFailure) << fault << ": " << prepare;
    EXPECT_EQ(rig.control->live(), 0);
  }
}

TEST(NvmeBackendTest, SourceIdentityIsReadOnceAndCached) {
  FakeRig rig;
  const LunIdentity lun = rig.Host(1);
  const int opens = rig.controller.opens();
  const int identifies = rig.controller.identifies();
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(rig.backend->IdentifyLun(lun).ok());
  // The first identify reads the sources (up to two namespaces, three commands each).
  EXPECT_LE(rig.controller.opens() - opens, 2);
  EXPECT_LE(rig.controller.identifies() - identifies, 6);
  const LunIdentity second = rig.Host(2);
  ASSERT_TRUE(rig.backend->IdentifyLun(second).ok());  // reads namespace 2 (once)
  const int after_first = rig.controller.identifies();
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(rig.backend->IdentifyLun(rig.Host(2)).ok());
    ASSERT_TRUE(rig.backend->PrepareTarget(rig.Host(1), CancelToken()).ok());
  }
  // Only the host views read the controller now (3 commands each).
  EXPECT_EQ(rig.controller.identifies() - after_first, 5 * 2 * 3);
}

TEST(NvmeBackendTest, AFailedReadIsNotCached) {
  FakeRig rig;
  const LunIdentity lun = rig.Host(1);
  rig.controller.SetUnreadable(1, BackendFailureError("busy"));
  EXPECT_EQ(CodeOf(rig.backend->IdentifyLun(lun).status()), ErrorCode::kBackendFailure);
  rig.controller.SetUnreadable(1, absl::OkStatus());
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(lun);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported);
}

// --- The state machine -------------------------------------------------------

TEST(NvmeBackendTest, FullLifecycle) {
  FakeRig rig;
  const LunIdentity lun = rig.Host(1);
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(lun, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_FALSE(target->empty());
  EXPECT_EQ(rig.control->live(), 1);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*target).status()), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(*target)), ErrorCode::kBadState);
  ASSERT_TRUE(rig.backend->CommitTargets({*target}, Soon()).ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*target}, Soon())), ErrorCode::kBadState);

  absl::StatusOr<LunIdentity> described = rig.backend->DescribeTarget(*target);
  ASSERT_TRUE(described.ok()) << described.status();
  EXPECT_TRUE(described->HasUniqueDesignator());
  EXPECT_FALSE(described->SameLunAs(lun));
  EXPECT_TRUE(ValidateLunIdentity(*described).ok());
  EXPECT_EQ(*described, HostView(rig.controller, rig.control->TargetNsid(*target)));
  EXPECT_EQ(*rig.backend->DescribeTarget(*target), *described);  // stable
  EXPECT_EQ(rig.control->target_info_calls(), 1);                  // and read once

  ASSERT_TRUE(rig.backend->ExposeTarget(*target).ok());
  ASSERT_TRUE(rig.backend->ExposeTarget(*target).ok());  // idempotent
  EXPECT_TRUE(rig.control->IsExposed(*target));
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*target}, Soon())), ErrorCode::kBadState);
  EXPECT_EQ(*rig.backend->DescribeTarget(*target), *described);  // exposed: still described

  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());
  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());  // idempotent
  EXPECT_EQ(rig.control->live(), 0);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*target).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(*target)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*target}, Soon())), ErrorCode::kObjectNotFound);
}

TEST(NvmeBackendTest, UnknownTargetIsObjectNotFoundForEveryMethod) {
  FakeRig rig;
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({"no-such-target"}, Soon())), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget("no-such-target").status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget("no-such-target")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget("no-such-target")), ErrorCode::kObjectNotFound);
}

// A strategy without Adopt/Mask (the NamespaceControl defaults): the
// backend says so, and the earlier process's target stays releasable
// through the strategy's list. (Restart over NamespaceCopyControl:
// nvme_backend_restore_test.cc.)
TEST(NvmeBackendTest, StrategyWithoutAdoptCannotRestoreOrMask) {
  FakeRig rig;
  RestoredTarget record;
  record.source = rig.Host(1);
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(record.source, CancelToken());
  ASSERT_TRUE(target.ok()) << target.status();
  ASSERT_TRUE(rig.backend->CommitTargets({*target}, Soon()).ok());
  EXPECT_EQ(CodeOf(rig.backend->MaskTarget(*target)), ErrorCode::kNotSupported);
  EXPECT_EQ(CodeOf(rig.backend->MaskTarget("no-such-target")), ErrorCode::kObjectNotFound);
  record.id = *target;
  record.committed = true;
  NvmeBackendOptions options;
  options.controller = kControllerAddress;
  options.source_nsids = rig.nsids;
  options.open_transport = rig.controller.Opener();
  NvmeBackend restarted(options, rig.control);
  EXPECT_EQ(CodeOf(restarted.RestoreTarget(record)), ErrorCode::kNotSupported);
  absl::StatusOr<std::vector<TargetId>> listed = restarted.ListTargets();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(*listed, std::vector<TargetId>{*target});
  EXPECT_TRUE(restarted.ReleaseTarget(*target).ok());
  EXPECT_EQ(rig.control->live(), 0);
}

TEST(NvmeBackendTest, TwoPreparesOfOneNamespaceGiveTwoTargets) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  absl::StatusOr<TargetId> b = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a, *b);
  ASSERT_TRUE(rig.backend->CommitTargets({*a, *b}, Soon()).ok());
  absl::StatusOr<LunIdentity> da = rig.backend->DescribeTarget(*a);
  absl::StatusOr<LunIdentity> db = rig.backend->DescribeTarget(*b);
  ASSERT_TRUE(da.ok() && db.ok());
  EXPECT_FALSE(da->SameLunAs(*db));
}

TEST(NvmeBackendTest, CommittedTargetIsSupportedOnImport) {
  FakeRig rig;
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(target.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*target}, Soon()).ok());
  // VSS asks about the snapshot namespace as the host sees it after import,
  // before DescribeTarget ran.
  const LunIdentity imported = HostView(rig.controller, rig.control->TargetNsid(*target));
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(imported);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported) << support->reason;
  EXPECT_EQ(support->identity, *rig.backend->DescribeTarget(*target));
  // Once released it is foreign.
  ASSERT_TRUE(rig.backend->ReleaseTarget(*target).ok());
  support = rig.backend->IdentifyLun(imported);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported);
}

TEST(NvmeBackendTest, PreparedTargetIsNotIdentifiedAsOurs) {
  FakeRig rig;
  absl::StatusOr<TargetId> target = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(target.ok());
  // Its namespace holds no copy yet: a LUN with the ids it will get is foreign.
  const LunIdentity later = ForeignNamespace(0x80000001u);
  absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(later);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_FALSE(support->supported);
  EXPECT_EQ(rig.control->target_info_calls(), 0);
}

TEST(NvmeBackendTest, CommitChecksEveryTargetBeforeTouchingAny) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  absl::StatusOr<TargetId> b = rig.backend->PrepareTarget(rig.Host(2), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, "no-such-target"}, Soon())), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, *a}, Soon())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({}, Soon())), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a, *b}, absl::Now() - absl::Seconds(1))),
            ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(rig.control->commit_calls(), 0);
  // Nothing was committed: the group still commits.
  EXPECT_TRUE(rig.backend->CommitTargets({*a, *b}, Soon()).ok());
  // A group with one committed target commits nothing.
  absl::StatusOr<TargetId> c = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*c, *a}, Soon())), ErrorCode::kBadState);
  EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*c).status()), ErrorCode::kBadState);
}

TEST(NvmeBackendTest, CommitWithAReleasedTargetCommitsNothing) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  absl::StatusOr<TargetId> b = rig.backend->PrepareTarget(rig.Host(2), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(rig.backend->ReleaseTarget(*b).ok());
  absl::Status s = rig.backend->CommitTargets({*a, *b}, Soon());
  EXPECT_EQ(CodeOf(s), ErrorCode::kObjectNotFound);
  EXPECT_NE(s.message().find("released"), absl::string_view::npos) << s;
  EXPECT_EQ(rig.control->commit_calls(), 0);
  EXPECT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
}

// --- The codes each method may return ----------------------------------------

TEST(NvmeBackendTest, StrategyCommitFailureKeepsItsCodeAndCommitsNothing) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(a.ok());
  for (const absl::Status& error : {InsufficientStorageError("no space for the copy"),
                                    DeadlineExceededError("host copy would miss the window"),
                                    BackendFailureError("Copy failed")}) {
    rig.control->commit_error = error;
    EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a}, Soon())), CodeOf(error));
    EXPECT_EQ(CodeOf(rig.backend->DescribeTarget(*a).status()), ErrorCode::kBadState);
  }
  rig.control->commit_error = absl::OkStatus();
  EXPECT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
}

TEST(NvmeBackendTest, StrategyCodesOutsideTheMethodsListBecomeBackendFailure) {
  FakeRig rig;
  // Provision may not return kObjectNotFound, kBadState or kDeadlineExceeded.
  for (const absl::Status& error : {ObjectNotFoundError("Invalid Namespace or Format"),
                                    BadStateError("namespace attached"), DeadlineExceededError("Identify timed out"),
                                    InvalidArgumentError("Invalid Field in Command")}) {
    rig.control->provision_error = error;
    absl::Status s = rig.backend->PrepareTarget(rig.Host(1), CancelToken()).status();
    EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure) << s;
    EXPECT_NE(s.message().find(error.message()), absl::string_view::npos) << s;
  }
  // ... but may return these, unchanged.
  for (const absl::Status& error : {InsufficientStorageError("Namespace Insufficient Capacity"),
                                    NotSupportedError("no Namespace Management"),
                                    VetoError("pool namespaces are attached", "Detach them."),
                                    CancelledError("aborted"), OutOfMemoryError("no buffer")}) {
    rig.control->provision_error = error;
    EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.Host(1), CancelToken()).status()), CodeOf(error));
  }
  rig.control->provision_error = absl::OkStatus();
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(a.ok());
  for (const absl::Status& error : {NotSupportedError("Copy: Invalid Opcode"), ObjectNotFoundError("gone"),
                                    CancelledError("Command Aborted")}) {
    rig.control->commit_error = error;
    EXPECT_EQ(CodeOf(rig.backend->CommitTargets({*a}, Soon())), ErrorCode::kBackendFailure);
  }
  rig.control->commit_error = absl::OkStatus();
  ASSERT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
  rig.control->target_info_error = ObjectNotFoundError("Identify: Invalid Namespace or Format");
  absl::Status describe = rig.backend->DescribeTarget(*a).status();
  EXPECT_EQ(CodeOf(describe), ErrorCode::kBackendFailure) << describe;
  rig.control->target_info_error = absl::OkStatus();
  rig.control->expose_error = NotSupportedError("Namespace Attachment: Invalid Opcode");
  EXPECT_EQ(CodeOf(rig.backend->ExposeTarget(*a)), ErrorCode::kBackendFailure);
  rig.control->expose_error = absl::OkStatus();
  ASSERT_TRUE(rig.backend->ExposeTarget(*a).ok());
  rig.control->delete_error = InsufficientStorageError("odd");
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget(*a)), ErrorCode::kBackendFailure);
}

TEST(NvmeBackendTest, UnclassifiedStrategyErrorsBecomeBackendFailure) {
  FakeRig rig;
  rig.control->provision_error = absl::InternalError("controller said no");
  absl::Status s = rig.backend->PrepareTarget(rig.Host(1), CancelToken()).status();
  EXPECT_TRUE(HasErrorCode(s));
  EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure);
  EXPECT_NE(s.message().find("controller said no"), absl::string_view::npos);
}

TEST(NvmeBackendTest, CapacityComesFromTheStrategy) {
  FakeRig rig;
  rig.control->capacity = 2;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  absl::StatusOr<TargetId> b = rig.backend->PrepareTarget(rig.Host(2), CancelToken());
  ASSERT_TRUE(a.ok() && b.ok());
  absl::Status full = rig.backend->PrepareTarget(rig.Host(1), CancelToken()).status();
  EXPECT_EQ(CodeOf(full), ErrorCode::kInsufficientStorage) << full;
  EXPECT_EQ(rig.control->live(), 2);
  ASSERT_TRUE(rig.backend->ReleaseTarget(*a).ok());
  EXPECT_TRUE(rig.backend->PrepareTarget(rig.Host(1), CancelToken()).ok());
}

TEST(NvmeBackendTest, TargetDescribedAsItsSourceIsAFailure) {
  FakeRig rig;
  rig.control->describe_as_source = true;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
  absl::Status s = rig.backend->DescribeTarget(*a).status();
  EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure);
  EXPECT_NE(s.message().find("identity of its source"), absl::string_view::npos) << s;
}

TEST(NvmeBackendTest, TargetWithoutIdsIsAFailure) {
  FakeRig rig;
  absl::StatusOr<TargetId> a = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*a}, Soon()).ok());
  rig.controller.AddNamespace(rig.control->TargetNsid(*a), 77, /*unique=*/false);
  absl::Status s = rig.backend->DescribeTarget(*a).status();
  EXPECT_EQ(CodeOf(s), ErrorCode::kBackendFailure);
  EXPECT_NE(s.message().find("no EUI-64"), absl::string_view::npos) << s;
}

// --- Cancellation and rollback -----------------------------------------------

TEST(NvmeBackendTest, CancelledBeforePrepareCreatesNothing) {
  FakeRig rig;
  CancelSource cancel;
  cancel.Cancel("aborted by VSS");
  absl::Status s = rig.backend->PrepareTarget(rig.Host(1), cancel.token()).status();
  EXPECT_EQ(CodeOf(s), ErrorCode::kCancelled);
  EXPECT_EQ(rig.control->provisions(), 0);
  EXPECT_EQ(rig.control->live(), 0);
}

TEST(NvmeBackendTest, CancelledWhileTheStrategyFinishedRollsBack) {
  FakeRig rig;
  CancelSource cancel;
  rig.control->after_provision = [&cancel] { cancel.Cancel("aborted by VSS"); };
  EXPECT_EQ(CodeOf(rig.backend->PrepareTarget(rig.Host(1), cancel.token()).status()), ErrorCode::kCancelled);
  EXPECT_EQ(rig.control->provisions(), 1);
  EXPECT_EQ(rig.control->live(), 0) << "the provisioned target must be deleted";
}

TEST(NvmeBackendTest, CancelDuringASlowProvisionIsObservedWithinTheBound) {
  FakeRig rig;
  rig.control->provision_latency = absl::Seconds(30);
  CancelSource cancel;
  std::thread aborter([&cancel] {
    absl::SleepFor(absl::Milliseconds(50));
    cancel.Cancel("aborted by VSS");
  });
  const absl::Time start = absl::Now();
  absl::Status s = rig.backend->PrepareTarget(rig.Host(1), cancel.token()).status();
  const absl::Duration took = absl::Now() - start;
  aborter.join();
  EXPECT_EQ(CodeOf(s), ErrorCode::kCancelled);
  EXPECT_LT(took, absl::Milliseconds(50) + rig.backend->Capabilities().cancel_bound + absl::Seconds(1));
  EXPECT_EQ(rig.control->live(), 0);
}

// --- Release -----------------------------------------------------------------

TEST(NvmeBackendTest, ReleaseInEveryStateFreesTheNamespace) {
  FakeRig rig;
  for (int stage = 0; stage < 3; ++stage) {
    absl::StatusOr<TargetId> t = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
    ASSERT_TRUE(t.ok());
    const std::uint32_t nsid = 1000u + static_cast<std::uint32_t>(stage) + 1;
    if (stage >= 1) {
      ASSERT_TRUE(rig.backend->CommitTargets({*t}, Soon()).ok());
    }
    if (stage >= 2) {
      ASSERT_TRUE(rig.backend->ExposeTarget(*t).ok());
    }
    ASSERT_TRUE(rig.backend->ReleaseTarget(*t).ok()) << stage;
    EXPECT_EQ(rig.control->live(), 0);
    EXPECT_EQ(rig.controller.SeedOf(nsid), 0u) << "namespace " << nsid << " still exists";
  }
}

TEST(NvmeBackendTest, FailedReleaseIsKeptAndRetried) {
  FakeRig rig;
  absl::StatusOr<TargetId> t = rig.backend->PrepareTarget(rig.Host(1), CancelToken());
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(rig.backend->CommitTargets({*t}, Soon()).ok());
  rig.control->delete_error = BackendFailureError("Namespace Management: Namespace Is Private");
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget(*t)), ErrorCode::kBackendFailure);
  // Still known, still committed.
  EXPECT_TRUE(rig.backend->DescribeTarget(*t).ok());
  rig.control->delete_error = absl::OkStatus();
  EXPECT_TRUE(rig.backend->ReleaseTarget(*t).ok());
  EXPECT_EQ(rig.control->live(), 0);
}

TEST(NvmeBackendTest, ReleaseReclaimsATargetLeftByAnEarlierRun) {
  FakeRig rig;
  rig.control->AddOrphan("fake-ns-snap-from-yesterday");
  EXPECT_TRUE(rig.backend->ReleaseTarget("fake-ns-snap-from-yesterday").ok());
  EXPECT_TRUE(rig.backend->ReleaseTarget("fake-ns-snap-from-yesterday").ok());  // idempotent after reclaim
  EXPECT_EQ(rig.control->live(), 0);
  EXPECT_EQ(CodeOf(rig.backend->ReleaseTarget("never-made")), ErrorCode::kObjectNotFound);
}

// --- Threads -----------------------------------------------------------------

TEST(NvmeBackendTest, ConcurrentLifecyclesAndIdentifiesAreExact) {
  constexpr int kNamespaces = 8;
  constexpr int kRounds = 5;
  FakeRig rig(kNamespaces);
  std::vector<LunIdentity> luns;
  for (int i = 1; i <= kNamespaces; ++i) luns.push_back(rig.Host(static_cast<std::uint32_t>(i)));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < kNamespaces; ++i) {
    threads.emplace_back([&, i] {
      for (int round = 0; round < kRounds; ++round) {
        absl::StatusOr<LunSupport> support = rig.backend->IdentifyLun(luns[static_cast<std::size_t>(i)]);
        if (!support.ok() || !support->supported) ++failures;
        absl::StatusOr<TargetId> t = rig.backend->PrepareTarget(luns[static_cast<std::size_t>(i)], CancelToken());
        if (!t.ok()) {
          ++failures;
          continue;
        }
        if (!rig.backend->CommitTargets({*t}, Soon()).ok()) ++failures;
        absl::StatusOr<LunIdentity> described = rig.backend->DescribeTarget(*t);
        if (!described.ok() || described->SameLunAs(luns[static_cast<std::size_t>(i)])) ++failures;
        if (!rig.backend->ExposeTarget(*t).ok()) ++failures;
        // Another thread's identify of a foreign LUN meanwhile must stay an answer.
        absl::StatusOr<LunSupport> foreign = rig.backend->IdentifyLun(luns[static_cast<std::size_t>((i + 1) % kNamespaces)]);
        if (!foreign.ok()) ++failures;
        if (!rig.backend->ReleaseTarget(*t).ok()) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(rig.control->live(), 0);
  EXPECT_EQ(rig.control->provisions(), kNamespaces * kRounds);
}

TEST(NvmeBackendTest, ConcurrentCancelRacesLeaveNothingBehind) {
  FakeRig rig(4);
  std::vector<LunIdentity> luns;
  for (std::uint32_t i = 1; i <= 4; ++i) luns.push_back(rig.Host(i));
  rig.control->provision_latency = absl::Milliseconds(5);
  for (int round = 0; round < 20; ++round) {
    CancelSource cancel;
    std::vector<std::thread> threads;
    std::mutex mu;
    std::vector<TargetId> made;
    for (const LunIdentity& lun : luns) {
      threads.emplace_back([&, lun] {
        absl::StatusOr<TargetId> t = rig.backend->PrepareTarget(lun, cancel.token());
        if (t.ok()) {
          std::lock_guard<std::mutex> lock(mu);
          made.push_back(*t);
        } else {
          EXPECT_EQ(CodeOf(t.status()), ErrorCode::kCancelled) << t.status();
        }
      });
    }
    std::thread aborter([&cancel, round] {
      absl::SleepFor(absl::Microseconds(500 * (round % 12)));
      cancel.Cancel("aborted by VSS");
    });
    for (std::thread& t : threads) t.join();
    aborter.join();
    // The core releases what prepares returned; nothing else may remain.
    for (const TargetId& t : made) EXPECT_TRUE(rig.backend->ReleaseTarget(t).ok());
    EXPECT_EQ(rig.control->live(), 0) << "round " << round;
  }
}

}  // namespace
}  // namespace hwsnap::nvme

// --- The conformance suite over the fakes. ----------------------------------

namespace hwsnap::nvme {
namespace {

class FakeConformanceRig : public conformance::ConformanceRig {
 public:
  explicit FakeConformanceRig(const conformance::RigOptions& options) {
    control_ = std::make_shared<FakeNamespaceControl>(&controller_);
    control_->capacity = options.target_capacity;
    control_->provision_latency = options.prepare_latency;
    NvmeBackendOptions backend_options;
    backend_options.controller = kControllerAddress;
    backend_options.open_transport = controller_.Opener();
    backend_ = std::make_shared<NvmeBackend>(backend_options, control_);
  }
  Backend& backend() override { return *backend_; }
  LunIdentity AddSourceLun() override {
    std::uint32_t nsid = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      nsid = ++next_nsid_;
    }
    controller_.AddNamespace(nsid, nsid);
    EXPECT_TRUE(backend_->AddSource(nsid).ok());
    return HostView(controller_, nsid);
  }
  bool TargetExists(const TargetId& target) override {
    std::vector<std::string> names = *control_->ListTargets();
    return std::find(names.begin(), names.end(), target) != names.end();
  }
  int LiveTargetCount() override { return control_->live(); }

 private:
  FakeController controller_;
  std::shared_ptr<FakeNamespaceControl> control_;
  std::shared_ptr<NvmeBackend> backend_;
  std::mutex mu_;
  std::uint32_t next_nsid_ = 0;
};

}  // namespace

struct FakeNamespaceFactory {
  static std::unique_ptr<conformance::ConformanceRig> Create(const conformance::RigOptions& options) {
    return std::make_unique<FakeConformanceRig>(options);
  }
};

}  // namespace hwsnap::nvme

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(NvmeOverFakeController, hwsnap::nvme::FakeNamespaceFactory);
