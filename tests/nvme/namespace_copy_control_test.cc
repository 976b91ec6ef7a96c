// Tests of NamespaceCopyControl over FakeNvmeController: allocation (create,
// pool, the fallback between them, fit), capacity, zeroing and cancellation,
// the point-in-time copy by host and by device, deadlines and all-or-nothing
// commits, masking, idempotent expose/delete, orphans and error codes.
#include "hwsnap/nvme/namespace_copy_control.h"

#include <algorithm>
#include <thread>

#include <gtest/gtest.h>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "fake_nvme_controller.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using testing::FakeNamespaceSpec;
using testing::FakeNvmeController;

constexpr std::uint64_t kBlocks = 2048;  // 1 MiB of 512-byte blocks

FakeNamespaceSpec Pool(std::uint64_t blocks = kBlocks, std::uint8_t format = 0) {
  FakeNamespaceSpec spec;
  spec.blocks = blocks;
  spec.lba_format = format;
  spec.attached = false;
  return spec;
}

std::vector<std::uint8_t> Pattern(std::uint64_t bytes, std::uint8_t seed) {
  std::vector<std::uint8_t> out(bytes);
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = static_cast<std::uint8_t>(seed + i * 7 + i / 512);
  return out;
}

class NamespaceCopyControlTest : public ::testing::Test {
 protected:
  // Sources 1-2 (attached), pool 6-9 (detached), create refused (QEMU 7.2).
  void Make(FakeNvmeController::Options fake_options = {}) {
    fake_ = std::make_shared<FakeNvmeController>(fake_options);
    fake_->AddNamespace(1);
    fake_->AddNamespace(2);
    for (std::uint32_t nsid = 6; nsid <= 9; ++nsid) fake_->AddNamespace(nsid, Pool());
    options_.controller = "/dev/nvme0";
    options_.pool_nsids = {6, 7, 8, 9};
    options_.open_transport = fake_->Opener();
    options_.chunk_blocks = 256;
  }
  void SetUp() override {
    FakeNvmeController::Options o;
    o.create_supported = false;
    Make(o);
  }

  NamespaceCopyControl& Control() {
    if (control_ == nullptr) control_ = std::make_unique<NamespaceCopyControl>(options_);
    return *control_;
  }

  NvmeNamespaceInfo Source(std::uint32_t nsid) {
    std::unique_ptr<NvmeTransport> t = fake_->NewTransport();
    absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(*t, nsid);
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? *info : NvmeNamespaceInfo{};
  }

  std::string Provisioned(std::uint32_t source) {
    absl::StatusOr<std::string> name = Control().Provision(Source(source), CancelToken());
    EXPECT_TRUE(name.ok()) << name.status();
    return name.ok() ? *name : std::string();
  }

  std::vector<std::string> Listed() {
    absl::StatusOr<std::vector<std::string>> names = Control().ListTargets();
    EXPECT_TRUE(names.ok()) << names.status();
    return names.ok() ? *names : std::vector<std::string>{};
  }

  // Pool namespaces attached to any controller.
  int AttachedPool() {
    int n = 0;
    for (std::uint32_t nsid : options_.pool_nsids) n += fake_->AttachedControllers(nsid).empty() ? 0 : 1;
    return n;
  }

  std::shared_ptr<FakeNvmeController> fake_;
  NamespaceCopyOptions options_;
  std::unique_ptr<NamespaceCopyControl> control_;
};

TEST_F(NamespaceCopyControlTest, NameAndWhyCannotSnapshot) {
  EXPECT_EQ(Control().Name(), "ns-copy");
  NvmeNamespaceInfo source = Source(1);
  EXPECT_EQ(Control().WhyCannotSnapshot(source), "");
  NvmeNamespaceInfo empty = source;
  empty.ns.nsze = 0;
  EXPECT_NE(Control().WhyCannotSnapshot(empty), "");

  options_.copy = CopyEngine::kDevice;  // the fake offers no format 2h
  control_.reset();
  EXPECT_TRUE(absl::StrContains(Control().WhyCannotSnapshot(source), "cross-namespace"));
  options_.copy = CopyEngine::kAuto;
  options_.allocation = TargetAllocation::kPool;
  options_.pool_nsids.clear();
  control_.reset();
  EXPECT_TRUE(absl::StrContains(Control().WhyCannotSnapshot(source), "pool"));
  absl::StatusOr<std::string> refused = Control().Provision(source, CancelToken());
  EXPECT_EQ(GetErrorCode(refused.status()), ErrorCode::kNotSupported);
}

