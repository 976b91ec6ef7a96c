// Runs the backend conformance suite against the in-tree mock (bare and under
// a rule-less FaultInjectingBackend), and proves the suite has teeth: each
// property is run against a deliberately broken backend, and against each
// kind of fault the FaultInjectingBackend injects, and must report a failure.
// A property that cannot fail protects nothing.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/conformance/backend_conformance.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/status.h"

namespace hwsnap::conformance {
namespace {

using Decorate = std::function<std::shared_ptr<Backend>(std::shared_ptr<MockBackend>)>;

// A MockBackend (optionally wrapped by a decorator) plus its leak audit.
class MockRig : public ConformanceRig {
 public:
  explicit MockRig(const RigOptions& options, const Decorate& decorate = nullptr) {
    MockBackendOptions mock_options;
    if (options.target_capacity > 0) mock_options.target_capacity = options.target_capacity;
    mock_options.prepare_latency = options.prepare_latency;
    mock_ = std::make_shared<MockBackend>(mock_options);
    backend_ = decorate ? decorate(mock_) : mock_;
  }

  Backend& backend() override { return *backend_; }
  LunIdentity AddSourceLun() override { return mock_->AddSourceLun(); }
  bool TargetExists(const TargetId& target) override {
    for (const MockBackend::TargetRecord& record : mock_->LiveTargets()) {
      if (record.id == target) return true;
    }
    return false;
  }
  int LiveTargetCount() override { return mock_->LiveTargetCount(); }

 private:
  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<Backend> backend_;
};

}  // namespace

struct MockFactory {
  static std::unique_ptr<ConformanceRig> Create(const RigOptions& options) {
    return std::make_unique<MockRig>(options);
  }
};

// The decorator with no rules must be transparent: it passes the whole suite.
struct FaultFreeDecoratorFactory {
  static std::unique_ptr<ConformanceRig> Create(const RigOptions& options) {
    return std::make_unique<MockRig>(options, [](std::shared_ptr<MockBackend> mock) {
      return std::make_shared<FaultInjectingBackend>(std::move(mock));
    });
  }
};

}  // namespace hwsnap::conformance

HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(Mock, hwsnap::conformance::MockFactory);
HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(FaultFreeDecorator, hwsnap::conformance::FaultFreeDecoratorFactory);

namespace hwsnap::conformance {
namespace {

// --- Broken backends: each breaks exactly one promise of backend.h. ----------

// Release reports success and frees nothing.
class NoOpRelease : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status ReleaseTarget(const TargetId&) override { return absl::OkStatus(); }
};

// Commits the group one target at a time: a bad id in the middle leaves the
// ones before it committed.
class PiecemealCommit : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override {
    for (const TargetId& target : targets) {
      if (absl::Status s = inner().CommitTargets({target}, deadline); !s.ok()) return s;
    }
    return absl::OkStatus();
  }
};

// Commits whatever the deadline says.
class IgnoresDeadline : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time) override {
    return inner().CommitTargets(targets, absl::InfiniteFuture());
  }
};

// Never looks at the cancel token.
class DeafToCancel : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken&) override {
    return inner().PrepareTarget(source, CancelToken());
  }
};

// Notices cancellation only after creating the target, and forgets it.
class LeaksOnCancel : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = inner().PrepareTarget(source, CancelToken());
    if (target.ok() && cancel.IsCancelled()) return cancel.status();
    return target;
  }
};

// Strips hwsnap's domain code from every failure (the canonical code stays).
class UnclassifiedErrors : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override { return Strip(inner().IdentifyLun(lun)); }
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    return Strip(inner().PrepareTarget(source, cancel));
  }
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override {
    return Strip(inner().CommitTargets(targets, deadline));
  }
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    return Strip(inner().DescribeTarget(target));
  }
  absl::Status ExposeTarget(const TargetId& target) override { return Strip(inner().ExposeTarget(target)); }
  absl::Status ReleaseTarget(const TargetId& target) override { return Strip(inner().ReleaseTarget(target)); }

 private:
  static absl::Status Strip(const absl::Status& status) {
    return status.ok() ? status : absl::Status(status.code(), status.message());
  }
  template <typename T>
  static absl::StatusOr<T> Strip(absl::StatusOr<T> result) {
    if (result.ok()) return result;
    return Strip(result.status());
  }
};

