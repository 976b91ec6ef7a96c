// Tests of FaultInjectingBackend and ParseFaultRule: the provider's failure
// tests and hwsnapctl --fault are only as trustworthy as the faults they
// inject, so each kind is checked against each operation it applies to.
#include "hwsnap/mock/fault_injecting_backend.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;


// A fault decorator over a mock array with a few LUNs.
class FaultInjectingBackendTest : public ::testing::Test {
 protected:
  FaultInjectingBackendTest()
      : mock_(std::make_shared<MockBackend>()), faults_(std::make_shared<FaultInjectingBackend>(mock_)) {
    for (int i = 0; i < 3; ++i) luns_.push_back(mock_->AddSourceLun());
  }

  TargetId Prepare(size_t lun) {
    absl::StatusOr<TargetId> id = faults_->PrepareTarget(luns_[lun], CancelToken());
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : TargetId();
  }

  TargetId Committed(size_t lun) {
    const TargetId id = Prepare(lun);
    const absl::Status s = faults_->CommitTargets({id}, absl::InfiniteFuture());
    EXPECT_TRUE(s.ok()) << s;
    return id;
  }

  MockBackend::TargetState StateOf(const TargetId& id) const {
    for (const auto& record : mock_->LiveTargets()) {
      if (record.id == id) return record.state;
    }
    ADD_FAILURE() << "no live target " << id;
    return MockBackend::TargetState::kPrepared;
  }

  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<FaultInjectingBackend> faults_;
  std::vector<LunIdentity> luns_;
};

// ---- Names ----

TEST(FaultNamesTest, OpsRoundTripAndUnknownNamesDoNotParse) {
  for (BackendOp op : {BackendOp::kIdentify, BackendOp::kPrepare, BackendOp::kCommit, BackendOp::kDescribe,
                       BackendOp::kExpose, BackendOp::kRelease}) {
    const std::optional<BackendOp> parsed = ParseBackendOp(BackendOpName(op));
    ASSERT_TRUE(parsed.has_value()) << BackendOpName(op);
    EXPECT_EQ(*parsed, op);
  }
  EXPECT_FALSE(ParseBackendOp("Prepare").has_value());
  EXPECT_FALSE(ParseBackendOp("").has_value());
  EXPECT_EQ(FaultKindName(FaultKind::kError), "error");
  EXPECT_EQ(FaultKindName(FaultKind::kHang), "hang");
  EXPECT_EQ(FaultKindName(FaultKind::kIgnoreCancel), "ignore-cancel");
  EXPECT_EQ(FaultKindName(FaultKind::kLatency), "latency");
}

// ---- Without rules ----

TEST_F(FaultInjectingBackendTest, WithoutRulesEverythingIsForwarded) {
  EXPECT_EQ(faults_->Name(), "mock");
  absl::StatusOr<LunSupport> support = faults_->IdentifyLun(luns_[0]);
  ASSERT_TRUE(support.ok());
  EXPECT_TRUE(support->supported);
  const TargetId id = Committed(0);
  EXPECT_TRUE(faults_->DescribeTarget(id).ok());
  EXPECT_TRUE(faults_->ExposeTarget(id).ok());
  EXPECT_TRUE(faults_->ReleaseTarget(id).ok());
  EXPECT_EQ(faults_->fired(), 0);
  const MockBackend::CallCounts calls = mock_->calls();
  EXPECT_EQ(calls.identify, 1);
  EXPECT_EQ(calls.prepare, 1);
  EXPECT_EQ(calls.commit, 1);
  EXPECT_EQ(calls.describe, 1);
  EXPECT_EQ(calls.expose, 1);
  EXPECT_EQ(calls.release, 1);
}

// ---- kError ----