TEST_F(NamespaceCopyControlTest, PoolAllocationAfterCreateIsRefusedOnce) {
  const std::string first = Provisioned(1);
  EXPECT_EQ(first, "HWSNAP-NVME-01/ns6");
  EXPECT_TRUE(fake_->IsAttached(6));           // attached for the copy
  const std::string second = Provisioned(1);   // two prepares of one source: two targets
  EXPECT_EQ(second, "HWSNAP-NVME-01/ns7");
  // Create was tried once; the refusal (Invalid Opcode → kNotSupported) is remembered.
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kAdmin, kOpNamespaceManagement), 1);
  EXPECT_EQ(Listed(), (std::vector<std::string>{first, second}));
  EXPECT_TRUE(Control().Delete(first).ok());
  EXPECT_FALSE(fake_->IsAttached(6));
  EXPECT_EQ(Listed(), (std::vector<std::string>{second}));
}

TEST_F(NamespaceCopyControlTest, CreateAllocation) {
  FakeNvmeController::Options o;
  o.create_supported = true;
  Make(o);
  const std::string name = Provisioned(1);
  // The lowest free NSID (3), not a pool namespace.
  EXPECT_EQ(name, "HWSNAP-NVME-01/created-ns3");
  EXPECT_TRUE(fake_->Exists(3));
  EXPECT_TRUE(fake_->IsAttached(3));
  EXPECT_EQ(AttachedPool(), 0);
  EXPECT_EQ(Listed(), (std::vector<std::string>{name}));
  EXPECT_TRUE(Control().Delete(name).ok());
  EXPECT_FALSE(fake_->Exists(3));
  EXPECT_TRUE(Listed().empty());
  EXPECT_TRUE(Control().Delete(name).ok());  // idempotent: the namespace is gone
}

TEST_F(NamespaceCopyControlTest, CreateOnlyDoesNotFallBack) {
  options_.allocation = TargetAllocation::kCreate;
  absl::StatusOr<std::string> name = Control().Provision(Source(1), CancelToken());
  EXPECT_EQ(GetErrorCode(name.status()), ErrorCode::kNotSupported) << name.status();
  EXPECT_EQ(AttachedPool(), 0);
}

TEST_F(NamespaceCopyControlTest, CreateOutOfCapacityFallsBackToPool) {
  FakeNvmeController::Options o;
  o.capacity_blocks = 6 * kBlocks;  // the existing namespaces fill it
  Make(o);
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns6");
}

TEST_F(NamespaceCopyControlTest, PoolOnlyNeverCreates) {
  FakeNvmeController::Options o;
  o.create_supported = true;
  Make(o);
  options_.allocation = TargetAllocation::kPool;
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns6");
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kAdmin, kOpNamespaceManagement), 0);
}

TEST_F(NamespaceCopyControlTest, TooSmallOrOtherFormatPoolNamespacesAreSkipped) {
  fake_->AddNamespace(6, Pool(kBlocks / 2));       // too small
  fake_->AddNamespace(7, Pool(kBlocks, 1));        // 4096-byte blocks
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns8");
  EXPECT_FALSE(fake_->IsAttached(6));
  EXPECT_FALSE(fake_->IsAttached(7));
}

TEST_F(NamespaceCopyControlTest, NoFreePoolNamespaceIsInsufficientStorage) {
  for (int i = 0; i < 4; ++i) Provisioned(1);
  absl::StatusOr<std::string> none = Control().Provision(Source(1), CancelToken());
  EXPECT_EQ(GetErrorCode(none.status()), ErrorCode::kInsufficientStorage) << none.status();
  EXPECT_TRUE(absl::StrContains(none.status().message(), "pool")) << none.status();
  EXPECT_TRUE(absl::StrContains(none.status().message(), "6,7,8,9")) << none.status();
  EXPECT_EQ(Listed().size(), 4u);
}