// Reports a full array as a generic failure.
class FullIsGenericFailure : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = inner().PrepareTarget(source, cancel);
    if (GetErrorCode(target.status()) == ErrorCode::kInsufficientStorage) {
      return BackendFailureError("something went wrong");
    }
    return target;
  }
};

// Describes every target as its source LUN.
class DescribesSource : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = inner().PrepareTarget(source, cancel);
    if (target.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      source_of_[*target] = source;
    }
    return target;
  }
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    absl::StatusOr<LunIdentity> described = inner().DescribeTarget(target);
    if (!described.ok()) return described;
    std::lock_guard<std::mutex> lock(mu_);
    return source_of_.at(target);
  }

 private:
  std::mutex mu_;
  std::map<TargetId, LunIdentity> source_of_;
};

// Describes every target with one and the same designator.
class OneIdentityForAll : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    absl::StatusOr<LunIdentity> described = inner().DescribeTarget(target);
    if (!described.ok()) return described;
    for (Designator& d : described->designators) {
      if (d.IsUniqueLunDesignator()) d.bytes.assign(d.bytes.size(), 0x42);
    }
    described->serial_number = "SAME";
    return described;
  }
};

// Describes a target with no unique designator at all.
class NoUniqueDesignator : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    absl::StatusOr<LunIdentity> described = inner().DescribeTarget(target);
    if (!described.ok()) return described;
    for (Designator& d : described->designators) {
      if (d.IsUniqueLunDesignator()) d.type = DesignatorType::kVendorSpecific;
    }
    return described;
  }
};

// A second release of a target says it does not exist.
class ReleaseNotIdempotent : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status ReleaseTarget(const TargetId& target) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!released_.insert(target).second) return ObjectNotFoundError("already gone");
    }
    return inner().ReleaseTarget(target);
  }

 private:
  std::mutex mu_;
  std::set<TargetId> released_;
};

// Release of an id it never made "succeeds".
class ReleaseAnything : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status ReleaseTarget(const TargetId& target) override {
    absl::Status s = inner().ReleaseTarget(target);
    return GetErrorCode(s) == ErrorCode::kObjectNotFound ? absl::OkStatus() : s;
  }
};

// A second expose fails.
class ExposeOnce : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::Status ExposeTarget(const TargetId& target) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!exposed_.insert(target).second) return BadStateError("already exposed");
    }
    return inner().ExposeTarget(target);
  }

 private:
  std::mutex mu_;
  std::set<TargetId> exposed_;
};

// Lets describe and expose "work" before commit.
class NoStateChecks : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    absl::StatusOr<LunIdentity> described = inner().DescribeTarget(target);
    if (GetErrorCode(described.status()) == ErrorCode::kBadState) return LunIdentity{};
    return described;
  }
  absl::Status ExposeTarget(const TargetId& target) override {
    absl::Status s = inner().ExposeTarget(target);
    return GetErrorCode(s) == ErrorCode::kBadState ? absl::OkStatus() : s;
  }
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override {
    absl::Status s = inner().CommitTargets(targets, deadline);
    return GetErrorCode(s) == ErrorCode::kBadState ? absl::OkStatus() : s;
  }
};

// Claims every LUN (and reports foreign ones as errors when `as_error`).
class ClaimsForeignLuns : public ForwardingBackend {
 public:
  ClaimsForeignLuns(std::shared_ptr<Backend> inner, bool as_error)
      : ForwardingBackend(std::move(inner)), as_error_(as_error) {}
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override {
    absl::StatusOr<LunSupport> support = inner().IdentifyLun(lun);
    if (!support.ok() || support->supported) return support;
    if (as_error_) return ObjectNotFoundError("not ours");
    support->supported = true;
    support->reason.clear();
    return support;
  }

