// Tests of MockBackend: every provider test trusts the mock to behave like a
// small array (capacity, cancellable prepares, all-or-nothing commits, leak
// audit), so its contract is pinned down here on its own.
#include "hwsnap/mock/mock_backend.h"

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/base_sink.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

// `prefix` followed by at least `min_digits` decimal digits and nothing else.
// (Not MatchesRegex: GoogleTest's Windows regex dialect has no [] or {}.)
MATCHER_P2(IsPrefixAndDigits, prefix, min_digits, "") {
  const std::string text(arg);
  if (!absl::StartsWith(text, prefix)) return false;
  const std::string digits = text.substr(std::string(prefix).size());
  return static_cast<int>(digits.size()) >= min_digits &&
         std::all_of(digits.begin(), digits.end(), [](char c) { return absl::ascii_isdigit(static_cast<unsigned char>(c)); });
}

// Collects formatted log lines so a test can check what the mock logs.
class CapturingSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() const {
    std::lock_guard<std::mutex> lock(lines_mu_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    std::lock_guard<std::mutex> lock(lines_mu_);
    lines_.emplace_back(msg.payload.data(), msg.payload.size());
  }
  void flush_() override {}

 private:
  mutable std::mutex lines_mu_;
  std::vector<std::string> lines_;
};

// Installed once, before any test runs and before any logger exists (sinks
// may only be swapped before other threads log).
std::shared_ptr<CapturingSink> LogCapture() {
  static const std::shared_ptr<CapturingSink> sink = [] {
    auto s = std::make_shared<CapturingSink>();
    SetLogSinks({s});
    return s;
  }();
  return sink;
}
const bool kLogCaptureInstalled = LogCapture() != nullptr;

const Designator* FindDesignator(const LunIdentity& lun, DesignatorType type, Association association) {
  for (const Designator& d : lun.designators) {
    if (d.type == type && d.association == association) return &d;
  }
  return nullptr;
}

MockBackend::TargetRecord RecordOf(const MockBackend& mock, const TargetId& id) {
  for (const auto& record : mock.LiveTargets()) {
    if (record.id == id) return record;
  }
  ADD_FAILURE() << "no live target " << id;
  return {};
}

TargetId PrepareOrDie(MockBackend& mock, const LunIdentity& lun) {
  absl::StatusOr<TargetId> target = mock.PrepareTarget(lun, CancelToken());
  EXPECT_TRUE(target.ok()) << target.status();
  return target.ok() ? *target : TargetId();
}

TargetId CommittedTarget(MockBackend& mock, const LunIdentity& lun) {
  const TargetId id = PrepareOrDie(mock, lun);
  const absl::Status s = mock.CommitTargets({id}, absl::InfiniteFuture());
  EXPECT_TRUE(s.ok()) << s;
  return id;
}

// ---- Source LUNs ----

TEST(MockBackendTest, SourceLunsLookLikeRealIscsiLuns) {
  MockBackendOptions options;
  options.vendor_id = "ACME";
  options.product_id = "FASTDISK";
  options.product_revision = "4.2";
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();

  EXPECT_TRUE(ValidateLunIdentity(lun).ok()) << ValidateLunIdentity(lun);
  EXPECT_EQ(lun.device_type, 0);
  EXPECT_TRUE(lun.bus_type == BusType::kIscsi || lun.bus_type == BusType::kScsi);
  EXPECT_EQ(lun.vendor_id, "ACME");
  EXPECT_EQ(lun.product_id, "FASTDISK");
  EXPECT_EQ(lun.product_revision, "4.2");
  EXPECT_THAT(lun.serial_number, IsPrefixAndDigits("MOCK-SRC-", 6));

  const Designator* naa = FindDesignator(lun, DesignatorType::kNaa, Association::kLogicalUnit);
  ASSERT_NE(naa, nullptr);
  EXPECT_EQ(naa->code_set, CodeSet::kBinary);
  ASSERT_THAT(naa->bytes, SizeIs(16));
  EXPECT_EQ(naa->bytes[0] >> 4, 6) << "NAA-6 (IEEE registered extended)";

  const Designator* t10 = FindDesignator(lun, DesignatorType::kT10VendorId, Association::kLogicalUnit);
  ASSERT_NE(t10, nullptr);
  EXPECT_EQ(t10->code_set, CodeSet::kAscii);
  EXPECT_EQ(std::string(t10->bytes.begin(), t10->bytes.end()), "ACME    " + lun.serial_number);

  const Designator* port = FindDesignator(lun, DesignatorType::kPortRelative, Association::kTargetPort);
  ASSERT_NE(port, nullptr) << "a target-port designator makes the identity realistic";

  ASSERT_NE(lun.PrimaryDesignator(), nullptr);
  EXPECT_EQ(*lun.PrimaryDesignator(), *naa);
}

TEST(MockBackendTest, EverySourceLunIsADistinctLunEvenAcrossArrays) {
  MockBackend first;
  MockBackend second;
  std::vector<LunIdentity> luns;
  for (int i = 0; i < 5; ++i) luns.push_back(first.AddSourceLun());
  for (int i = 0; i < 5; ++i) luns.push_back(second.AddSourceLun());
  std::set<std::string> serials;
  for (size_t i = 0; i < luns.size(); ++i) {
    serials.insert(luns[i].serial_number);
    for (size_t j = 0; j < luns.size(); ++j) {
      EXPECT_EQ(luns[i].SameLunAs(luns[j]), i == j) << i << " vs " << j;
    }
  }
  EXPECT_EQ(serials.size(), luns.size());
}

