// The conformance properties (see hwsnap/conformance/backend_conformance.h).
// Each property is a plain function so that the typed suite runs it against a
// real backend and the kit's own tests run it against deliberately broken
// backends to prove it can fail. Properties touch the backend only through
// the eight Backend methods and inspect the storage only through the rig.
#include "hwsnap/conformance/backend_conformance.h"

#include <cstdint>
#include <initializer_list>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/status.h"

namespace hwsnap::conformance {
namespace {

using ::testing::AssertionFailure;
using ::testing::AssertionResult;
using ::testing::AssertionSuccess;

// Returns from the enclosing property when `expr` (an AssertionResult) failed.
#define HWSNAP_CHECK_(expr)                          \
  do {                                               \
    ::testing::AssertionResult check_result_ = (expr); \
    if (!check_result_) return check_result_;       \
  } while (0)

// Ids no backend hands out (used for "never created" / "unknown").
constexpr char kUnknownId[] = "hwsnap-conformance-no-such-target";

std::string Describe(const absl::Status& status) {
  if (status.ok()) return "OK";
  return absl::StrCat(ErrorCodeName(GetErrorCode(status)), HasErrorCode(status) ? "" : " (no hwsnap code)",
                      ": ", status.message());
}

// `status` failed with exactly `code`, classified on purpose (HasErrorCode).
AssertionResult HasCode(const absl::Status& status, ErrorCode code, const std::string& what) {
  if (status.ok()) return AssertionFailure() << what << ": succeeded, expected " << ErrorCodeName(code);
  if (!HasErrorCode(status) || GetErrorCode(status) != code) {
    return AssertionFailure() << what << ": got " << Describe(status) << ", expected " << ErrorCodeName(code);
  }
  return AssertionSuccess();
}

// `status` failed with one of `codes` (hwsnap-classified).
AssertionResult HasOneOf(const absl::Status& status, std::initializer_list<ErrorCode> codes, const std::string& what) {
  if (!status.ok() && HasErrorCode(status)) {
    for (ErrorCode code : codes) {
      if (GetErrorCode(status) == code) return AssertionSuccess();
    }
  }
  AssertionResult failure = AssertionFailure();
  failure << what << ": got " << Describe(status) << ", expected one of";
  for (ErrorCode code : codes) failure << " " << ErrorCodeName(code);
  return failure;
}

AssertionResult IsOk(const absl::Status& status, const std::string& what) {
  if (!status.ok()) return AssertionFailure() << what << ": " << Describe(status);
  return AssertionSuccess();
}

AssertionResult CountIs(ConformanceRig& rig, int expected, const std::string& when) {
  const int live = rig.LiveTargetCount();
  if (live != expected) {
    return AssertionFailure() << when << ": " << live << " live target(s) on the storage, expected " << expected;
  }
  return AssertionSuccess();
}

AssertionResult Exists(ConformanceRig& rig, const TargetId& target, bool expected, const std::string& when) {
  if (rig.TargetExists(target) != expected) {
    return AssertionFailure() << when << ": target '" << target << "' "
                              << (expected ? "does not exist on the storage" : "still exists on the storage");
  }
  return AssertionSuccess();
}

absl::StatusOr<TargetId> Prepare(ConformanceRig& rig, const LunIdentity& lun) {
  return rig.backend().PrepareTarget(lun, CancelToken());
}

// Prepares one target per LUN; fails the property on any error.
AssertionResult PrepareAll(ConformanceRig& rig, const std::vector<LunIdentity>& luns, std::vector<TargetId>* out) {
  for (const LunIdentity& lun : luns) {
    absl::StatusOr<TargetId> target = Prepare(rig, lun);
    if (!target.ok()) return AssertionFailure() << "prepare " << lun.ToString() << ": " << Describe(target.status());
    if (target->empty()) return AssertionFailure() << "prepare " << lun.ToString() << " returned an empty id";
    out->push_back(*target);
  }
  return AssertionSuccess();
}

AssertionResult PrepareOne(ConformanceRig& rig, TargetId* out, LunIdentity* lun_out = nullptr) {
  LunIdentity lun = rig.AddSourceLun();
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {lun}, &targets));
  *out = targets[0];
  if (lun_out != nullptr) *lun_out = lun;
  return AssertionSuccess();
}

