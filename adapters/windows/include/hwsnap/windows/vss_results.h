// hwsnap/windows/vss_results.h — the HRESULT boundary of the VSS provider, as data.
//
// This file exists so that the one place where a core absl::Status becomes an
// HRESULT is plain, platform-neutral data: which results each VSS provider
// method may legally return (from Microsoft's vsprov.h reference pages), and
// which of those a core failure turns into. The COM adapter calls
// MapStatusToResult at the end of every method; the Linux tests and a later
// deterministic VSS simulation use the same tables without Windows headers.
//
//   absl::Status s = provider.EndPrepareSnapshots(set);
//   std::uint32_t hr = hwsnap::windows::MapStatusToResult(VssMethod::kEndPrepareSnapshots, s);
//   if (hwsnap::windows::NeedsEventLogEntry(hr)) event_log.Defer(s);   // never while frozen
//   return static_cast<HRESULT>(hr);
//
// HRESULTs are carried as std::uint32_t with the bit pattern of the Windows
// SDK value (0x80042306 is VSS_E_PROVIDER_VETO); the constants below are named
// like the SDK macros with a `k` prefix. Their values are taken from MinGW-w64's
// winerror.h and vsserror.h, and the Windows build checks them against those
// headers (tests/adapters/vss_results_test.cc).
//
// Doc sources: each method's table cites its learn.microsoft.com page
// ("Return value" section) in vss_results.cc. Where ../shared/vss-contract.md
// disagrees with a page, the page wins and the .cc says so.
#ifndef HWSNAP_WINDOWS_VSS_RESULTS_H_
#define HWSNAP_WINDOWS_VSS_RESULTS_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace hwsnap {
namespace windows {

// --- HRESULT values (MinGW-w64 winerror.h / vsserror.h) ---------------------
// Success codes.
inline constexpr std::uint32_t kS_OK = 0x00000000u;
inline constexpr std::uint32_t kS_FALSE = 0x00000001u;
// IVssAsync status codes (vsserror.h): what QueryStatus stores in *pHrResult
// and what Cancel returns for an operation that already ended.
inline constexpr std::uint32_t kVSS_S_ASYNC_PENDING = 0x00042309u;
inline constexpr std::uint32_t kVSS_S_ASYNC_FINISHED = 0x0004230Au;
inline constexpr std::uint32_t kVSS_S_ASYNC_CANCELLED = 0x0004230Bu;
// Generic COM failures.
inline constexpr std::uint32_t kE_NOTIMPL = 0x80004001u;
inline constexpr std::uint32_t kE_FAIL = 0x80004005u;        // never legal for a provider method
inline constexpr std::uint32_t kE_UNEXPECTED = 0x8000FFFFu;  // never legal for a provider method
inline constexpr std::uint32_t kE_OUTOFMEMORY = 0x8007000Eu;
inline constexpr std::uint32_t kE_INVALIDARG = 0x80070057u;
// VSS failures.
inline constexpr std::uint32_t kVSS_E_BAD_STATE = 0x80042301u;  // legal for no hardware-provider method
inline constexpr std::uint32_t kVSS_E_UNEXPECTED = 0x80042302u;  // IVssAsync's "unexpected error"
inline constexpr std::uint32_t kVSS_E_PROVIDER_VETO = 0x80042306u;
inline constexpr std::uint32_t kVSS_E_OBJECT_NOT_FOUND = 0x80042308u;
inline constexpr std::uint32_t kVSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER = 0x8004230Eu;
inline constexpr std::uint32_t kVSS_E_UNEXPECTED_PROVIDER_ERROR = 0x8004230Fu;  // what VSS turns illegal results into
inline constexpr std::uint32_t kVSS_E_MAXIMUM_NUMBER_OF_VOLUMES_REACHED = 0x80042312u;
inline constexpr std::uint32_t kVSS_E_UNSUPPORTED_CONTEXT = 0x8004231Bu;
inline constexpr std::uint32_t kVSS_E_INSUFFICIENT_STORAGE = 0x8004231Fu;
inline constexpr std::uint32_t kVSS_E_NESTED_VOLUME_LIMIT = 0x8004232Cu;

// --- The methods VSS calls on a hardware provider ---------------------------
// One value per COM method of IVssHardwareSnapshotProvider,
// IVssProviderCreateSnapshotSet, IVssHardwareSnapshotProviderEx and
// IVssProviderNotifications. OnUnload appears twice because its legal results
// depend on its argument: with bForceUnload FALSE it may answer S_FALSE ("do
// not unload me now"); with bForceUnload TRUE it must answer S_OK.
enum class VssMethod : int {
  // IVssHardwareSnapshotProvider
  kAreLunsSupported,
  kBeginPrepareSnapshot,
  kFillInLunInfo,
  kGetTargetLuns,
  kLocateLuns,
  kOnLunEmpty,
  // IVssProviderCreateSnapshotSet
  kEndPrepareSnapshots,
  kPreCommitSnapshots,
  kCommitSnapshots,
  kPostCommitSnapshots,
  kPreFinalCommitSnapshots,
  kPostFinalCommitSnapshots,
  kAbortSnapshots,
  // IVssHardwareSnapshotProviderEx
  kGetProviderCapabilities,  // reserved by Microsoft; the adapter answers E_NOTIMPL
  kOnLunStateChange,
  kResyncLuns,
  kOnReuseLuns,  // reserved by Microsoft; the adapter answers E_NOTIMPL
  // IVssProviderNotifications
  kOnLoad,
  kOnUnload,        // OnUnload(bForceUnload = FALSE)
  kOnUnloadForced,  // OnUnload(bForceUnload = TRUE)
};

// Every method, in declaration order (for exhaustive tests and simulations).
inline constexpr std::array<VssMethod, 20> kAllVssMethods = {
    VssMethod::kAreLunsSupported,        VssMethod::kBeginPrepareSnapshot,
    VssMethod::kFillInLunInfo,           VssMethod::kGetTargetLuns,
    VssMethod::kLocateLuns,              VssMethod::kOnLunEmpty,
    VssMethod::kEndPrepareSnapshots,     VssMethod::kPreCommitSnapshots,
    VssMethod::kCommitSnapshots,         VssMethod::kPostCommitSnapshots,
    VssMethod::kPreFinalCommitSnapshots, VssMethod::kPostFinalCommitSnapshots,
    VssMethod::kAbortSnapshots,          VssMethod::kGetProviderCapabilities,
    VssMethod::kOnLunStateChange,        VssMethod::kResyncLuns,
    VssMethod::kOnReuseLuns,             VssMethod::kOnLoad,
    VssMethod::kOnUnload,                VssMethod::kOnUnloadForced,
};

// The COM method name ("EndPrepareSnapshots"); "OnUnload(forced)" for
// kOnUnloadForced; "unknown" for a value outside the enum. Stable (logs).
absl::string_view VssMethodName(VssMethod method);

// The results `method` may return, from its documentation page. Never empty;
// contains S_OK except for GetProviderCapabilities (reserved, "not
// supported": it cannot succeed). Empty only for a value outside the enum.
absl::Span<const std::uint32_t> LegalResults(VssMethod method);

// True when `result` is in LegalResults(method).
bool IsLegalResult(VssMethod method, std::uint32_t result);

// The HRESULT `method` returns for a core call that ended with `status`.
// The status is classified with hwsnap::GetErrorCode (so statuses without
// hwsnap's payload are classified from their canonical code). Always in
// LegalResults(method). In short (vss_results.cc has the table and the
// reasons):
//
//   OK                   -> S_OK (GetProviderCapabilities: E_NOTIMPL)
//   kInvalidArgument     -> E_INVALIDARG
//   kOutOfMemory         -> E_OUTOFMEMORY
//   kInsufficientStorage -> VSS_E_INSUFFICIENT_STORAGE
//   kObjectNotFound      -> VSS_E_OBJECT_NOT_FOUND, else E_INVALIDARG
//   kCancelled           -> VSS_E_OBJECT_NOT_FOUND (the set is gone)
//   kBadState            -> VSS_E_BAD_STATE (legal nowhere today)
//   kNotSupported        -> VSS_E_VOLUME_NOT_SUPPORTED_BY_PROVIDER, else E_NOTIMPL
//   kVeto, kDeadlineExceeded, kBackendFailure, anything else -> VSS_E_PROVIDER_VETO
//
// each where that method's table allows it, else VSS_E_PROVIDER_VETO, else
// the method's most general result (E_NOTIMPL for the reserved methods,
// S_FALSE for OnUnload, S_OK for a forced OnUnload).
//
// Support queries: AreLunsSupported and FillInLunInfo answer a question VSS
// asks every provider about every LUN, so a failure other than bad input
// (kInvalidArgument), host memory (kOutOfMemory) or an explicit kVeto means
// "no": the result is S_OK and the adapter must store FALSE in *pbIsSupported
// (it does so whenever the status is not OK). Apart from these two and a
// forced OnUnload, a non-OK status never yields S_OK.
std::uint32_t MapStatusToResult(VssMethod method, const absl::Status& status);

// True when returning `result` obliges the provider to write an Application
// event-log entry telling the administrator what failed and how to fix it:
// VSS_E_PROVIDER_VETO (the docs' "unexpected provider error ... must be
// described in an entry in the application event log"), and every failure of
// the VSS_E_UNEXPECTED_PROVIDER_ERROR class — that code itself and any other
// failure that names no specific cause (E_FAIL, VSS_E_BAD_STATE, ...), which
// VSS would log only as "unexpected provider error". False for success codes
// and for failures that carry their own meaning (E_OUTOFMEMORY, E_INVALIDARG,
// E_NOTIMPL, VSS_E_INSUFFICIENT_STORAGE, VSS_E_OBJECT_NOT_FOUND, the
// BeginPrepareSnapshot-specific codes). The entry must not be written while
// volumes are frozen (PreCommit..PostCommit): the adapter defers it.
bool NeedsEventLogEntry(std::uint32_t result);

// The status an IVssAsync returned by `method` (ResyncLuns) reports for its
// operation, per learn.microsoft.com's IVssAsync::QueryStatus page: nullopt
// (still running) -> VSS_S_ASYNC_PENDING, OK -> VSS_S_ASYNC_FINISHED,
// kCancelled -> VSS_S_ASYNC_CANCELLED, any other failure -> what `method`
// itself would have returned for it (MapStatusToResult: "QueryStatus returns
// the same error code as the method that initially returned the IVssAsync
// object"). IVssAsync::Wait and ::Cancel return that same error for a failed
// operation.
std::uint32_t MapAsyncStatusToResult(VssMethod method, const std::optional<absl::Status>& status);

// "VSS_E_PROVIDER_VETO" for the constants above, else "0x8004ABCD" (for logs).
std::string VssResultName(std::uint32_t result);

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_VSS_RESULTS_H_
