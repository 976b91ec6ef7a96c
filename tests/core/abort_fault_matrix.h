// abort_fault_matrix.h — the exhaustive abort × fault matrix (issue 9).
//
// One case = where the abort arrives (or no abort) × which backend operation
// is faulted × which fault. Each case drives the whole VSS sequence over a
// provider on FaultInjectingBackend over MockBackend, with three LUNs in two
// volumes ({L0, L1} and {L2}; the fault is scripted on L2), and checks:
//   1. every call's status maps (MapStatusToResult) to a legal HRESULT of its
//      VssMethod, and its ErrorCode is one the method can meaningfully return
//      (ExpectedCodeTable below, from vss-contract.md and provider.h);
//   2. nothing leaks: an aborted/failed set leaves no live target on the mock
//      except those kept in PendingReleases, which drain once the fault is
//      gone; a completed set holds exactly its targets until OnLunEmpty;
//   3. every call returns within kCallBound (a correctness bound from the
//      provider options, not a performance target);
//   4. a kVeto carries a remedy, and every status VSS must log carries text;
//   5. GetProgress ends in the state the sequence implies;
// plus: the fault fired exactly when the sequence reaches the faulted op.
//
//   TEST_P(AbortFaultMatrixTest, Case) { RunMatrixCase(GetParam()); }
//   INSTANTIATE_TEST_SUITE_P(Matrix, AbortFaultMatrixTest,
//                            ::testing::ValuesIn(MatrixCases(kSequentialColumns)), MatrixTestName);
//
// Two executables share this header: abort_fault_matrix_test (the abort
// points reached sequentially) and abort_fault_matrix_concurrency_test (abort
// from another thread while EndPrepare or Commit waits).
#ifndef HWSNAP_TESTS_CORE_ABORT_FAULT_MATRIX_H_
#define HWSNAP_TESTS_CORE_ABORT_FAULT_MATRIX_H_

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/vss_results.h"
#include "provider_test_util.h"

namespace hwsnap::testing {

using windows::VssMethod;

// --- the dimensions ---------------------------------------------------------

// Where AbortSnapshots arrives. kNone: no abort, the fault alone is handled
// (after a failed step the driver aborts, as VSS does). kAfterPostFinalCommit:
// the set is completed, so the abort must be kBadState and release nothing.
// kDuring* abort from the test thread while the call waits on another one.
enum class AbortPoint {
  kNone,
  kAfterBeginPrepare,
  kDuringEndPrepare,
  kAfterEndPrepare,
  kAfterPreCommit,
  kDuringCommit,
  kAfterCommit,
  kAfterPostCommit,
  kAfterPreFinalCommit,
  kAfterPostFinalCommit,
};

inline constexpr AbortPoint kSequentialColumns[] = {
    AbortPoint::kNone,          AbortPoint::kAfterBeginPrepare,   AbortPoint::kAfterEndPrepare,
    AbortPoint::kAfterPreCommit, AbortPoint::kAfterCommit,        AbortPoint::kAfterPostCommit,
    AbortPoint::kAfterPreFinalCommit, AbortPoint::kAfterPostFinalCommit,
};
inline constexpr AbortPoint kConcurrentColumns[] = {AbortPoint::kDuringEndPrepare, AbortPoint::kDuringCommit};

inline constexpr BackendOp kAllOps[] = {BackendOp::kIdentify, BackendOp::kPrepare, BackendOp::kCommit,
                                        BackendOp::kDescribe, BackendOp::kExpose,  BackendOp::kRelease};

inline const char* AbortPointName(AbortPoint a) {
  switch (a) {
    case AbortPoint::kNone: return "NoAbort";
    case AbortPoint::kAfterBeginPrepare: return "AfterBeginPrepare";
    case AbortPoint::kDuringEndPrepare: return "DuringEndPrepare";
    case AbortPoint::kAfterEndPrepare: return "AfterEndPrepare";
    case AbortPoint::kAfterPreCommit: return "AfterPreCommit";
    case AbortPoint::kDuringCommit: return "DuringCommit";
    case AbortPoint::kAfterCommit: return "AfterCommit";
    case AbortPoint::kAfterPostCommit: return "AfterPostCommit";
    case AbortPoint::kAfterPreFinalCommit: return "AfterPreFinalCommit";
    case AbortPoint::kAfterPostFinalCommit: return "AfterPostFinalCommit";
  }
  return "Unknown";
}

inline const char* OpCaseName(BackendOp op) {
  switch (op) {
    case BackendOp::kIdentify: return "Identify";
    case BackendOp::kPrepare: return "Prepare";
    case BackendOp::kCommit: return "Commit";
    case BackendOp::kDescribe: return "Describe";
    case BackendOp::kExpose: return "Expose";
    case BackendOp::kRelease: return "Release";
  }
  return "Unknown";
}

inline const char* CodeCaseName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kOk: return "Ok";
    case ErrorCode::kInvalidArgument: return "InvalidArgument";
    case ErrorCode::kOutOfMemory: return "OutOfMemory";
    case ErrorCode::kInsufficientStorage: return "InsufficientStorage";
    case ErrorCode::kObjectNotFound: return "ObjectNotFound";
    case ErrorCode::kVeto: return "Veto";
    case ErrorCode::kCancelled: return "Cancelled";
    case ErrorCode::kBadState: return "BadState";
    case ErrorCode::kNotSupported: return "NotSupported";
    case ErrorCode::kDeadlineExceeded: return "DeadlineExceeded";
    case ErrorCode::kBackendFailure: return "BackendFailure";
  }
  return "Unknown";
}

