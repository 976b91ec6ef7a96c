// IVssHardwareSnapshotProviderEx at core level: OnLunStateChange (validation
// and each flag's effect) and ResyncLuns (progress, cancel, unsupported,
// one resync per target).
#include <memory>
#include <mutex>
#include <thread>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "catalog_test_util.h"
#include "hwsnap/catalog.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"

namespace hwsnap::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// Two completed snapshots of two source LUNs, served by a provider with a catalog.
struct ExRig {
  explicit ExRig(bool use_ex = true)
      : mock(std::make_shared<MockBackend>()), ex(std::make_shared<ExMock>(mock)) {
    for (int i = 0; i < 2; ++i) luns.push_back(mock->AddSourceLun());
    path = dir.file("catalog.hwsnap");
    provider = std::make_unique<SnapshotProvider>(use_ex ? std::shared_ptr<Backend>(ex) : mock,
                                                  CatalogOptionsAt(path, /*sync=*/false));
    CompleteSet(*provider, luns);
    auto t = provider->GetTargetLuns(luns);
    EXPECT_TRUE(t.ok()) << t.status();
    if (t.ok()) targets = *t;
  }
  TargetId IdOf(size_t i) const {
    for (const auto& record : mock->LiveTargets()) {
      if (record.source.SameLunAs(luns[i])) return record.id;
    }
    return {};
  }
  // Closes the provider so the catalog can be read.
  std::optional<CatalogTarget> Recorded(size_t i) {
    const TargetId id = IdOf(i);
    provider.reset();
    return RecordedTarget(path, id);
  }

  TempDir dir;
  std::shared_ptr<MockBackend> mock;
  std::shared_ptr<ExMock> ex;
  std::vector<LunIdentity> luns, targets;
  std::string path;
  std::unique_ptr<SnapshotProvider> provider;
};

ErrorCode CodeOf(const absl::Status& s) { return GetErrorCode(s); }

TEST(ProviderExTest, OnLunStateChangeRefusesBadInputAndChangesNothing) {
  ExRig rig;
  auto& p = *rig.provider;
  const std::vector<LunIdentity> none;
  EXPECT_EQ(CodeOf(p.OnLunStateChange(none, none, kTargetReadWrite)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.OnLunStateChange(rig.targets, {rig.luns[0]}, kTargetReadWrite)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.OnLunStateChange(rig.targets, rig.luns, 0)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.OnLunStateChange(rig.targets, rig.luns, 0x1000)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.OnLunStateChange(rig.targets, rig.luns, kTargetMasked | 0x1)), ErrorCode::kInvalidArgument);
  LunIdentity malformed = rig.targets[0];
  malformed.designators.push_back(malformed.designators[0]);
  malformed.designators.back().bytes.clear();  // an empty designator
  EXPECT_EQ(CodeOf(p.OnLunStateChange({malformed}, {rig.luns[0]}, kTargetReadWrite)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.OnLunStateChange({rig.targets[0]}, {malformed}, kTargetReadWrite)), ErrorCode::kInvalidArgument);
  // A source LUN is not a snapshot target of this provider.
  EXPECT_EQ(CodeOf(p.OnLunStateChange({rig.luns[0]}, {rig.luns[0]}, kTargetReadWrite)),
            ErrorCode::kObjectNotFound);
  // Originals swapped: each is the source of the other target.
  EXPECT_EQ(CodeOf(p.OnLunStateChange(rig.targets, {rig.luns[1], rig.luns[0]}, kTargetMasked)),
            ErrorCode::kInvalidArgument);
  // All-or-nothing: the valid first pair is not masked when the second is unknown.
  EXPECT_EQ(CodeOf(p.OnLunStateChange({rig.targets[0], rig.luns[1]}, {rig.luns[0], rig.luns[1]}, kTargetMasked)),
            ErrorCode::kObjectNotFound);
  EXPECT_FALSE(rig.ex->Masked(rig.IdOf(0)));
  auto recorded = rig.Recorded(0);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->flags, 0u);
}

TEST(ProviderExTest, ReadWriteAndRecoveryFlagsAreRecorded) {
  ExRig rig;
  ASSERT_TRUE(rig.provider->OnLunStateChange({rig.targets[0]}, {rig.luns[0]}, kTargetReadWrite).ok());
  ASSERT_TRUE(rig.provider
                  ->OnLunStateChange({rig.targets[0]}, {rig.luns[0]}, kTargetPreRecovery | kTargetPostRecovery)
                  .ok());
  EXPECT_FALSE(rig.ex->Masked(rig.IdOf(0))) << "only DO_MASK_LUNS masks";
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2) << "state changes keep the targets";
  auto recorded = rig.Recorded(0);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->flags, static_cast<std::uint32_t>(kTargetReadWrite | kTargetPreRecovery | kTargetPostRecovery));
}