TEST_F(NamespaceCopyControlTest, MaxTargetsIsInsufficientStorage) {
  options_.max_targets = 2;
  const std::string a = Provisioned(1);
  Provisioned(2);
  absl::StatusOr<std::string> third = Control().Provision(Source(1), CancelToken());
  EXPECT_EQ(GetErrorCode(third.status()), ErrorCode::kInsufficientStorage) << third.status();
  EXPECT_EQ(AttachedPool(), 2);
  ASSERT_TRUE(Control().Delete(a).ok());
  EXPECT_TRUE(Control().Provision(Source(1), CancelToken()).ok());
}

TEST_F(NamespaceCopyControlTest, ZeroesTheTargetInChunks) {
  fake_->Fill(6, 0xee);
  const std::string name = Provisioned(1);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), std::vector<std::uint8_t>(kBlocks * 512, 0));
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWriteZeroes), static_cast<int>(kBlocks / 256));
}

TEST_F(NamespaceCopyControlTest, ZeroesWithWritesWithoutWriteZeroes) {
  FakeNvmeController::Options o;
  o.create_supported = false;
  o.write_zeroes = false;
  o.mdts = 1;  // 8 KiB per command: 16 blocks
  Make(o);
  fake_->Fill(6, 0xee);
  Provisioned(1);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), std::vector<std::uint8_t>(kBlocks * 512, 0));
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWriteZeroes), 0);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWrite), static_cast<int>(kBlocks / 16));
}

TEST_F(NamespaceCopyControlTest, NoZeroingWhenOff) {
  options_.zero_on_provision = false;
  fake_->Fill(6, 0xee);
  Provisioned(1);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWriteZeroes), 0);
}

TEST_F(NamespaceCopyControlTest, CancelMidZeroLeavesNothing) {
  options_.chunk_blocks = 32;  // 64 commands of 20 ms
  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpWriteZeroes, absl::Milliseconds(20));
  CancelSource cancel;
  std::thread aborter([&] {
    absl::SleepFor(absl::Milliseconds(150));
    cancel.Cancel("aborted by VSS");
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> name = Control().Provision(Source(1), cancel.token());
  const absl::Duration took = absl::Now() - start;
  aborter.join();
  EXPECT_EQ(GetErrorCode(name.status()), ErrorCode::kCancelled) << name.status();
  EXPECT_LT(took, absl::Milliseconds(600));
  EXPECT_LT(fake_->CountCommands(NvmeQueue::kIo, kOpWriteZeroes), 64);
  EXPECT_FALSE(fake_->IsAttached(6));  // detached, back in the pool
  EXPECT_EQ(AttachedPool(), 0);
  EXPECT_TRUE(Listed().empty());
  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpWriteZeroes, absl::ZeroDuration());
  EXPECT_TRUE(Control().Provision(Source(1), CancelToken()).ok());  // the pool is whole
}

TEST_F(NamespaceCopyControlTest, CancelledTokenCreatesNothing) {
  CancelSource cancel;
  cancel.Cancel("before");
  absl::StatusOr<std::string> name = Control().Provision(Source(1), cancel.token());
  EXPECT_EQ(GetErrorCode(name.status()), ErrorCode::kCancelled);
  EXPECT_EQ(AttachedPool(), 0);
}

