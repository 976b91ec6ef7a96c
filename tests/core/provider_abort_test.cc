// Tests of AbortSnapshots: in every state, racing EndPrepare and job
// completion, against a backend that ignores cancellation, implicit aborts by
// a new set id, concurrent aborts. After every abort nothing may be left.
#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "absl/time/clock.h"
#include "provider_test_util.h"

namespace hwsnap::testing {
namespace {

// Aborting right after each step (and, for BeginPrepare, while the prepares
// still run) leaves no target, and the set is aborted for good.
TEST(ProviderAbortTest, AbortAfterEveryStepLeavesNothing) {
  for (Step reached : kAllSteps) {
    if (reached == Step::kPostFinalCommit) continue;  // completed: covered by the order test
    Rig rig(6);
    const auto set = SnapshotSetId::Random();
    ASSERT_TRUE(rig.RunThrough(set, reached).ok()) << StepName(reached);
    ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok()) << StepName(reached);
    EXPECT_EQ(rig.StateOf(set), SetState::kAborted);
    EXPECT_EQ(rig.mock->LiveTargetCount(), 0) << "after abort following " << StepName(reached);
    // Idempotent.
    EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok());
    // Nothing continues an aborted set.
    for (Step next : kAllSteps) {
      const ErrorCode code = GetErrorCode(rig.Run(set, next));
      EXPECT_TRUE(code == ErrorCode::kBadState || code == ErrorCode::kCancelled)
          << StepName(next) << " after abort gave " << ErrorCodeName(code);
    }
    EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
    EXPECT_TRUE(rig.provider->PendingReleases().empty());
  }
}

TEST(ProviderAbortTest, AbortWhilePreparesRunLeavesNothing) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  Rig rig(8, options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set, 2).ok());
  const absl::Time start = absl::Now();
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << "abort waited for the prepares";
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  EXPECT_EQ(GetErrorCode(rig.provider->EndPrepareSnapshots(set)), ErrorCode::kCancelled);
}

TEST(ProviderAbortTest, AbortFromAnotherThreadEndsTheWaitOfEndPrepare) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  Rig rig(16, options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set, 4).ok());
  absl::Status end_prepare;
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    end_prepare = rig.provider->EndPrepareSnapshots(set);
    returned = true;
  });
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_FALSE(returned.load()) << "EndPrepare returned before preparation finished";
  const absl::Time start = absl::Now();
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  waiter.join();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(GetErrorCode(end_prepare), ErrorCode::kCancelled) << end_prepare;
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

// Abort arriving at any moment relative to prepares finishing: whatever
// EndPrepare says, nothing is left once the abort returns.
TEST(ProviderAbortTest, AbortRacingJobCompletionNeverLeaks) {
  std::mt19937 random(12345);
  for (int round = 0; round < 200; ++round) {
    MockBackendOptions options;
    options.prepare_latency = absl::Microseconds(std::uniform_int_distribution<int>(0, 2000)(random));
    Rig rig(4, options);
    const auto set = SnapshotSetId::Random();
    ASSERT_TRUE(rig.BeginAll(set, 2).ok());
    absl::Status end_prepare;
    std::thread waiter([&] { end_prepare = rig.provider->EndPrepareSnapshots(set); });
    absl::SleepFor(absl::Microseconds(std::uniform_int_distribution<int>(0, 2500)(random)));
    ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
    waiter.join();
    const ErrorCode code = GetErrorCode(end_prepare);
    EXPECT_TRUE(code == ErrorCode::kOk || code == ErrorCode::kCancelled) << end_prepare;
    ASSERT_EQ(rig.mock->LiveTargetCount(), 0) << "round " << round;
    EXPECT_EQ(rig.StateOf(set), SetState::kAborted);
  }
}

