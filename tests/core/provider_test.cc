// Tests of SnapshotProvider's protocol: the full VSS sequence, every illegal
// order, bad input, failures and what they leave behind. Abort and
// concurrency have their own files (provider_abort_test, provider_concurrency_test).
#include "hwsnap/provider.h"

#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "provider_test_util.h"

namespace hwsnap::testing {
namespace {

using ::testing::SizeIs;

TEST(ProviderTest, FullSequenceCompletesAndOnLunEmptyReleasesEverything) {
  Rig rig(8);
  const auto set = SnapshotSetId::Random();
  ASSERT_EQ(rig.provider->AreLunsSupported(rig.luns, 0).value_or(false), true);
  ASSERT_TRUE(rig.BeginAll(set, 3).ok());
  EXPECT_EQ(rig.StateOf(set), SetState::kPreparing);
  for (Step step : kAllSteps) {
    if (step == Step::kBeginPrepare) continue;
    const absl::Status s = step == Step::kPostCommit ? rig.provider->PostCommitSnapshots(set, 3)
                                                     : rig.Run(set, step);
    ASSERT_TRUE(s.ok()) << StepName(step) << ": " << s;
    EXPECT_EQ(rig.StateOf(set), StateAfter(step)) << StepName(step);
  }
  EXPECT_EQ(rig.mock->LiveTargetCount(), 8);

  auto targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(targets.ok()) << targets.status();
  ASSERT_THAT(*targets, SizeIs(8));
  std::set<std::string> primaries;
  for (size_t i = 0; i < targets->size(); ++i) {
    const LunIdentity& target = (*targets)[i];
    EXPECT_TRUE(target.HasUniqueDesignator());
    EXPECT_FALSE(target.SameLunAs(rig.luns[i])) << "target " << i << " reuses its source's id";
    primaries.insert(target.PrimaryDesignator()->ToString());
  }
  EXPECT_EQ(primaries.size(), 8u) << "targets must be distinct LUNs";

  ASSERT_TRUE(rig.provider->LocateLuns(*targets).ok());
  for (const auto& record : rig.mock->LiveTargets()) EXPECT_TRUE(record.exposed) << record.id;

  // On import VSS asks FillInLunInfo about each new disk: it must be ours and
  // match what GetTargetLuns said.
  for (const LunIdentity& target : *targets) {
    LunIdentity seen = target;
    auto supported = rig.provider->FillInLunInfo("\\\\?\\disk", seen);
    ASSERT_TRUE(supported.ok()) << supported.status();
    EXPECT_TRUE(*supported);
    EXPECT_TRUE(seen.SameLunAs(target));
  }

  for (const LunIdentity& target : *targets) {
    ASSERT_TRUE(rig.provider->OnLunEmpty("disk", target).ok());
  }
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  // A completed set whose LUNs are all gone is forgotten.
  EXPECT_EQ(GetErrorCode(rig.provider->GetProgress(set).status()), ErrorCode::kObjectNotFound);
  EXPECT_TRUE(rig.provider->PendingReleases().empty());
}

TEST(ProviderTest, LunInSeveralSnapshotsIsPreparedOnce) {
  Rig rig(3);
  const auto set = SnapshotSetId::Random();
  // Two volumes on LUNs {0,1} and {1,2}: LUN 1 backs both.
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[0], rig.luns[1]}).ok());
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[1], rig.luns[2]}).ok());
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  EXPECT_EQ(rig.mock->calls().prepare, 3);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 3);
  auto progress = rig.provider->GetProgress(set);
  ASSERT_TRUE(progress.ok());
  EXPECT_EQ(progress->snapshots, 2);
  EXPECT_EQ(progress->luns, 3);
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

// Every call that is not the next legal one, from every state, is bad-state
// and changes nothing.
TEST(ProviderTest, EveryIllegalOrderIsBadStateAndChangesNothing) {
  for (Step reached : kAllSteps) {
    // While preparing, keep the prepares running for the whole check, so the
    // live-target count cannot change under it for reasons of its own.
    MockBackendOptions mock_options;
    if (reached == Step::kBeginPrepare) mock_options.prepare_latency = absl::Seconds(60);
    Rig rig(2, mock_options);
    const auto set = SnapshotSetId::Random();
    ASSERT_TRUE(rig.RunThrough(set, reached).ok()) << StepName(reached);
    const SetState before = rig.StateOf(set);
    const int live_before = rig.mock->LiveTargetCount();
    for (Step attempted : kAllSteps) {
      const bool is_next = static_cast<int>(attempted) == static_cast<int>(reached) + 1;
      // More BeginPrepare calls are legal until EndPrepare.
      const bool more_volumes = reached == Step::kBeginPrepare && attempted == Step::kBeginPrepare;
      if (is_next || more_volumes) continue;
      const absl::Status s = rig.Run(set, attempted);
      EXPECT_EQ(GetErrorCode(s), ErrorCode::kBadState)
          << "after " << StepName(reached) << ", " << StepName(attempted) << " gave " << s;
      EXPECT_EQ(rig.StateOf(set), before);
      EXPECT_EQ(rig.mock->LiveTargetCount(), live_before);
    }
    if (reached == Step::kPostFinalCommit) {
      // A completed set's LUNs belong to the requester: no abort any more.
      EXPECT_EQ(GetErrorCode(rig.provider->AbortSnapshots(set)), ErrorCode::kBadState);
      EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
    } else {
      EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok());
      EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
    }
  }
}