 private:
  const bool as_error_;
};

// Identify provisions a target "to check the LUN" and keeps it.
class IdentifyWithSideEffect : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override {
    absl::StatusOr<LunSupport> support = inner().IdentifyLun(lun);
    if (support.ok() && support->supported) (void)inner().PrepareTarget(lun, CancelToken());
    return support;
  }
};

// Capabilities drift with every call.
class DriftingCapabilities : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  BackendCapabilities Capabilities() const override {
    BackendCapabilities caps = inner().Capabilities();
    caps.max_commit_group = ++calls_;
    return caps;
  }

 private:
  mutable std::atomic<int> calls_{0};
};

// An empty name.
class Nameless : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  std::string Name() const override { return ""; }
};

// Identify stamps a fresh serial number on every answer.
class IdentifyNotDeterministic : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override {
    absl::StatusOr<LunSupport> support = inner().IdentifyLun(lun);
    if (support.ok()) support->identity.serial_number = std::to_string(++calls_);
    return support;
  }

 private:
  std::atomic<int> calls_{0};
};

// Skips validation: a malformed LUN is "supported".
class AcceptsMalformedLuns : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override {
    absl::StatusOr<LunSupport> support = inner().IdentifyLun(lun);
    if (support.ok()) return support;
    LunSupport yes;
    yes.supported = true;
    yes.identity = lun;
    return yes;
  }
};

// Hands out one target per LUN: a second prepare of the LUN gets the first id.
class OneTargetPerLun : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = inner().PrepareTarget(source, cancel);
    if (!target.ok()) return target;
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [lun, id] : first_) {
      if (lun.SameLunAs(source)) return id;
    }
    first_.emplace_back(source, *target);
    return target;
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<LunIdentity, TargetId>> first_;
};

// "Prepares" any LUN, foreign ones included, with a made-up id.
class PreparesAnything : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    absl::StatusOr<TargetId> target = inner().PrepareTarget(source, cancel);
    if (GetErrorCode(target.status()) == ErrorCode::kNotSupported) return TargetId("ghost");
    return target;
  }
};

// Unknown ids are "bad state" instead of "not found".
class UnknownIsBadState : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override {
    absl::StatusOr<LunIdentity> described = inner().DescribeTarget(target);
    if (GetErrorCode(described.status()) == ErrorCode::kObjectNotFound) return BadStateError("no");
    return described;
  }
  absl::Status ExposeTarget(const TargetId& target) override {
    absl::Status s = inner().ExposeTarget(target);
    return GetErrorCode(s) == ErrorCode::kObjectNotFound ? BadStateError("no") : s;
  }
};

// Cannot run two prepares at once: each waits (up to 1 s) to see whether
// another prepare is running and, if one is, fails as "busy".
class RejectsConcurrentPrepares : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override {
    bool crowded = false;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ++in_flight_;
      changed_.notify_all();
      crowded = changed_.wait_for(lock, std::chrono::seconds(1), [this] { return in_flight_ > 1; });
    }
    absl::StatusOr<TargetId> target =
        crowded ? absl::StatusOr<TargetId>(BackendFailureError("busy")) : inner().PrepareTarget(source, cancel);
    std::lock_guard<std::mutex> lock(mu_);
    --in_flight_;
    return target;
  }

 private:
  std::mutex mu_;
  std::condition_variable changed_;
  int in_flight_ = 0;
};

template <typename Broken, typename... Args>
Decorate Wrap(Args... args) {
  return [args...](std::shared_ptr<MockBackend> mock) { return std::make_shared<Broken>(std::move(mock), args...); };
}

Decorate WithFault(FaultRule rule) {
  return [rule](std::shared_ptr<MockBackend> mock) {
    auto faulty = std::make_shared<FaultInjectingBackend>(std::move(mock));
    faulty->AddRule(rule);
    return faulty;
  };
}

using Property = ::testing::AssertionResult (*)(ConformanceRig&);

