// Tests of hwsnap/windows/vss_results.h. VSS turns any result a method's page
// does not list into VSS_E_UNEXPECTED_PROVIDER_ERROR, so these tests pin each
// table to its documentation page, prove the mapping never leaves a table for
// any error code, and (in the Windows build, under Wine) check every HRESULT
// constant against the MinGW SDK headers.
#include "hwsnap/windows/vss_results.h"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "hwsnap/status.h"

#ifdef _WIN32
#include <windows.h>
// windows.h first: vsserror.h uses HRESULT without including its definition.
#include <vsserror.h>
#include <winerror.h>
#endif

namespace hwsnap {
namespace windows {
namespace {

using ::testing::ElementsAre;

std::vector<std::uint32_t> Table(VssMethod method) {
  absl::Span<const std::uint32_t> results = LegalResults(method);
  return std::vector<std::uint32_t>(results.begin(), results.end());
}

std::uint32_t Map(VssMethod method, ErrorCode code) {
  return MapStatusToResult(method, MakeError(code, "test failure"));
}

bool IsSupportQuery(VssMethod method) {
  return method == VssMethod::kAreLunsSupported || method == VssMethod::kFillInLunInfo;
}

// --- The tables, as the learn.microsoft.com vsprov.h pages give them --------

TEST(VssResultsTest, HardwareProviderTablesMatchTheirPages) {
  EXPECT_THAT(Table(VssMethod::kAreLunsSupported),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kBeginPrepareSnapshot),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
                          kVSS_E_NESTED_VOLUME_LIMIT, kVSS_E_PROVIDER_VETO,
                          kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, kVSS_E_UNSUPPORTED_CONTEXT));
  EXPECT_THAT(Table(VssMethod::kFillInLunInfo),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kGetTargetLuns),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kLocateLuns),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kOnLunEmpty),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
}

TEST(VssResultsTest, CreateSnapshotSetTablesMatchTheirPages) {
  EXPECT_THAT(Table(VssMethod::kEndPrepareSnapshots),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_INSUFFICIENT_STORAGE,
                          kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO));
  for (VssMethod method : {VssMethod::kPreCommitSnapshots, VssMethod::kCommitSnapshots,
                           VssMethod::kPostCommitSnapshots, VssMethod::kAbortSnapshots}) {
    EXPECT_THAT(Table(method), ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_OBJECT_NOT_FOUND,
                                           kVSS_E_PROVIDER_VETO))
        << VssMethodName(method);
  }
  for (VssMethod method : {VssMethod::kPreFinalCommitSnapshots, VssMethod::kPostFinalCommitSnapshots}) {
    EXPECT_THAT(Table(method), ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO))
        << VssMethodName(method);
  }
}

TEST(VssResultsTest, ExAndNotificationTablesMatchTheirPages) {
  EXPECT_THAT(Table(VssMethod::kGetProviderCapabilities), ElementsAre(kE_NOTIMPL));
  EXPECT_THAT(Table(VssMethod::kOnLunStateChange),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kResyncLuns),
              ElementsAre(kS_OK, kE_OUTOFMEMORY, kVSS_E_PROVIDER_VETO, kVSS_E_INSUFFICIENT_STORAGE));
  EXPECT_THAT(Table(VssMethod::kOnReuseLuns), ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kE_NOTIMPL));
  EXPECT_THAT(Table(VssMethod::kOnLoad), ElementsAre(kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO));
  EXPECT_THAT(Table(VssMethod::kOnUnload), ElementsAre(kS_OK, kS_FALSE));
  EXPECT_THAT(Table(VssMethod::kOnUnloadForced), ElementsAre(kS_OK));
}