TEST(ProviderTest, UnknownSetIdIsObjectNotFoundForEveryMethod) {
  Rig rig(1);
  const auto unknown = SnapshotSetId::Random();
  for (Step step : kAllSteps) {
    if (step == Step::kBeginPrepare) continue;  // BeginPrepare creates sets
    EXPECT_EQ(GetErrorCode(rig.Run(unknown, step)), ErrorCode::kObjectNotFound) << StepName(step);
  }
  EXPECT_EQ(GetErrorCode(rig.provider->AbortSnapshots(unknown)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(rig.provider->GetProgress(unknown).status()), ErrorCode::kObjectNotFound);
}

TEST(ProviderTest, BadInputToBeginPrepareIsRejectedAndLeavesNoState) {
  Rig rig(2);
  const auto set = SnapshotSetId::Random();
  const auto snap = SnapshotId::Random();
  LunIdentity malformed = rig.luns[0];
  malformed.designators[0].bytes.resize(7);  // NAA must be 8 or 16 bytes
  LunIdentity anonymous = rig.luns[0];
  anonymous.designators.clear();

  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(SnapshotSetId(), snap, 0, rig.luns)),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, SnapshotId(), 0, rig.luns)),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, snap, 0, {})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, snap, 0, {malformed})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, snap, 0, {rig.luns[0], rig.luns[0]})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, snap, 0, {anonymous})),
            ErrorCode::kNotSupported);

  EXPECT_TRUE(rig.provider->ListSets().empty());
  EXPECT_EQ(rig.mock->calls().prepare, 0);
  // The same ids still work afterwards.
  EXPECT_TRUE(rig.provider->BeginPrepareSnapshot(set, snap, 0, rig.luns).ok());
  EXPECT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
}

TEST(ProviderTest, SameSnapshotIdTwiceInASetIsInvalidArgument) {
  Rig rig(2);
  const auto set = SnapshotSetId::Random();
  const auto snap = SnapshotId::Random();
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(set, snap, 0, {rig.luns[0]}).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, snap, 0, {rig.luns[1]})),
            ErrorCode::kInvalidArgument);
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1);
}

TEST(ProviderTest, TooManyLunsInASetIsNotSupported) {
  ProviderOptions options;
  options.max_luns_per_set = 3;
  Rig rig(4, {}, options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[0], rig.luns[1]}).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[2], rig.luns[3]})),
            ErrorCode::kNotSupported);
  ASSERT_TRUE(rig.provider->EndPrepareSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 2);
}

TEST(ProviderTest, AreLunsSupportedIsAllOrNothing) {
  Rig rig(2);
  MockBackend other;  // a different array: its LUNs are not ours
  const LunIdentity foreign = other.AddSourceLun();
  LunIdentity anonymous = rig.luns[0];
  anonymous.designators.clear();

  EXPECT_EQ(rig.provider->AreLunsSupported(rig.luns, 0).value_or(false), true);
  EXPECT_EQ(rig.provider->AreLunsSupported({rig.luns[0], foreign}, 0).value_or(true), false);
  EXPECT_EQ(rig.provider->AreLunsSupported({anonymous}, 0).value_or(true), false);
  EXPECT_EQ(GetErrorCode(rig.provider->AreLunsSupported({}, 0).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, BackendErrorInAreLunsSupportedIsReported) {
  Rig rig(1);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kIdentify, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  EXPECT_EQ(GetErrorCode(rig.provider->AreLunsSupported(rig.luns, 0).status()), ErrorCode::kBackendFailure);
}

TEST(ProviderTest, RunningOutOfTargetsIsInsufficientStorageAndRollsBack) {
  MockBackendOptions mock_options;
  mock_options.target_capacity = 2;
  Rig rig(4, mock_options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set).ok());
  const absl::Status s = rig.provider->EndPrepareSnapshots(set);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInsufficientStorage) << s;
  EXPECT_EQ(rig.StateOf(set), SetState::kFailed);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
  EXPECT_TRUE(rig.provider->AbortSnapshots(set).ok());  // VSS aborts after a failure: still fine
  EXPECT_EQ(GetErrorCode(rig.provider->PreCommitSnapshots(set)), ErrorCode::kBadState);
}