// Runs `property` on a mock rig made with `options` and decorated by `decorate`.
::testing::AssertionResult RunOn(Property property, const Decorate& decorate, const RigOptions& options = {}) {
  MockRig rig(options, decorate);
  return property(rig);
}

const RigOptions kSlow{0, kSlowPrepare};
const RigOptions kSmall{kSmallCapacity};

// The property must fail, and say why.
#define EXPECT_VIOLATION(result)                                                   \
  do {                                                                             \
    ::testing::AssertionResult violation_ = (result);                              \
    EXPECT_FALSE(violation_) << "the property did not notice the broken backend";  \
    EXPECT_NE(std::string(violation_.message()), "") << "a violation must explain itself"; \
  } while (0)

// What a backend author sees: the typed test's EXPECT_TRUE reports the
// violation as a test failure naming the target left behind.
TEST(ConformanceCatchesBrokenBackends, TypedTestBodyReportsTheViolation) {
  MockRig rig({}, Wrap<NoOpRelease>());
  EXPECT_NONFATAL_FAILURE(EXPECT_TRUE(ReleaseRemovesTarget(rig)), "still exists on the storage");
}

TEST(ConformanceCatchesBrokenBackends, ReleaseThatFreesNothing) {
  EXPECT_VIOLATION(RunOn(ReleaseRemovesTarget, Wrap<NoOpRelease>()));
  EXPECT_VIOLATION(RunOn(ReleaseInEveryStateFreesEverything, Wrap<NoOpRelease>()));
  EXPECT_VIOLATION(RunOn(FullLifecycleLeavesNothing, Wrap<NoOpRelease>()));
  EXPECT_VIOLATION(RunOn(ReleasedTargetIsGoneForEveryMethod, Wrap<NoOpRelease>()));
}

TEST(ConformanceCatchesBrokenBackends, CommitThatIsNotAllOrNothing) {
  EXPECT_VIOLATION(RunOn(CommitWithUnknownIdCommitsNothing, Wrap<PiecemealCommit>()));
  EXPECT_VIOLATION(RunOn(CommitWithReleasedTargetCommitsNothing, Wrap<PiecemealCommit>()));
}

TEST(ConformanceCatchesBrokenBackends, CommitThatIgnoresItsDeadline) {
  EXPECT_VIOLATION(RunOn(CommitAfterExpiredDeadlineCommitsNothing, Wrap<IgnoresDeadline>()));
}

TEST(ConformanceCatchesBrokenBackends, PrepareDeafToCancellation) {
  EXPECT_VIOLATION(RunOn(PrepareWithCancelledTokenCreatesNothing, Wrap<DeafToCancel>()));
  EXPECT_VIOLATION(RunOn(PrepareObservesCancelWithinBound, Wrap<DeafToCancel>(), kSlow));
}

TEST(ConformanceCatchesBrokenBackends, PrepareThatLeaksOnCancel) {
  EXPECT_VIOLATION(RunOn(PrepareWithCancelledTokenCreatesNothing, Wrap<LeaksOnCancel>()));
}

TEST(ConformanceCatchesBrokenBackends, FailuresWithoutDomainCode) {
  EXPECT_VIOLATION(RunOn(EveryFailureCarriesDomainCode, Wrap<UnclassifiedErrors>()));
  EXPECT_VIOLATION(RunOn(ReleaseNeverCreatedIsObjectNotFound, Wrap<UnclassifiedErrors>()));
  EXPECT_VIOLATION(RunOn(DescribeBeforeCommitIsBadState, Wrap<UnclassifiedErrors>()));
}

TEST(ConformanceCatchesBrokenBackends, FullArrayReportedAsGenericFailure) {
  EXPECT_VIOLATION(RunOn(CapacityExhaustionIsInsufficientStorage, Wrap<FullIsGenericFailure>(), kSmall));
}

TEST(ConformanceCatchesBrokenBackends, TargetDescribedAsItsSource) {
  EXPECT_VIOLATION(RunOn(DescribedIdentityIsUniqueAndNotTheSource, Wrap<DescribesSource>()));
}