TEST_F(NamespaceCopyControlTest, PointInTimeByHostCopy) {
  const std::vector<std::uint8_t> old_data = Pattern(kBlocks * 512, 1);
  fake_->WriteBlocks(1, 0, old_data);
  const std::string name = Provisioned(1);
  fake_->ClearCommandLog();
  const int rescans = fake_->RescanCount();
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  fake_->WriteBlocks(1, 0, Pattern(kBlocks * 512, 99));  // the source moves on
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), old_data);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpCopy), 0);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpRead), static_cast<int>(kBlocks / 256));
  // Masked: attached to no controller after commit. No host rescan inside
  // the commit window (slow, uninterruptible); Expose and Delete rescan.
  EXPECT_TRUE(fake_->AttachedControllers(6).empty());
  EXPECT_EQ(fake_->RescanCount(), rescans);

  absl::StatusOr<NvmeNamespaceInfo> info = Control().TargetInfo(name);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->nsid, 6u);
  EXPECT_EQ(info->block_count(), kBlocks);
  EXPECT_FALSE(info->identity.designators.empty());
  EXPECT_FALSE(info->identity.SameLunAs(Source(1).identity));

  ASSERT_TRUE(Control().Expose(name).ok());
  EXPECT_TRUE(fake_->IsAttached(6));
  EXPECT_EQ(fake_->RescanCount(), rescans + 1);
  EXPECT_TRUE(Control().Expose(name).ok());  // idempotent (Already Attached)
  EXPECT_EQ(Listed(), (std::vector<std::string>{name}));
  ASSERT_TRUE(Control().Delete(name).ok());
  EXPECT_FALSE(fake_->IsAttached(6));
  EXPECT_TRUE(Control().Delete(name).ok());
  EXPECT_TRUE(Listed().empty());
}

TEST_F(NamespaceCopyControlTest, HostCopyHonoursMdts) {
  FakeNvmeController::Options o;
  o.create_supported = false;
  o.mdts = 1;  // 8 KiB: 16 blocks per Read/Write
  Make(o);
  fake_->WriteBlocks(1, 0, Pattern(kBlocks * 512, 5));
  const std::string name = Provisioned(1);
  fake_->ClearCommandLog();
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpRead), static_cast<int>(kBlocks / 16));
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), fake_->ReadBlocks(1, 0, kBlocks));
}

// Whatever MDTS and chunk_blocks allow, a Read/Write carries at most 256 KiB
// (Linux refuses larger passthrough buffers on QEMU's controller).
TEST_F(NamespaceCopyControlTest, HostCopyCapsTransfersAt256KiB) {
  options_.chunk_blocks = 2048;  // MDTS 7: 512 KiB would be allowed
  const std::string name = Provisioned(1);
  fake_->ClearCommandLog();
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpRead), 4);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWrite), 4);
}

TEST_F(NamespaceCopyControlTest, PointInTimeByDeviceCopyWhenAdvertised) {
  FakeNvmeController::Options o;
  o.create_supported = false;
  o.cross_namespace_copy = true;
  Make(o);
  const std::vector<std::uint8_t> old_data = Pattern(kBlocks * 512, 3);
  fake_->WriteBlocks(2, 0, old_data);
  const std::string name = Provisioned(2);
  fake_->ClearCommandLog();
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  fake_->Fill(2, 0);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), old_data);
  // MCL 1024 blocks per command (8 ranges of MSSRL 128): 2 Copy commands, no host I/O.
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpCopy), 2);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpRead), 0);
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpWrite), 0);
  for (const testing::FakeCommandRecord& r : fake_->CommandLog()) {
    if (r.opcode == kOpCopy && r.queue == NvmeQueue::kIo) {
      EXPECT_EQ((r.cdw12 >> 8) & 0xf, 2u);  // descriptor format 2h
      EXPECT_EQ(r.nsid, 6u);
    }
  }
}

TEST_F(NamespaceCopyControlTest, HostCopyWhenConfiguredEvenIfDeviceCopyExists) {
  FakeNvmeController::Options o;
  o.create_supported = false;
  o.cross_namespace_copy = true;
  Make(o);
  options_.copy = CopyEngine::kHost;
  const std::string name = Provisioned(1);
  fake_->ClearCommandLog();
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(fake_->CountCommands(NvmeQueue::kIo, kOpCopy), 0);
  EXPECT_GT(fake_->CountCommands(NvmeQueue::kIo, kOpRead), 0);
}

TEST_F(NamespaceCopyControlTest, DeadlineMidCopyCommitsNothing) {
  options_.chunk_blocks = 64;  // 32 reads of 20 ms
  const std::string name = Provisioned(1);
  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpRead, absl::Milliseconds(20));
  absl::Status s = Control().TakePointInTime({name}, absl::Now() + absl::Milliseconds(100));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded) << s;
  // Still provisioned: attached, not described, listed; a later commit works.
  EXPECT_TRUE(fake_->IsAttached(6));
  EXPECT_EQ(GetErrorCode(Control().TargetInfo(name).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(Control().Expose(name)), ErrorCode::kBadState);
  EXPECT_EQ(Listed(), (std::vector<std::string>{name}));
  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpRead, absl::ZeroDuration());
  EXPECT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(GetErrorCode(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5))), ErrorCode::kBadState);
}

