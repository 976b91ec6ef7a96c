// Tests that completed sets keep being served (GetTargetLuns, LocateLuns,
// OnLunEmpty) from other threads while a new set is in creation, and that
// the LUNs of a set prepare in parallel.
#include <atomic>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "provider_test_util.h"

namespace hwsnap::testing {
namespace {

TEST(ProviderConcurrencyTest, CompletedSetsAreServedWhileANewSetIsInCreation) {
  Rig rig(8);
  std::vector<LunIdentity> first_luns(rig.luns.begin(), rig.luns.begin() + 4);
  std::vector<LunIdentity> second_luns(rig.luns.begin() + 4, rig.luns.end());
  const auto first = SnapshotSetId::Random();
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(first, SnapshotId::Random(), 0, first_luns).ok());
  for (Step step : kAllSteps) {
    if (step == Step::kBeginPrepare) continue;
    ASSERT_TRUE(rig.Run(first, step).ok()) << StepName(step);
  }
  auto targets = rig.provider->GetTargetLuns(first_luns);
  ASSERT_TRUE(targets.ok());

  for (const auto& lun : second_luns) rig.mock->SetPrepareLatency(lun, absl::Milliseconds(300));
  const auto second = SnapshotSetId::Random();

  // Phase 1: the first set is read and located from three threads while the
  // second set goes through its whole creation on this one.
  std::atomic<bool> done{false};
  std::atomic<int> served{0}, failures{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done) {
        auto again = rig.provider->GetTargetLuns(first_luns);
        if (!again.ok() || again->size() != first_luns.size() || !(*again)[0].SameLunAs((*targets)[0])) {
          ++failures;
        }
        if (!rig.provider->LocateLuns(*targets).ok()) ++failures;
        ++served;
      }
    });
  }
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(second, SnapshotId::Random(), 0, second_luns).ok());
  for (Step step : kAllSteps) {
    if (step == Step::kBeginPrepare) continue;
    ASSERT_TRUE(rig.Run(second, step).ok()) << StepName(step);
  }
  done = true;
  for (auto& t : readers) t.join();
  EXPECT_GT(served.load(), 0);
  EXPECT_EQ(failures.load(), 0);

  // Phase 2: the first set's LUNs are released on one thread while the
  // second set's are read on another.
  auto second_targets = rig.provider->GetTargetLuns(second_luns);
  ASSERT_TRUE(second_targets.ok());
  std::atomic<bool> released{false};
  std::thread releaser([&] {
    for (const auto& target : *targets) {
      if (!rig.provider->OnLunEmpty("disk", target).ok()) ++failures;
    }
    released = true;
  });
  int reads = 0;
  while (!released || reads == 0) {
    auto again = rig.provider->GetTargetLuns(second_luns);
    if (!again.ok() || !(*again)[0].SameLunAs((*second_targets)[0])) ++failures;
    ++reads;
  }
  releaser.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 4);  // the second set's targets remain
  EXPECT_EQ(rig.StateOf(second), SetState::kCompleted);
  EXPECT_EQ(GetErrorCode(rig.provider->GetTargetLuns(first_luns).status()), ErrorCode::kObjectNotFound);
}

TEST(ProviderConcurrencyTest, LunsOfASetPrepareInParallel) {
  MockBackendOptions options;
  options.prepare_latency = absl::Milliseconds(200);
  Rig rig(32, options);
  const auto set = SnapshotSetId::Random();
  const absl::Time start = absl::Now();
  ASSERT_TRUE(rig.BeginAll(set, 8).ok());
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  // Serial would be 6.4 s; the bound is loose on purpose (shared machines):
  // the benchmark measures the real ratio.
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 32);
}

TEST(ProviderConcurrencyTest, ParallelismRespectsTheBackendsPrepareLimit) {
  // A backend that counts how many prepares run at once.
  class CountingBackend : public ForwardingBackend {
   public:
    using ForwardingBackend::ForwardingBackend;
    BackendCapabilities Capabilities() const override {
      BackendCapabilities caps = ForwardingBackend::Capabilities();
      caps.max_parallel_prepares = 2;
      return caps;
    }
    absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& lun, const CancelToken& cancel) override {
      const int now = ++running_;
      int seen = peak_.load();
      while (now > seen && !peak_.compare_exchange_weak(seen, now)) {}
      (void)cancel.SleepFor(absl::Milliseconds(20));
      auto result = ForwardingBackend::PrepareTarget(lun, cancel);
      --running_;
      return result;
    }
    std::atomic<int> running_{0}, peak_{0};
  };
  auto mock = std::make_shared<MockBackend>();
  std::vector<LunIdentity> luns;
  for (int i = 0; i < 8; ++i) luns.push_back(mock->AddSourceLun());
  auto counting = std::make_shared<CountingBackend>(mock);
  SnapshotProvider provider(counting);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, luns).ok());
  ASSERT_TRUE(provider.EndPrepareSnapshots(set).ok());
  EXPECT_LE(counting->peak_.load(), 2);
  EXPECT_EQ(mock->LiveTargetCount(), 8);
}

}  // namespace
}  // namespace hwsnap::testing
