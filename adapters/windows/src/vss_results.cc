// The VSS result tables and the Status -> HRESULT mapping (see
// hwsnap/windows/vss_results.h). This is the only file in hwsnap that decides
// which HRESULT a core failure becomes; each table row cites the Microsoft page
// it comes from, so a reviewer can check it against the source.
#include "hwsnap/windows/vss_results.h"

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

// --- Legal results per method ------------------------------------------------
// Each list is the "Return value" table of the method's page under
// https://learn.microsoft.com/en-us/windows/win32/api/vsprov/ (page name given
// per table), in the page's order. Unless a table says otherwise, the page
// also says: "If any other value is returned, VSS will write an event to the
// event log and convert the error to VSS_E_UNEXPECTED_PROVIDER_ERROR."
//
// Where ../shared/vss-contract.md differs, the pages win:
//  * The contract's "valid provider results overall" lists E_ACCESSDENIED,
//    VSS_E_BAD_STATE, VSS_E_VOLUME_NOT_SUPPORTED,
//    VSS_E_MAXIMUM_NUMBER_OF_SNAPSHOTS_REACHED and VSS_E_CANNOT_REVERT_DISKID;
//    no hardware-provider method's page lists any of them (they belong to the
//    requester and software-provider interfaces), so no table here has them.
//  * The contract has GetProviderCapabilities return "E_NOTIMPL / VSS_E_... as
//    documented"; its page documents no return value at all (see below).
//  * The contract gives no table for FillInLunInfo, ResyncLuns, OnLunStateChange
//    and the reserved methods; the pages do, and ResyncLuns has no E_INVALIDARG.

// nf-vsprov-ivsshardwaresnapshotprovider-arelunssupported
constexpr std::uint32_t kAreLunsSupportedResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotprovider-beginpreparesnapshot. The page gives no
// value for VSS_E_NESTED_VOLUME_LIMIT (MinGW's vsserror.h does) and notes it is
// not returned before Windows Server 2008 R2.
constexpr std::uint32_t kBeginPrepareSnapshotResults[] = {
    kS_OK,
    kE_OUTOFMEMORY,
    kE_INVALIDARG,
    kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED,
    kVSS_E_NESTED_VOLUME_LIMIT,
    kVSS_E_PROVIDER_VETO,
    kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER,
    kVSS_E_UNSUPPORTED_CONTEXT,
};

// nf-vsprov-ivsshardwaresnapshotprovider-fillinluninfo: "VSS ignores this
// method's return value"; the table is the one given for Windows Server 2003,
// where VSS did not ignore it. Remarks: for a LUN unknown to the provider,
// return success with *pbIsSupported FALSE, not an error.
constexpr std::uint32_t kFillInLunInfoResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotprovider-gettargetluns
constexpr std::uint32_t kGetTargetLunsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotprovider-locateluns
constexpr std::uint32_t kLocateLunsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotprovider-onlunempty
constexpr std::uint32_t kOnLunEmptyResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-endpreparesnapshots
constexpr std::uint32_t kEndPrepareSnapshotsResults[] = {
    kS_OK,
    kE_OUTOFMEMORY,
    kE_INVALIDARG,
    kVSS_E_INSUFFICIENT_STORAGE,
    kVSS_E_OBJECT_NOT_FOUND,
    kVSS_E_PROVIDER_VETO,
};