TEST_F(FaultInjectingBackendTest, ErrorOnIdentifyIsReturnedWithoutForwarding) {
  faults_->AddRule(MakeFaultRule(BackendOp::kIdentify, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  absl::StatusOr<LunSupport> support = faults_->IdentifyLun(luns_[0]);
  EXPECT_EQ(GetErrorCode(support.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(support.status().message()), HasSubstr("injected fault"));
  EXPECT_EQ(mock_->calls().identify, 0);
  EXPECT_EQ(faults_->fired(), 1);
}

TEST_F(FaultInjectingBackendTest, ErrorOnPrepareCreatesNothing) {
  for (ErrorCode code : kAllErrorCodes) {
    if (code == ErrorCode::kOk) continue;
    faults_->ClearRules();
    faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, code));
    absl::StatusOr<TargetId> id = faults_->PrepareTarget(luns_[0], CancelToken());
    ASSERT_FALSE(id.ok()) << ErrorCodeName(code);
    EXPECT_EQ(GetErrorCode(id.status()), code);
  }
  EXPECT_EQ(mock_->calls().prepare, 0);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(FaultInjectingBackendTest, InjectedVetoCarriesARemedy) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kVeto));
  absl::StatusOr<TargetId> id = faults_->PrepareTarget(luns_[0], CancelToken());
  EXPECT_EQ(GetErrorCode(id.status()), ErrorCode::kVeto);
  EXPECT_FALSE(GetVetoRemedy(id.status()).empty());
}

TEST_F(FaultInjectingBackendTest, ErrorOnCommitCommitsNothing) {
  const TargetId a = Prepare(0);
  const TargetId b = Prepare(1);
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kError, std::nullopt, ErrorCode::kInsufficientStorage));
  EXPECT_EQ(GetErrorCode(faults_->CommitTargets({a, b}, absl::InfiniteFuture())), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(mock_->calls().commit, 0);
  EXPECT_EQ(StateOf(a), MockBackend::TargetState::kPrepared);
  EXPECT_EQ(StateOf(b), MockBackend::TargetState::kPrepared);
}

TEST_F(FaultInjectingBackendTest, ErrorOnDescribeExposeAndReleaseIsNotForwarded) {
  const TargetId id = Committed(0);
  faults_->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  faults_->AddRule(MakeFaultRule(BackendOp::kExpose, FaultKind::kError, std::nullopt, ErrorCode::kBadState));
  faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  EXPECT_EQ(GetErrorCode(faults_->DescribeTarget(id).status()), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(faults_->ExposeTarget(id)), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(faults_->ReleaseTarget(id)), ErrorCode::kBackendFailure);
  EXPECT_EQ(mock_->calls().describe, 0);
  EXPECT_EQ(mock_->calls().expose, 0);
  EXPECT_EQ(mock_->calls().release, 0);
  EXPECT_EQ(mock_->LiveTargetCount(), 1) << "the failed release left the target in place";
  EXPECT_EQ(faults_->fired(), 3);
}

// ---- kHang ----

TEST_F(FaultInjectingBackendTest, HangOnPrepareLastsUntilCancelled) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kHang));
  CancelSource cancel;
  absl::StatusOr<TargetId> result;
  absl::Duration took;
  std::thread preparer([&] {
    const absl::Time start = absl::Now();
    result = faults_->PrepareTarget(luns_[0], cancel.token());
    took = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(30));
  cancel.Cancel("abort");
  preparer.join();
  // Only the cancel ends the hang, so a cancelled result proves it waited for it.
  EXPECT_EQ(GetErrorCode(result.status()), ErrorCode::kCancelled);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("abort"));
  EXPECT_LT(took, absl::Seconds(5));
  EXPECT_EQ(mock_->calls().prepare, 0);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(FaultInjectingBackendTest, HangOnCommitRunsPastTheDeadline) {
  const TargetId id = Prepare(0);
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kHang));
  const absl::Time deadline = absl::Now() + absl::Milliseconds(50);
  const absl::Status s = faults_->CommitTargets({id}, deadline);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded) << s;
  EXPECT_GE(absl::Now(), deadline) << "it gave up before the deadline";
  EXPECT_LT(absl::Now() - deadline, absl::Seconds(5));
  EXPECT_EQ(mock_->calls().commit, 0);
  EXPECT_EQ(StateOf(id), MockBackend::TargetState::kPrepared);
}