absl::Status Commit(ConformanceRig& rig, const std::vector<TargetId>& targets) {
  return rig.backend().CommitTargets(targets, absl::Now() + kCommitWindow);
}

AssertionResult PrepareAndCommitOne(ConformanceRig& rig, TargetId* out, LunIdentity* lun_out = nullptr) {
  HWSNAP_CHECK_(PrepareOne(rig, out, lun_out));
  return IsOk(Commit(rig, {*out}), "commit of one prepared target");
}

// A well-formed LUN that belongs to no storage system (an NAA-6 id under
// OUI 00-00-00 with a fixed pattern).
LunIdentity ForeignLun() {
  LunIdentity lun;
  lun.bus_type = BusType::kScsi;
  lun.vendor_id = "FOREIGN";
  lun.product_id = "NOT-YOURS";
  lun.product_revision = "0001";
  lun.serial_number = "CONFORMANCE-FOREIGN-1";
  Designator naa;
  naa.code_set = CodeSet::kBinary;
  naa.association = Association::kLogicalUnit;
  naa.type = DesignatorType::kNaa;
  naa.bytes = {0x60, 0x00, 0x00, 0x00, 0xC0, 0x4F, 0x0E, 0x1F, 0xDE, 0xAD, 0xBE, 0xEF, 0x00, 0x00, 0x00, 0x01};
  lun.designators.push_back(naa);
  return lun;
}

// A LUN description that fails ValidateLunIdentity (a 3-byte NAA designator).
LunIdentity MalformedLun() {
  LunIdentity lun = ForeignLun();
  lun.designators[0].bytes = {0x60, 0x01, 0x02};
  return lun;
}

bool SameCapabilities(const BackendCapabilities& a, const BackendCapabilities& b) {
  return a.max_parallel_prepares == b.max_parallel_prepares && a.max_commit_group == b.max_commit_group &&
         a.cancel_bound == b.cancel_bound;
}

// No unique designator of `a` equals one of `b`.
AssertionResult ShareNoUniqueDesignator(const LunIdentity& a, const LunIdentity& b, const std::string& what) {
  for (const Designator& x : a.designators) {
    if (!x.IsUniqueLunDesignator()) continue;
    for (const Designator& y : b.designators) {
      if (x == y) return AssertionFailure() << what << ": both carry designator " << x.ToString();
    }
  }
  return AssertionSuccess();
}

// Releases `targets`, ignoring the outcome (cleanup after a property).
void ReleaseQuietly(ConformanceRig& rig, const std::vector<TargetId>& targets) {
  for (const TargetId& target : targets) (void)rig.backend().ReleaseTarget(target);
}

}  // namespace

// --- Name and capabilities ---------------------------------------------------

AssertionResult NameIsStableAndNonEmpty(ConformanceRig& rig) {
  const std::string name = rig.backend().Name();
  if (name.empty()) return AssertionFailure() << "Name() is empty";
  if (name.find_first_of(" \t\n") != std::string::npos) {
    return AssertionFailure() << "Name() '" << name << "' contains whitespace";
  }
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  const std::string again = rig.backend().Name();
  ReleaseQuietly(rig, {target});
  if (again != name) return AssertionFailure() << "Name() changed from '" << name << "' to '" << again << "'";
  return AssertionSuccess();
}

AssertionResult CapabilitiesAreStableAndSane(ConformanceRig& rig) {
  const BackendCapabilities caps = rig.backend().Capabilities();
  if (caps.max_parallel_prepares < 0) return AssertionFailure() << "max_parallel_prepares < 0";
  if (caps.max_commit_group < 0) return AssertionFailure() << "max_commit_group < 0";
  if (caps.cancel_bound <= absl::ZeroDuration() || caps.cancel_bound >= absl::InfiniteDuration()) {
    return AssertionFailure() << "cancel_bound " << absl::FormatDuration(caps.cancel_bound)
                              << " must be positive and finite";
  }
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  const BackendCapabilities later = rig.backend().Capabilities();
  ReleaseQuietly(rig, {target});
  if (!SameCapabilities(caps, later)) return AssertionFailure() << "Capabilities() changed after prepare/commit";
  return AssertionSuccess();
}

// --- IdentifyLun -------------------------------------------------------------