TEST(ProviderExTest, MaskHidesTheTargetsButKeepsThem) {
  ExRig rig;
  ASSERT_TRUE(rig.provider->LocateLuns(rig.targets).ok());
  ASSERT_TRUE(rig.provider->OnLunStateChange(rig.targets, rig.luns, kTargetMasked | kTargetReadWrite).ok());
  EXPECT_TRUE(rig.ex->Masked(rig.IdOf(0)));
  EXPECT_TRUE(rig.ex->Masked(rig.IdOf(1)));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
  EXPECT_TRUE(rig.provider->GetTargetLuns(rig.luns).ok()) << "masked targets are still served";
  auto recorded = rig.Recorded(1);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_FALSE(recorded->exposed);
  EXPECT_EQ(recorded->flags, static_cast<std::uint32_t>(kTargetMasked | kTargetReadWrite));
}

TEST(ProviderExTest, MaskOnABackendWithoutMaskingIsNotSupported) {
  ExRig rig;
  rig.ex->mask_supported = false;
  EXPECT_EQ(CodeOf(rig.provider->OnLunStateChange(rig.targets, rig.luns, kTargetMasked)), ErrorCode::kNotSupported);
}

TEST(ProviderExTest, ResyncCopiesEveryPairAndReachesFullProgress) {
  ExRig rig;
  auto op = rig.provider->ResyncLuns(rig.targets, rig.luns);
  ASSERT_TRUE(op.ok()) << op.status();
  auto done = (*op)->Wait(absl::Seconds(10));
  ASSERT_TRUE(done.has_value());
  EXPECT_TRUE(done->ok()) << *done;
  EXPECT_DOUBLE_EQ((*op)->Progress(), 1.0);
  EXPECT_EQ(rig.ex->resyncs_done.load(), 2);
  (*op)->Cancel();  // a no-op once ended
  EXPECT_TRUE((*op)->Status()->ok());
  auto recorded = rig.Recorded(0);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->flags, static_cast<std::uint32_t>(kTargetPostRecovery));
}

TEST(ProviderExTest, ResyncProgressGrowsWhileRunning) {
  ExRig rig;
  rig.ex->resync_steps = 50;
  rig.ex->resync_step_time = absl::Milliseconds(4);
  auto op = rig.provider->ResyncLuns({rig.targets[0]}, {rig.luns[1]});
  ASSERT_TRUE(op.ok()) << op.status();
  double last = 0;
  bool saw_partial = false;
  while (!(*op)->Status().has_value()) {
    const double now = (*op)->Progress();
    EXPECT_GE(now, last);
    if (now > 0 && now < 1) saw_partial = true;
    last = now;
    absl::SleepFor(absl::Milliseconds(2));
  }
  EXPECT_TRUE(saw_partial);
  EXPECT_TRUE((*op)->Status()->ok());
  EXPECT_DOUBLE_EQ((*op)->Progress(), 1.0);
}

TEST(ProviderExTest, CancelStopsAResyncPromptly) {
  ExRig rig;
  rig.ex->resync_steps = 100000;
  rig.ex->resync_step_time = absl::Milliseconds(5);
  auto op = rig.provider->ResyncLuns(rig.targets, rig.luns);
  ASSERT_TRUE(op.ok()) << op.status();
  while ((*op)->Progress() == 0) absl::SleepFor(absl::Milliseconds(1));
  const absl::Time cancelled = absl::Now();
  (*op)->Cancel();
  auto done = (*op)->Wait(absl::Seconds(5));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(CodeOf(*done), ErrorCode::kCancelled) << *done;
  EXPECT_LT(absl::Now() - cancelled, absl::Seconds(1));
  EXPECT_LT((*op)->Progress(), 1.0);
  EXPECT_EQ(rig.ex->resyncs_started.load(), 1) << "the second pair never started";
  // The targets are free again.
  auto again = rig.provider->ResyncLuns(rig.targets, rig.luns);
  ASSERT_TRUE(again.ok()) << again.status();
  (*again)->Cancel();
  (*again)->Wait(absl::Seconds(5));
}