// A commit's commands go ahead of a slow prepare's queued commands: the
// prepare's Write Zeroes (8 of 300 ms each, back to back) cannot starve the
// commit window (a plain mutex lets the prepare's thread re-take it).
TEST_F(NamespaceCopyControlTest, CommitCommandsJumpTheQueue) {
  const std::string name = Provisioned(1);
  fake_->SetOpcodeLatency(NvmeQueue::kIo, kOpWriteZeroes, absl::Milliseconds(300));
  NamespaceCopyControl& control = Control();
  const NvmeNamespaceInfo source = Source(2);
  std::thread preparing([&] { EXPECT_TRUE(control.Provision(source, CancelToken()).ok()); });
  absl::SleepFor(absl::Milliseconds(150));  // the prepare is zeroing
  absl::Status s = control.TakePointInTime({name}, absl::Now() + absl::Milliseconds(1500));
  preparing.join();
  EXPECT_TRUE(s.ok()) << s;
}

TEST_F(NamespaceCopyControlTest, ExpiredDeadlineCopiesNothing) {
  const std::string name = Provisioned(1);
  fake_->ClearCommandLog();
  absl::Status s = Control().TakePointInTime({name}, absl::Now() - absl::Seconds(1));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded);
  EXPECT_TRUE(fake_->CommandLog().empty());
}

TEST_F(NamespaceCopyControlTest, FailedMaskingLeavesTheGroupProvisioned) {
  const std::string a = Provisioned(1);
  const std::string b = Provisioned(2);
  // The second detach of the commit fails: the first target is re-attached.
  fake_->FailCommand(NvmeQueue::kAdmin, kOpNamespaceAttachment, 2, testing::kStatusControllerListInvalid);
  absl::Status s = Control().TakePointInTime({a, b}, absl::Now() + absl::Seconds(5));
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(HasErrorCode(s)) << s;
  EXPECT_TRUE(fake_->IsAttached(6));
  EXPECT_TRUE(fake_->IsAttached(7));
  EXPECT_EQ(GetErrorCode(Control().TargetInfo(a).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(Control().TargetInfo(b).status()), ErrorCode::kBadState);
  EXPECT_TRUE(Control().TakePointInTime({a, b}, absl::Now() + absl::Seconds(5)).ok());
  EXPECT_EQ(AttachedPool(), 0);
}

TEST_F(NamespaceCopyControlTest, FailedCopyInGroupCommitsNothing) {
  const std::string a = Provisioned(1);
  const std::string b = Provisioned(2);
  fake_->FailCommand(NvmeQueue::kIo, kOpRead, 5, 0x281);  // Unrecovered Read Error (media, 2h/81h)
  absl::Status s = Control().TakePointInTime({a, b}, absl::Now() + absl::Seconds(5));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure) << s;
  EXPECT_TRUE(fake_->IsAttached(6));
  EXPECT_TRUE(fake_->IsAttached(7));
  EXPECT_EQ(GetErrorCode(Control().TargetInfo(a).status()), ErrorCode::kBadState);
}