TEST(MockBackendTest, CapabilitiesComeFromTheOptions) {
  MockBackendOptions options;
  options.max_commit_group = 3;
  options.cancel_bound = absl::Milliseconds(77);
  MockBackend mock(options);
  EXPECT_EQ(mock.Name(), "mock");
  EXPECT_EQ(mock.Capabilities().max_commit_group, 3);
  EXPECT_EQ(mock.Capabilities().cancel_bound, absl::Milliseconds(77));
}

// ---- IdentifyLun ----

TEST(MockBackendTest, IdentifiesItsOwnLunsAndCompletesTheIdentity) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  // VSS may report only part of what the array knows: the NAA id alone.
  LunIdentity partial;
  partial.designators = {*lun.PrimaryDesignator()};
  absl::StatusOr<LunSupport> support = mock.IdentifyLun(partial);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported);
  EXPECT_TRUE(support->reason.empty());
  EXPECT_EQ(support->identity, lun);
  // Deterministic: the same answer again.
  absl::StatusOr<LunSupport> again = mock.IdentifyLun(partial);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->identity, support->identity);
}

TEST(MockBackendTest, ForeignLunsAreUnsupportedNotErrors) {
  MockBackend mock;
  mock.AddSourceLun();
  MockBackend other_array;
  LunIdentity handmade;
  handmade.vendor_id = "OTHER";
  handmade.designators.push_back(Designator{CodeSet::kBinary, Association::kLogicalUnit, DesignatorType::kNaa,
                                            {0x60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}});
  for (const LunIdentity& foreign : {other_array.AddSourceLun(), handmade, LunIdentity{}}) {
    absl::StatusOr<LunSupport> support = mock.IdentifyLun(foreign);
    ASSERT_TRUE(support.ok()) << support.status();
    EXPECT_FALSE(support->supported) << foreign.ToString();
    EXPECT_EQ(support->reason, "not a LUN of this mock array");
  }
}

TEST(MockBackendTest, MalformedIdentityIsInvalidArgument) {
  MockBackend mock;
  LunIdentity lun = mock.AddSourceLun();
  lun.designators[0].bytes.resize(7);  // an NAA id of 7 bytes
  absl::StatusOr<LunSupport> support = mock.IdentifyLun(lun);
  ASSERT_FALSE(support.ok());
  EXPECT_EQ(GetErrorCode(support.status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(mock.calls().identify, 1) << "failed calls are counted too";
}

TEST(MockBackendTest, IdentifiesLiveTargetsByTheirDescribedIdentity) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = CommittedTarget(mock, lun);
  absl::StatusOr<LunIdentity> described = mock.DescribeTarget(id);
  ASSERT_TRUE(described.ok()) << described.status();
  absl::StatusOr<LunSupport> support = mock.IdentifyLun(*described);
  ASSERT_TRUE(support.ok()) << support.status();
  EXPECT_TRUE(support->supported);
  EXPECT_EQ(support->identity, *described);

  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  support = mock.IdentifyLun(*described);
  ASSERT_TRUE(support.ok());
  EXPECT_FALSE(support->supported) << "a released target is gone from the array";
}

// ---- PrepareTarget ----

TEST(MockBackendTest, PrepareCreatesAPreparedTarget) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  EXPECT_THAT(id, IsPrefixAndDigits("mock-tgt-", 6));
  ASSERT_EQ(mock.LiveTargetCount(), 1);
  const MockBackend::TargetRecord record = RecordOf(mock, id);
  EXPECT_EQ(record.state, MockBackend::TargetState::kPrepared);
  EXPECT_FALSE(record.exposed);
  EXPECT_TRUE(record.source.SameLunAs(lun));
  EXPECT_NE(PrepareOrDie(mock, lun), id) << "a second target of the same LUN has its own id";
  EXPECT_EQ(mock.LiveTargetCount(), 2);
}

TEST(MockBackendTest, PrepareOfAnUnknownLunIsNotSupported) {
  MockBackend mock;
  MockBackend other;
  absl::StatusOr<TargetId> target = mock.PrepareTarget(other.AddSourceLun(), CancelToken());
  ASSERT_FALSE(target.ok());
  EXPECT_EQ(GetErrorCode(target.status()), ErrorCode::kNotSupported);
  EXPECT_EQ(mock.LiveTargetCount(), 0);
  EXPECT_EQ(mock.calls().prepare, 1);
}

TEST(MockBackendTest, CapacityExhaustionIsInsufficientStorageAndRecoversAfterRelease) {
  MockBackendOptions options;
  options.target_capacity = 2;
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId first = PrepareOrDie(mock, lun);
  PrepareOrDie(mock, lun);

  absl::StatusOr<TargetId> third = mock.PrepareTarget(lun, CancelToken());
  ASSERT_FALSE(third.ok());
  EXPECT_EQ(GetErrorCode(third.status()), ErrorCode::kInsufficientStorage);
  EXPECT_THAT(std::string(third.status().message()), HasSubstr("capacity"));
  EXPECT_EQ(mock.LiveTargetCount(), 2);

  ASSERT_TRUE(mock.ReleaseTarget(first).ok());
  absl::StatusOr<TargetId> after = mock.PrepareTarget(lun, CancelToken());
  ASSERT_TRUE(after.ok()) << after.status();
  EXPECT_EQ(mock.LiveTargetCount(), 2);
}

