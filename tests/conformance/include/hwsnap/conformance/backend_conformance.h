// hwsnap/conformance/backend_conformance.h — the backend conformance kit.
//
// Exists so that every storage backend, in this tree or out of it, is held to
// the same written contract (hwsnap/backend.h) by the same tests. A backend
// author supplies a small *factory* type and instantiates the typed suite with
// one macro:
//
//   struct MyFactory {
//     // A fresh backend plus what the suite needs to inspect it, or nullptr
//     // when `options` cannot be honoured (the test is then skipped).
//     static std::unique_ptr<hwsnap::conformance::ConformanceRig> Create(
//         const hwsnap::conformance::RigOptions& options);
//   };
//   HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(MyBackend, MyFactory);
//
// Link hwsnap::conformance and GTest::gtest_main. Every property is also a plain
// function returning ::testing::AssertionResult (namespace
// hwsnap::conformance), so a test can show that a broken backend violates it:
//
//   EXPECT_FALSE(hwsnap::conformance::ReleaseRemovesTarget(*broken_rig));
//
// Properties never leave threads running; the ones that start threads are
// named Concurrent* (label such suites "concurrency").
#ifndef HWSNAP_CONFORMANCE_BACKEND_CONFORMANCE_H_
#define HWSNAP_CONFORMANCE_BACKEND_CONFORMANCE_H_

#include <memory>

#include <gtest/gtest.h>

#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/lun_identity.h"

namespace hwsnap::conformance {

// What a test asks of the backend it is given. Defaults ask for nothing special.
struct RigOptions {
  // > 0: the backend holds at most this many live targets at once, and the
  // next prepare fails with kInsufficientStorage. 0: the backend's own default.
  int target_capacity = 0;
  // > 0: every PrepareTarget takes at least this long, observing its cancel
  // token meanwhile (a stand-in for a slow mirror sync).
  absl::Duration prepare_latency = absl::ZeroDuration();
};

// A backend under test plus the inspection hooks the suite needs. The suite
// calls only the Backend methods to change state; the hooks look at the
// storage directly (an array's management API, a directory listing, ...).
class ConformanceRig {
 public:
  virtual ~ConformanceRig() = default;