struct MatrixCase {
  AbortPoint abort = AbortPoint::kNone;
  BackendOp op = BackendOp::kPrepare;
  FaultKind kind = FaultKind::kError;
  ErrorCode code = ErrorCode::kBackendFailure;  // kError only

  bool IsError() const { return kind == FaultKind::kError; }
  bool IsError(ErrorCode c) const { return kind == FaultKind::kError && code == c; }
};

inline std::string FaultCaseName(const MatrixCase& c) {
  switch (c.kind) {
    case FaultKind::kError: return absl::StrCat("Error", CodeCaseName(c.code));
    case FaultKind::kHang: return "Hang";
    case FaultKind::kIgnoreCancel: return "IgnoreCancel";
    case FaultKind::kLatency: return "Latency";
  }
  return "Unknown";
}

// "DuringCommit_Prepare_ErrorInsufficientStorage".
inline std::string MatrixCaseName(const MatrixCase& c) {
  return absl::StrCat(AbortPointName(c.abort), "_", OpCaseName(c.op), "_", FaultCaseName(c));
}
inline std::string MatrixTestName(const ::testing::TestParamInfo<MatrixCase>& info) {
  return MatrixCaseName(info.param);
}
// What GoogleTest (and so the CTest name) shows for GetParam().
inline void PrintTo(const MatrixCase& c, std::ostream* os) { *os << MatrixCaseName(c); }

// Every column × op × (10 error codes, hang, ignore-cancel, latency). Nothing
// is pruned: a fault on an op the column never reaches still runs and checks
// that it did not fire.
template <size_t N>
std::vector<MatrixCase> MatrixCases(const AbortPoint (&columns)[N]) {
  std::vector<MatrixCase> out;
  for (AbortPoint abort : columns) {
    for (BackendOp op : kAllOps) {
      for (ErrorCode code : kAllErrorCodes) {
        if (code == ErrorCode::kOk) continue;
        out.push_back({abort, op, FaultKind::kError, code});
      }
      for (FaultKind kind : {FaultKind::kHang, FaultKind::kIgnoreCancel, FaultKind::kLatency}) {
        out.push_back({abort, op, kind, ErrorCode::kBackendFailure});
      }
    }
  }
  return out;
}

// --- timing -----------------------------------------------------------------
// Kept short so ~800 cases fit in CI; each is a correctness bound.
inline constexpr absl::Duration kFaultDuration = absl::Milliseconds(80);  // hang (non-cancellable ops), ignore-cancel, latency
inline constexpr absl::Duration kAbortDrain = absl::Milliseconds(40);     // ProviderOptions::abort_drain_timeout
inline constexpr absl::Duration kCommitTimeout = absl::Milliseconds(250);
inline constexpr absl::Duration kCommitGrace = absl::Milliseconds(50);
// Mock latencies that keep the backend busy when the abort comes: prepare in
// the AfterBeginPrepare / DuringEndPrepare columns, commit in DuringCommit.
inline constexpr absl::Duration kBusyPrepareLatency = absl::Milliseconds(150);
inline constexpr absl::Duration kBusyCommitLatency = absl::Milliseconds(60);
// How long after starting a call (or BeginPrepare) the abort comes.
inline constexpr absl::Duration kAbortDelay = absl::Milliseconds(25);
// How long the requester lets EndPrepareSnapshots wait before giving up and
// aborting (VSS has no documented limit; only a prepare that hangs until
// cancelled may reach it — anything else is a failure of the case).
inline constexpr absl::Duration kRequesterPatience = absl::Milliseconds(750);
inline constexpr int kLunCount = 3;
// Every call must return within this (after an abort began, for a call that
// waits for one). Generous on purpose: sanitizers and a loaded CI machine.
inline const absl::Duration kCallBound = absl::Seconds(2) + kAbortDrain + kCommitTimeout + kCommitGrace +
                                             kLunCount * kFaultDuration + kBusyPrepareLatency +
                                             kBusyCommitLatency;