TEST_F(FaultInjectingBackendTest, HangOnOtherOpsSleepsThenForwards) {
  const TargetId id = Committed(0);
  constexpr absl::Duration kHang = absl::Milliseconds(30);
  for (BackendOp op : {BackendOp::kIdentify, BackendOp::kDescribe, BackendOp::kExpose, BackendOp::kRelease}) {
    faults_->ClearRules();
    faults_->AddRule(MakeFaultRule(op, FaultKind::kHang, std::nullopt, ErrorCode::kBackendFailure, kHang));
    const absl::Time start = absl::Now();
    absl::Status s;
    switch (op) {
      case BackendOp::kIdentify: s = faults_->IdentifyLun(luns_[0]).status(); break;
      case BackendOp::kDescribe: s = faults_->DescribeTarget(id).status(); break;
      case BackendOp::kExpose: s = faults_->ExposeTarget(id); break;
      default: s = faults_->ReleaseTarget(id); break;
    }
    EXPECT_TRUE(s.ok()) << BackendOpName(op) << ": " << s;
    EXPECT_GE(absl::Now() - start, kHang - absl::Milliseconds(1)) << BackendOpName(op);
  }
  const MockBackend::CallCounts calls = mock_->calls();
  EXPECT_EQ(calls.identify, 1);
  EXPECT_EQ(calls.describe, 1);
  EXPECT_EQ(calls.expose, 1);
  EXPECT_EQ(calls.release, 1);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

// ---- kIgnoreCancel ----

TEST_F(FaultInjectingBackendTest, IgnoreCancelSleepsDeafThenForwardsTheRealToken) {
  constexpr absl::Duration kDeaf = absl::Milliseconds(40);
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kIgnoreCancel, std::nullopt, ErrorCode::kBackendFailure, kDeaf));
  CancelSource cancel;
  cancel.Cancel("aborted before the call");
  const absl::Time start = absl::Now();
  absl::StatusOr<TargetId> result = faults_->PrepareTarget(luns_[0], cancel.token());
  EXPECT_GE(absl::Now() - start, kDeaf - absl::Milliseconds(1)) << "the sleep must not observe the token";
  // The mock saw the (cancelled) token and created nothing.
  EXPECT_EQ(GetErrorCode(result.status()), ErrorCode::kCancelled);
  EXPECT_EQ(mock_->calls().prepare, 1);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(FaultInjectingBackendTest, IgnoreCancelWithoutCancellationStillPrepares) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kIgnoreCancel, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Milliseconds(5)));
  absl::StatusOr<TargetId> id = faults_->PrepareTarget(luns_[0], CancelToken());
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(mock_->LiveTargetCount(), 1);
}

TEST_F(FaultInjectingBackendTest, IgnoreCancelOnCommitDelaysThenCommits) {
  const TargetId id = Prepare(0);
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kIgnoreCancel, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Milliseconds(20)));
  const absl::Time start = absl::Now();
  EXPECT_TRUE(faults_->CommitTargets({id}, absl::InfiniteFuture()).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(19));
  EXPECT_EQ(StateOf(id), MockBackend::TargetState::kCommitted);
}

// ---- kLatency ----

TEST_F(FaultInjectingBackendTest, LatencyOnPrepareIsCancellable) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Seconds(60)));
  CancelSource cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(20));
    cancel.Cancel("stop");
  });
  const absl::Time start = absl::Now();
  absl::StatusOr<TargetId> result = faults_->PrepareTarget(luns_[0], cancel.token());
  canceller.join();
  EXPECT_EQ(GetErrorCode(result.status()), ErrorCode::kCancelled);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5)) << "the 60 s latency ignored the cancel";
  EXPECT_EQ(mock_->calls().prepare, 0);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(FaultInjectingBackendTest, LatencyDelaysThenForwards) {
  constexpr absl::Duration kLatency = absl::Milliseconds(20);
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure, kLatency));
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure, kLatency));
  faults_->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure, kLatency));
  absl::Time start = absl::Now();
  const TargetId id = Prepare(0);
  EXPECT_GE(absl::Now() - start, kLatency - absl::Milliseconds(1));
  start = absl::Now();
  ASSERT_TRUE(faults_->CommitTargets({id}, absl::InfiniteFuture()).ok());
  EXPECT_GE(absl::Now() - start, kLatency - absl::Milliseconds(1));
  start = absl::Now();
  EXPECT_TRUE(faults_->DescribeTarget(id).ok());
  EXPECT_GE(absl::Now() - start, kLatency - absl::Milliseconds(1));
  EXPECT_EQ(faults_->fired(), 3);
}