// nf-vsprov-ivssprovidercreatesnapshotset-precommitsnapshots
constexpr std::uint32_t kPreCommitSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-commitsnapshots
constexpr std::uint32_t kCommitSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-postcommitsnapshots
constexpr std::uint32_t kPostCommitSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-prefinalcommitsnapshots (no
// VSS_E_OBJECT_NOT_FOUND on this page)
constexpr std::uint32_t kPreFinalCommitSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-postfinalcommitsnapshots (idem)
constexpr std::uint32_t kPostFinalCommitSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidercreatesnapshotset-abortsnapshots (this page has no
// "VSS converts other values" sentence)
constexpr std::uint32_t kAbortSnapshotsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_OBJECT_NOT_FOUND, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotproviderex-getprovidercapabilities: "Not
// supported. This method is reserved for future use." The page lists no
// return value. E_NOTIMPL is COM's answer for a method with no defined
// behaviour; S_OK would report a capability mask that means nothing. This is
// the one method that cannot succeed.
constexpr std::uint32_t kGetProviderCapabilitiesResults[] = {kE_NOTIMPL};

// nf-vsprov-ivsshardwaresnapshotproviderex-onlunstatechange
constexpr std::uint32_t kOnLunStateChangeResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivsshardwaresnapshotproviderex-resyncluns. No E_INVALIDARG and no
// E_NOTIMPL on this page. (vsbackup's IVssBackupComponentsEx3::RecoverSet page
// lists E_NOTIMPL for "the provider for the volume does not support LUN
// resynchronization"; whether VSS forwards a provider's E_NOTIMPL there is
// unverified, so it stays out until it is.)
constexpr std::uint32_t kResyncLunsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kVSS_E_PROVIDER_VETO, kVSS_E_INSUFFICIENT_STORAGE};

// nf-vsprov-ivsshardwaresnapshotproviderex-onreuseluns: "Not supported. This
// method is reserved for future use." / "If this method succeeds, it returns
// S_OK. Otherwise, it returns an HRESULT error code." Any error code is
// allowed; hwsnap uses the generic ones and E_NOTIMPL, its answer while the
// method stays reserved.
constexpr std::uint32_t kOnReuseLunsResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kE_NOTIMPL};

// nf-vsprov-ivssprovidernotifications-onload
constexpr std::uint32_t kOnLoadResults[] = {
    kS_OK, kE_OUTOFMEMORY, kE_INVALIDARG, kVSS_E_PROVIDER_VETO};

// nf-vsprov-ivssprovidernotifications-onunload: S_OK ("no pending operations,
// ready to be released") or S_FALSE ("should not be unloaded; only if
// bForceUnload is FALSE"). Remarks: "If bForceUnload is TRUE, the return value
// must be S_OK."
constexpr std::uint32_t kOnUnloadResults[] = {kS_OK, kS_FALSE};
constexpr std::uint32_t kOnUnloadForcedResults[] = {kS_OK};

struct MethodRow {
  VssMethod method;
  absl::string_view name;
  absl::Span<const std::uint32_t> legal;
  // What a failure becomes when neither its preferences nor
  // VSS_E_PROVIDER_VETO are legal: the method's most general result.
  std::uint32_t fallback;
  // AreLunsSupported / FillInLunInfo: "cannot say yes" is answered "no".
  bool support_query;
};

const MethodRow kMethodRows[] = {
    {VssMethod::kAreLunsSupported, "AreLunsSupported", kAreLunsSupportedResults, kVSS_E_PROVIDER_VETO, true},
    {VssMethod::kBeginPrepareSnapshot, "BeginPrepareSnapshot", kBeginPrepareSnapshotResults,
     kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kFillInLunInfo, "FillInLunInfo", kFillInLunInfoResults, kVSS_E_PROVIDER_VETO, true},
    {VssMethod::kGetTargetLuns, "GetTargetLuns", kGetTargetLunsResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kLocateLuns, "LocateLuns", kLocateLunsResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kOnLunEmpty, "OnLunEmpty", kOnLunEmptyResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kEndPrepareSnapshots, "EndPrepareSnapshots", kEndPrepareSnapshotsResults,
     kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kPreCommitSnapshots, "PreCommitSnapshots", kPreCommitSnapshotsResults, kVSS_E_PROVIDER_VETO,
     false},
    {VssMethod::kCommitSnapshots, "CommitSnapshots", kCommitSnapshotsResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kPostCommitSnapshots, "PostCommitSnapshots", kPostCommitSnapshotsResults,
     kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kPreFinalCommitSnapshots, "PreFinalCommitSnapshots", kPreFinalCommitSnapshotsResults,
     kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kPostFinalCommitSnapshots, "PostFinalCommitSnapshots", kPostFinalCommitSnapshotsResults,
     kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kAbortSnapshots, "AbortSnapshots", kAbortSnapshotsResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kGetProviderCapabilities, "GetProviderCapabilities", kGetProviderCapabilitiesResults,
     kE_NOTIMPL, false},
    {VssMethod::kOnLunStateChange, "OnLunStateChange", kOnLunStateChangeResults, kVSS_E_PROVIDER_VETO,
     false},
    {VssMethod::kResyncLuns, "ResyncLuns", kResyncLunsResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kOnReuseLuns, "OnReuseLuns", kOnReuseLunsResults, kE_NOTIMPL, false},
    {VssMethod::kOnLoad, "OnLoad", kOnLoadResults, kVSS_E_PROVIDER_VETO, false},
    {VssMethod::kOnUnload, "OnUnload", kOnUnloadResults, kS_FALSE, false},
    {VssMethod::kOnUnloadForced, "OnUnload(forced)", kOnUnloadForcedResults, kS_OK, false},
};