TEST(MockBackendTest, CancelDuringPrepareLatencyCreatesNothing) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  CancelSource cancel;
  absl::StatusOr<TargetId> result;
  absl::Duration took;
  std::thread preparer([&] {
    const absl::Time start = absl::Now();
    result = mock.PrepareTarget(lun, cancel.token());
    took = absl::Now() - start;
  });
  absl::SleepFor(absl::Milliseconds(20));
  cancel.Cancel("set aborted");
  preparer.join();
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(GetErrorCode(result.status()), ErrorCode::kCancelled);
  EXPECT_THAT(std::string(result.status().message()), HasSubstr("set aborted"));
  EXPECT_LT(took, absl::Seconds(5)) << "the 60 s prepare did not observe the cancel";
  EXPECT_EQ(mock.LiveTargetCount(), 0);
  EXPECT_EQ(mock.calls().prepare, 1);
}

TEST(MockBackendTest, PrepareWithAnAlreadyCancelledTokenCreatesNothing) {
  MockBackend mock;  // zero latency: the cancel is seen by the re-check
  const LunIdentity lun = mock.AddSourceLun();
  CancelSource cancel;
  cancel.Cancel("too late");
  absl::StatusOr<TargetId> result = mock.PrepareTarget(lun, cancel.token());
  EXPECT_EQ(GetErrorCode(result.status()), ErrorCode::kCancelled);
  EXPECT_EQ(mock.LiveTargetCount(), 0);
}

TEST(MockBackendTest, PerLunPrepareLatencyOverridesTheDefault) {
  MockBackendOptions options;
  options.prepare_latency = absl::Seconds(60);
  MockBackend mock(options);
  const LunIdentity slow = mock.AddSourceLun();
  const LunIdentity fast = mock.AddSourceLun();
  mock.SetPrepareLatency(fast, absl::ZeroDuration());

  const absl::Time start = absl::Now();
  PrepareOrDie(mock, fast);
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));

  CancelSource cancel;
  std::thread canceller([&] {
    absl::SleepFor(absl::Milliseconds(20));
    cancel.Cancel("stop");
  });
  EXPECT_EQ(GetErrorCode(mock.PrepareTarget(slow, cancel.token()).status()), ErrorCode::kCancelled)
      << "the slow LUN still has the default latency";
  canceller.join();
  EXPECT_EQ(mock.LiveTargetCount(), 1);
}

// ---- CommitTargets ----

TEST(MockBackendTest, CommitCommitsEveryTargetOfTheGroup) {
  MockBackend mock;
  const LunIdentity a = mock.AddSourceLun();
  const LunIdentity b = mock.AddSourceLun();
  const TargetId ta = PrepareOrDie(mock, a);
  const TargetId tb = PrepareOrDie(mock, b);
  ASSERT_TRUE(mock.CommitTargets({ta, tb}, absl::Now() + absl::Seconds(30)).ok());
  EXPECT_EQ(RecordOf(mock, ta).state, MockBackend::TargetState::kCommitted);
  EXPECT_EQ(RecordOf(mock, tb).state, MockBackend::TargetState::kCommitted);
}

TEST(MockBackendTest, CommitWithAnUnknownIdCommitsNothing) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId good = PrepareOrDie(mock, lun);
  const absl::Status s = mock.CommitTargets({good, "mock-tgt-nope"}, absl::InfiniteFuture());
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kObjectNotFound) << s;
  EXPECT_EQ(RecordOf(mock, good).state, MockBackend::TargetState::kPrepared) << "all-or-nothing";
  EXPECT_TRUE(mock.CommitTargets({good}, absl::InfiniteFuture()).ok()) << "the target is still committable";
}

TEST(MockBackendTest, CommitOfAnAlreadyCommittedTargetIsBadStateAndCommitsNothing) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId done = CommittedTarget(mock, lun);
  const TargetId fresh = PrepareOrDie(mock, lun);
  EXPECT_EQ(GetErrorCode(mock.CommitTargets({fresh, done}, absl::InfiniteFuture())), ErrorCode::kBadState);
  EXPECT_EQ(RecordOf(mock, fresh).state, MockBackend::TargetState::kPrepared);
  EXPECT_EQ(GetErrorCode(mock.CommitTargets({fresh, fresh}, absl::InfiniteFuture())), ErrorCode::kBadState)
      << "a target listed twice";
  EXPECT_EQ(RecordOf(mock, fresh).state, MockBackend::TargetState::kPrepared);
}

TEST(MockBackendTest, CommitPastItsDeadlineCommitsNothing) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  EXPECT_EQ(GetErrorCode(mock.CommitTargets({id}, absl::Now() - absl::Seconds(1))), ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(RecordOf(mock, id).state, MockBackend::TargetState::kPrepared);
}

TEST(MockBackendTest, CommitSlowerThanItsDeadlineCommitsNothing) {
  MockBackendOptions options;
  options.commit_latency = absl::Milliseconds(50);
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  // The latency (50 ms) always outlasts a 1 ms deadline.
  EXPECT_EQ(GetErrorCode(mock.CommitTargets({id}, absl::Now() + absl::Milliseconds(1))),
            ErrorCode::kDeadlineExceeded);
  EXPECT_EQ(RecordOf(mock, id).state, MockBackend::TargetState::kPrepared);
  EXPECT_TRUE(mock.CommitTargets({id}, absl::Now() + absl::Seconds(60)).ok());
}

// ---- DescribeTarget ----

TEST(MockBackendTest, DescribeRequiresACommittedTarget) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  EXPECT_EQ(GetErrorCode(mock.DescribeTarget(id).status()), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(mock.DescribeTarget("mock-tgt-nope").status()), ErrorCode::kObjectNotFound);
}