  // The backend under test; lives as long as the rig.
  virtual Backend& backend() = 0;
  // Provisions a new source LUN the backend owns and returns its identity as a
  // host would report it (input to IdentifyLun / PrepareTarget).
  virtual LunIdentity AddSourceLun() = 0;
  // Whether `target` still exists on the storage (any state).
  virtual bool TargetExists(const TargetId& target) = 0;
  // How many targets exist on the storage right now.
  virtual int LiveTargetCount() = 0;
};

// The capacity the capacity properties ask for (RigOptions::target_capacity).
inline constexpr int kSmallCapacity = 3;
// The prepare latency the cancellation property asks for.
inline constexpr absl::Duration kSlowPrepare = absl::Seconds(1);
// The commit window the properties give CommitTargets (VSS allows ~10 s).
inline constexpr absl::Duration kCommitWindow = absl::Seconds(2);

// --- Properties. Each takes a rig made with default RigOptions unless noted.
// Name and capabilities
::testing::AssertionResult NameIsStableAndNonEmpty(ConformanceRig& rig);
::testing::AssertionResult CapabilitiesAreStableAndSane(ConformanceRig& rig);
// IdentifyLun
::testing::AssertionResult IdentifyOwnLunIsSupported(ConformanceRig& rig);
::testing::AssertionResult IdentifyIsDeterministic(ConformanceRig& rig);
::testing::AssertionResult IdentifyIsSideEffectFree(ConformanceRig& rig);
::testing::AssertionResult IdentifyForeignLunIsUnsupportedNotError(ConformanceRig& rig);
::testing::AssertionResult IdentifyMalformedLunIsRefused(ConformanceRig& rig);
// PrepareTarget
::testing::AssertionResult PrepareCreatesExactlyOneTarget(ConformanceRig& rig);
::testing::AssertionResult PrepareTwiceGivesDistinctTargets(ConformanceRig& rig);
::testing::AssertionResult PrepareForeignLunCreatesNothing(ConformanceRig& rig);
::testing::AssertionResult PrepareWithCancelledTokenCreatesNothing(ConformanceRig& rig);
// Rig made with RigOptions{.prepare_latency = kSlowPrepare}.
::testing::AssertionResult PrepareObservesCancelWithinBound(ConformanceRig& rig);
// Rig made with RigOptions{.target_capacity = kSmallCapacity}.
::testing::AssertionResult CapacityExhaustionIsInsufficientStorage(ConformanceRig& rig);
// CommitTargets
::testing::AssertionResult CommitGroupSucceeds(ConformanceRig& rig);
::testing::AssertionResult CommitWithUnknownIdCommitsNothing(ConformanceRig& rig);
::testing::AssertionResult CommitWithReleasedTargetCommitsNothing(ConformanceRig& rig);
::testing::AssertionResult CommitAfterExpiredDeadlineCommitsNothing(ConformanceRig& rig);
::testing::AssertionResult CommitTwiceIsBadState(ConformanceRig& rig);
// DescribeTarget
::testing::AssertionResult DescribeBeforeCommitIsBadState(ConformanceRig& rig);
::testing::AssertionResult DescribeUnknownIsObjectNotFound(ConformanceRig& rig);
::testing::AssertionResult DescribedIdentityIsUniqueAndNotTheSource(ConformanceRig& rig);
::testing::AssertionResult DescribedIdentitiesDifferBetweenTargets(ConformanceRig& rig);
::testing::AssertionResult DescribeIsStableAndValid(ConformanceRig& rig);
// ExposeTarget
::testing::AssertionResult ExposeBeforeCommitIsBadState(ConformanceRig& rig);
::testing::AssertionResult ExposeIsIdempotent(ConformanceRig& rig);
::testing::AssertionResult ExposeUnknownIsObjectNotFound(ConformanceRig& rig);
// ReleaseTarget
::testing::AssertionResult ReleaseRemovesTarget(ConformanceRig& rig);
::testing::AssertionResult ReleaseIsIdempotent(ConformanceRig& rig);
::testing::AssertionResult ReleaseInEveryStateFreesEverything(ConformanceRig& rig);
::testing::AssertionResult ReleaseNeverCreatedIsObjectNotFound(ConformanceRig& rig);
::testing::AssertionResult ReleasedTargetIsGoneForEveryMethod(ConformanceRig& rig);
// Whole life cycle and error classification
::testing::AssertionResult FullLifecycleLeavesNothing(ConformanceRig& rig);
::testing::AssertionResult EveryFailureCarriesDomainCode(ConformanceRig& rig);
// Threads
::testing::AssertionResult ConcurrentPreparesOfDifferentLunsAreExact(ConformanceRig& rig);
::testing::AssertionResult ConcurrentLifecyclesOfDifferentLunsAreExact(ConformanceRig& rig);

// --- The typed suite. ------------------------------------------------------
template <typename Factory>
class BackendConformance : public ::testing::Test {};

TYPED_TEST_SUITE_P(BackendConformance);

// One typed test per property: a fresh rig with `options`, then the property.
// A factory that returns nullptr cannot honour `options`: the test is skipped.
#define HWSNAP_CONFORMANCE_TEST_(Property, options)                                                 \
  TYPED_TEST_P(BackendConformance, Property) {                                                      \
    std::unique_ptr<::hwsnap::conformance::ConformanceRig> rig = TypeParam::Create(options);        \
    if (rig == nullptr) GTEST_SKIP() << "the factory cannot make a backend with these options";     \
    EXPECT_TRUE(::hwsnap::conformance::Property(*rig));                                             \
  }

HWSNAP_CONFORMANCE_TEST_(NameIsStableAndNonEmpty, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(CapabilitiesAreStableAndSane, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(IdentifyOwnLunIsSupported, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(IdentifyIsDeterministic, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(IdentifyIsSideEffectFree, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(IdentifyForeignLunIsUnsupportedNotError, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(IdentifyMalformedLunIsRefused, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(PrepareCreatesExactlyOneTarget, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(PrepareTwiceGivesDistinctTargets, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(PrepareForeignLunCreatesNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(PrepareWithCancelledTokenCreatesNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(PrepareObservesCancelWithinBound,
                         (::hwsnap::conformance::RigOptions{0, ::hwsnap::conformance::kSlowPrepare}))
HWSNAP_CONFORMANCE_TEST_(CapacityExhaustionIsInsufficientStorage,
                         (::hwsnap::conformance::RigOptions{::hwsnap::conformance::kSmallCapacity}))
HWSNAP_CONFORMANCE_TEST_(CommitGroupSucceeds, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(CommitWithUnknownIdCommitsNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(CommitWithReleasedTargetCommitsNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(CommitAfterExpiredDeadlineCommitsNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(CommitTwiceIsBadState, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(DescribeBeforeCommitIsBadState, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(DescribeUnknownIsObjectNotFound, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(DescribedIdentityIsUniqueAndNotTheSource, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(DescribedIdentitiesDifferBetweenTargets, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(DescribeIsStableAndValid, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ExposeBeforeCommitIsBadState, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ExposeIsIdempotent, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ExposeUnknownIsObjectNotFound, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ReleaseRemovesTarget, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ReleaseIsIdempotent, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ReleaseInEveryStateFreesEverything, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ReleaseNeverCreatedIsObjectNotFound, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ReleasedTargetIsGoneForEveryMethod, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(FullLifecycleLeavesNothing, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(EveryFailureCarriesDomainCode, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ConcurrentPreparesOfDifferentLunsAreExact, ::hwsnap::conformance::RigOptions{})
HWSNAP_CONFORMANCE_TEST_(ConcurrentLifecyclesOfDifferentLunsAreExact, ::hwsnap::conformance::RigOptions{})

#undef HWSNAP_CONFORMANCE_TEST_

REGISTER_TYPED_TEST_SUITE_P(BackendConformance, NameIsStableAndNonEmpty, CapabilitiesAreStableAndSane,
                            IdentifyOwnLunIsSupported, IdentifyIsDeterministic, IdentifyIsSideEffectFree,
                            IdentifyForeignLunIsUnsupportedNotError, IdentifyMalformedLunIsRefused,
                            PrepareCreatesExactlyOneTarget, PrepareTwiceGivesDistinctTargets,
                            PrepareForeignLunCreatesNothing, PrepareWithCancelledTokenCreatesNothing,
                            PrepareObservesCancelWithinBound, CapacityExhaustionIsInsufficientStorage,
                            CommitGroupSucceeds, CommitWithUnknownIdCommitsNothing,
                            CommitWithReleasedTargetCommitsNothing, CommitAfterExpiredDeadlineCommitsNothing,
                            CommitTwiceIsBadState, DescribeBeforeCommitIsBadState,
                            DescribeUnknownIsObjectNotFound, DescribedIdentityIsUniqueAndNotTheSource,
                            DescribedIdentitiesDifferBetweenTargets, DescribeIsStableAndValid,
                            ExposeBeforeCommitIsBadState, ExposeIsIdempotent, ExposeUnknownIsObjectNotFound,
                            ReleaseRemovesTarget, ReleaseIsIdempotent, ReleaseInEveryStateFreesEverything,
                            ReleaseNeverCreatedIsObjectNotFound, ReleasedTargetIsGoneForEveryMethod,
                            FullLifecycleLeavesNothing, EveryFailureCarriesDomainCode,
                            ConcurrentPreparesOfDifferentLunsAreExact,
                            ConcurrentLifecyclesOfDifferentLunsAreExact);

}  // namespace hwsnap::conformance

// Runs the whole suite against the backend `Factory` makes; `Prefix` names the
// instantiation in test names (Prefix/BackendConformance/0.Property). Use at
// *global* namespace scope with a fully qualified `Factory`, once per backend
// configuration. (GoogleTest pastes the suite name into identifiers, so the
// instantiation has to happen inside the suite's namespace.)
#define HWSNAP_INSTANTIATE_BACKEND_CONFORMANCE(Prefix, Factory)                       \
  namespace hwsnap::conformance {                                                    \
  INSTANTIATE_TYPED_TEST_SUITE_P(Prefix, BackendConformance, ::testing::Types<Factory>); \
  }

#endif  // HWSNAP_CONFORMANCE_BACKEND_CONFORMANCE_H_