const MethodRow* FindRow(VssMethod method) {
  for (const MethodRow& row : kMethodRows) {
    if (row.method == method) return &row;
  }
  return nullptr;
}

bool Contains(absl::Span<const std::uint32_t> results, std::uint32_t result) {
  for (std::uint32_t r : results) {
    if (r == result) return true;
  }
  return false;
}

// --- Preferences per error code ---------------------------------------------
// The results a failure would ideally become, most specific first. The first
// one the method's table allows wins; if none is allowed the failure becomes
// VSS_E_PROVIDER_VETO, and if even that is not allowed, the method's fallback.
//
//  kInvalidArgument     E_INVALIDARG: the caller passed something unusable.
//                       ResyncLuns has no E_INVALIDARG -> VSS_E_PROVIDER_VETO.
//  kOutOfMemory         E_OUTOFMEMORY: every table but the reserved
//                       GetProviderCapabilities and OnUnload has it.
//  kInsufficientStorage VSS_E_INSUFFICIENT_STORAGE (EndPrepareSnapshots,
//                       ResyncLuns); elsewhere a veto whose event-log entry
//                       names the pool to grow. BeginPrepareSnapshot's
//                       VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED is a limit
//                       on volumes, not on storage, so it is not used.
//  kObjectNotFound      VSS_E_OBJECT_NOT_FOUND where the page has it (the set-
//                       addressed methods: the set id is unknown). The LUN
//                       methods have none: there the unknown object is a LUN
//                       VSS passed in, i.e. "one of the parameter values is
//                       not valid" -> E_INVALIDARG.
//  kCancelled           The set was aborted (AbortSnapshots, or a BeginPrepare
//                       for a new set) while the call ran. VSS started that
//                       abort, so there is nothing for the administrator to
//                       fix and a veto (which demands an event-log remedy)
//                       would be noise; the set no longer exists, so
//                       VSS_E_OBJECT_NOT_FOUND is literally true and legal on
//                       every set-addressed method (EndPrepare, PreCommit,
//                       Commit, PostCommit, Abort). Elsewhere: veto.
//  kBadState            VSS_E_BAD_STATE is the exact code but no hardware-
//                       provider page allows it, so this always ends as
//                       VSS_E_PROVIDER_VETO: VSS called out of order (or, for
//                       AbortSnapshots, on a completed set whose LUNs now
//                       belong to the requester) and the event-log entry says
//                       which call and which state. VSS_E_OBJECT_NOT_FOUND
//                       would be wrong: the set exists.
//  kNotSupported        VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER
//                       (BeginPrepareSnapshot: a LUN without a unique
//                       designator, or more LUNs than the set may hold);
//                       E_NOTIMPL on the reserved OnReuseLuns; else a veto.
//                       VSS_E_UNSUPPORTED_CONTEXT is legal on BeginPrepare but
//                       no ErrorCode says "context": the adapter returns it
//                       itself if it ever rejects lContext before the core.
//  kVeto                VSS_E_PROVIDER_VETO, with the remedy from the status.
//  kDeadlineExceeded    No VSS code fits (VSS_E_HOLD_WRITES_TIMEOUT is what VSS
//                       reports to the requester, not a provider result): veto,
//                       so the administrator learns the array was too slow.
//  kBackendFailure      Veto: the storage failed; the entry carries its message.
constexpr std::uint32_t kPreferInvalidArgument[] = {kE_INVALIDARG};
constexpr std::uint32_t kPreferOutOfMemory[] = {kE_OUTOFMEMORY};
constexpr std::uint32_t kPreferInsufficientStorage[] = {kVSS_E_INSUFFICIENT_STORAGE};
constexpr std::uint32_t kPreferObjectNotFound[] = {kVSS_E_OBJECT_NOT_FOUND, kE_INVALIDARG};
constexpr std::uint32_t kPreferCancelled[] = {kVSS_E_OBJECT_NOT_FOUND};
constexpr std::uint32_t kPreferBadState[] = {kVSS_E_BAD_STATE};
constexpr std::uint32_t kPreferNotSupported[] = {kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, kE_NOTIMPL};