TEST(VssResultsTest, EveryTableIsNonEmptyDistinctAndHoldsSOkUnlessTheMethodCannotSucceed) {
  for (VssMethod method : kAllVssMethods) {
    const std::vector<std::uint32_t> table = Table(method);
    ASSERT_FALSE(table.empty()) << VssMethodName(method);
    EXPECT_EQ(std::set<std::uint32_t>(table.begin(), table.end()).size(), table.size())
        << VssMethodName(method) << " lists a result twice";
    if (method == VssMethod::kGetProviderCapabilities) {
      EXPECT_FALSE(IsLegalResult(method, kS_OK)) << "reserved, 'not supported': it cannot succeed";
    } else {
      EXPECT_TRUE(IsLegalResult(method, kS_OK)) << VssMethodName(method);
    }
    // S_FALSE is OnUnload's "do not unload me now", legal only when not forced.
    EXPECT_EQ(IsLegalResult(method, kS_FALSE), method == VssMethod::kOnUnload) << VssMethodName(method);
    // VSS converts these; no page lists them.
    for (std::uint32_t never : {kE_FAIL, kE_UNEXPECTED, kVSS_E_BAD_STATE, kVSS_E_UNEXPECTED_PROVIDER_ERROR}) {
      EXPECT_FALSE(IsLegalResult(method, never)) << VssMethodName(method) << " " << VssResultName(never);
    }
  }
}

TEST(VssResultsTest, MethodNamesAreTheComNamesAndDistinct) {
  std::set<std::string> names;
  for (VssMethod method : kAllVssMethods) {
    const absl::string_view name = VssMethodName(method);
    EXPECT_NE(name, "unknown");
    names.insert(std::string(name));
  }
  EXPECT_EQ(names.size(), kAllVssMethods.size());
  EXPECT_EQ(VssMethodName(VssMethod::kEndPrepareSnapshots), "EndPrepareSnapshots");
  EXPECT_EQ(VssMethodName(VssMethod::kAreLunsSupported), "AreLunsSupported");
  EXPECT_EQ(VssMethodName(VssMethod::kOnUnload), "OnUnload");
  EXPECT_EQ(VssMethodName(VssMethod::kOnUnloadForced), "OnUnload(forced)");
}

TEST(VssResultsTest, ValuesOutsideTheEnumHaveNoTable) {
  const auto bogus = static_cast<VssMethod>(999);
  EXPECT_EQ(VssMethodName(bogus), "unknown");
  EXPECT_TRUE(LegalResults(bogus).empty());
  EXPECT_FALSE(IsLegalResult(bogus, kS_OK));
  EXPECT_EQ(MapStatusToResult(bogus, absl::OkStatus()), kVSS_E_PROVIDER_VETO);
}

// --- The mapping ---------------------------------------------------------------

TEST(VssResultsTest, EveryErrorCodeOnEveryMethodMapsToALegalResult) {
  for (VssMethod method : kAllVssMethods) {
    for (ErrorCode code : kAllErrorCodes) {
      const absl::Status status = MakeError(code, "something failed");
      const std::uint32_t result = MapStatusToResult(method, status);
      EXPECT_TRUE(IsLegalResult(method, result))
          << VssMethodName(method) << " x " << ErrorCodeName(code) << " -> " << VssResultName(result);
      // Context added on the way up must not change the result.
      EXPECT_EQ(MapStatusToResult(method, Annotate(status, "prepare LUN 3")), result)
          << VssMethodName(method) << " x " << ErrorCodeName(code);
    }
  }
}

TEST(VssResultsTest, OkIsSOkWhereverSuccessIsLegal) {
  for (VssMethod method : kAllVssMethods) {
    if (method == VssMethod::kGetProviderCapabilities) {
      EXPECT_EQ(MapStatusToResult(method, absl::OkStatus()), kE_NOTIMPL);
    } else {
      EXPECT_EQ(MapStatusToResult(method, absl::OkStatus()), kS_OK) << VssMethodName(method);
    }
  }
}

TEST(VssResultsTest, OnlySupportQueriesAndAForcedUnloadTurnAFailureIntoSOk) {
  for (VssMethod method : kAllVssMethods) {
    if (IsSupportQuery(method) || method == VssMethod::kOnUnloadForced) continue;
    for (ErrorCode code : kAllErrorCodes) {
      if (code == ErrorCode::kOk) continue;
      EXPECT_NE(Map(method, code), kS_OK) << VssMethodName(method) << " x " << ErrorCodeName(code);
    }
  }
}