TEST(ProviderTest, EndPrepareReportsTheMostActionableOfSeveralFailures) {
  Rig rig(3);
  // Both failing LUNs sit deaf to cancellation for a moment first, so both
  // failures really happen (fail-fast cannot pre-empt either).
  auto inner = std::make_shared<FaultInjectingBackend>(rig.mock);
  inner->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, rig.luns[0], ErrorCode::kBackendFailure));
  inner->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, rig.luns[1], ErrorCode::kInsufficientStorage));
  auto outer = std::make_shared<FaultInjectingBackend>(inner);
  outer->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kIgnoreCancel, std::nullopt, ErrorCode::kBackendFailure,
                       absl::Milliseconds(50)));
  SnapshotProvider provider(outer);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, rig.luns).ok());
  const absl::Status s = provider.EndPrepareSnapshots(set);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInsufficientStorage) << s;
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, FailureBeforeTheLastBeginPrepareIsReportedByEndPrepare) {
  Rig rig(4);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, rig.luns[0], ErrorCode::kInsufficientStorage));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[0]}).ok());
  // Let the first LUN fail before the other volumes arrive.
  const absl::Time until = absl::Now() + absl::Seconds(10);
  while (rig.faults->fired() == 0 && absl::Now() < until) absl::SleepFor(absl::Milliseconds(1));
  absl::SleepFor(absl::Milliseconds(20));
  // BeginPrepare may only return its own results: the set's failure waits for EndPrepare.
  EXPECT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[1], rig.luns[2]}).ok());
  EXPECT_TRUE(rig.provider->BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {rig.luns[3]}).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->EndPrepareSnapshots(set)), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, VetoKeepsItsRemedyThroughEndPrepare) {
  Rig rig(2);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, rig.luns[1], ErrorCode::kVeto));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.BeginAll(set).ok());
  const absl::Status s = rig.provider->EndPrepareSnapshots(set);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kVeto);
  EXPECT_FALSE(GetVetoRemedy(s).empty());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, FailedCommitRollsBackEveryTarget) {
  Rig rig(4);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPreCommit).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->CommitSnapshots(set)), ErrorCode::kBackendFailure);
  EXPECT_EQ(rig.StateOf(set), SetState::kFailed);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, CommitIsSplitIntoTheBackendsGroupSize) {
  MockBackendOptions mock_options;
  mock_options.max_commit_group = 3;
  Rig rig(8, mock_options);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPostFinalCommit).ok());
  EXPECT_EQ(rig.mock->calls().commit, 3);  // 3 + 3 + 2
  for (const auto& record : rig.mock->LiveTargets()) {
    EXPECT_EQ(record.state, MockBackend::TargetState::kCommitted) << record.id;
  }
}

TEST(ProviderTest, OneFailedCommitGroupFailsTheWholeSet) {
  MockBackendOptions mock_options;
  mock_options.max_commit_group = 2;
  Rig rig(6, mock_options);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kError, rig.luns[5], ErrorCode::kInsufficientStorage));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPreCommit).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->CommitSnapshots(set)), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, CommitOverrunningItsDeadlineFailsWithDeadlineExceeded) {
  ProviderOptions options;
  options.commit_timeout = absl::Milliseconds(50);
  options.commit_grace = absl::Milliseconds(20);
  Rig rig(2, {}, options);
  // The backend overruns by far and returns success late: too late to count.
  rig.faults->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kIgnoreCancel, std::nullopt,
                            ErrorCode::kBackendFailure, absl::Milliseconds(500)));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPreCommit).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->CommitSnapshots(set)), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(rig.StateOf(set), SetState::kFailed);
  // The overrunning call still holds the targets; they go when it returns.
  EXPECT_TRUE(rig.WaitForLiveTargets(0));
}

TEST(ProviderTest, DescribeFailureFailsPostCommitAndRollsBack) {
  Rig rig(3);
  rig.faults->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kError, rig.luns[2], ErrorCode::kBackendFailure));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kCommit).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->PostCommitSnapshots(set, 1)), ErrorCode::kBackendFailure);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, GetTargetLunsAnswersFromTheNewestCompletedSet) {
  Rig rig(2);
  const auto first = SnapshotSetId::Random();
  const auto second = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(first, Step::kPostFinalCommit).ok());
  auto old_targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(old_targets.ok());
  ASSERT_TRUE(rig.RunThrough(second, Step::kPostFinalCommit).ok());
  auto new_targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(new_targets.ok());
  for (size_t i = 0; i < rig.luns.size(); ++i) {
    EXPECT_FALSE((*new_targets)[i].SameLunAs((*old_targets)[i]));
  }
  EXPECT_EQ(rig.mock->LiveTargetCount(), 4);
}