// A backend that ignores cancellation cannot hold the abort beyond
// abort_drain_timeout; its target is released the moment it returns.
TEST(ProviderAbortTest, BackendIgnoringCancellationIsBoundedAndCleanedUpLater) {
  ProviderOptions options;
  options.abort_drain_timeout = absl::Milliseconds(100);
  Rig rig(3, {}, options);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kIgnoreCancel, rig.luns[2],
                            ErrorCode::kBackendFailure, absl::Seconds(2)));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set).ok());
  absl::SleepFor(absl::Milliseconds(20));  // let the deaf prepare start
  const absl::Time start = absl::Now();
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_LT(absl::Now() - start, absl::Seconds(1)) << "abort waited for the deaf backend call";
  EXPECT_EQ(rig.StateOf(set), SetState::kAborted);
  // The straggler's prepare returns into a rolled-back set and is undone.
  EXPECT_TRUE(rig.WaitForLiveTargets(0));
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderAbortTest, ConcurrentAbortsAllSucceed) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  Rig rig(8, options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set, 2).ok());
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] {
      if (rig.provider->AbortSnapshots(set).ok()) ++ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

// OK from AbortSnapshots means "rolled back": a second abort arriving while
// the first is still releasing targets (or while a failure rolls the set
// back) answers only once those releases returned. (Found by the
// deterministic simulation, tests/sim: the second abort used to return at
// once, with the targets still on the array.)
TEST(ProviderAbortTest, AbortDuringAnotherAbortsReleasesAnswersAfterThem) {
  Rig rig(3);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kLatency, std::nullopt,
                                    ErrorCode::kBackendFailure, absl::Milliseconds(150)));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set).ok());
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  ASSERT_EQ(rig.mock->LiveTargetCount(), 3);
  std::thread first([&] { EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok()); });
  // Wait until the first abort has rolled the set back and is releasing.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (rig.StateOf(set) != SetState::kAborted && absl::Now() < until) absl::SleepFor(absl::Milliseconds(1));
  ASSERT_EQ(rig.StateOf(set), SetState::kAborted);
  EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0) << "the second abort answered before the releases returned";
  first.join();
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

// An abort during PostCommitSnapshots stops the describe loop, waits for the
// describe in progress (bounded by abort_drain_timeout), and answers OK with
// every target released; PostCommit itself reports the abort. (Found by the
// deterministic simulation: the abort used to answer at once, leaving the
// targets to the PostCommit call still describing them one by one.)
TEST(ProviderAbortTest, AbortDuringPostCommitReleasesEveryTargetBeforeAnswering) {
  Rig rig(3);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set).ok());
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  ASSERT_TRUE(rig.provider->PreCommitSnapshots(set).ok());
  ASSERT_TRUE(rig.provider->CommitSnapshots(set).ok());
  rig.faults->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kLatency, std::nullopt,
                                    ErrorCode::kBackendFailure, absl::Milliseconds(200)));
  absl::Status post_commit;
  std::thread post([&] { post_commit = rig.provider->PostCommitSnapshots(set, 1); });
  absl::SleepFor(absl::Milliseconds(50));  // the first describe is running
  EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0) << "the abort answered before the set was rolled back";
  post.join();
  EXPECT_EQ(GetErrorCode(post_commit), ErrorCode::kCancelled) << post_commit;
  EXPECT_LT(rig.faults->fired(), 3) << "PostCommit went on describing after the abort";
  EXPECT_EQ(rig.StateOf(set), SetState::kAborted);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderAbortTest, NewSetIdImplicitlyAbortsTheSetInCreation) {
  MockBackendOptions options;
  Rig rig(4, options);
  const auto old_set = SnapshotSetId::Random();
  const auto new_set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(old_set, Step::kPreCommit).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 4);
  ASSERT_TRUE(rig.RunThrough(new_set, Step::kPostFinalCommit).ok());
  EXPECT_EQ(rig.StateOf(old_set), SetState::kAborted);
  EXPECT_EQ(GetErrorCode(rig.provider->CommitSnapshots(old_set)), ErrorCode::kBadState);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 4);  // only the new set's targets
  auto targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(targets.ok());
}

TEST(ProviderAbortTest, ImplicitAbortWhileEndPrepareWaits) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  Rig rig(2, options);
  const auto old_set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(old_set).ok());
  absl::Status end_prepare;
  std::thread waiter([&] { end_prepare = rig.provider->EndPrepareSnapshots(old_set); });
  absl::SleepFor(absl::Milliseconds(10));
  rig.mock->SetPrepareLatency(rig.luns[0], absl::ZeroDuration());
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(SnapshotSetId::Random(), SnapshotId::Random(), 0,
                                                 {rig.luns[0]}).ok());
  waiter.join();
  EXPECT_EQ(GetErrorCode(end_prepare), ErrorCode::kCancelled);
  EXPECT_EQ(rig.StateOf(old_set), SetState::kAborted);
}

TEST(ProviderAbortTest, DestroyingTheProviderAbortsTheSetInCreation) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  Rig rig(4, options);
  ASSERT_TRUE(rig.BeginAll(SnapshotSetId::Random()).ok());
  rig.provider.reset();
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderAbortTest, AbortDuringCommitWaitsForTheCommitThenRollsBack) {
  Rig rig(4);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure,
                            absl::Milliseconds(200)));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPreCommit).ok());
  absl::Status commit;
  std::thread committer([&] { commit = rig.provider->CommitSnapshots(set); });
  absl::SleepFor(absl::Milliseconds(50));
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  committer.join();
  EXPECT_EQ(GetErrorCode(commit), ErrorCode::kCancelled) << commit;
  EXPECT_TRUE(rig.WaitForLiveTargets(0));
}

}  // namespace
}  // namespace hwsnap::testing