TEST_F(NamespaceCopyControlTest, UnknownNames) {
  EXPECT_EQ(GetErrorCode(Control().TakePointInTime({"HWSNAP-NVME-01/ns6"}, absl::Now() + absl::Seconds(1))),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(Control().TargetInfo("HWSNAP-NVME-01/ns6").status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(Control().Expose("HWSNAP-NVME-01/ns6")), ErrorCode::kObjectNotFound);
  // Delete: a pool name nothing holds → OK; another controller's or a
  // non-pool namespace's name → kBackendFailure, nothing touched.
  EXPECT_TRUE(Control().Delete("HWSNAP-NVME-01/ns6").ok());
  EXPECT_EQ(GetErrorCode(Control().Delete("OTHER-SERIAL/ns6")), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(Control().Delete("HWSNAP-NVME-01/ns1")), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(Control().Delete("HWSNAP-NVME-01/garbage")), ErrorCode::kBackendFailure);
  EXPECT_TRUE(fake_->IsAttached(1));
  // A created-form name whose namespace is gone → OK; one that exists but
  // this process did not create → kBackendFailure (never deletes data it cannot vouch for).
  EXPECT_TRUE(Control().Delete("HWSNAP-NVME-01/created-ns40").ok());
  EXPECT_EQ(GetErrorCode(Control().Delete("HWSNAP-NVME-01/created-ns2")), ErrorCode::kBackendFailure);
  EXPECT_TRUE(fake_->Exists(2));
}

TEST_F(NamespaceCopyControlTest, OrphansAreListedAndDeletable) {
  // A pool namespace attached to controllers 1 and 2 by an earlier process.
  fake_->SetAttached(8, 1, true);
  fake_->SetAttached(8, 2, true);
  EXPECT_EQ(Listed(), (std::vector<std::string>{"HWSNAP-NVME-01/ns8"}));
  // Provisioning skips it.
  for (int i = 0; i < 3; ++i) EXPECT_NE(Provisioned(1), "HWSNAP-NVME-01/ns8");
  EXPECT_EQ(GetErrorCode(Control().Provision(Source(1), CancelToken()).status()), ErrorCode::kInsufficientStorage);
  ASSERT_TRUE(Control().Delete("HWSNAP-NVME-01/ns8").ok());
  EXPECT_TRUE(fake_->AttachedControllers(8).empty());
  EXPECT_EQ(Listed().size(), 3u);
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns8");
}

TEST_F(NamespaceCopyControlTest, EveryFailureCarriesADomainCode) {
  // The controller cannot be opened.
  options_.controller = "/dev/nvme9";
  control_.reset();
  absl::StatusOr<std::string> r = Control().Provision(Source(1), CancelToken());
  EXPECT_FALSE(r.ok());
  EXPECT_TRUE(HasErrorCode(r.status())) << r.status();
  EXPECT_TRUE(HasErrorCode(Control().ListTargets().status()));
  EXPECT_TRUE(HasErrorCode(Control().Delete("x")));
  options_.controller = "/dev/nvme0";
  control_.reset();

  // Each command of a provision failing in turn: a coded error, nothing left.
  struct Fault {
    NvmeQueue queue;
    std::uint8_t opcode;
    int nth;
  };
  // Identify #1: the controller; #4: the target after attach (#2/#3 read the
  // pool candidate, whose failure only skips it).
  const Fault faults[] = {{NvmeQueue::kAdmin, kOpIdentify, 1},
                          {NvmeQueue::kAdmin, kOpIdentify, 4},
                          {NvmeQueue::kAdmin, kOpNamespaceAttachment, 1},
                          {NvmeQueue::kIo, kOpWriteZeroes, 3}};
  const NvmeNamespaceInfo source = Source(1);
  for (const Fault& f : faults) {
    for (bool transport_error : {false, true}) {
      control_.reset();
      if (transport_error) {
        fake_->FailTransport(f.queue, f.opcode, f.nth, BackendFailureError("ioctl: I/O error"));
      } else {
        fake_->FailCommand(f.queue, f.opcode, f.nth, 0x006);  // Internal Error
      }
      absl::StatusOr<std::string> name = Control().Provision(source, CancelToken());
      if (name.ok()) {
        ADD_FAILURE() << "opcode " << int{f.opcode} << " #" << f.nth << " did not fail";
        ASSERT_TRUE(Control().Delete(*name).ok());
        continue;
      }
      EXPECT_TRUE(HasErrorCode(name.status())) << name.status();
      EXPECT_EQ(AttachedPool(), 0) << name.status();
    }
  }
}

TEST_F(NamespaceCopyControlTest, ConcurrentProvisionsTakeDistinctNamespaces) {
  NamespaceCopyControl& control = Control();  // made before the threads share it
  const NvmeNamespaceInfo sources[] = {Source(1), Source(2)};
  std::vector<std::thread> threads;
  std::vector<absl::StatusOr<std::string>> names(4, absl::UnknownError("not run"));
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] { names[i] = control.Provision(sources[i % 2], CancelToken()); });
  }
  for (std::thread& t : threads) t.join();
  std::set<std::string> distinct;
  for (const auto& n : names) {
    ASSERT_TRUE(n.ok()) << n.status();
    distinct.insert(*n);
  }
  EXPECT_EQ(distinct.size(), 4u);
  EXPECT_EQ(AttachedPool(), 4);
  std::vector<std::string> all(distinct.begin(), distinct.end());
  absl::Status committed = Control().TakePointInTime(all, absl::Now() + absl::Seconds(10));
  ASSERT_TRUE(committed.ok()) << committed;
  EXPECT_EQ(AttachedPool(), 0);
  for (const std::string& n : all) EXPECT_TRUE(Control().Delete(n).ok());
  EXPECT_TRUE(Listed().empty());
}