TEST(ProviderTest, GetTargetLunsForAnUnknownSourceReturnsNothing) {
  Rig rig(2);
  MockBackend other;
  const LunIdentity foreign = other.AddSourceLun();
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPostFinalCommit).ok());
  EXPECT_EQ(GetErrorCode(rig.provider->GetTargetLuns({rig.luns[0], foreign}).status()),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(rig.provider->GetTargetLuns({}).status()), ErrorCode::kInvalidArgument);
}

TEST(ProviderTest, LocateLunsValidatesEverythingBeforeExposingAnything) {
  Rig rig(2);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPostFinalCommit).ok());
  auto targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(targets.ok());
  // A source LUN is not a snapshot target.
  EXPECT_EQ(GetErrorCode(rig.provider->LocateLuns({(*targets)[0], rig.luns[1]})), ErrorCode::kObjectNotFound);
  for (const auto& record : rig.mock->LiveTargets()) EXPECT_FALSE(record.exposed);
  EXPECT_EQ(rig.mock->calls().expose, 0);
  // Exposing twice is harmless.
  EXPECT_TRUE(rig.provider->LocateLuns(*targets).ok());
  EXPECT_TRUE(rig.provider->LocateLuns(*targets).ok());
}

TEST(ProviderTest, OnLunEmptyForAnUnknownLunIsObjectNotFound) {
  Rig rig(1);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kPostFinalCommit).ok());
  auto targets = rig.provider->GetTargetLuns(rig.luns);
  ASSERT_TRUE(targets.ok());
  EXPECT_EQ(GetErrorCode(rig.provider->OnLunEmpty("disk", rig.luns[0])), ErrorCode::kObjectNotFound);
  ASSERT_TRUE(rig.provider->OnLunEmpty("disk", (*targets)[0]).ok());
  // The second OnLunEmpty for the same LUN: it is gone.
  EXPECT_EQ(GetErrorCode(rig.provider->OnLunEmpty("disk", (*targets)[0])), ErrorCode::kObjectNotFound);
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, FailedReleaseDuringRollbackIsKeptAndRetried) {
  Rig rig(3);
  FaultRule rule = MakeFaultRule(BackendOp::kRelease, FaultKind::kError, rig.luns[1], ErrorCode::kBackendFailure);
  rule.times = 1;
  rig.faults->AddRule(rule);
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(rig.RunThrough(set, Step::kEndPrepare).ok());
  ASSERT_TRUE(rig.provider->AbortSnapshots(set).ok());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 1);
  ASSERT_THAT(rig.provider->PendingReleases(), SizeIs(1));
  EXPECT_EQ(rig.provider->RetryPendingReleases(), 0);
  EXPECT_TRUE(rig.provider->PendingReleases().empty());
  EXPECT_EQ(rig.mock->LiveTargetCount(), 0);
}

TEST(ProviderTest, ProviderWithoutBackendRefusesEveryCall) {
  SnapshotProvider provider(nullptr);
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const auto set = SnapshotSetId::Random();
  EXPECT_EQ(GetErrorCode(provider.AreLunsSupported({lun}, 0).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {lun})),
            ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(provider.EndPrepareSnapshots(set)), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(provider.GetTargetLuns({lun}).status()), ErrorCode::kInvalidArgument);
}

TEST(ProviderTest, InvalidOptionsAreRefused) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  ProviderOptions options;
  options.commit_timeout = absl::ZeroDuration();
  SnapshotProvider provider(std::make_shared<MockBackend>(), options);
  EXPECT_EQ(GetErrorCode(provider.AreLunsSupported({lun}, 0).status()), ErrorCode::kInvalidArgument);
}

TEST(ProviderTest, BackendThatThrowsIsContained) {
  // A backend that breaks the "never throws" rule must not take the process down.
  class ThrowingBackend : public ForwardingBackend {
   public:
    using ForwardingBackend::ForwardingBackend;
    absl::StatusOr<TargetId> PrepareTarget(const LunIdentity&, const CancelToken&) override {
      throw std::runtime_error("array API crashed");
    }
  };
  auto mock = std::make_shared<MockBackend>();
  const LunIdentity lun = mock->AddSourceLun();
  SnapshotProvider provider(std::make_shared<ThrowingBackend>(mock));
  const auto set = SnapshotSetId::Random();
  ASSERT_TRUE(provider.BeginPrepareSnapshot(set, SnapshotId::Random(), 0, {lun}).ok());
  EXPECT_EQ(GetErrorCode(provider.EndPrepareSnapshots(set)), ErrorCode::kBackendFailure);
  EXPECT_EQ(mock->LiveTargetCount(), 0);
}

}  // namespace
}  // namespace hwsnap::testing