TEST(VssResultsTest, EndPrepareSnapshotsCells) {
  const VssMethod m = VssMethod::kEndPrepareSnapshots;
  EXPECT_EQ(MapStatusToResult(m, InsufficientStorageError("pool 'gold' is full")), kVSS_E_INSUFFICIENT_STORAGE);
  EXPECT_EQ(MapStatusToResult(m, ObjectNotFoundError("unknown snapshot set")), kVSS_E_OBJECT_NOT_FOUND);
  EXPECT_EQ(MapStatusToResult(m, VetoError("LUN 3 is replicated", "Pause replication.")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, OutOfMemoryError("no memory")), kE_OUTOFMEMORY);
  EXPECT_EQ(MapStatusToResult(m, BackendFailureError("array said no")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, InvalidArgumentError("nil set id")), kE_INVALIDARG);
  // Aborted by VSS while waiting: the set is gone; nothing for the admin to fix.
  EXPECT_EQ(MapStatusToResult(m, CancelledError("set was aborted")), kVSS_E_OBJECT_NOT_FOUND);
  // VSS_E_BAD_STATE is not on the page: out-of-order calls are vetoed.
  EXPECT_EQ(MapStatusToResult(m, BadStateError("set is committed")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, DeadlineExceededError("too slow")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, NotSupportedError("no designator")), kVSS_E_PROVIDER_VETO);
}