// --- Restart: a second strategy over the same controller (Adopt). ---------

RestoredTarget Recorded(const std::string& name, bool committed, bool exposed = false) {
  RestoredTarget recorded;
  recorded.id = name;
  recorded.committed = committed;
  recorded.exposed = exposed;
  return recorded;
}

TEST_F(NamespaceCopyControlTest, AdoptedPoolNamespacesAreNeverHandedOutAgain) {
  const std::vector<std::uint8_t> snapshot = Pattern(kBlocks * 512, 11);
  fake_->WriteBlocks(1, 0, snapshot);
  const std::string masked = Provisioned(1);   // ns6: committed, detached
  const std::string exposed = Provisioned(2);  // ns7: committed, attached
  ASSERT_TRUE(Control().TakePointInTime({masked, exposed}, absl::Now() + absl::Seconds(5)).ok());
  ASSERT_TRUE(Control().Expose(exposed).ok());
  control_.reset();  // the process ends; the controller keeps its namespaces

  // Before adoption the detached snapshot looks free and the attached one an orphan.
  EXPECT_EQ(Listed(), (std::vector<std::string>{exposed}));
  ASSERT_TRUE(Control().Adopt(Recorded(masked, true)).ok());
  ASSERT_TRUE(Control().Adopt(Recorded(exposed, true, true)).ok());
  EXPECT_TRUE(Control().Adopt(Recorded(masked, true)).ok());  // held already: no-op
  EXPECT_EQ(Listed(), (std::vector<std::string>{masked, exposed}));
  EXPECT_FALSE(fake_->IsAttached(6));  // Adopt changes nothing on the controller
  EXPECT_TRUE(fake_->IsAttached(7));

  // The pool hands out only 8 and 9; the snapshot in ns6 stays intact.
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns8");
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns9");
  EXPECT_EQ(GetErrorCode(Control().Provision(Source(1), CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), snapshot);

  // Described from the controller on first use (it was read before the restart).
  absl::StatusOr<NvmeNamespaceInfo> info = Control().TargetInfo(masked);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->nsid, 6u);
  EXPECT_TRUE(info->identity.HasUniqueDesignator());
  EXPECT_FALSE(info->identity.SameLunAs(Source(1).identity));

  // Expose, mask (detach, kept), expose again, delete.
  ASSERT_TRUE(Control().Expose(masked).ok());
  EXPECT_TRUE(fake_->IsAttached(6));
  ASSERT_TRUE(Control().Mask(masked).ok());
  EXPECT_FALSE(fake_->IsAttached(6));
  EXPECT_TRUE(Control().Mask(masked).ok());  // idempotent
  EXPECT_EQ(Listed().size(), 4u);            // masked, still held
  ASSERT_TRUE(Control().Expose(masked).ok());
  EXPECT_EQ(fake_->ReadBlocks(6, 0, kBlocks), snapshot);
  EXPECT_EQ(GetErrorCode(Control().TakePointInTime({masked}, absl::Now() + absl::Seconds(1))),
            ErrorCode::kBadState);
  ASSERT_TRUE(Control().Delete(masked).ok());
  ASSERT_TRUE(Control().Delete(exposed).ok());
  EXPECT_FALSE(fake_->IsAttached(6));
  EXPECT_FALSE(fake_->IsAttached(7));
  EXPECT_EQ(Listed().size(), 2u);
  EXPECT_EQ(Provisioned(1), "HWSNAP-NVME-01/ns6");  // released: the pool's again
}