// --- what each method may meaningfully return ---------------------------------
// From vss-contract.md ("each method only its own subset"), provider.h
// ("Unknown set ids give kObjectNotFound; calls out of order give kBadState;
// bad input gives kInvalidArgument"; EndPrepare "On abort returns kCancelled")
// and vss_results.h's mapping. Every call in this matrix passes valid
// arguments for a set/LUN the provider knows, so:
//  * kInvalidArgument (-> E_INVALIDARG, "a parameter is not valid") is never
//    meaningful from a set- or LUN-addressed method;
//  * kObjectNotFound (-> VSS_E_OBJECT_NOT_FOUND "unknown set", or E_INVALIDARG
//    for the LUN methods) is never meaningful: the set id / LUN is known;
//  * kCancelled (-> VSS_E_OBJECT_NOT_FOUND, "the set is gone") is meaningful
//    where an abort can cut the call short;
//  * codes VSS receives as VSS_E_PROVIDER_VETO (kVeto, kBadState,
//    kDeadlineExceeded, kBackendFailure, kNotSupported and
//    kInsufficientStorage outside EndPrepare) are accepted where a backend
//    failure can surface — the adapter writes an event-log entry from the
//    status, so it must carry text (kVeto: a remedy);
//  * kOutOfMemory (-> E_OUTOFMEMORY) is always truthful.
// The support queries answer every other failure with S_OK + FALSE, so any
// code is meaningful there; a backend's kInvalidArgument there means VSS's LUN
// data was malformed, which is what E_INVALIDARG says.
struct MethodCodes {
  VssMethod method;
  std::vector<ErrorCode> codes;
};

inline const std::vector<MethodCodes>& ExpectedCodeTable() {
  using C = ErrorCode;
  static const auto* const table = new std::vector<MethodCodes>{
      {VssMethod::kAreLunsSupported,
       {C::kOk, C::kInvalidArgument, C::kOutOfMemory, C::kVeto, C::kInsufficientStorage, C::kObjectNotFound,
        C::kCancelled, C::kBadState, C::kNotSupported, C::kDeadlineExceeded, C::kBackendFailure}},
      {VssMethod::kFillInLunInfo,
       {C::kOk, C::kInvalidArgument, C::kOutOfMemory, C::kVeto, C::kInsufficientStorage, C::kObjectNotFound,
        C::kCancelled, C::kBadState, C::kNotSupported, C::kDeadlineExceeded, C::kBackendFailure}},
      // No backend call; bad input, LUN limits, set refused.
      {VssMethod::kBeginPrepareSnapshot,
       {C::kOk, C::kInvalidArgument, C::kOutOfMemory, C::kNotSupported, C::kVeto, C::kBadState}},
      {VssMethod::kEndPrepareSnapshots,
       {C::kOk, C::kOutOfMemory, C::kInsufficientStorage, C::kVeto, C::kCancelled, C::kNotSupported,
        C::kBadState, C::kDeadlineExceeded, C::kBackendFailure}},
      {VssMethod::kPreCommitSnapshots, {C::kOk, C::kOutOfMemory, C::kVeto, C::kBadState}},
      {VssMethod::kCommitSnapshots,
       {C::kOk, C::kOutOfMemory, C::kInsufficientStorage, C::kVeto, C::kCancelled, C::kNotSupported,
        C::kBadState, C::kDeadlineExceeded, C::kBackendFailure}},
      {VssMethod::kPostCommitSnapshots,
       {C::kOk, C::kOutOfMemory, C::kInsufficientStorage, C::kVeto, C::kCancelled, C::kNotSupported,
        C::kBadState, C::kDeadlineExceeded, C::kBackendFailure}},
      {VssMethod::kPreFinalCommitSnapshots, {C::kOk, C::kOutOfMemory, C::kVeto, C::kBadState}},
      {VssMethod::kPostFinalCommitSnapshots, {C::kOk, C::kOutOfMemory, C::kVeto, C::kBadState}},
      // kBadState only for a completed set (checked per case).
      {VssMethod::kAbortSnapshots, {C::kOk, C::kBadState}},
      // Answered from memory: no backend call.
      {VssMethod::kGetTargetLuns, {C::kOk, C::kOutOfMemory, C::kVeto}},
      {VssMethod::kLocateLuns,
       {C::kOk, C::kOutOfMemory, C::kVeto, C::kInsufficientStorage, C::kCancelled, C::kNotSupported,
        C::kBadState, C::kDeadlineExceeded, C::kBackendFailure}},
      {VssMethod::kOnLunEmpty,
       {C::kOk, C::kOutOfMemory, C::kVeto, C::kInsufficientStorage, C::kCancelled, C::kNotSupported,
        C::kBadState, C::kDeadlineExceeded, C::kBackendFailure}},
  };
  return *table;
}

inline bool IsExpectedCode(VssMethod method, ErrorCode code) {
  for (const MethodCodes& row : ExpectedCodeTable()) {
    if (row.method != method) continue;
    return std::find(row.codes.begin(), row.codes.end(), code) != row.codes.end();
  }
  return false;
}

// Whether the faulted op is reached before the set ends, per column.
enum class Firing { kMust, kNever, kMay };