AssertionResult IdentifyOwnLunIsSupported(ConformanceRig& rig) {
  const LunIdentity lun = rig.AddSourceLun();
  absl::StatusOr<LunSupport> support = rig.backend().IdentifyLun(lun);
  HWSNAP_CHECK_(IsOk(support.status(), "identify a provisioned LUN"));
  if (!support->supported) {
    return AssertionFailure() << "a LUN the backend provisioned is unsupported: " << support->reason;
  }
  if (!support->reason.empty()) return AssertionFailure() << "supported, yet a reason is given: " << support->reason;
  if (!support->identity.SameLunAs(lun)) {
    return AssertionFailure() << "the identity returned (" << support->identity.ToString()
                              << ") is not the same LUN as the input (" << lun.ToString() << ")";
  }
  return AssertionSuccess();
}

AssertionResult IdentifyIsDeterministic(ConformanceRig& rig) {
  const LunIdentity lun = rig.AddSourceLun();
  absl::StatusOr<LunSupport> first = rig.backend().IdentifyLun(lun);
  HWSNAP_CHECK_(IsOk(first.status(), "first identify"));
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<LunSupport> again = rig.backend().IdentifyLun(lun);
    HWSNAP_CHECK_(IsOk(again.status(), "repeated identify"));
    if (again->supported != first->supported || again->identity != first->identity) {
      return AssertionFailure() << "identify answered differently for the same input: "
                                << first->identity.ToString() << " vs " << again->identity.ToString();
    }
  }
  absl::StatusOr<LunSupport> foreign1 = rig.backend().IdentifyLun(ForeignLun());
  absl::StatusOr<LunSupport> foreign2 = rig.backend().IdentifyLun(ForeignLun());
  if (foreign1.ok() != foreign2.ok() ||
      (foreign1.ok() && (foreign1->supported != foreign2->supported || foreign1->identity != foreign2->identity))) {
    return AssertionFailure() << "identify answered differently for the same foreign LUN";
  }
  return AssertionSuccess();
}

AssertionResult IdentifyIsSideEffectFree(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  const LunIdentity lun = rig.AddSourceLun();
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  for (int i = 0; i < 5; ++i) {
    (void)rig.backend().IdentifyLun(lun);
    (void)rig.backend().IdentifyLun(ForeignLun());
    (void)rig.backend().IdentifyLun(MalformedLun());
  }
  HWSNAP_CHECK_(CountIs(rig, before + 1, "after identify calls"));
  HWSNAP_CHECK_(Exists(rig, target, true, "after identify calls"));
  // The prepared target must still be committable: identify changed nothing.
  HWSNAP_CHECK_(IsOk(Commit(rig, {target}), "commit after identify calls"));
  ReleaseQuietly(rig, {target});
  return AssertionSuccess();
}

AssertionResult IdentifyForeignLunIsUnsupportedNotError(ConformanceRig& rig) {
  rig.AddSourceLun();  // the backend owns something, just not this
  absl::StatusOr<LunSupport> support = rig.backend().IdentifyLun(ForeignLun());
  HWSNAP_CHECK_(IsOk(support.status(), "identify a foreign LUN (must be {supported = false}, not an error)"));
  if (support->supported) return AssertionFailure() << "a foreign LUN is reported supported";
  if (support->reason.empty()) return AssertionFailure() << "an unsupported LUN must come with a reason";
  return AssertionSuccess();
}

AssertionResult IdentifyMalformedLunIsRefused(ConformanceRig& rig) {
  absl::StatusOr<LunSupport> support = rig.backend().IdentifyLun(MalformedLun());
  if (support.ok()) {
    if (support->supported) return AssertionFailure() << "a malformed LUN is reported supported";
    return AssertionSuccess();
  }
  return HasCode(support.status(), ErrorCode::kInvalidArgument, "identify a malformed LUN");
}

// --- PrepareTarget -----------------------------------------------------------

AssertionResult PrepareCreatesExactlyOneTarget(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  HWSNAP_CHECK_(CountIs(rig, before + 1, "after one prepare"));
  HWSNAP_CHECK_(Exists(rig, target, true, "after prepare"));
  ReleaseQuietly(rig, {target});
  return AssertionSuccess();
}

AssertionResult PrepareTwiceGivesDistinctTargets(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  const LunIdentity lun = rig.AddSourceLun();
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {lun, lun}, &targets));
  if (targets[0] == targets[1]) {
    return AssertionFailure() << "two prepares of one LUN (two snapshot sets) returned the same id " << targets[0];
  }
  HWSNAP_CHECK_(CountIs(rig, before + 2, "after two prepares of one LUN"));
  ReleaseQuietly(rig, targets);
  return AssertionSuccess();
}