absl::Span<const std::uint32_t> Preferences(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
      return kPreferInvalidArgument;
    case ErrorCode::kOutOfMemory:
      return kPreferOutOfMemory;
    case ErrorCode::kInsufficientStorage:
      return kPreferInsufficientStorage;
    case ErrorCode::kObjectNotFound:
      return kPreferObjectNotFound;
    case ErrorCode::kCancelled:
      return kPreferCancelled;
    case ErrorCode::kBadState:
      return kPreferBadState;
    case ErrorCode::kNotSupported:
      return kPreferNotSupported;
    default:  // kVeto, kDeadlineExceeded, kBackendFailure, future codes: veto
      return {};
  }
}

// Support queries (AreLunsSupported, FillInLunInfo) are asked of every hardware
// provider about every LUN VSS sees, ours or not. Per their pages the answer
// to "can you?" must be FALSE — not an error — for a LUN the provider does not
// know (FillInLunInfo remarks) and whenever it cannot make the snapshot, "even
// if the problem is only temporary ... such as low resources"
// (AreLunsSupported remarks). An error here would fail backups of volumes that
// have nothing to do with our array (e.g. while the array is unreachable, the
// backend cannot even tell whether a LUN is ours). So every failure answers
// "no" with S_OK, except: bad input from VSS (E_INVALIDARG), host memory
// (E_OUTOFMEMORY) and an explicit veto, which the backend raises precisely
// because the administrator must act.
bool AnswersNo(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidArgument:
    case ErrorCode::kOutOfMemory:
    case ErrorCode::kVeto:
      return false;
    default:
      return true;
  }
}

struct ResultName {
  std::uint32_t value;
  absl::string_view name;
};

constexpr ResultName kResultNames[] = {
    {kS_OK, "S_OK"},
    {kS_FALSE, "S_FALSE"},
    {kVSS_S_ASYNC_PENDING, "VSS_S_ASYNC_PENDING"},
    {kVSS_S_ASYNC_FINISHED, "VSS_S_ASYNC_FINISHED"},
    {kVSS_S_ASYNC_CANCELLED, "VSS_S_ASYNC_CANCELLED"},
    {kE_NOTIMPL, "E_NOTIMPL"},
    {kE_FAIL, "E_FAIL"},
    {kE_UNEXPECTED, "E_UNEXPECTED"},
    {kE_OUTOFMEMORY, "E_OUTOFMEMORY"},
    {kE_INVALIDARG, "E_INVALIDARG"},
    {kVSS_E_BAD_STATE, "VSS_E_BAD_STATE"},
    {kVSS_E_UNEXPECTED, "VSS_E_UNEXPECTED"},
    {kVSS_E_PROVIDER_VETO, "VSS_E_PROVIDER_VETO"},
    {kVSS_E_OBJECT_NOT_FOUND, "VSS_E_OBJECT_NOT_FOUND"},
    {kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, "VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER"},
    {kVSS_E_UNEXPECTED_PROVIDER_ERROR, "VSS_E_UNEXPECTED_PROVIDER_ERROR"},
    {kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED, "VSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED"},
    {kVSS_E_UNSUPPORTED_CONTEXT, "VSS_E_UNSUPPORTED_CONTEXT"},
    {kVSS_E_INSUFFICIENT_STORAGE, "VSS_E_INSUFFICIENT_STORAGE"},
    {kVSS_E_NESTED_VOLUME_LIMIT, "VSS_E_NESTED_VOLUME_LIMIT"},
};

}  // namespace