inline Firing ExpectedFiring(AbortPoint abort, BackendOp op) {
  const bool completes = abort == AbortPoint::kNone || abort == AbortPoint::kAfterPostFinalCommit;
  switch (op) {
    case BackendOp::kIdentify:  // AreLunsSupported, before everything
    case BackendOp::kPrepare:   // every column starts the prepares (the abort comes after kAbortDelay)
      return Firing::kMust;
    case BackendOp::kCommit:
      return completes || abort == AbortPoint::kDuringCommit || abort == AbortPoint::kAfterCommit ||
                     abort == AbortPoint::kAfterPostCommit || abort == AbortPoint::kAfterPreFinalCommit
                 ? Firing::kMust
                 : Firing::kNever;
    case BackendOp::kDescribe:  // PostCommit
      return completes || abort == AbortPoint::kAfterPostCommit || abort == AbortPoint::kAfterPreFinalCommit
                 ? Firing::kMust
                 : Firing::kNever;
    case BackendOp::kExpose:  // LocateLuns, completed sets only
      return completes ? Firing::kMust : Firing::kNever;
    case BackendOp::kRelease:
      // Rollback releases L2's target once it exists; OnLunEmpty for a
      // completed set. In the two early columns the prepares are still in
      // their (cancellable) mock latency when the abort comes, so normally no
      // target exists — but a slow machine may let one finish: may.
      return abort == AbortPoint::kAfterBeginPrepare || abort == AbortPoint::kDuringEndPrepare ? Firing::kMay
                                                                                             : Firing::kMust;
  }
  return Firing::kMay;
}

// --- one case ---------------------------------------------------------------

class MatrixCaseRun {
 public:
  explicit MatrixCaseRun(const MatrixCase& c) : case_(c), rig_(kLunCount, MockOptions(c), ProviderOpts()) {
    volumes_ = {{rig_.luns[0], rig_.luns[1]}, {rig_.luns[2]}};
    fault_lun_ = rig_.luns[2];
    rig_.faults->AddRule(MakeFaultRule(c.op, c.kind, fault_lun_, c.code, kFaultDuration));
  }

  void Run() {
    Drive();
    Finish();
  }

 private:
  static MockBackendOptions MockOptions(const MatrixCase& c) {
    MockBackendOptions o;
    if (c.abort == AbortPoint::kAfterBeginPrepare || c.abort == AbortPoint::kDuringEndPrepare) {
      o.prepare_latency = kBusyPrepareLatency;
    }
    if (c.abort == AbortPoint::kDuringCommit) o.commit_latency = kBusyCommitLatency;
    return o;
  }
  static ProviderOptions ProviderOpts() {
    ProviderOptions o;
    o.abort_drain_timeout = kAbortDrain;
    o.commit_timeout = kCommitTimeout;
    o.commit_grace = kCommitGrace;
    return o;
  }

  // Checks 1, 3 and 4 on one returned status.
  void Check(VssMethod method, const absl::Status& status, absl::Duration took, absl::string_view what) {
    const std::uint32_t hr = windows::MapStatusToResult(method, status);
    const ErrorCode code = GetErrorCode(status);
    const std::string where = absl::StrCat(windows::VssMethodName(method), what.empty() ? "" : " ", what,
                                           " -> ", ErrorCodeName(code), " = ", windows::VssResultName(hr),
                                           " (", status.ToString(), ")");
    EXPECT_TRUE(windows::IsLegalResult(method, hr)) << "[legal] " << where;
    EXPECT_TRUE(IsExpectedCode(method, code))
        << "[meaning] " << where << ": " << ErrorCodeName(code) << " is not a result "
        << windows::VssMethodName(method)
        << " can meaningfully return for a valid call on a known set (see ExpectedCodeTable)";
    if (code == ErrorCode::kVeto) {
      EXPECT_FALSE(GetVetoRemedy(status).empty()) << "[veto] a veto without a remedy: " << where;
    }
    if (windows::NeedsEventLogEntry(hr)) {
      EXPECT_FALSE(status.message().empty()) << "[veto] nothing to write in the event-log entry: " << where;
    }
    EXPECT_LT(took, kCallBound) << "[bounded] " << where << " took " << took;
  }

  template <typename F>
  auto Timed(VssMethod method, absl::string_view what, F&& call) -> decltype(call()) {
    const absl::Time start = absl::Now();
    auto result = call();
    Check(method, StatusOf(result), absl::Now() - start, what);
    return result;
  }
  static absl::Status StatusOf(const absl::Status& s) { return s; }
  template <typename T>
  static absl::Status StatusOf(const absl::StatusOr<T>& s) {
    return s.status();
  }

  // A call on another thread (EndPrepare and Commit may wait).
  struct Pending {
    std::future<absl::Status> result;
    absl::Time start;
  };
  Pending Start(std::function<absl::Status()> call) {
    return Pending{std::async(std::launch::async, std::move(call)), absl::Now()};
  }
  // Waits for `p`: at most kCallBound from `from` (the abort's start, or the
  // call's). An unbounded call fails the case; it is then waited for anyway
  // (the future's destructor would), so the case still ends.
  absl::Status Await(Pending& p, VssMethod method, absl::Time from) {
    const absl::Duration left = from + kCallBound - absl::Now();
    const bool in_time = p.result.wait_for(std::chrono::milliseconds(
                             std::max<std::int64_t>(0, absl::ToInt64Milliseconds(left)))) ==
                         std::future_status::ready;
    EXPECT_TRUE(in_time) << "[bounded] " << windows::VssMethodName(method) << " did not return within "
                         << kCallBound << (from == p.start ? " of its call" : " of the abort");
    absl::Status s = p.result.get();
    Check(method, s, in_time ? absl::ZeroDuration() : kCallBound, "");
    return s;
  }