AssertionResult PrepareForeignLunCreatesNothing(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  absl::StatusOr<TargetId> target = Prepare(rig, ForeignLun());
  if (target.ok()) ReleaseQuietly(rig, {*target});
  HWSNAP_CHECK_(HasOneOf(target.status(),
                         {ErrorCode::kNotSupported, ErrorCode::kObjectNotFound, ErrorCode::kInvalidArgument},
                         "prepare a foreign LUN"));
  return CountIs(rig, before, "after a refused prepare");
}

AssertionResult PrepareWithCancelledTokenCreatesNothing(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  const LunIdentity lun = rig.AddSourceLun();
  CancelSource source;
  source.Cancel("conformance: cancelled before the call");
  absl::StatusOr<TargetId> target = rig.backend().PrepareTarget(lun, source.token());
  if (target.ok()) ReleaseQuietly(rig, {*target});
  HWSNAP_CHECK_(HasCode(target.status(), ErrorCode::kCancelled, "prepare with an already-cancelled token"));
  return CountIs(rig, before, "after a cancelled prepare");
}

AssertionResult PrepareObservesCancelWithinBound(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  const absl::Duration bound = rig.backend().Capabilities().cancel_bound;
  // Generous slack: loaded CI machines, sanitizers and Wine are slow.
  const absl::Duration allowed = 2 * bound + absl::Milliseconds(500);
  const LunIdentity lun = rig.AddSourceLun();
  CancelSource source;
  absl::StatusOr<TargetId> result = BackendFailureError("conformance: prepare did not run");
  absl::Time returned_at;
  std::thread worker([&] {
    result = rig.backend().PrepareTarget(lun, source.token());
    returned_at = absl::Now();
  });
  absl::SleepFor(absl::Milliseconds(100));  // let the prepare reach its slow part
  const absl::Time cancelled_at = absl::Now();
  source.Cancel("conformance: aborted while preparing");
  worker.join();
  if (result.ok()) ReleaseQuietly(rig, {*result});
  const absl::Duration took = returned_at - cancelled_at;
  if (took > allowed) {
    return AssertionFailure() << "prepare returned " << absl::FormatDuration(took) << " after its token was cancelled;"
                              << " cancel_bound is " << absl::FormatDuration(bound) << " (allowed with slack: "
                              << absl::FormatDuration(allowed) << ")";
  }
  HWSNAP_CHECK_(HasCode(result.status(), ErrorCode::kCancelled, "prepare cancelled mid-flight"));
  return CountIs(rig, before, "after a prepare cancelled mid-flight");
}

AssertionResult CapacityExhaustionIsInsufficientStorage(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  if (before != 0) return AssertionFailure() << "a fresh rig already holds " << before << " target(s)";
  std::vector<LunIdentity> luns;
  for (int i = 0; i < kSmallCapacity; ++i) luns.push_back(rig.AddSourceLun());
  std::vector<TargetId> targets;
  AssertionResult filled = PrepareAll(rig, luns, &targets);
  if (!filled) {
    ReleaseQuietly(rig, targets);
    return filled << " (filling a backend made with target_capacity " << kSmallCapacity << ")";
  }
  const LunIdentity extra = rig.AddSourceLun();
  absl::StatusOr<TargetId> overflow = Prepare(rig, extra);
  if (overflow.ok()) targets.push_back(*overflow);
  AssertionResult full = HasCode(overflow.status(), ErrorCode::kInsufficientStorage, "prepare beyond capacity");
  AssertionResult count = CountIs(rig, kSmallCapacity, "after a prepare beyond capacity");
  // Space comes back with a release.
  absl::Status released = rig.backend().ReleaseTarget(targets[0]);
  absl::StatusOr<TargetId> again = Prepare(rig, extra);
  if (again.ok()) targets.push_back(*again);
  ReleaseQuietly(rig, targets);
  HWSNAP_CHECK_(full);
  HWSNAP_CHECK_(count);
  HWSNAP_CHECK_(IsOk(released, "release when full"));
  return IsOk(again.status(), "prepare after a release freed space");
}

// --- CommitTargets -----------------------------------------------------------