TEST(MockBackendTest, DescribedTargetsAreUniqueLunsDistinctFromTheirSources) {
  MockBackend mock;
  std::vector<LunIdentity> sources;
  std::vector<LunIdentity> targets;
  for (int i = 0; i < 3; ++i) sources.push_back(mock.AddSourceLun());
  for (const LunIdentity& source : sources) {
    for (int copy = 0; copy < 2; ++copy) {  // two snapshots of each source
      absl::StatusOr<LunIdentity> target = mock.DescribeTarget(CommittedTarget(mock, source));
      ASSERT_TRUE(target.ok()) << target.status();
      EXPECT_TRUE(ValidateLunIdentity(*target).ok()) << ValidateLunIdentity(*target);
      EXPECT_TRUE(target->HasUniqueDesignator());
      EXPECT_EQ(target->vendor_id, source.vendor_id);
      EXPECT_EQ(target->product_id, "MOCK-SNAP");
      EXPECT_THAT(target->serial_number, IsPrefixAndDigits("MOCK-SNAP-", 6));
      const Designator* naa = FindDesignator(*target, DesignatorType::kNaa, Association::kLogicalUnit);
      ASSERT_NE(naa, nullptr);
      EXPECT_EQ(naa->bytes.size(), 16u);
      EXPECT_EQ(naa->bytes[0] >> 4, 6);
      targets.push_back(*target);
    }
  }
  for (const LunIdentity& target : targets) {
    for (const LunIdentity& source : sources) EXPECT_FALSE(target.SameLunAs(source)) << target.ToString();
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    for (size_t j = 0; j < targets.size(); ++j) {
      EXPECT_EQ(targets[i].SameLunAs(targets[j]), i == j) << i << " vs " << j;
    }
  }
}

TEST(MockBackendTest, DescribeIsDeterministic) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = CommittedTarget(mock, lun);
  absl::StatusOr<LunIdentity> first = mock.DescribeTarget(id);
  ASSERT_TRUE(mock.ExposeTarget(id).ok());
  absl::StatusOr<LunIdentity> second = mock.DescribeTarget(id);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(*first, *second);
}

// ---- ExposeTarget ----

TEST(MockBackendTest, ExposeRequiresCommitAndIsIdempotent) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  EXPECT_EQ(GetErrorCode(mock.ExposeTarget(id)), ErrorCode::kBadState);
  EXPECT_FALSE(RecordOf(mock, id).exposed);
  ASSERT_TRUE(mock.CommitTargets({id}, absl::InfiniteFuture()).ok());
  EXPECT_TRUE(mock.ExposeTarget(id).ok());
  EXPECT_TRUE(RecordOf(mock, id).exposed);
  EXPECT_TRUE(mock.ExposeTarget(id).ok()) << "exposing twice is fine";
  EXPECT_TRUE(RecordOf(mock, id).exposed);
  EXPECT_EQ(GetErrorCode(mock.ExposeTarget("mock-tgt-nope")), ErrorCode::kObjectNotFound);
}

// ---- ReleaseTarget ----

TEST(MockBackendTest, ReleaseWorksInEveryStateAndIsIdempotent) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId prepared = PrepareOrDie(mock, lun);
  const TargetId committed = CommittedTarget(mock, lun);
  const TargetId exposed = CommittedTarget(mock, lun);
  ASSERT_TRUE(mock.ExposeTarget(exposed).ok());
  ASSERT_EQ(mock.LiveTargetCount(), 3);
  for (const TargetId& id : {prepared, committed, exposed}) {
    EXPECT_TRUE(mock.ReleaseTarget(id).ok()) << id;
    EXPECT_TRUE(mock.ReleaseTarget(id).ok()) << id << " released twice";
  }
  EXPECT_EQ(mock.LiveTargetCount(), 0);
  EXPECT_TRUE(mock.LiveTargets().empty());
  EXPECT_EQ(GetErrorCode(mock.DescribeTarget(committed).status()), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(mock.CommitTargets({prepared}, absl::InfiniteFuture())), ErrorCode::kObjectNotFound);
}

TEST(MockBackendTest, ReleaseOfANeverCreatedTargetIsObjectNotFound) {
  MockBackend mock;
  EXPECT_EQ(GetErrorCode(mock.ReleaseTarget("mock-tgt-999999")), ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(mock.ReleaseTarget("")), ErrorCode::kObjectNotFound);
}