TEST_F(FaultInjectingBackendTest, LatencyOnCommitCanMissTheDeadline) {
  const TargetId id = Prepare(0);
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kLatency, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Milliseconds(50)));
  // The mock checks the deadline when the call reaches it, after the latency.
  EXPECT_EQ(GetErrorCode(faults_->CommitTargets({id}, absl::Now() + absl::Milliseconds(1))),
            ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(StateOf(id), MockBackend::TargetState::kPrepared);
}

// ---- Matching ----

TEST_F(FaultInjectingBackendTest, LunSpecificPrepareRuleHitsOnlyThatLun) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, luns_[1], ErrorCode::kInsufficientStorage));
  EXPECT_TRUE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  EXPECT_EQ(GetErrorCode(faults_->PrepareTarget(luns_[1], CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_TRUE(faults_->PrepareTarget(luns_[2], CancelToken()).ok());
  // The rule matches by identity, not by object: a partial copy of the LUN is the same LUN.
  LunIdentity same_lun;
  same_lun.designators = {*luns_[1].PrimaryDesignator()};
  EXPECT_EQ(GetErrorCode(faults_->PrepareTarget(same_lun, CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_EQ(faults_->fired(), 2);
  EXPECT_EQ(mock_->LiveTargetCount(), 2);
}

TEST_F(FaultInjectingBackendTest, LunSpecificIdentifyRuleHitsOnlyThatLun) {
  faults_->AddRule(MakeFaultRule(BackendOp::kIdentify, FaultKind::kError, luns_[2], ErrorCode::kBackendFailure));
  EXPECT_TRUE(faults_->IdentifyLun(luns_[0]).ok());
  EXPECT_EQ(GetErrorCode(faults_->IdentifyLun(luns_[2]).status()), ErrorCode::kBackendFailure);
}

TEST_F(FaultInjectingBackendTest, LunSpecificCommitRuleHitsAnyGroupHoldingThatLun) {
  faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kError, luns_[1], ErrorCode::kBackendFailure));
  const TargetId a = Prepare(0);
  const TargetId c = Prepare(2);
  EXPECT_TRUE(faults_->CommitTargets({a, c}, absl::InfiniteFuture()).ok()) << "no target of LUN 1 in the group";
  const TargetId a2 = Prepare(0);
  const TargetId b = Prepare(1);
  EXPECT_EQ(GetErrorCode(faults_->CommitTargets({a2, b}, absl::InfiniteFuture())), ErrorCode::kBackendFailure);
  EXPECT_EQ(StateOf(a2), MockBackend::TargetState::kPrepared);
  EXPECT_EQ(StateOf(b), MockBackend::TargetState::kPrepared);
  EXPECT_EQ(faults_->fired(), 1);
}

TEST_F(FaultInjectingBackendTest, LunSpecificRulesFollowTargetsToDescribeExposeAndRelease) {
  faults_->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kError, luns_[1], ErrorCode::kBackendFailure));
  faults_->AddRule(MakeFaultRule(BackendOp::kExpose, FaultKind::kError, luns_[1], ErrorCode::kBackendFailure));
  faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError, luns_[1], ErrorCode::kBackendFailure));
  const TargetId other = Committed(0);
  const TargetId hit = Committed(1);
  EXPECT_TRUE(faults_->DescribeTarget(other).ok());
  EXPECT_TRUE(faults_->ExposeTarget(other).ok());
  EXPECT_TRUE(faults_->ReleaseTarget(other).ok());
  EXPECT_EQ(GetErrorCode(faults_->DescribeTarget(hit).status()), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(faults_->ExposeTarget(hit)), ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(faults_->ReleaseTarget(hit)), ErrorCode::kBackendFailure);
  EXPECT_EQ(mock_->LiveTargetCount(), 1);
  EXPECT_EQ(faults_->fired(), 3);
}

TEST_F(FaultInjectingBackendTest, LunSpecificRulesIgnoreTargetsNotPreparedThroughTheDecorator) {
  // Prepared on the mock directly: the decorator cannot know its source.
  absl::StatusOr<TargetId> direct = mock_->PrepareTarget(luns_[1], CancelToken());
  ASSERT_TRUE(direct.ok());
  faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError, luns_[1], ErrorCode::kBackendFailure));
  EXPECT_TRUE(faults_->ReleaseTarget(*direct).ok());
  // A rule for any LUN still applies to it.
  faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  EXPECT_EQ(GetErrorCode(faults_->ReleaseTarget(*direct)), ErrorCode::kBackendFailure);
}