AssertionResult CommitGroupSucceeds(ConformanceRig& rig) {
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {rig.AddSourceLun(), rig.AddSourceLun(), rig.AddSourceLun()}, &targets));
  HWSNAP_CHECK_(IsOk(Commit(rig, targets), "commit a group of three prepared targets"));
  for (const TargetId& target : targets) {
    HWSNAP_CHECK_(IsOk(rig.backend().DescribeTarget(target).status(), "describe a committed target"));
  }
  ReleaseQuietly(rig, targets);
  return AssertionSuccess();
}

AssertionResult CommitWithUnknownIdCommitsNothing(ConformanceRig& rig) {
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {rig.AddSourceLun(), rig.AddSourceLun()}, &targets));
  const std::vector<TargetId> group = {targets[0], kUnknownId, targets[1]};
  HWSNAP_CHECK_(HasCode(Commit(rig, group), ErrorCode::kObjectNotFound, "commit of a group with an unknown id"));
  for (const TargetId& target : targets) {
    HWSNAP_CHECK_(HasCode(rig.backend().DescribeTarget(target).status(), ErrorCode::kBadState,
                          "describe a target of a failed group commit (must not be committed)"));
  }
  HWSNAP_CHECK_(IsOk(Commit(rig, targets), "commit the same targets after the failed group"));
  ReleaseQuietly(rig, targets);
  return AssertionSuccess();
}

AssertionResult CommitWithReleasedTargetCommitsNothing(ConformanceRig& rig) {
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {rig.AddSourceLun(), rig.AddSourceLun()}, &targets));
  HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(targets[1]), "release"));
  HWSNAP_CHECK_(HasOneOf(Commit(rig, targets), {ErrorCode::kObjectNotFound, ErrorCode::kBadState},
                         "commit of a group with a released target"));
  HWSNAP_CHECK_(HasCode(rig.backend().DescribeTarget(targets[0]).status(), ErrorCode::kBadState,
                        "describe the surviving target of a failed group commit"));
  ReleaseQuietly(rig, targets);
  return AssertionSuccess();
}

AssertionResult CommitAfterExpiredDeadlineCommitsNothing(ConformanceRig& rig) {
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {rig.AddSourceLun(), rig.AddSourceLun()}, &targets));
  HWSNAP_CHECK_(HasCode(rig.backend().CommitTargets(targets, absl::Now() - absl::Seconds(1)),
                        ErrorCode::kDeadlineExceeded, "commit with a deadline already passed"));
  for (const TargetId& target : targets) {
    HWSNAP_CHECK_(HasCode(rig.backend().DescribeTarget(target).status(), ErrorCode::kBadState,
                          "describe a target whose commit missed its deadline"));
  }
  HWSNAP_CHECK_(IsOk(Commit(rig, targets), "commit again within a fresh window"));
  ReleaseQuietly(rig, targets);
  return AssertionSuccess();
}

AssertionResult CommitTwiceIsBadState(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  HWSNAP_CHECK_(HasCode(Commit(rig, {target}), ErrorCode::kBadState, "second commit of a committed target"));
  HWSNAP_CHECK_(IsOk(rig.backend().DescribeTarget(target).status(), "describe after a refused second commit"));
  ReleaseQuietly(rig, {target});
  return AssertionSuccess();
}

// --- DescribeTarget ----------------------------------------------------------

AssertionResult DescribeBeforeCommitIsBadState(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  AssertionResult result =
      HasCode(rig.backend().DescribeTarget(target).status(), ErrorCode::kBadState, "describe before commit");
  ReleaseQuietly(rig, {target});
  return result;
}

AssertionResult DescribeUnknownIsObjectNotFound(ConformanceRig& rig) {
  return HasCode(rig.backend().DescribeTarget(kUnknownId).status(), ErrorCode::kObjectNotFound,
                 "describe an unknown target");
}

AssertionResult DescribedIdentityIsUniqueAndNotTheSource(ConformanceRig& rig) {
  TargetId target;
  LunIdentity source;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target, &source));
  absl::StatusOr<LunIdentity> described = rig.backend().DescribeTarget(target);
  ReleaseQuietly(rig, {target});
  HWSNAP_CHECK_(IsOk(described.status(), "describe a committed target"));
  if (!described->HasUniqueDesignator()) {
    return AssertionFailure() << "the target's identity " << described->ToString()
                              << " has no unique designator (association 0, type 1, 2, 3 or 8)";
  }
  if (described->SameLunAs(source)) {
    return AssertionFailure() << "the target's identity " << described->ToString()
                              << " matches its source " << source.ToString();
  }
  return ShareNoUniqueDesignator(*described, source, "target and source");
}