TEST(MockBackendTest, ATargetIdOfAnotherArrayIsUnknownHere) {
  MockBackend mock;
  MockBackend other;
  const TargetId theirs = PrepareOrDie(other, other.AddSourceLun());
  EXPECT_EQ(GetErrorCode(mock.ReleaseTarget(theirs)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(other.LiveTargetCount(), 1);
}

// ---- Audit ----

TEST(MockBackendTest, CallCountsIncludeFailedCalls) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  ASSERT_TRUE(mock.IdentifyLun(lun).ok());
  const TargetId id = PrepareOrDie(mock, lun);
  (void)mock.DescribeTarget(id);                             // fails: not committed
  (void)mock.ExposeTarget(id);                               // fails: not committed
  (void)mock.CommitTargets({"nope"}, absl::InfiniteFuture());  // fails: unknown
  ASSERT_TRUE(mock.CommitTargets({id}, absl::InfiniteFuture()).ok());
  (void)mock.ReleaseTarget("nope");  // fails: unknown
  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  const MockBackend::CallCounts calls = mock.calls();
  EXPECT_EQ(calls.identify, 1);
  EXPECT_EQ(calls.prepare, 1);
  EXPECT_EQ(calls.commit, 2);
  EXPECT_EQ(calls.describe, 1);
  EXPECT_EQ(calls.expose, 1);
  EXPECT_EQ(calls.release, 2);
}

TEST(MockBackendTest, ConcurrentPreparesAreSafeAndTheAuditIsExact) {
  constexpr int kThreads = 8;
  constexpr int kPreparesPerThread = 25;
  constexpr int kCapacity = 150;  // fewer than the 200 attempts
  MockBackendOptions options;
  options.target_capacity = kCapacity;
  options.prepare_latency = absl::Microseconds(200);
  MockBackend mock(options);
  std::vector<LunIdentity> luns;
  for (int i = 0; i < 4; ++i) luns.push_back(mock.AddSourceLun());

  std::atomic<int> created{0};
  std::atomic<int> refused{0};
  std::atomic<int> other{0};
  std::vector<std::vector<TargetId>> made(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const CancelToken token;
      for (int i = 0; i < kPreparesPerThread; ++i) {
        absl::StatusOr<TargetId> target = mock.PrepareTarget(luns[static_cast<size_t>((t + i) % 4)], token);
        if (target.ok()) {
          ++created;
          made[static_cast<size_t>(t)].push_back(*target);
        } else if (GetErrorCode(target.status()) == ErrorCode::kInsufficientStorage) {
          ++refused;
        } else {
          ++other;
        }
        // Readers run alongside the writers.
        (void)mock.LiveTargetCount();
        (void)mock.IdentifyLun(luns[0]);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  EXPECT_EQ(created.load(), kCapacity) << "capacity must be checked atomically with creation";
  EXPECT_EQ(refused.load(), kThreads * kPreparesPerThread - kCapacity);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(mock.LiveTargetCount(), kCapacity);
  EXPECT_EQ(mock.calls().prepare, kThreads * kPreparesPerThread);
  std::set<TargetId> ids;
  for (const auto& list : made) ids.insert(list.begin(), list.end());
  EXPECT_EQ(ids.size(), static_cast<size_t>(kCapacity)) << "target ids must be unique";

  // Release everything from several threads; nothing may leak.
  threads.clear();
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (const TargetId& id : made[static_cast<size_t>(t)]) EXPECT_TRUE(mock.ReleaseTarget(id).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(mock.LiveTargetCount(), 0);
  EXPECT_EQ(mock.calls().release, kCapacity);
}

TEST(MockBackendTest, ConcurrentCommitsOfDisjointGroupsAllSucceed) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  constexpr int kGroups = 8;
  std::vector<std::vector<TargetId>> groups(kGroups);
  for (auto& group : groups) {
    for (int i = 0; i < 4; ++i) group.push_back(PrepareOrDie(mock, lun));
  }
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (const auto& group : groups) {
    threads.emplace_back([&mock, &group, &ok] {
      if (mock.CommitTargets(group, absl::InfiniteFuture()).ok()) ++ok;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), kGroups);
  for (const auto& record : mock.LiveTargets()) {
    EXPECT_EQ(record.state, MockBackend::TargetState::kCommitted) << record.id;
  }
}

// ---- Logging ----

bool LoggedLineContaining(const std::string& text) {
  const absl::Time until = absl::Now() + absl::Seconds(10);  // the logger is asynchronous
  while (absl::Now() < until) {
    for (const std::string& line : LogCapture()->lines()) {
      if (line.find(text) != std::string::npos) return true;
    }
    absl::SleepFor(absl::Milliseconds(2));
  }
  return false;
}

TEST(MockBackendTest, EveryOperationLogsAtDebugLevel) {
  ASSERT_TRUE(kLogCaptureInstalled);
  SetLogLevel(spdlog::level::debug);
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  ASSERT_TRUE(mock.IdentifyLun(lun).ok());
  const TargetId id = CommittedTarget(mock, lun);
  ASSERT_TRUE(mock.DescribeTarget(id).ok());
  ASSERT_TRUE(mock.ExposeTarget(id).ok());
  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  (void)mock.CommitTargets({id}, absl::InfiniteFuture());
  MockBackend other_array;
  (void)mock.PrepareTarget(other_array.AddSourceLun(), CancelToken());
  CancelSource cancel;
  cancel.Cancel("test abort");
  (void)mock.PrepareTarget(lun, cancel.token());
  SetLogLevel(spdlog::level::info);

  const std::vector<std::string> expected_lines = {
      "added source LUN HWSNAP MOCK-LUN sn=" + lun.serial_number,
      "identify HWSNAP MOCK-LUN sn=" + lun.serial_number + " naa:",
      ": supported",
      "created " + id,
      "commit of 1 target(s): committed",
      "describe " + id + ": HWSNAP MOCK-SNAP",
      "expose " + id + ": ok",
      "release " + id + ": released",
      "release " + id + ": already released",
      "commit of 1 target(s): object-not-found: mock: no target",
      "is not a LUN of this array",
      "nothing created: cancelled: test abort",
  };
  for (const std::string& expected : expected_lines) {
    EXPECT_TRUE(LoggedLineContaining(expected)) << "no log line with: " << expected;
  }
}

// ---- Optional methods: restore, list, mask, resync ----

RestoredTarget RestoredFrom(MockBackend& mock, const TargetId& id) {
  const MockBackend::TargetRecord record = RecordOf(mock, id);
  RestoredTarget restored;
  restored.id = id;
  restored.source = record.source;
  restored.committed = record.state == MockBackend::TargetState::kCommitted;
  restored.exposed = record.exposed;
  if (restored.committed) {
    absl::StatusOr<LunIdentity> identity = mock.DescribeTarget(id);
    EXPECT_TRUE(identity.ok()) << identity.status();
    if (identity.ok()) restored.identity = *identity;
  }
  return restored;
}

TEST(MockBackendOptionalTest, RestoreAcceptsATargetItHasWhenEverythingMatches) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId prepared = PrepareOrDie(mock, lun);
  const TargetId committed = CommittedTarget(mock, lun);
  EXPECT_TRUE(mock.RestoreTarget(RestoredFrom(mock, prepared)).ok());
  EXPECT_TRUE(mock.RestoreTarget(RestoredFrom(mock, committed)).ok());
  // The record may lag the array: a commit the catalog never heard of is fine.
  RestoredTarget lagging = RestoredFrom(mock, committed);
  lagging.committed = false;
  lagging.identity.reset();
  EXPECT_TRUE(mock.RestoreTarget(lagging).ok());
  EXPECT_EQ(mock.calls().restore, 3);
  EXPECT_EQ(mock.LiveTargetCount(), 2);
}

TEST(MockBackendOptionalTest, RestoreRefusesAMismatchAndAnUnknownTarget) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const LunIdentity other = mock.AddSourceLun();
  const TargetId prepared = PrepareOrDie(mock, lun);
  const TargetId committed = CommittedTarget(mock, lun);

  RestoredTarget wrong_source = RestoredFrom(mock, prepared);
  wrong_source.source = other;
  EXPECT_EQ(GetErrorCode(mock.RestoreTarget(wrong_source)), ErrorCode::kBackendFailure);

  RestoredTarget says_committed = RestoredFrom(mock, prepared);
  says_committed.committed = true;
  EXPECT_EQ(GetErrorCode(mock.RestoreTarget(says_committed)), ErrorCode::kBackendFailure);

  RestoredTarget wrong_identity = RestoredFrom(mock, committed);
  wrong_identity.identity = other;
  EXPECT_EQ(GetErrorCode(mock.RestoreTarget(wrong_identity)), ErrorCode::kBackendFailure);

  RestoredTarget released = RestoredFrom(mock, prepared);
  ASSERT_TRUE(mock.ReleaseTarget(prepared).ok());
  EXPECT_EQ(GetErrorCode(mock.RestoreTarget(released)), ErrorCode::kObjectNotFound);
  released.id = "mock-tgt-999999";
  EXPECT_EQ(GetErrorCode(mock.RestoreTarget(released)), ErrorCode::kObjectNotFound);
}

TEST(MockBackendOptionalTest, ListTargetsNamesEveryAliveTarget) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  absl::StatusOr<std::vector<TargetId>> none = mock.ListTargets();
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_TRUE(none->empty());
  const TargetId a = PrepareOrDie(mock, lun);
  const TargetId b = CommittedTarget(mock, lun);
  const TargetId c = PrepareOrDie(mock, lun);
  ASSERT_TRUE(mock.ReleaseTarget(c).ok());
  absl::StatusOr<std::vector<TargetId>> listed = mock.ListTargets();
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ::testing::UnorderedElementsAre(a, b));
  EXPECT_EQ(mock.calls().list, 2);
}