absl::string_view VssMethodName(VssMethod method) {
  const MethodRow* row = FindRow(method);
  return row ? row->name : "unknown";
}

absl::Span<const std::uint32_t> LegalResults(VssMethod method) {
  const MethodRow* row = FindRow(method);
  return row ? row->legal : absl::Span<const std::uint32_t>();
}

bool IsLegalResult(VssMethod method, std::uint32_t result) {
  return Contains(LegalResults(method), result);
}

std::uint32_t MapStatusToResult(VssMethod method, const absl::Status& status) {
  const MethodRow* row = FindRow(method);
  // A value outside the enum has no table; a veto at least makes VSS log it.
  if (row == nullptr) return kVSS_E_PROVIDER_VETO;
  const ErrorCode code = GetErrorCode(status);
  if (code == ErrorCode::kOk) return Contains(row->legal, kS_OK) ? kS_OK : row->fallback;
  if (row->support_query && AnswersNo(code)) return kS_OK;
  for (std::uint32_t preferred : Preferences(code)) {
    if (Contains(row->legal, preferred)) return preferred;
  }
  if (Contains(row->legal, kVSS_E_PROVIDER_VETO)) return kVSS_E_PROVIDER_VETO;
  return row->fallback;
}

// The IVssAsync pages under https://learn.microsoft.com/en-us/windows/win32/api/vss/
// (nf-vss-ivssasync-querystatus, -wait, -cancel): *pHrResult is
// VSS_S_ASYNC_PENDING / _FINISHED / _CANCELLED for every IVssAsync; "if an error
// occurs during the asynchronous operation, QueryStatus returns the same error
// code as the method that initially returned the IVssAsync object" (Wait and
// Cancel likewise return "the error that operation encountered").
std::uint32_t MapAsyncStatusToResult(VssMethod method, const std::optional<absl::Status>& status) {
  if (!status.has_value()) return kVSS_S_ASYNC_PENDING;
  if (status->ok()) return kVSS_S_ASYNC_FINISHED;
  if (GetErrorCode(*status) == ErrorCode::kCancelled) return kVSS_S_ASYNC_CANCELLED;
  const std::uint32_t result = MapStatusToResult(method, *status);
  // A failure never reads as success (MapStatusToResult keeps failures failed
  // outside the support queries and a forced OnUnload, which return no IVssAsync).
  return (result & 0x80000000u) != 0 ? result : kVSS_E_PROVIDER_VETO;
}

bool NeedsEventLogEntry(std::uint32_t result) {
  if ((result & 0x80000000u) == 0) return false;  // success codes (S_OK, S_FALSE)
  switch (result) {
    // Failures that name their cause to the requester by themselves.
    case kE_OUTOFMEMORY:
    case kE_INVALIDARG:
    case kE_NOTIMPL:
    case kVSS_E_INSUFFICIENT_STORAGE:
    case kVSS_E_OBJECT_NOT_FOUND:
    case kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED:
    case kVSS_E_NESTED_VOLUME_LIMIT:
    case kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER:
    case kVSS_E_UNSUPPORTED_CONTEXT:
      return false;
    default:  // VSS_E_PROVIDER_VETO and the VSS_E_UNEXPECTED_PROVIDER_ERROR class
      return true;
  }
}

std::string VssResultName(std::uint32_t result) {
  for (const ResultName& entry : kResultNames) {
    if (entry.value == result) return std::string(entry.name);
  }
  return absl::StrFormat("0x%08X", result);
}

}  // namespace windows
}  // namespace hwsnap