AssertionResult DescribedIdentitiesDifferBetweenTargets(ConformanceRig& rig) {
  const LunIdentity shared = rig.AddSourceLun();
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, {shared, shared, rig.AddSourceLun()}, &targets));
  AssertionResult result = IsOk(rig.backend().CommitTargets({targets[0], targets[2]}, absl::Now() + kCommitWindow),
                                "commit a group of two");
  if (result) result = IsOk(Commit(rig, {targets[1]}), "commit the second target of the shared LUN");
  std::vector<LunIdentity> identities;
  for (size_t i = 0; result && i < targets.size(); ++i) {
    absl::StatusOr<LunIdentity> described = rig.backend().DescribeTarget(targets[i]);
    result = IsOk(described.status(), "describe");
    if (result) identities.push_back(*described);
  }
  for (size_t i = 0; result && i < identities.size(); ++i) {
    for (size_t j = i + 1; result && j < identities.size(); ++j) {
      if (identities[i].SameLunAs(identities[j])) {
        result = AssertionFailure() << "targets '" << targets[i] << "' and '" << targets[j]
                                    << "' describe the same LUN " << identities[i].ToString();
      }
    }
  }
  ReleaseQuietly(rig, targets);
  return result;
}

AssertionResult DescribeIsStableAndValid(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  absl::StatusOr<LunIdentity> first = rig.backend().DescribeTarget(target);
  absl::StatusOr<LunIdentity> second = rig.backend().DescribeTarget(target);
  ReleaseQuietly(rig, {target});
  HWSNAP_CHECK_(IsOk(first.status(), "describe"));
  HWSNAP_CHECK_(IsOk(second.status(), "describe again"));
  HWSNAP_CHECK_(IsOk(ValidateLunIdentity(*first), "ValidateLunIdentity of the described identity"));
  if (*first != *second) {
    return AssertionFailure() << "describe answered differently: " << first->ToString() << " vs " << second->ToString();
  }
  return AssertionSuccess();
}

// --- ExposeTarget ------------------------------------------------------------

AssertionResult ExposeBeforeCommitIsBadState(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  AssertionResult result = HasCode(rig.backend().ExposeTarget(target), ErrorCode::kBadState, "expose before commit");
  ReleaseQuietly(rig, {target});
  return result;
}

AssertionResult ExposeIsIdempotent(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  AssertionResult result = IsOk(rig.backend().ExposeTarget(target), "expose");
  if (result) result = IsOk(rig.backend().ExposeTarget(target), "expose again");
  if (result) result = Exists(rig, target, true, "after exposing twice");
  if (result) result = IsOk(rig.backend().DescribeTarget(target).status(), "describe an exposed target");
  ReleaseQuietly(rig, {target});
  return result;
}

AssertionResult ExposeUnknownIsObjectNotFound(ConformanceRig& rig) {
  return HasCode(rig.backend().ExposeTarget(kUnknownId), ErrorCode::kObjectNotFound, "expose an unknown target");
}

// --- ReleaseTarget -----------------------------------------------------------

AssertionResult ReleaseRemovesTarget(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(target), "release a prepared target"));
  HWSNAP_CHECK_(Exists(rig, target, false, "after release"));
  return CountIs(rig, before, "after release");
}

AssertionResult ReleaseIsIdempotent(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(target), "release"));
  HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(target), "release of a released target (must succeed)"));
  HWSNAP_CHECK_(Exists(rig, target, false, "after releasing twice"));
  return CountIs(rig, before, "after releasing twice");
}

AssertionResult ReleaseInEveryStateFreesEverything(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  std::vector<TargetId> targets;  // prepared, committed, committed + exposed
  HWSNAP_CHECK_(PrepareAll(rig, {rig.AddSourceLun(), rig.AddSourceLun(), rig.AddSourceLun()}, &targets));
  HWSNAP_CHECK_(IsOk(Commit(rig, {targets[1], targets[2]}), "commit"));
  HWSNAP_CHECK_(IsOk(rig.backend().ExposeTarget(targets[2]), "expose"));
  HWSNAP_CHECK_(CountIs(rig, before + 3, "before release"));
  const char* const states[] = {"prepared", "committed", "exposed"};
  for (size_t i = 0; i < targets.size(); ++i) {
    HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(targets[i]), absl::StrCat("release a ", states[i], " target")));
    HWSNAP_CHECK_(Exists(rig, targets[i], false, absl::StrCat("after releasing a ", states[i], " target")));
  }
  return CountIs(rig, before, "after releasing targets in every state");
}