TEST_F(FaultInjectingBackendTest, RulesForOtherOpsDoNotFire) {
  faults_->AddRule(MakeFaultRule(BackendOp::kRelease, FaultKind::kError));
  EXPECT_TRUE(faults_->IdentifyLun(luns_[0]).ok());
  const TargetId id = Committed(0);
  EXPECT_TRUE(faults_->DescribeTarget(id).ok());
  EXPECT_TRUE(faults_->ExposeTarget(id).ok());
  EXPECT_EQ(faults_->fired(), 0);
}

TEST_F(FaultInjectingBackendTest, TimesLimitsTheFirings) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Seconds(10), 2));
  EXPECT_FALSE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  EXPECT_FALSE(faults_->PrepareTarget(luns_[1], CancelToken()).ok());
  EXPECT_TRUE(faults_->PrepareTarget(luns_[2], CancelToken()).ok());
  EXPECT_TRUE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  EXPECT_EQ(faults_->fired(), 2);
  EXPECT_EQ(mock_->LiveTargetCount(), 2);
}

TEST_F(FaultInjectingBackendTest, TheFirstLiveRuleWinsThenTheNext) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kVeto,
                        absl::Seconds(10), 1));
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kInsufficientStorage,
                        absl::Seconds(10), 1));
  EXPECT_EQ(GetErrorCode(faults_->PrepareTarget(luns_[0], CancelToken()).status()), ErrorCode::kVeto);
  EXPECT_EQ(GetErrorCode(faults_->PrepareTarget(luns_[0], CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_TRUE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  EXPECT_EQ(faults_->fired(), 2);
}

TEST_F(FaultInjectingBackendTest, ExhaustedRulesAndClearedRulesDoNotFire) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Seconds(10), 0));
  EXPECT_TRUE(faults_->PrepareTarget(luns_[0], CancelToken()).ok()) << "times = 0 is spent";
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError));
  EXPECT_FALSE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  faults_->ClearRules();
  EXPECT_TRUE(faults_->PrepareTarget(luns_[0], CancelToken()).ok());
  EXPECT_EQ(faults_->fired(), 1) << "fired() counts firings, not rules";
}

TEST_F(FaultInjectingBackendTest, TimesIsExactUnderConcurrency) {
  constexpr int kThreads = 8;
  constexpr int kCallsPerThread = 10;
  constexpr int kTimes = 13;
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure,
                        absl::Seconds(10), kTimes));
  std::atomic<int> failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const CancelToken token;
      for (int i = 0; i < kCallsPerThread; ++i) {
        absl::StatusOr<TargetId> id = faults_->PrepareTarget(luns_[static_cast<size_t>((t + i) % 3)], token);
        if (!id.ok()) {
          ++failed;
          continue;
        }
        // Exercise the target map from many threads too.
        EXPECT_TRUE(faults_->CommitTargets({*id}, absl::InfiniteFuture()).ok());
        EXPECT_TRUE(faults_->ReleaseTarget(*id).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), kTimes);
  EXPECT_EQ(faults_->fired(), kTimes);
  EXPECT_EQ(mock_->calls().prepare, kThreads * kCallsPerThread - kTimes);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

// ---- ParseFaultRule ----

class ParseFaultRuleTest : public ::testing::Test {
 protected:
  ParseFaultRuleTest() {
    for (int i = 0; i < 4; ++i) luns_.push_back(mock_.AddSourceLun());
  }
  absl::StatusOr<FaultRule> Parse(absl::string_view text) { return ParseFaultRule(text, luns_); }

  MockBackend mock_;
  std::vector<LunIdentity> luns_;
};

TEST_F(ParseFaultRuleTest, ErrorRules) {
  absl::StatusOr<FaultRule> rule = Parse("prepare:*:error:insufficient-storage");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->op, BackendOp::kPrepare);
  EXPECT_FALSE(rule->lun.has_value());
  EXPECT_EQ(rule->kind, FaultKind::kError);
  EXPECT_EQ(rule->code, ErrorCode::kInsufficientStorage);
  EXPECT_EQ(rule->times, -1);

  rule = Parse("release:3:error:veto");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->op, BackendOp::kRelease);
  ASSERT_TRUE(rule->lun.has_value());
  EXPECT_EQ(*rule->lun, luns_[3]);
  EXPECT_EQ(rule->code, ErrorCode::kVeto);
}