  absl::Status Abort(absl::string_view why) {
    aborted_ = true;
    abort_start_ = absl::Now();
    absl::Status s = Timed(VssMethod::kAbortSnapshots, why, [&] { return rig_.provider->AbortSnapshots(set_); });
    return s;
  }

  // After a failed step VSS aborts the set: idempotent, OK.
  void AbortAfterFailure(VssMethod failed_method, const absl::Status& failure) {
    failed_ = true;
    EXPECT_TRUE(Abort("after the failure").ok())
        << "VSS aborts after " << windows::VssMethodName(failed_method) << " failed with " << failure;
  }

  // The code VSS should see for the injected error. A backend's
  // kInvalidArgument / kObjectNotFound on a call VSS made with valid
  // arguments would read as "bad parameter" / "unknown set" to VSS, so the
  // core turns them into kBackendFailure (BackendFailureForVss in
  // core/src/backend_call.h); identify answers a support question, where the
  // LUN VSS passed may indeed be at fault.
  ErrorCode SurfacedCode() const {
    if (case_.op != BackendOp::kIdentify &&
        (case_.code == ErrorCode::kInvalidArgument || case_.code == ErrorCode::kObjectNotFound)) {
      return ErrorCode::kBackendFailure;
    }
    return case_.code;
  }

  // An error fault that fires on the step VSS waits on surfaces as itself
  // (as SurfacedCode says).
  void ExpectSurfaced(const absl::Status& s, VssMethod method) {
    EXPECT_EQ(GetErrorCode(s), SurfacedCode())
        << windows::VssMethodName(method) << " should report the injected " << ErrorCodeName(case_.code) << " as "
        << ErrorCodeName(SurfacedCode()) << ", got " << s;
  }

  void Drive() {
    // 1. AreLunsSupported, per volume; a refused volume is left out of the set.
    for (size_t v = 0; v < volumes_.size(); ++v) {
      absl::StatusOr<bool> supported = Timed(VssMethod::kAreLunsSupported, absl::StrCat("volume ", v), [&] {
        return rig_.provider->AreLunsSupported(volumes_[v], 0);
      });
      const bool faulted_volume = v == 1;
      if (case_.op == BackendOp::kIdentify && case_.IsError() && faulted_volume) {
        EXPECT_EQ(GetErrorCode(supported.status()), case_.code) << supported.status();
      } else {
        EXPECT_TRUE(supported.ok() && *supported) << "volume " << v << ": " << supported.status();
      }
      if (supported.ok() && *supported) {
        included_.push_back(v);
        for (const LunIdentity& lun : volumes_[v]) set_luns_.push_back(lun);
      }
    }
    if (set_luns_.empty()) return;

    // 2. BeginPrepareSnapshot, per volume: returns at once.
    for (size_t v : included_) {
      absl::Status s = Timed(VssMethod::kBeginPrepareSnapshot, absl::StrCat("volume ", v), [&] {
        return rig_.provider->BeginPrepareSnapshot(set_, SnapshotId::Random(), 0, volumes_[v]);
      });
      ASSERT_TRUE(s.ok()) << s;
      began_ = true;
    }
    if (case_.abort == AbortPoint::kAfterBeginPrepare) {
      absl::SleepFor(kAbortDelay);  // the jobs are running
      EXPECT_TRUE(Abort("after BeginPrepare").ok());
      return;
    }

    // 3. EndPrepareSnapshots, on another thread: it may wait for an abort.
    {
      Pending end = Start([this] { return rig_.provider->EndPrepareSnapshots(set_); });
      absl::Status s;
      if (case_.abort == AbortPoint::kDuringEndPrepare) {
        absl::SleepFor(kAbortDelay);
        EXPECT_TRUE(Abort("during EndPrepare").ok());
        s = Await(end, VssMethod::kEndPrepareSnapshots, abort_start_);
        concurrent_status_ = s;
        // It may have returned the injected failure before the abort came.
        if (!s.ok() && !(case_.op == BackendOp::kPrepare && case_.IsError() && GetErrorCode(s) == SurfacedCode())) {
          EXPECT_EQ(GetErrorCode(s), ErrorCode::kCancelled) << s;
        }
        return;
      }
      if (end.result.wait_for(std::chrono::milliseconds(absl::ToInt64Milliseconds(kRequesterPatience))) !=
          std::future_status::ready) {
        // Still waiting: only a prepare hanging until cancelled may do that.
        EXPECT_TRUE(case_.op == BackendOp::kPrepare && case_.kind == FaultKind::kHang)
            << "[bounded] EndPrepareSnapshots still waits after " << kRequesterPatience
            << " although no prepare hangs";
        requester_gave_up_ = true;
        EXPECT_TRUE(Abort("requester gave up on EndPrepare").ok());
        s = Await(end, VssMethod::kEndPrepareSnapshots, abort_start_);
        EXPECT_EQ(GetErrorCode(s), ErrorCode::kCancelled) << s;
        return;
      }
      EXPECT_FALSE(case_.op == BackendOp::kPrepare && case_.kind == FaultKind::kHang)
          << "EndPrepareSnapshots returned although a prepare hangs until cancelled";
      s = Await(end, VssMethod::kEndPrepareSnapshots, end.start);
      if (case_.op == BackendOp::kPrepare && case_.IsError()) {
        ExpectSurfaced(s, VssMethod::kEndPrepareSnapshots);
      } else {
        EXPECT_TRUE(s.ok()) << s;
      }
      if (!s.ok()) return AbortAfterFailure(VssMethod::kEndPrepareSnapshots, s);
    }
    if (case_.abort == AbortPoint::kAfterEndPrepare) {
      EXPECT_TRUE(Abort("after EndPrepare").ok());
      return;
    }

    // 4. PreCommitSnapshots.
    {
      absl::Status s = Timed(VssMethod::kPreCommitSnapshots, "", [&] { return rig_.provider->PreCommitSnapshots(set_); });
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return AbortAfterFailure(VssMethod::kPreCommitSnapshots, s);
    }
    if (case_.abort == AbortPoint::kAfterPreCommit) {
      EXPECT_TRUE(Abort("after PreCommit").ok());
      return;
    }

    // 5. CommitSnapshots (on another thread when the abort comes during it).
    {
      const bool commit_error = case_.op == BackendOp::kCommit && case_.IsError();
      const bool commit_hang = case_.op == BackendOp::kCommit && case_.kind == FaultKind::kHang;
      Pending commit = Start([this] { return rig_.provider->CommitSnapshots(set_); });
      absl::Status s;
      if (case_.abort == AbortPoint::kDuringCommit) {
        absl::SleepFor(kAbortDelay);
        EXPECT_TRUE(Abort("during Commit").ok());
        s = Await(commit, VssMethod::kCommitSnapshots, abort_start_);
        concurrent_status_ = s;
        // Finished before the abort (OK or the injected error), or cut short.
        if (!s.ok() && !(commit_error && GetErrorCode(s) == SurfacedCode())) {
          EXPECT_EQ(GetErrorCode(s), ErrorCode::kCancelled) << s;
        }
        return;
      }
      s = Await(commit, VssMethod::kCommitSnapshots, commit.start);
      if (commit_error) {
        ExpectSurfaced(s, VssMethod::kCommitSnapshots);
      } else if (commit_hang) {
        EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded) << s;
      } else {
        EXPECT_TRUE(s.ok()) << s;
      }
      if (!s.ok()) return AbortAfterFailure(VssMethod::kCommitSnapshots, s);
    }
    if (case_.abort == AbortPoint::kAfterCommit) {
      EXPECT_TRUE(Abort("after Commit").ok());
      return;
    }