AssertionResult ReleaseNeverCreatedIsObjectNotFound(ConformanceRig& rig) {
  return HasCode(rig.backend().ReleaseTarget(kUnknownId), ErrorCode::kObjectNotFound,
                 "release of a target never created");
}

AssertionResult ReleasedTargetIsGoneForEveryMethod(ConformanceRig& rig) {
  TargetId target;
  HWSNAP_CHECK_(PrepareAndCommitOne(rig, &target));
  HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(target), "release"));
  HWSNAP_CHECK_(HasCode(rig.backend().DescribeTarget(target).status(), ErrorCode::kObjectNotFound,
                        "describe a released target"));
  HWSNAP_CHECK_(HasCode(rig.backend().ExposeTarget(target), ErrorCode::kObjectNotFound, "expose a released target"));
  HWSNAP_CHECK_(HasOneOf(Commit(rig, {target}), {ErrorCode::kObjectNotFound, ErrorCode::kBadState},
                         "commit a released target"));
  return Exists(rig, target, false, "after calls on a released target");
}

// --- Life cycle and error classification -------------------------------------

AssertionResult FullLifecycleLeavesNothing(ConformanceRig& rig) {
  const int before = rig.LiveTargetCount();
  std::vector<LunIdentity> luns = {rig.AddSourceLun(), rig.AddSourceLun()};
  for (const LunIdentity& lun : luns) {
    absl::StatusOr<LunSupport> support = rig.backend().IdentifyLun(lun);
    HWSNAP_CHECK_(IsOk(support.status(), "identify"));
    if (!support->supported) return AssertionFailure() << "own LUN unsupported: " << support->reason;
  }
  std::vector<TargetId> targets;
  HWSNAP_CHECK_(PrepareAll(rig, luns, &targets));
  HWSNAP_CHECK_(IsOk(Commit(rig, targets), "commit"));
  for (const TargetId& target : targets) {
    HWSNAP_CHECK_(IsOk(rig.backend().DescribeTarget(target).status(), "describe"));
    HWSNAP_CHECK_(IsOk(rig.backend().ExposeTarget(target), "expose"));
  }
  for (const TargetId& target : targets) HWSNAP_CHECK_(IsOk(rig.backend().ReleaseTarget(target), "release"));
  return CountIs(rig, before, "after a full life cycle");
}

AssertionResult EveryFailureCarriesDomainCode(ConformanceRig& rig) {
  struct Outcome {
    const char* call;
    absl::Status status;
  };
  std::vector<Outcome> outcomes;
  std::vector<TargetId> created;
  outcomes.push_back({"identify a malformed LUN", rig.backend().IdentifyLun(MalformedLun()).status()});
  absl::StatusOr<TargetId> foreign = Prepare(rig, ForeignLun());
  if (foreign.ok()) created.push_back(*foreign);
  outcomes.push_back({"prepare a foreign LUN", foreign.status()});
  CancelSource cancelled;
  cancelled.Cancel("conformance");
  absl::StatusOr<TargetId> aborted = rig.backend().PrepareTarget(rig.AddSourceLun(), cancelled.token());
  if (aborted.ok()) created.push_back(*aborted);
  outcomes.push_back({"prepare with a cancelled token", aborted.status()});
  TargetId target;
  HWSNAP_CHECK_(PrepareOne(rig, &target));
  created.push_back(target);
  outcomes.push_back({"describe before commit", rig.backend().DescribeTarget(target).status()});
  outcomes.push_back({"expose before commit", rig.backend().ExposeTarget(target)});
  outcomes.push_back({"commit with an unknown id", Commit(rig, {target, kUnknownId})});
  outcomes.push_back({"commit after the deadline", rig.backend().CommitTargets({target}, absl::Now() - absl::Seconds(1))});
  outcomes.push_back({"describe an unknown target", rig.backend().DescribeTarget(kUnknownId).status()});
  outcomes.push_back({"expose an unknown target", rig.backend().ExposeTarget(kUnknownId)});
  outcomes.push_back({"release an unknown target", rig.backend().ReleaseTarget(kUnknownId)});
  ReleaseQuietly(rig, created);
  for (const Outcome& outcome : outcomes) {
    if (!outcome.status.ok() && !HasErrorCode(outcome.status)) {
      return AssertionFailure() << outcome.call << " failed without an hwsnap domain code: " << outcome.status;
    }
  }
  return AssertionSuccess();
}