TEST_F(NamespaceCopyControlTest, AdoptedCreatedNamespaceIsDeletedOnRelease) {
  FakeNvmeController::Options o;
  o.create_supported = true;
  Make(o);
  const std::string name = Provisioned(1);
  ASSERT_EQ(name, "HWSNAP-NVME-01/created-ns3");
  ASSERT_TRUE(Control().TakePointInTime({name}, absl::Now() + absl::Seconds(5)).ok());
  control_.reset();
  // Without adoption the new process would refuse to delete it (it cannot
  // vouch for a namespace it did not create).
  EXPECT_EQ(GetErrorCode(Control().Delete(name)), ErrorCode::kBackendFailure);
  ASSERT_TRUE(Control().Adopt(Recorded(name, true)).ok());
  EXPECT_EQ(Listed(), (std::vector<std::string>{name}));
  ASSERT_TRUE(Control().Delete(name).ok());
  EXPECT_FALSE(fake_->Exists(3));
  EXPECT_TRUE(Listed().empty());
  // Gone now: adopting it again finds nothing.
  control_.reset();
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded(name, true))), ErrorCode::kObjectNotFound);
}

TEST_F(NamespaceCopyControlTest, AdoptRefusesWhatItCannotVouchFor) {
  options_.pool_nsids = {6, 7, 8, 9, 10};  // 10 is not allocated
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded("HWSNAP-NVME-01/ns10", true))), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded("HWSNAP-NVME-01/created-ns40", true))),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded("OTHER-SERIAL/ns6", true))), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded("HWSNAP-NVME-01/ns1", true))), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(Control().Adopt(Recorded("HWSNAP-NVME-01/garbage", true))), ErrorCode::kBackendFailure);
  EXPECT_TRUE(Listed().empty());
  EXPECT_EQ(GetErrorCode(Control().Mask("HWSNAP-NVME-01/ns6")), ErrorCode::kObjectNotFound);

  // A namespace a target of this process holds under another name (an
  // impossible record) is refused, not shared.
  const std::string provisioned = Provisioned(1);
  ASSERT_EQ(provisioned, "HWSNAP-NVME-01/ns6");
  EXPECT_EQ(GetErrorCode(Control().Mask(provisioned)), ErrorCode::kBadState);  // not committed
  EXPECT_TRUE(Control().Adopt(Recorded(provisioned, false)).ok());  // the same name: held already

  // An adopted uncommitted target: its source is unknown, so only deletable.
  ASSERT_TRUE(Control().Adopt(Recorded("HWSNAP-NVME-01/ns7", false)).ok());
  EXPECT_EQ(GetErrorCode(Control().TakePointInTime({"HWSNAP-NVME-01/ns7"}, absl::Now() + absl::Seconds(1))),
            ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(Control().TargetInfo("HWSNAP-NVME-01/ns7").status()), ErrorCode::kBadState);
  ASSERT_TRUE(Control().Delete("HWSNAP-NVME-01/ns7").ok());
  ASSERT_TRUE(Control().Delete(provisioned).ok());
  EXPECT_TRUE(Listed().empty());
}

TEST_F(NamespaceCopyControlTest, AdoptCountsAgainstMaxTargetsButNeverFails) {
  options_.max_targets = 1;
  ASSERT_TRUE(Control().Adopt(Recorded("HWSNAP-NVME-01/ns6", true)).ok());
  ASSERT_TRUE(Control().Adopt(Recorded("HWSNAP-NVME-01/ns7", true)).ok());  // over the limit: kept anyway
  EXPECT_EQ(GetErrorCode(Control().Provision(Source(1), CancelToken()).status()), ErrorCode::kInsufficientStorage);
  ASSERT_TRUE(Control().Delete("HWSNAP-NVME-01/ns6").ok());
  EXPECT_EQ(GetErrorCode(Control().Provision(Source(1), CancelToken()).status()), ErrorCode::kInsufficientStorage);
  ASSERT_TRUE(Control().Delete("HWSNAP-NVME-01/ns7").ok());
  EXPECT_FALSE(Provisioned(1).empty());
}

}  // namespace
}  // namespace hwsnap::nvme