TEST_F(ParseFaultRuleTest, EveryOpAndEveryErrorCodeParses) {
  for (absl::string_view op : {"identify", "prepare", "commit", "describe", "expose", "release"}) {
    for (ErrorCode code : kAllErrorCodes) {
      if (code == ErrorCode::kOk) continue;
      const std::string text = absl::StrCat(op, ":0:error:", ErrorCodeName(code));
      absl::StatusOr<FaultRule> rule = Parse(text);
      ASSERT_TRUE(rule.ok()) << text << ": " << rule.status();
      EXPECT_EQ(BackendOpName(rule->op), op);
      EXPECT_EQ(rule->code, code) << text;
    }
  }
}

TEST_F(ParseFaultRuleTest, HangWithAndWithoutDuration) {
  absl::StatusOr<FaultRule> rule = Parse("commit:*:hang");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind, FaultKind::kHang);
  EXPECT_EQ(rule->duration, absl::Seconds(10)) << "the documented default";

  rule = Parse("describe:1:hang:2s");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind, FaultKind::kHang);
  EXPECT_EQ(rule->duration, absl::Seconds(2));
  EXPECT_EQ(*rule->lun, luns_[1]);
}

TEST_F(ParseFaultRuleTest, IgnoreCancelAndLatencyTakeDurations) {
  absl::StatusOr<FaultRule> rule = Parse("prepare:2:ignore-cancel:250ms");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind, FaultKind::kIgnoreCancel);
  EXPECT_EQ(rule->duration, absl::Milliseconds(250));

  rule = Parse("expose:*:latency:1m30s");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind, FaultKind::kLatency);
  EXPECT_EQ(rule->duration, absl::Seconds(90));

  rule = Parse("commit:*:latency:0s");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->duration, absl::ZeroDuration());
}

TEST_F(ParseFaultRuleTest, TrailingCountLimitsFirings) {
  absl::StatusOr<FaultRule> rule = Parse("prepare:*:error:backend-failure:x1");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->code, ErrorCode::kBackendFailure);
  EXPECT_EQ(rule->times, 1);

  rule = Parse("expose:2:latency:5ms:x3");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->duration, absl::Milliseconds(5));
  EXPECT_EQ(rule->times, 3);

  rule = Parse("identify:*:hang:x2");
  ASSERT_TRUE(rule.ok()) << rule.status();
  EXPECT_EQ(rule->kind, FaultKind::kHang);
  EXPECT_EQ(rule->duration, absl::Seconds(10));
  EXPECT_EQ(rule->times, 2);
}

TEST_F(ParseFaultRuleTest, MalformedSpecsAreInvalidArgumentSayingWhatIsWrong) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "too few fields"},
      {"prepare", "too few fields"},
      {"prepare:*", "too few fields"},
      {"explode:*:error:veto", "unknown operation 'explode'"},
      {"Prepare:*:error:veto", "unknown operation"},
      {"prepare:4:error:veto", "out of range"},
      {"prepare:99:error:veto", "out of range"},
      {"prepare:-1:error:veto", "LUN '-1'"},
      {"prepare:zz:error:veto", "LUN 'zz'"},
      {"prepare::error:veto", "LUN ''"},
      {"prepare:+1:error:veto", "LUN '+1'"},
      {"prepare:*:explode", "unknown fault kind 'explode'"},
      {"prepare:*:error", "needs a code"},
      {"prepare:*:error:", "needs a code"},
      {"prepare:*:error:nope", "unknown error code 'nope'"},
      {"prepare:*:error:ok", "unknown error code 'ok'"},
      {"prepare:*:latency", "needs a duration"},
      {"prepare:*:ignore-cancel", "needs a duration"},
      {"prepare:*:latency:", "empty duration"},
      {"prepare:*:latency:soon", "'soon' is not a duration"},
      {"prepare:*:latency:500", "'500' is not a duration"},
      {"prepare:*:hang:forever", "'forever' is not a duration"},
      {"prepare:*:latency:-1s", "not negative"},
      {"prepare:*:latency:inf", "finite"},
      {"prepare:*:error:veto:x0", "firing count"},
      {"prepare:*:error:veto:xx", "firing count"},
      {"prepare:*:error:veto:x-1", "firing count"},
      {"prepare:*:error:veto:x", "firing count"},
      {"prepare:*:latency:1s:extra", "unexpected field 'extra'"},
      {"prepare:*:error:veto:x1:x2", "unexpected field"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FaultRule> rule = Parse(c.text);
    ASSERT_FALSE(rule.ok()) << "'" << c.text << "' was accepted as " << rule->ToString();
    EXPECT_EQ(GetErrorCode(rule.status()), ErrorCode::kInvalidArgument) << c.text << ": " << rule.status();
    EXPECT_THAT(std::string(rule.status().message()), HasSubstr(c.message)) << c.text;
    EXPECT_THAT(std::string(rule.status().message()), HasSubstr(c.text)) << "the message quotes the spec";
  }
}