// --- Threads -----------------------------------------------------------------

AssertionResult ConcurrentPreparesOfDifferentLunsAreExact(ConformanceRig& rig) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 3;
  const int before = rig.LiveTargetCount();
  std::vector<LunIdentity> luns;
  for (int i = 0; i < kThreads; ++i) luns.push_back(rig.AddSourceLun());
  std::vector<std::vector<absl::StatusOr<TargetId>>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&rig, &luns, &results, t] {
      for (int i = 0; i < kPerThread; ++i) results[static_cast<size_t>(t)].push_back(Prepare(rig, luns[static_cast<size_t>(t)]));
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::set<TargetId> ids;
  std::vector<TargetId> created;
  AssertionResult result = AssertionSuccess();
  for (const auto& per_thread : results) {
    for (const absl::StatusOr<TargetId>& target : per_thread) {
      if (!target.ok()) {
        if (result) result = AssertionFailure() << "concurrent prepare failed: " << Describe(target.status());
        continue;
      }
      created.push_back(*target);
      if (!ids.insert(*target).second && result) {
        result = AssertionFailure() << "two concurrent prepares returned the same id " << *target;
      }
    }
  }
  if (result) result = CountIs(rig, before + kThreads * kPerThread, "after concurrent prepares");
  // Release concurrently too.
  threads.clear();
  std::vector<absl::Status> released(created.size());
  for (size_t i = 0; i < created.size(); ++i) {
    threads.emplace_back([&rig, &created, &released, i] { released[i] = rig.backend().ReleaseTarget(created[i]); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : released) {
    if (result) result = IsOk(status, "concurrent release");
  }
  if (result) result = CountIs(rig, before, "after concurrent releases");
  return result;
}

AssertionResult ConcurrentLifecyclesOfDifferentLunsAreExact(ConformanceRig& rig) {
  constexpr int kThreads = 6;
  const int before = rig.LiveTargetCount();
  std::vector<LunIdentity> luns;
  for (int i = 0; i < kThreads; ++i) luns.push_back(rig.AddSourceLun());
  struct Lifecycle {
    absl::Status status;  // the first failure
    std::string step;
    LunIdentity described;
  };
  std::vector<Lifecycle> lifecycles(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&rig, &luns, &lifecycles, t] {
      Lifecycle& out = lifecycles[static_cast<size_t>(t)];
      Backend& backend = rig.backend();
      absl::StatusOr<TargetId> target = backend.PrepareTarget(luns[static_cast<size_t>(t)], CancelToken());
      if (!target.ok()) {
        out = {target.status(), "prepare", {}};
        return;
      }
      absl::Status status = backend.CommitTargets({*target}, absl::Now() + kCommitWindow);
      absl::StatusOr<LunIdentity> described = status.ok() ? backend.DescribeTarget(*target)
                                                          : absl::StatusOr<LunIdentity>(status);
      if (!described.ok()) {
        out = {described.status(), status.ok() ? "describe" : "commit", {}};
      } else {
        out.described = *described;
        status = backend.ExposeTarget(*target);
        if (!status.ok()) out = {status, "expose", {}};
      }
      absl::Status released = backend.ReleaseTarget(*target);
      if (out.status.ok() && !released.ok()) out = {released, "release", {}};
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (const Lifecycle& lifecycle : lifecycles) {
    HWSNAP_CHECK_(IsOk(lifecycle.status, absl::StrCat("concurrent life cycle, ", lifecycle.step)));
  }
  for (size_t i = 0; i < lifecycles.size(); ++i) {
    for (size_t j = i + 1; j < lifecycles.size(); ++j) {
      if (lifecycles[i].described.SameLunAs(lifecycles[j].described)) {
        return AssertionFailure() << "two concurrent targets describe the same LUN "
                                  << lifecycles[i].described.ToString();
      }
    }
  }
  return CountIs(rig, before, "after concurrent life cycles");
}

#undef HWSNAP_CHECK_

}  // namespace hwsnap::conformance