TEST(MockBackendOptionalTest, MaskHidesAnExposedTargetAndIsIdempotent) {
  MockBackend mock;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = CommittedTarget(mock, lun);
  ASSERT_TRUE(mock.ExposeTarget(id).ok());
  EXPECT_TRUE(RecordOf(mock, id).exposed);
  EXPECT_TRUE(mock.MaskTarget(id).ok());
  EXPECT_FALSE(RecordOf(mock, id).exposed);
  EXPECT_TRUE(mock.MaskTarget(id).ok()) << "masking twice is fine";
  EXPECT_EQ(mock.LiveTargetCount(), 1) << "masking keeps the target";
  ASSERT_TRUE(mock.ExposeTarget(id).ok());
  EXPECT_TRUE(RecordOf(mock, id).exposed) << "a masked target can be exposed again";
  EXPECT_EQ(GetErrorCode(mock.MaskTarget("mock-tgt-999999")), ErrorCode::kObjectNotFound);
  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  EXPECT_EQ(GetErrorCode(mock.MaskTarget(id)), ErrorCode::kObjectNotFound);
  EXPECT_EQ(mock.calls().mask, 4);
}

TEST(MockBackendOptionalTest, ResyncTakesItsLatencyAndReportsRisingProgress) {
  MockBackendOptions options;
  options.resync_latency = absl::Milliseconds(200);
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  const LunIdentity other = mock.AddSourceLun();
  const TargetId id = CommittedTarget(mock, lun);
  std::vector<double> progress;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(mock.ResyncTarget(id, lun, CancelToken(), [&](double f) { progress.push_back(f); }).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  ASSERT_GE(progress.size(), 5u);
  EXPECT_TRUE(std::is_sorted(progress.begin(), progress.end()));
  EXPECT_GT(progress.front(), 0.0);
  EXPECT_EQ(progress.back(), 1.0);
  // Onto another source LUN of the array, and without a progress callback.
  EXPECT_TRUE(mock.ResyncTarget(id, other, CancelToken(), nullptr).ok());
  EXPECT_EQ(mock.calls().resync, 2);
  EXPECT_EQ(mock.LiveTargetCount(), 1) << "the snapshot stays";
}

TEST(MockBackendOptionalTest, ResyncObservesCancelWithinTheBound) {
  MockBackendOptions options;
  options.resync_latency = absl::Seconds(60);
  options.cancel_bound = absl::Milliseconds(50);
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = CommittedTarget(mock, lun);
  CancelSource cancel;
  std::atomic<int> reports{0};
  absl::Status result;
  absl::Time cancelled_at;
  absl::Time returned_at;
  std::thread resync([&] {
    result = mock.ResyncTarget(id, lun, cancel.token(), [&](double) { reports.fetch_add(1); });
    returned_at = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(120));
  cancelled_at = absl::Now();
  cancel.Cancel("resync cancelled by VSS");
  resync.join();
  EXPECT_EQ(GetErrorCode(result), ErrorCode::kCancelled) << result;
  EXPECT_LT(returned_at - cancelled_at, options.cancel_bound + absl::Milliseconds(50));
  EXPECT_GE(reports.load(), 2) << "progress was reported while copying";

  CancelSource already;
  already.Cancel("early");
  EXPECT_EQ(GetErrorCode(mock.ResyncTarget(id, lun, already.token(), nullptr)), ErrorCode::kCancelled);
}

TEST(MockBackendOptionalTest, ResyncRefusesUnknownUncommittedAndForeignLuns) {
  MockBackend mock;
  MockBackend other_array;
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId prepared = PrepareOrDie(mock, lun);
  const TargetId committed = CommittedTarget(mock, lun);
  EXPECT_EQ(GetErrorCode(mock.ResyncTarget("mock-tgt-999999", lun, CancelToken(), nullptr)),
            ErrorCode::kObjectNotFound);
  EXPECT_EQ(GetErrorCode(mock.ResyncTarget(prepared, lun, CancelToken(), nullptr)), ErrorCode::kBadState);
  EXPECT_EQ(GetErrorCode(mock.ResyncTarget(committed, other_array.AddSourceLun(), CancelToken(), nullptr)),
            ErrorCode::kObjectNotFound);
}

TEST(MockBackendOptionalTest, ResyncOntoAnAdoptedLunAdoptsIt) {
  MockBackendOptions options;
  options.adopt_luns = true;
  MockBackend mock(options);
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId committed = CommittedTarget(mock, lun);
  MockBackend elsewhere;
  const LunIdentity host_lun = elsewhere.AddSourceLun();
  EXPECT_TRUE(mock.ResyncTarget(committed, host_lun, CancelToken(), nullptr).ok());
  EXPECT_EQ(mock.SourceLuns().size(), 2u);
}

// ---- Durable mode ----

// A fresh, empty directory under the test's temp dir.
std::string FreshDirectory(const std::string& name) {
  const std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) /
      absl::StrCat("hwsnap-mock-", name, "-", ::testing::UnitTest::GetInstance()->random_seed(), "-",
                   absl::ToUnixNanos(absl::Now()));
  std::filesystem::remove_all(dir);
  return dir.string();
}

MockBackendOptions DurableOptions(const std::string& dir) {
  MockBackendOptions options;
  options.state_directory = dir;
  return options;
}

TEST(MockBackendDurableTest, ASecondInstanceOnTheDirectoryIsTheSameArray) {
  const std::string dir = FreshDirectory("same-array");
  LunIdentity lun_a, lun_b;
  TargetId prepared, committed, exposed, released;
  LunIdentity exposed_identity;
  {
    MockBackend mock(DurableOptions(dir));
    lun_a = mock.AddSourceLun();
    lun_b = mock.AddSourceLun();
    EXPECT_TRUE(ValidateLunIdentity(lun_a).ok());
    prepared = PrepareOrDie(mock, lun_a);
    committed = CommittedTarget(mock, lun_b);
    exposed = CommittedTarget(mock, lun_a);
    ASSERT_TRUE(mock.ExposeTarget(exposed).ok());
    exposed_identity = *mock.DescribeTarget(exposed);
    released = CommittedTarget(mock, lun_b);
    ASSERT_TRUE(mock.ReleaseTarget(released).ok());
    EXPECT_TRUE(mock.LoadProblems().empty());
  }  // the "process" ends without releasing anything

  MockBackend again(DurableOptions(dir));
  EXPECT_TRUE(again.LoadProblems().empty()) << again.LoadProblems().front();
  const std::vector<LunIdentity> sources = again.SourceLuns();
  ASSERT_EQ(sources.size(), 2u);
  EXPECT_EQ(sources[0], lun_a);
  EXPECT_EQ(sources[1], lun_b);
  EXPECT_EQ(again.LiveTargetCount(), 3);
  EXPECT_EQ(RecordOf(again, prepared).state, MockBackend::TargetState::kPrepared);
  EXPECT_EQ(RecordOf(again, committed).state, MockBackend::TargetState::kCommitted);
  EXPECT_TRUE(RecordOf(again, exposed).exposed);
  EXPECT_FALSE(RecordOf(again, committed).exposed);
  EXPECT_EQ(RecordOf(again, prepared).source, lun_a);
  // Same identities, same support answers, same ids.
  absl::StatusOr<LunIdentity> described = again.DescribeTarget(exposed);
  ASSERT_TRUE(described.ok());
  EXPECT_EQ(*described, exposed_identity);
  EXPECT_TRUE(again.IdentifyLun(lun_a)->supported);
  EXPECT_TRUE(again.IdentifyLun(exposed_identity)->supported);
  // The released one stays released (and releasing it again is still fine);
  // the others continue where they were.
  EXPECT_TRUE(again.ReleaseTarget(released).ok());
  EXPECT_TRUE(again.CommitTargets({prepared}, absl::InfiniteFuture()).ok());
  EXPECT_TRUE(again.MaskTarget(exposed).ok());
  // New targets never reuse an id.
  const TargetId fresh = PrepareOrDie(again, lun_b);
  for (const TargetId& old : {prepared, committed, exposed, released}) EXPECT_NE(fresh, old);
  EXPECT_TRUE(again.RestoreTarget(RestoredFrom(again, committed)).ok());

  MockBackend third(DurableOptions(dir));
  EXPECT_EQ(third.LiveTargetCount(), 4);
  EXPECT_EQ(RecordOf(third, prepared).state, MockBackend::TargetState::kCommitted);
  EXPECT_FALSE(RecordOf(third, exposed).exposed);
  for (const TargetId& id : {prepared, committed, exposed, fresh}) ASSERT_TRUE(third.ReleaseTarget(id).ok());
  EXPECT_EQ(MockBackend(DurableOptions(dir)).LiveTargetCount(), 0);
  std::filesystem::remove_all(dir);
}

TEST(MockBackendDurableTest, ATargetExistsOnDiskWhenPrepareReturns) {
  const std::string dir = FreshDirectory("on-disk");
  MockBackend mock(DurableOptions(dir));
  const LunIdentity lun = mock.AddSourceLun();
  const TargetId id = PrepareOrDie(mock, lun);
  // Another instance made now (a recovery after a kill here) sees it.
  MockBackend observer(DurableOptions(dir));
  absl::StatusOr<std::vector<TargetId>> listed = observer.ListTargets();
  ASSERT_TRUE(listed.ok());
  EXPECT_THAT(*listed, ::testing::ElementsAre(id));
  ASSERT_TRUE(mock.ReleaseTarget(id).ok());
  EXPECT_EQ(MockBackend(DurableOptions(dir)).LiveTargetCount(), 0);
  std::filesystem::remove_all(dir);
}

TEST(MockBackendDurableTest, RestoreReloadsATargetMadeAfterConstruction) {
  const std::string dir = FreshDirectory("reload");
  MockBackend early(DurableOptions(dir));
  const LunIdentity lun = early.AddSourceLun();
  MockBackend maker(DurableOptions(dir));
  const TargetId id = CommittedTarget(maker, lun);
  RestoredTarget restored = RestoredFrom(maker, id);
  EXPECT_EQ(early.LiveTargetCount(), 0);
  EXPECT_TRUE(early.RestoreTarget(restored).ok());
  EXPECT_EQ(early.LiveTargetCount(), 1);
  EXPECT_TRUE(early.ExposeTarget(id).ok()) << "a restored target works as if made here";
  restored.id = "../../etc/passwd";
  EXPECT_EQ(GetErrorCode(early.RestoreTarget(restored)), ErrorCode::kObjectNotFound);
  std::filesystem::remove_all(dir);
}

TEST(MockBackendDurableTest, DurableArraysNeverShareDesignatorsWithOthers) {
  const std::string dir1 = FreshDirectory("distinct-1");
  const std::string dir2 = FreshDirectory("distinct-2");
  MockBackend first(DurableOptions(dir1));
  MockBackend second(DurableOptions(dir2));
  MockBackend in_memory;
  std::vector<LunIdentity> luns = {first.AddSourceLun(), second.AddSourceLun(), in_memory.AddSourceLun()};
  const TargetId t1 = CommittedTarget(first, luns[0]);
  const TargetId t2 = CommittedTarget(second, luns[1]);
  luns.push_back(*first.DescribeTarget(t1));
  luns.push_back(*second.DescribeTarget(t2));
  for (size_t i = 0; i < luns.size(); ++i) {
    EXPECT_TRUE(ValidateLunIdentity(luns[i]).ok());
    for (size_t j = 0; j < luns.size(); ++j) EXPECT_EQ(luns[i].SameLunAs(luns[j]), i == j) << i << " vs " << j;
  }
  EXPECT_NE(t1, t2);
  EXPECT_EQ(GetErrorCode(first.ReleaseTarget(t2)), ErrorCode::kObjectNotFound);
  std::filesystem::remove_all(dir1);
  std::filesystem::remove_all(dir2);
}

TEST(MockBackendDurableTest, AdoptedLunsAreKept) {
  const std::string dir = FreshDirectory("adopted");
  MockBackendOptions options = DurableOptions(dir);
  options.adopt_luns = true;
  MockBackend elsewhere;
  const LunIdentity host_lun = elsewhere.AddSourceLun();
  {
    MockBackend mock(options);
    PrepareOrDie(mock, host_lun);
  }
  MockBackend again(options);
  ASSERT_EQ(again.SourceLuns().size(), 1u);
  EXPECT_EQ(again.SourceLuns()[0], host_lun);
  EXPECT_EQ(RecordOf(again, again.LiveTargets()[0].id).source, host_lun);
  std::filesystem::remove_all(dir);
}

TEST(MockBackendDurableTest, ADamagedFileIsReportedAndSkipped) {
  const std::string dir = FreshDirectory("damaged");
  TargetId id;
  {
    MockBackend mock(DurableOptions(dir));
    id = PrepareOrDie(mock, mock.AddSourceLun());
  }
  {
    std::ofstream(std::filesystem::path(dir) / ("target-" + id + ".txt"), std::ios::trunc) << "garbage\n";
    std::ofstream(std::filesystem::path(dir) / "target-x.txt.tmp") << "half a write";
  }
  MockBackend again(DurableOptions(dir));
  EXPECT_EQ(again.LiveTargetCount(), 0);
  ASSERT_EQ(again.LoadProblems().size(), 1u);
  EXPECT_THAT(again.LoadProblems()[0], HasSubstr(id));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::path(dir) / "target-x.txt.tmp"));
  EXPECT_EQ(again.SourceLuns().size(), 1u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hwsnap