    // 6. PostCommitSnapshots: describes every target.
    {
      absl::Status s = Timed(VssMethod::kPostCommitSnapshots, "", [&] {
        return rig_.provider->PostCommitSnapshots(set_, static_cast<std::int32_t>(included_.size()));
      });
      if (case_.op == BackendOp::kDescribe && case_.IsError()) {
        ExpectSurfaced(s, VssMethod::kPostCommitSnapshots);
      } else {
        EXPECT_TRUE(s.ok()) << s;
      }
      if (!s.ok()) return AbortAfterFailure(VssMethod::kPostCommitSnapshots, s);
    }
    if (case_.abort == AbortPoint::kAfterPostCommit) {
      EXPECT_TRUE(Abort("after PostCommit").ok());
      return;
    }

    // 7. PreFinalCommitSnapshots / PostFinalCommitSnapshots.
    {
      absl::Status s = Timed(VssMethod::kPreFinalCommitSnapshots, "",
                             [&] { return rig_.provider->PreFinalCommitSnapshots(set_); });
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return AbortAfterFailure(VssMethod::kPreFinalCommitSnapshots, s);
    }
    if (case_.abort == AbortPoint::kAfterPreFinalCommit) {
      EXPECT_TRUE(Abort("after PreFinalCommit").ok());
      return;
    }
    {
      absl::Status s = Timed(VssMethod::kPostFinalCommitSnapshots, "",
                             [&] { return rig_.provider->PostFinalCommitSnapshots(set_); });
      EXPECT_TRUE(s.ok()) << s;
      if (!s.ok()) return AbortAfterFailure(VssMethod::kPostFinalCommitSnapshots, s);
    }
    completed_ = true;
    ExpectCompletedSetHoldsItsTargets();

    // The completed set: an abort is kBadState and releases nothing.
    if (case_.abort == AbortPoint::kAfterPostFinalCommit) {
      const int live_before = rig_.mock->LiveTargetCount();
      const int releases_before = rig_.mock->calls().release;
      absl::Status s = Timed(VssMethod::kAbortSnapshots, "on the completed set",
                             [&] { return rig_.provider->AbortSnapshots(set_); });
      EXPECT_EQ(GetErrorCode(s), ErrorCode::kBadState) << s;
      EXPECT_EQ(rig_.mock->LiveTargetCount(), live_before) << "the abort of a completed set released targets";
      EXPECT_EQ(rig_.mock->calls().release, releases_before) << "the abort of a completed set called ReleaseTarget";
      EXPECT_EQ(rig_.StateOf(set_), SetState::kCompleted);
    }