TEST(VssResultsTest, OtherImportantCells) {
  // BeginPrepareSnapshot: an unsupported LUN (or too many LUNs) is the volume's fault.
  EXPECT_EQ(Map(VssMethod::kBeginPrepareSnapshot, ErrorCode::kNotSupported),
            kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER);
  EXPECT_EQ(Map(VssMethod::kBeginPrepareSnapshot, ErrorCode::kBadState), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(Map(VssMethod::kBeginPrepareSnapshot, ErrorCode::kInsufficientStorage), kVSS_E_PROVIDER_VETO);
  // Commit: a missed window is a veto; an abort during commit is "set gone".
  EXPECT_EQ(Map(VssMethod::kCommitSnapshots, ErrorCode::kDeadlineExceeded), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(Map(VssMethod::kCommitSnapshots, ErrorCode::kCancelled), kVSS_E_OBJECT_NOT_FOUND);
  EXPECT_EQ(Map(VssMethod::kCommitSnapshots, ErrorCode::kObjectNotFound), kVSS_E_OBJECT_NOT_FOUND);
  // PreFinalCommit has no VSS_E_OBJECT_NOT_FOUND.
  EXPECT_EQ(Map(VssMethod::kPreFinalCommitSnapshots, ErrorCode::kObjectNotFound), kE_INVALIDARG);
  EXPECT_EQ(Map(VssMethod::kPreFinalCommitSnapshots, ErrorCode::kCancelled), kVSS_E_PROVIDER_VETO);
  // Aborting a completed set (core: kBadState) is refused with a veto.
  EXPECT_EQ(Map(VssMethod::kAbortSnapshots, ErrorCode::kBadState), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(Map(VssMethod::kAbortSnapshots, ErrorCode::kObjectNotFound), kVSS_E_OBJECT_NOT_FOUND);
  // LUN methods: an unknown LUN is an invalid parameter value.
  for (VssMethod m : {VssMethod::kGetTargetLuns, VssMethod::kLocateLuns, VssMethod::kOnLunEmpty}) {
    EXPECT_EQ(Map(m, ErrorCode::kObjectNotFound), kE_INVALIDARG) << VssMethodName(m);
    EXPECT_EQ(Map(m, ErrorCode::kBackendFailure), kVSS_E_PROVIDER_VETO) << VssMethodName(m);
  }
  // ResyncLuns has no E_INVALIDARG but has VSS_E_INSUFFICIENT_STORAGE.
  EXPECT_EQ(Map(VssMethod::kResyncLuns, ErrorCode::kInvalidArgument), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(Map(VssMethod::kResyncLuns, ErrorCode::kInsufficientStorage), kVSS_E_INSUFFICIENT_STORAGE);
  EXPECT_EQ(Map(VssMethod::kResyncLuns, ErrorCode::kNotSupported), kVSS_E_PROVIDER_VETO);
  // Reserved methods.
  EXPECT_EQ(Map(VssMethod::kOnReuseLuns, ErrorCode::kNotSupported), kE_NOTIMPL);
  EXPECT_EQ(Map(VssMethod::kOnReuseLuns, ErrorCode::kBackendFailure), kE_NOTIMPL);
  EXPECT_EQ(Map(VssMethod::kOnReuseLuns, ErrorCode::kOutOfMemory), kE_OUTOFMEMORY);
  for (ErrorCode code : kAllErrorCodes) {
    EXPECT_EQ(Map(VssMethod::kGetProviderCapabilities, code), kE_NOTIMPL) << ErrorCodeName(code);
  }
  // OnUnload: any failure means "not now" unless forced, when only S_OK is allowed.
  EXPECT_EQ(Map(VssMethod::kOnUnload, ErrorCode::kBadState), kS_FALSE);
  EXPECT_EQ(Map(VssMethod::kOnUnload, ErrorCode::kOutOfMemory), kS_FALSE);
  EXPECT_EQ(Map(VssMethod::kOnUnloadForced, ErrorCode::kBadState), kS_OK);
  EXPECT_EQ(Map(VssMethod::kOnLoad, ErrorCode::kBackendFailure), kVSS_E_PROVIDER_VETO);
}

TEST(VssResultsTest, SupportQueriesAnswerNoInsteadOfFailing) {
  for (VssMethod m : {VssMethod::kAreLunsSupported, VssMethod::kFillInLunInfo}) {
    for (ErrorCode code : {ErrorCode::kNotSupported, ErrorCode::kObjectNotFound, ErrorCode::kInsufficientStorage,
                           ErrorCode::kBackendFailure, ErrorCode::kDeadlineExceeded, ErrorCode::kCancelled,
                           ErrorCode::kBadState}) {
      EXPECT_EQ(Map(m, code), kS_OK) << VssMethodName(m) << " x " << ErrorCodeName(code);
    }
    EXPECT_EQ(Map(m, ErrorCode::kInvalidArgument), kE_INVALIDARG) << VssMethodName(m);
    EXPECT_EQ(Map(m, ErrorCode::kOutOfMemory), kE_OUTOFMEMORY) << VssMethodName(m);
    EXPECT_EQ(Map(m, ErrorCode::kVeto), kVSS_E_PROVIDER_VETO) << VssMethodName(m);
  }
}

TEST(VssResultsTest, StatusesWithoutHwsnapPayloadAreClassified) {
  const VssMethod m = VssMethod::kEndPrepareSnapshots;
  EXPECT_FALSE(HasErrorCode(absl::ResourceExhaustedError("x")));
  EXPECT_EQ(MapStatusToResult(m, absl::ResourceExhaustedError("x")), kVSS_E_INSUFFICIENT_STORAGE);
  EXPECT_EQ(MapStatusToResult(m, absl::NotFoundError("x")), kVSS_E_OBJECT_NOT_FOUND);
  EXPECT_EQ(MapStatusToResult(m, absl::InvalidArgumentError("x")), kE_INVALIDARG);
  EXPECT_EQ(MapStatusToResult(m, absl::OutOfRangeError("x")), kE_INVALIDARG);
  EXPECT_EQ(MapStatusToResult(m, absl::CancelledError("x")), kVSS_E_OBJECT_NOT_FOUND);
  EXPECT_EQ(MapStatusToResult(m, absl::InternalError("x")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, absl::UnknownError("x")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(m, absl::FailedPreconditionError("x")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapStatusToResult(VssMethod::kBeginPrepareSnapshot, absl::UnimplementedError("x")),
            kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER);
  // Every canonical code lands in the table of every method.
  for (int raw = 1; raw <= 16; ++raw) {
    const absl::Status foreign(static_cast<absl::StatusCode>(raw), "foreign");
    for (VssMethod method : kAllVssMethods) {
      EXPECT_TRUE(IsLegalResult(method, MapStatusToResult(method, foreign)))
          << VssMethodName(method) << " x " << foreign.ToString();
    }
  }
}

// --- Event log -------------------------------------------------------------------

TEST(VssResultsTest, VetoAndUnexpectedProviderErrorsNeedAnEventLogEntry) {
  EXPECT_TRUE(NeedsEventLogEntry(kVSS_E_PROVIDER_VETO));
  EXPECT_TRUE(NeedsEventLogEntry(kVSS_E_UNEXPECTED_PROVIDER_ERROR));
  // Failures VSS would convert to VSS_E_UNEXPECTED_PROVIDER_ERROR.
  EXPECT_TRUE(NeedsEventLogEntry(kE_FAIL));
  EXPECT_TRUE(NeedsEventLogEntry(kE_UNEXPECTED));
  EXPECT_TRUE(NeedsEventLogEntry(kVSS_E_BAD_STATE));
  EXPECT_TRUE(NeedsEventLogEntry(0x80004004u));  // E_ABORT
}

TEST(VssResultsTest, SuccessAndSelfExplainingFailuresNeedNoEventLogEntry) {
  for (std::uint32_t result : {kS_OK, kS_FALSE, kE_OUTOFMEMORY, kE_INVALIDARG, kE_NOTIMPL,
                               kVSS_E_INSUFFICIENT_STORAGE, kVSS_E_OBJECT_NOT_FOUND,
                               kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, kVSS_E_NESTED_VOLUME_LIMIT,
                               kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, kVSS_E_UNSUPPORTED_CONTEXT}) {
    EXPECT_FALSE(NeedsEventLogEntry(result)) << VssResultName(result);
  }
}

TEST(VssResultsTest, EveryMappedFailureThatNeedsAnEntryIsAVeto) {
  // The adapter writes entries only for vetoes: no mapping produces another
  // result that would need one.
  for (VssMethod method : kAllVssMethods) {
    for (ErrorCode code : kAllErrorCodes) {
      const std::uint32_t result = Map(method, code);
      if (NeedsEventLogEntry(result)) {
        EXPECT_EQ(result, kVSS_E_PROVIDER_VETO) << VssMethodName(method) << " x " << ErrorCodeName(code);
      }
    }
  }
}

TEST(VssResultsTest, ResultNames) {
  EXPECT_EQ(VssResultName(kVSS_E_PROVIDER_VETO), "VSS_E_PROVIDER_VETO");
  EXPECT_EQ(VssResultName(kS_OK), "S_OK");
  EXPECT_EQ(VssResultName(kE_NOTIMPL), "E_NOTIMPL");
  EXPECT_EQ(VssResultName(0x8004ABCDu), "0x8004ABCD");
  for (VssMethod method : kAllVssMethods) {
    for (std::uint32_t result : LegalResults(method)) {
      EXPECT_NE(VssResultName(result).rfind("0x", 0), 0u) << "unnamed result in " << VssMethodName(method);
    }
  }
}

// IVssAsync of ResyncLuns (vss.h IVssAsync::QueryStatus page): pending,
// finished, cancelled, else the error ResyncLuns itself would return.
TEST(VssResultsTest, AsyncStatusesOfResyncLuns) {
  const VssMethod m = VssMethod::kResyncLuns;
  EXPECT_EQ(MapAsyncStatusToResult(m, std::nullopt), kVSS_S_ASYNC_PENDING);
  EXPECT_EQ(MapAsyncStatusToResult(m, absl::OkStatus()), kVSS_S_ASYNC_FINISHED);
  EXPECT_EQ(MapAsyncStatusToResult(m, CancelledError("stop")), kVSS_S_ASYNC_CANCELLED);
  EXPECT_EQ(MapAsyncStatusToResult(m, InsufficientStorageError("full")), kVSS_E_INSUFFICIENT_STORAGE);
  EXPECT_EQ(MapAsyncStatusToResult(m, OutOfMemoryError("oom")), kE_OUTOFMEMORY);
  EXPECT_EQ(MapAsyncStatusToResult(m, VetoError("no", "fix it")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapAsyncStatusToResult(m, InvalidArgumentError("bad")), kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(MapAsyncStatusToResult(m, NotSupportedError("no resync")), kVSS_E_PROVIDER_VETO);
  for (ErrorCode code : kAllErrorCodes) {
    if (code == ErrorCode::kOk || code == ErrorCode::kCancelled) continue;
    const std::uint32_t result = MapAsyncStatusToResult(m, MakeError(code, "x"));
    EXPECT_TRUE(IsLegalResult(m, result)) << ErrorCodeName(code);
    EXPECT_NE(result, kS_OK) << ErrorCodeName(code);
  }
  EXPECT_EQ(VssResultName(kVSS_S_ASYNC_CANCELLED), "VSS_S_ASYNC_CANCELLED");
}

// --- The constants are the SDK's -----------------------------------------------
#ifdef _WIN32
constexpr std::uint32_t Sdk(HRESULT hr) { return static_cast<std::uint32_t>(hr); }

static_assert(kS_OK == Sdk(S_OK));
static_assert(kS_FALSE == Sdk(S_FALSE));
static_assert(kE_NOTIMPL == Sdk(E_NOTIMPL));
static_assert(kE_FAIL == Sdk(E_FAIL));
static_assert(kE_UNEXPECTED == Sdk(E_UNEXPECTED));
static_assert(kE_OUTOFMEMORY == Sdk(E_OUTOFMEMORY));
static_assert(kE_INVALIDARG == Sdk(E_INVALIDARG));
static_assert(kVSS_E_BAD_STATE == Sdk(VSS_E_BAD_STATE));
static_assert(kVSS_E_PROVIDER_VETO == Sdk(VSS_E_PROVIDER_VETO));
static_assert(kVSS_E_OBJECT_NOT_FOUND == Sdk(VSS_E_OBJECT_NOT_FOUND));
static_assert(kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER == Sdk(VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER));
static_assert(kVSS_E_UNEXPECTED_PROVIDER_ERROR == Sdk(VSS_E_UNEXPECTED_PROVIDER_ERROR));
static_assert(kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED == Sdk(VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED));
static_assert(kVSS_E_UNSUPPORTED_CONTEXT == Sdk(VSS_E_UNSUPPORTED_CONTEXT));
static_assert(kVSS_E_INSUFFICIENT_STORAGE == Sdk(VSS_E_INSUFFICIENT_STORAGE));
static_assert(kVSS_E_NESTED_VOLUME_LIMIT == Sdk(VSS_E_NESTED_VOLUME_LIMIT));
static_assert(kVSS_E_UNEXPECTED == Sdk(VSS_E_UNEXPECTED));
static_assert(kVSS_S_ASYNC_PENDING == Sdk(VSS_S_ASYNC_PENDING));
static_assert(kVSS_S_ASYNC_FINISHED == Sdk(VSS_S_ASYNC_FINISHED));
static_assert(kVSS_S_ASYNC_CANCELLED == Sdk(VSS_S_ASYNC_CANCELLED));

TEST(VssResultsTest, ConstantsEqualTheWindowsSdkValues) {
  // Also at run time, so the Wine run reports them (the static_asserts above
  // already stop a build that disagrees).
  EXPECT_EQ(static_cast<HRESULT>(kS_OK), S_OK);
  EXPECT_EQ(static_cast<HRESULT>(kS_FALSE), S_FALSE);
  EXPECT_EQ(static_cast<HRESULT>(kE_NOTIMPL), E_NOTIMPL);
  EXPECT_EQ(static_cast<HRESULT>(kE_FAIL), E_FAIL);
  EXPECT_EQ(static_cast<HRESULT>(kE_UNEXPECTED), E_UNEXPECTED);
  EXPECT_EQ(static_cast<HRESULT>(kE_OUTOFMEMORY), E_OUTOFMEMORY);
  EXPECT_EQ(static_cast<HRESULT>(kE_INVALIDARG), E_INVALIDARG);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_BAD_STATE), VSS_E_BAD_STATE);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_PROVIDER_VETO), VSS_E_PROVIDER_VETO);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_OBJECT_NOT_FOUND), VSS_E_OBJECT_NOT_FOUND);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER), VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_UNEXPECTED_PROVIDER_ERROR), VSS_E_UNEXPECTED_PROVIDER_ERROR);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED), VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_UNSUPPORTED_CONTEXT), VSS_E_UNSUPPORTED_CONTEXT);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_INSUFFICIENT_STORAGE), VSS_E_INSUFFICIENT_STORAGE);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_NESTED_VOLUME_LIMIT), VSS_E_NESTED_VOLUME_LIMIT);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_E_UNEXPECTED), VSS_E_UNEXPECTED);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_S_ASYNC_PENDING), VSS_S_ASYNC_PENDING);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_S_ASYNC_FINISHED), VSS_S_ASYNC_FINISHED);
  EXPECT_EQ(static_cast<HRESULT>(kVSS_S_ASYNC_CANCELLED), VSS_S_ASYNC_CANCELLED);
  EXPECT_TRUE(SUCCEEDED(static_cast<HRESULT>(kVSS_S_ASYNC_PENDING)));
  EXPECT_TRUE(FAILED(static_cast<HRESULT>(kVSS_E_PROVIDER_VETO)));
  EXPECT_TRUE(SUCCEEDED(static_cast<HRESULT>(kS_FALSE)));
}
#endif  // _WIN32

}  // namespace
}  // namespace windows
}  // namespace hwsnap