TEST(ConformanceCatchesBrokenBackends, EveryTargetDescribedAlike) {
  EXPECT_VIOLATION(RunOn(DescribedIdentitiesDifferBetweenTargets, Wrap<OneIdentityForAll>()));
  EXPECT_VIOLATION(RunOn(ConcurrentLifecyclesOfDifferentLunsAreExact, Wrap<OneIdentityForAll>()));
}

TEST(ConformanceCatchesBrokenBackends, TargetWithoutUniqueDesignator) {
  EXPECT_VIOLATION(RunOn(DescribedIdentityIsUniqueAndNotTheSource, Wrap<NoUniqueDesignator>()));
}

TEST(ConformanceCatchesBrokenBackends, ReleaseThatIsNotIdempotent) {
  EXPECT_VIOLATION(RunOn(ReleaseIsIdempotent, Wrap<ReleaseNotIdempotent>()));
}

TEST(ConformanceCatchesBrokenBackends, ReleaseOfAnythingSucceeds) {
  EXPECT_VIOLATION(RunOn(ReleaseNeverCreatedIsObjectNotFound, Wrap<ReleaseAnything>()));
}

TEST(ConformanceCatchesBrokenBackends, ExposeThatIsNotIdempotent) {
  EXPECT_VIOLATION(RunOn(ExposeIsIdempotent, Wrap<ExposeOnce>()));
}

TEST(ConformanceCatchesBrokenBackends, NoStateChecks) {
  EXPECT_VIOLATION(RunOn(DescribeBeforeCommitIsBadState, Wrap<NoStateChecks>()));
  EXPECT_VIOLATION(RunOn(ExposeBeforeCommitIsBadState, Wrap<NoStateChecks>()));
  EXPECT_VIOLATION(RunOn(CommitTwiceIsBadState, Wrap<NoStateChecks>()));
}

TEST(ConformanceCatchesBrokenBackends, ForeignLunClaimedOrAnError) {
  EXPECT_VIOLATION(RunOn(IdentifyForeignLunIsUnsupportedNotError, Wrap<ClaimsForeignLuns>(false)));
  EXPECT_VIOLATION(RunOn(IdentifyForeignLunIsUnsupportedNotError, Wrap<ClaimsForeignLuns>(true)));
}

TEST(ConformanceCatchesBrokenBackends, IdentifyWithSideEffect) {
  EXPECT_VIOLATION(RunOn(IdentifyIsSideEffectFree, Wrap<IdentifyWithSideEffect>()));
}

TEST(ConformanceCatchesBrokenBackends, CapabilitiesThatDrift) {
  EXPECT_VIOLATION(RunOn(CapabilitiesAreStableAndSane, Wrap<DriftingCapabilities>()));
}

TEST(ConformanceCatchesBrokenBackends, NamelessBackend) {
  EXPECT_VIOLATION(RunOn(NameIsStableAndNonEmpty, Wrap<Nameless>()));
}

TEST(ConformanceCatchesBrokenBackends, IdentifyThatIsNotDeterministic) {
  EXPECT_VIOLATION(RunOn(IdentifyIsDeterministic, Wrap<IdentifyNotDeterministic>()));
}

TEST(ConformanceCatchesBrokenBackends, MalformedLunAccepted) {
  EXPECT_VIOLATION(RunOn(IdentifyMalformedLunIsRefused, Wrap<AcceptsMalformedLuns>()));
}

TEST(ConformanceCatchesBrokenBackends, SecondPrepareOfALunReusesTheFirstTarget) {
  EXPECT_VIOLATION(RunOn(PrepareTwiceGivesDistinctTargets, Wrap<OneTargetPerLun>()));
}

TEST(ConformanceCatchesBrokenBackends, ForeignLunPrepared) {
  EXPECT_VIOLATION(RunOn(PrepareForeignLunCreatesNothing, Wrap<PreparesAnything>()));
}