TEST_F(ParseFaultRuleTest, ShorthandCoversEveryLunAndTakesBareErrorCodes) {
  struct Case {
    const char* shorthand;
    const char* full;
  };
  const Case cases[] = {
      {"prepare:hang", "prepare:*:hang"},
      {"prepare:insufficient-storage", "prepare:*:error:insufficient-storage"},
      {"commit:latency:250ms", "commit:*:latency:250ms"},
      {"prepare:veto:x2", "prepare:*:error:veto:x2"},
      {"release:error:backend-failure", "release:*:error:backend-failure"},
      {"prepare:0:veto", "prepare:0:error:veto"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<FaultRule> shorthand = Parse(c.shorthand);
    absl::StatusOr<FaultRule> full = Parse(c.full);
    ASSERT_TRUE(shorthand.ok()) << c.shorthand << ": " << shorthand.status();
    ASSERT_TRUE(full.ok()) << c.full << ": " << full.status();
    EXPECT_EQ(shorthand->ToString(), full->ToString()) << c.shorthand;
  }
  EXPECT_FALSE(Parse("prepare:ok").ok()) << "ok is not a fault";
  EXPECT_FALSE(Parse("prepare:explode").ok());
}

TEST_F(ParseFaultRuleTest, LunIndexNeedsLuns) {
  absl::StatusOr<FaultRule> rule = ParseFaultRule("prepare:0:error:veto", {});
  EXPECT_EQ(GetErrorCode(rule.status()), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(ParseFaultRule("prepare:*:error:veto", {}).ok()) << "* needs no LUN list";
}

TEST_F(ParseFaultRuleTest, ToStringNamesOpKindAndArgument) {
  absl::StatusOr<FaultRule> rule = Parse("prepare:*:error:backend-failure:x1");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule->ToString(), "prepare:*:error:backend-failure:x1");
  rule = Parse("commit:*:latency:250ms");
  ASSERT_TRUE(rule.ok());
  EXPECT_EQ(rule->ToString(), "commit:*:latency:250ms");
  rule = Parse("release:0:hang");
  ASSERT_TRUE(rule.ok());
  EXPECT_THAT(rule->ToString(), HasSubstr("release:"));
  EXPECT_THAT(rule->ToString(), HasSubstr(luns_[0].serial_number));
}

TEST_F(ParseFaultRuleTest, AParsedRuleDrivesTheDecorator) {
  auto mock = std::make_shared<MockBackend>();
  std::vector<LunIdentity> luns = {mock->AddSourceLun(), mock->AddSourceLun()};
  FaultInjectingBackend faults(mock);
  absl::StatusOr<FaultRule> rule = ParseFaultRule("prepare:1:error:insufficient-storage:x1", luns);
  ASSERT_TRUE(rule.ok()) << rule.status();
  faults.AddRule(*rule);
  EXPECT_TRUE(faults.PrepareTarget(luns[0], CancelToken()).ok());
  EXPECT_EQ(GetErrorCode(faults.PrepareTarget(luns[1], CancelToken()).status()), ErrorCode::kInsufficientStorage);
  EXPECT_TRUE(faults.PrepareTarget(luns[1], CancelToken()).ok()) << "x1 fired once";
  EXPECT_EQ(faults.fired(), 1);
}

}  // namespace
}  // namespace hwsnap