    ServeCompletedSet();
  }

  // Check 2 for a completed set: exactly its targets, committed.
  void ExpectCompletedSetHoldsItsTargets() {
    EXPECT_EQ(rig_.StateOf(set_), SetState::kCompleted);
    const std::vector<MockBackend::TargetRecord> live = rig_.mock->LiveTargets();
    EXPECT_EQ(live.size(), set_luns_.size()) << "a completed set must hold exactly one target per LUN";
    for (const auto& t : live) {
      EXPECT_EQ(t.state, MockBackend::TargetState::kCommitted) << t.id;
      const bool ours = std::any_of(set_luns_.begin(), set_luns_.end(),
                                    [&](const LunIdentity& l) { return l.SameLunAs(t.source); });
      EXPECT_TRUE(ours) << "target " << t.id << " of a LUN outside the set";
    }
    auto progress = rig_.provider->GetProgress(set_);
    ASSERT_TRUE(progress.ok()) << progress.status();
    EXPECT_EQ(progress->targets_alive, static_cast<int>(set_luns_.size()));
  }

  // Steps 8-10 on the completed set: where describe/expose/release faults
  // surface after the sequence. Ends with every target released.
  void ServeCompletedSet() {
    absl::StatusOr<std::vector<LunIdentity>> targets =
        Timed(VssMethod::kGetTargetLuns, "", [&] { return rig_.provider->GetTargetLuns(set_luns_); });
    ASSERT_TRUE(targets.ok()) << targets.status();
    ASSERT_EQ(targets->size(), set_luns_.size());
    const bool faulted_in_set = std::any_of(set_luns_.begin(), set_luns_.end(),
                                            [&](const LunIdentity& l) { return l.SameLunAs(fault_lun_); });

    absl::Status located = Timed(VssMethod::kLocateLuns, "", [&] { return rig_.provider->LocateLuns(*targets); });
    if (case_.op == BackendOp::kExpose && case_.IsError() && faulted_in_set) {
      ExpectSurfaced(located, VssMethod::kLocateLuns);
    } else {
      EXPECT_TRUE(located.ok()) << located;
      for (const auto& t : rig_.mock->LiveTargets()) EXPECT_TRUE(t.exposed) << t.id << " not exposed by LocateLuns";
    }

    for (size_t i = 0; i < targets->size(); ++i) {
      LunIdentity lun = (*targets)[i];
      absl::StatusOr<bool> filled = Timed(VssMethod::kFillInLunInfo, absl::StrCat("target ", i),
                                          [&] { return rig_.provider->FillInLunInfo("\\\\?\\disk", lun); });
      EXPECT_TRUE(filled.ok() && *filled) << filled.status();
    }

    std::vector<size_t> refused;
    for (size_t i = 0; i < targets->size(); ++i) {
      absl::Status s = Timed(VssMethod::kOnLunEmpty, absl::StrCat("target ", i),
                             [&] { return rig_.provider->OnLunEmpty("\\\\?\\disk", (*targets)[i]); });
      const bool faulted = set_luns_[i].SameLunAs(fault_lun_);
      if (case_.op == BackendOp::kRelease && case_.code == ErrorCode::kObjectNotFound && case_.IsError() && faulted) {
        // "No such target": the provider takes the storage's word that it is
        // gone and answers OK. Here the fault lied, so the mock still holds it.
        EXPECT_TRUE(s.ok()) << s;
        const std::vector<MockBackend::TargetRecord> left = rig_.mock->LiveTargets();
        ASSERT_EQ(left.size(), 1u) << "only the target whose release \"was not found\" stays on the mock";
        EXPECT_EQ(GetErrorCode(rig_.provider->OnLunEmpty("\\\\?\\disk", (*targets)[i])), ErrorCode::kObjectNotFound)
            << "the provider still serves a target it was told is gone";
        ASSERT_TRUE(rig_.mock->ReleaseTarget(left.front().id).ok());
      } else if (case_.op == BackendOp::kRelease && case_.IsError() && faulted) {
        ExpectSurfaced(s, VssMethod::kOnLunEmpty);
      } else {
        EXPECT_TRUE(s.ok()) << s;
      }
      if (!s.ok()) refused.push_back(i);
    }
    if (!refused.empty()) {
      // The refused target is still held and served; once the storage
      // recovers, OnLunEmpty releases it.
      EXPECT_EQ(rig_.mock->LiveTargetCount(), static_cast<int>(refused.size()));
      rig_.faults->ClearRules();
      for (size_t i : refused) {
        absl::Status s = Timed(VssMethod::kOnLunEmpty, absl::StrCat("target ", i, " again"),
                               [&] { return rig_.provider->OnLunEmpty("\\\\?\\disk", (*targets)[i]); });
        EXPECT_TRUE(s.ok()) << s;
      }
    }
    EXPECT_EQ(rig_.mock->LiveTargetCount(), 0) << "OnLunEmpty left targets behind";
    EXPECT_TRUE(rig_.provider->PendingReleases().empty());
  }

  SetState ExpectedFinalState(std::set<SetState>* also) const {
    if (completed_) return SetState::kCompleted;
    if (failed_) return SetState::kFailed;
    if (concurrent_status_ && !concurrent_status_->ok()) {
      const ErrorCode code = GetErrorCode(*concurrent_status_);
      if (code != ErrorCode::kCancelled) return SetState::kFailed;  // the failure won the race
      // kCancelled: the abort cut it short — or the injected kCancelled failed the set first.
      if (case_.IsError(ErrorCode::kCancelled)) also->insert(SetState::kFailed);
    }
    return SetState::kAborted;
  }

  // Checks 2, 5 and the firing count, once the sequence has ended.
  void Finish() {
    // A prepare hanging until cancelled holds EndPrepare until the requester
    // gives up (every column that waits for EndPrepare to return).
    const bool waits_for_end_prepare = case_.abort != AbortPoint::kAfterBeginPrepare &&
                                       case_.abort != AbortPoint::kDuringEndPrepare;
    if (case_.op == BackendOp::kPrepare && case_.kind == FaultKind::kHang && waits_for_end_prepare) {
      EXPECT_TRUE(requester_gave_up_) << "EndPrepareSnapshots returned although a prepare hangs";
    }
    if (began_ && !completed_) ExpectRolledBackSetLeftNothing();
    // Counted last: a release deferred to a returning call fires late.
    const int fired = rig_.faults->fired();
    switch (ExpectedFiring(case_.abort, case_.op)) {
      case Firing::kMust: EXPECT_GT(fired, 0) << "the fault never fired"; break;
      case Firing::kNever: EXPECT_EQ(fired, 0) << "the fault fired on an op this column never reaches"; break;
      case Firing::kMay: break;
    }
  }

  // Checks 2 and 5 for an aborted or failed set (a completed one was checked
  // and emptied by ServeCompletedSet).
  void ExpectRolledBackSetLeftNothing() {

    // Backend calls the provider stopped waiting for (a deaf prepare, a
    // commit past the drain) may still run; the set is settled once every
    // prepare job has returned, no slot holds a target (a busy one is
    // released by its call on return), and every target still on the array
    // is kept for a retry. Polled, bounded: a straggler never settling is a
    // leak.
    auto settled = [&] {
      auto progress = rig_.provider->GetProgress(set_);
      if (!progress.ok() || progress->luns_prepared + progress->luns_failed != progress->luns ||
          progress->targets_alive != 0) {
        return false;
      }
      const std::vector<TargetId> pending = rig_.provider->PendingReleases();
      for (const auto& t : rig_.mock->LiveTargets()) {
        if (std::find(pending.begin(), pending.end(), t.id) == pending.end()) return false;
      }
      return true;
    };
    const absl::Time until = absl::Now() + 2 * kCallBound;
    while (!settled() && absl::Now() < until) absl::SleepFor(absl::Milliseconds(2));
    EXPECT_TRUE(settled()) << "[leak] the rolled-back set did not settle within " << 2 * kCallBound
                           << " (a backend call that never returns, or a target neither released nor kept)";

    std::set<SetState> allowed;
    allowed.insert(ExpectedFinalState(&allowed));
    auto progress = rig_.provider->GetProgress(set_);
    ASSERT_TRUE(progress.ok()) << progress.status();
    EXPECT_TRUE(allowed.count(progress->state))
        << "[state] final state " << SetStateName(progress->state) << ", expected "
        << SetStateName(*allowed.begin());
    EXPECT_EQ(progress->targets_alive, 0) << "[leak] the rolled-back set still counts live targets";
    const std::vector<TargetId> pending = rig_.provider->PendingReleases();
    for (const auto& t : rig_.mock->LiveTargets()) {
      EXPECT_NE(std::find(pending.begin(), pending.end(), t.id), pending.end())
          << "[leak] target " << t.id << " (" << t.source.ToString()
          << ") of the rolled-back set is alive and not kept for a retry";
    }
    if (!pending.empty()) {
      EXPECT_TRUE(case_.op == BackendOp::kRelease && case_.IsError())
          << "targets kept for a retry although no release failed";
      rig_.faults->ClearRules();
      EXPECT_EQ(rig_.provider->RetryPendingReleases(), 0) << "[leak] pending releases do not drain";
    }
    EXPECT_EQ(rig_.mock->LiveTargetCount(), 0) << "[leak] targets left on the array";
    EXPECT_TRUE(rig_.provider->PendingReleases().empty());
  }

  const MatrixCase case_;
  Rig rig_;
  SnapshotSetId set_ = SnapshotSetId::Random();
  std::vector<std::vector<LunIdentity>> volumes_;
  LunIdentity fault_lun_;
  std::vector<size_t> included_;
  std::vector<LunIdentity> set_luns_;
  bool began_ = false;
  bool aborted_ = false;
  bool failed_ = false;
  bool completed_ = false;
  bool requester_gave_up_ = false;
  std::optional<absl::Status> concurrent_status_;
  absl::Time abort_start_ = absl::InfinitePast();
};

inline void RunMatrixCase(const MatrixCase& c) {
  MatrixCaseRun run(c);
  run.Run();
}

}  // namespace hwsnap::testing

#endif  // HWSNAP_TESTS_CORE_ABORT_FAULT_MATRIX_H_