TEST(ConformanceCatchesBrokenBackends, UnknownTargetReportedAsBadState) {
  EXPECT_VIOLATION(RunOn(DescribeUnknownIsObjectNotFound, Wrap<UnknownIsBadState>()));
  EXPECT_VIOLATION(RunOn(ExposeUnknownIsObjectNotFound, Wrap<UnknownIsBadState>()));
}

TEST(ConformanceCatchesBrokenBackends, PreparesThatCannotRunConcurrently) {
  EXPECT_VIOLATION(RunOn(ConcurrentPreparesOfDifferentLunsAreExact, Wrap<RejectsConcurrentPrepares>()));
  EXPECT_VIOLATION(RunOn(ConcurrentLifecyclesOfDifferentLunsAreExact, Wrap<RejectsConcurrentPrepares>()));
}

// --- Every kind of injected fault is caught by the property it violates. -----

TEST(ConformanceCatchesInjectedFaults, ErrorOnEachOperation) {
  auto error = [](BackendOp op, ErrorCode code = ErrorCode::kBackendFailure) {
    return WithFault(MakeFaultRule(op, FaultKind::kError, std::nullopt, code));
  };
  EXPECT_VIOLATION(RunOn(IdentifyOwnLunIsSupported, error(BackendOp::kIdentify)));
  EXPECT_VIOLATION(RunOn(PrepareCreatesExactlyOneTarget, error(BackendOp::kPrepare)));
  EXPECT_VIOLATION(RunOn(CommitGroupSucceeds, error(BackendOp::kCommit, ErrorCode::kInsufficientStorage)));
  EXPECT_VIOLATION(RunOn(DescribeIsStableAndValid, error(BackendOp::kDescribe)));
  EXPECT_VIOLATION(RunOn(ExposeIsIdempotent, error(BackendOp::kExpose)));
  EXPECT_VIOLATION(RunOn(ReleaseRemovesTarget, error(BackendOp::kRelease)));
}

TEST(ConformanceCatchesInjectedFaults, PrepareIgnoringCancellation) {
  EXPECT_VIOLATION(RunOn(PrepareObservesCancelWithinBound,
                       WithFault(MakeFaultRule(BackendOp::kPrepare, FaultKind::kIgnoreCancel, std::nullopt,
                                               ErrorCode::kBackendFailure, absl::Milliseconds(1500))),
                       kSlow));
}

TEST(ConformanceCatchesInjectedFaults, CommitHangingPastItsDeadline) {
  EXPECT_VIOLATION(RunOn(CommitGroupSucceeds, WithFault(MakeFaultRule(BackendOp::kCommit, FaultKind::kHang))));
}

TEST(ConformanceCatchesInjectedFaults, CommitTooSlowForItsWindow) {
  EXPECT_VIOLATION(RunOn(CommitGroupSucceeds,
                       WithFault(MakeFaultRule(BackendOp::kCommit, FaultKind::kLatency, std::nullopt,
                                               ErrorCode::kBackendFailure, kCommitWindow + absl::Milliseconds(300)))));
}

// Faults the contract allows are not violations: a prepare that hangs until
// it is cancelled, or is slow but cancellable, still conforms.
TEST(ConformanceCatchesInjectedFaults, CancellableHangAndLatencyConform) {
  const Decorate hang = WithFault(MakeFaultRule(BackendOp::kPrepare, FaultKind::kHang));
  EXPECT_TRUE(RunOn(PrepareObservesCancelWithinBound, hang, kSlow));
  EXPECT_TRUE(RunOn(PrepareWithCancelledTokenCreatesNothing, hang));
  const Decorate slow = WithFault(MakeFaultRule(BackendOp::kPrepare, FaultKind::kLatency, std::nullopt,
                                                ErrorCode::kBackendFailure, absl::Seconds(5)));
  EXPECT_TRUE(RunOn(PrepareObservesCancelWithinBound, slow, kSlow));
}

}  // namespace
}  // namespace hwsnap::conformance