TEST(ProviderExTest, ResyncOnABackendWithoutResyncIsNotSupportedWithNothingStarted) {
  ExRig rig;
  rig.ex->resync_supported = false;
  auto op = rig.provider->ResyncLuns(rig.targets, rig.luns);
  EXPECT_EQ(CodeOf(op.status()), ErrorCode::kNotSupported) << op.status();
  EXPECT_EQ(rig.ex->resyncs_started.load(), 0);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
  auto recorded = rig.Recorded(0);
  ASSERT_TRUE(recorded.has_value());
  EXPECT_EQ(recorded->flags & kTargetPreRecovery, 0u) << "no recovery mark is left behind";
}

TEST(ProviderExTest, ResyncRefusesBadInput) {
  ExRig rig;
  auto& p = *rig.provider;
  const std::vector<LunIdentity> none;
  EXPECT_EQ(CodeOf(p.ResyncLuns(none, none).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.ResyncLuns(rig.targets, {rig.luns[0]}).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(CodeOf(p.ResyncLuns({rig.luns[0]}, {rig.luns[0]}).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(CodeOf(p.ResyncLuns({rig.targets[0], rig.targets[0]}, rig.luns).status()),
            ErrorCode::kInvalidArgument);
  // A destination this storage does not own.
  LunIdentity foreign = rig.luns[0];
  for (Designator& d : foreign.designators) {
    for (auto& b : d.bytes) b = static_cast<std::uint8_t>(b ^ 0x5a);
  }
  ASSERT_TRUE(ValidateLunIdentity(foreign).ok());
  EXPECT_EQ(CodeOf(p.ResyncLuns({rig.targets[0]}, {foreign}).status()), ErrorCode::kNotSupported);
  EXPECT_EQ(rig.ex->resyncs_started.load(), 0);
}

TEST(ProviderExTest, OnlyOneResyncPerTargetAtATime) {
  ExRig rig;
  rig.ex->resync_steps = 100000;
  rig.ex->resync_step_time = absl::Milliseconds(2);
  auto first = rig.provider->ResyncLuns({rig.targets[0]}, {rig.luns[0]});
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = rig.provider->ResyncLuns(rig.targets, rig.luns);
  EXPECT_EQ(CodeOf(second.status()), ErrorCode::kBadState) << second.status();
  // Another target is free.
  auto other = rig.provider->ResyncLuns({rig.targets[1]}, {rig.luns[1]});
  ASSERT_TRUE(other.ok()) << other.status();
  (*first)->Cancel();
  (*other)->Cancel();
  EXPECT_TRUE((*first)->Wait(absl::Seconds(5)).has_value());
  EXPECT_TRUE((*other)->Wait(absl::Seconds(5)).has_value());
}

TEST(ProviderExTest, ConcurrentResyncsOfTheSameTargetStartOnlyOne) {
  ExRig rig;
  rig.ex->resync_steps = 100000;
  rig.ex->resync_step_time = absl::Milliseconds(2);
  std::vector<std::thread> threads;
  std::mutex mu;
  std::vector<std::shared_ptr<AsyncOperation>> started;
  int refused = 0;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      auto op = rig.provider->ResyncLuns({rig.targets[0]}, {rig.luns[0]});
      std::lock_guard<std::mutex> lock(mu);
      if (op.ok()) {
        started.push_back(*op);
      } else {
        EXPECT_EQ(CodeOf(op.status()), ErrorCode::kBadState) << op.status();
        ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  ASSERT_THAT(started, SizeIs(1));
  EXPECT_EQ(refused, 7);
  started[0]->Cancel();
  EXPECT_TRUE(started[0]->Wait(absl::Seconds(5)).has_value());
}

TEST(ProviderExTest, DestroyingTheProviderCancelsARunningResync) {
  ExRig rig;
  rig.ex->resync_steps = 100000;
  rig.ex->resync_step_time = absl::Milliseconds(2);
  auto op = rig.provider->ResyncLuns({rig.targets[0]}, {rig.luns[0]});
  ASSERT_TRUE(op.ok()) << op.status();
  const absl::Time start = absl::Now();
  rig.provider.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  auto done = (*op)->Wait(absl::Seconds(5));
  ASSERT_TRUE(done.has_value());
  EXPECT_EQ(CodeOf(*done), ErrorCode::kCancelled);
}

}  // namespace
}  // namespace hwsnap::testing
