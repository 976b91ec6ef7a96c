// The VSS hardware provider COM object (see hwsnap/windows/provider_com.h).
//
// This file exists to keep the COM boundary thin and uniform: each method
// unpacks its arguments into core types (vds_lun_conversion, guid_conversion),
// calls hwsnap::SnapshotProvider, and turns the Status into a legal HRESULT
// through MapStatusToResult — all inside Run(), the one place that catches
// exceptions, logs failures and reports those that owe the administrator an
// event-log entry (AdminEventLog, which holds them while volumes are frozen).
// No snapshot logic lives here.
#include "hwsnap/windows/provider_com.h"

#include <objbase.h>
#include <vsprov.h>
#include <vss.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <exception>
#include <mutex>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/async_operation.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/admin_event_text.h"
#include "hwsnap/windows/guid_conversion.h"
#include "hwsnap/windows/vds_lun_conversion.h"
#include "hwsnap/windows/utf16.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

std::atomic<long> g_live_objects{0};
std::atomic<long> g_live_async{0};

// More LUNs than any VSS call can carry (64 volumes per set, a few LUNs each):
// a larger count is a corrupted argument, not a request.
constexpr LONG kMaxLunsPerCall = 4096;

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> log = GetLogger("windows.com");
  return log;
}

HRESULT AsHresult(std::uint32_t result) { return static_cast<HRESULT>(result); }

// The failures the catch-all of Run reports, built before they are needed:
// a handler that allocated a fresh Status could itself throw bad_alloc inside
// a noexcept method, and that is std::terminate — the COM+ host would die.
// Copying a built Status only bumps a reference count.
const absl::Status& PrebuiltOutOfMemory() {
  static const absl::Status status = OutOfMemoryError("allocation failed");
  return status;
}
const absl::Status& PrebuiltUnexpectedException() {
  static const absl::Status status = BackendFailureError("unexpected exception");
  return status;
}

// `prebuilt`, or a copy with `what` added when memory allows.
absl::Status Describe(const absl::Status& prebuilt, const char* what) noexcept {
  try {
    return BackendFailureError(absl::StrCat("unexpected exception: ", what));
  } catch (...) {
    return prebuilt;
  }
}

// Checks a LUN count and converts `count` entries of `luns`.
absl::StatusOr<std::vector<LunIdentity>> ReadLuns(absl::string_view what, LONG count,
                                                  const VDS_LUN_INFORMATION* luns) {
  if (count <= 0 || count > kMaxLunsPerCall) {
    return InvalidArgumentError(absl::StrCat(what, ": LUN count ", count, " outside 1..", kMaxLunsPerCall));
  }
  if (luns == nullptr) return InvalidArgumentError(absl::StrCat(what, ": null LUN array for ", count, " LUNs"));
  std::vector<LunIdentity> out;
  out.reserve(static_cast<std::size_t>(count));
  for (LONG i = 0; i < count; ++i) {
    absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&luns[i]);
    if (!lun.ok()) return Annotate(lun.status(), absl::StrCat(what, ": LUN ", i));
    out.push_back(*std::move(lun));
  }
  return out;
}

// A DWORD count of the Ex methods as ReadLuns' LONG; a count above
// kMaxLunsPerCall stays above it (ReadLuns refuses it).
LONG CountOf(DWORD count) {
  return count > static_cast<DWORD>(kMaxLunsPerCall) ? kMaxLunsPerCall + 1 : static_cast<LONG>(count);
}

// OK when `provider` can serve calls (a provider whose catalog could not be
// opened answers every call with the open error: provider.h, catalog_path).
absl::Status ProviderUsable(const SnapshotProvider& provider) { return provider.Usable(); }

absl::Status CheckDeviceNames(absl::string_view what, const VSS_PWSZ* names) {
  if (names == nullptr) return InvalidArgumentError(absl::StrCat(what, ": null device-name array"));
  return absl::OkStatus();
}

SnapshotSetId SetId(const VSS_ID& id) { return GuidFromWindows<SnapshotSetTag>(id); }

// What a method knows about where it failed, for the event-log entry. The
// body of a method may fill `lun` once it has converted its one LUN.
struct CallFacts {
  std::optional<SnapshotSetId> set;
  std::string lun;
};

CallFacts ForSet(const VSS_ID& id) {
  CallFacts facts;
  facts.set = SetId(id);
  return facts;
}

// COM interfaces have no virtual destructor by design: objects are deleted
// only by their own Release(), through the concrete type.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"

// The IVssAsync that ResyncLuns hands to VSS, over the core's AsyncOperation.
// Results follow learn.microsoft.com's IVssAsync pages (vss.h):
//  * QueryStatus(pHrResult, pReserved): S_OK with *pHrResult =
//    VSS_S_ASYNC_PENDING / _FINISHED / _CANCELLED, or the error ResyncLuns
//    itself would have returned for the failure (MapAsyncStatusToResult);
//    E_INVALIDARG for a null pHrResult. pReserved "should be NULL"; when it is
//    not, 0 is stored there.
//  * Wait(dwMilliseconds): S_OK once the operation ended successfully or was
//    cancelled (QueryStatus tells which), the operation's error if it failed;
//    after a timeout (dwMilliseconds != INFINITE) S_OK as well, and
//    QueryStatus still says VSS_S_ASYNC_PENDING — the page defines no
//    timeout code and tells the caller to ask QueryStatus.
//  * Cancel(): S_OK when this call cancelled a running operation,
//    VSS_S_ASYNC_CANCELLED when it had been cancelled before,
//    VSS_S_ASYNC_FINISHED when it had completed, its error when it had failed.
//  * A C++ exception (none is expected) is VSS_E_UNEXPECTED, which every one
//    of those pages lists.
// A failure that owes the administrator an event-log entry (a veto) is
// reported once, the first time one of these methods observes it: the
// provider has no thread of its own to notice the end of the operation.
// The object keeps the SnapshotProvider alive: VSS may hold it after it
// released the provider object.
class VssAsync final : public IVssAsync {
 public:
  VssAsync(std::shared_ptr<AsyncOperation> operation, std::shared_ptr<SnapshotProvider> provider,
           std::shared_ptr<AdminEventLog> event_log, std::string lun)
      : operation_(std::move(operation)),
        provider_(std::move(provider)),
        event_log_(std::move(event_log)),
        lun_(std::move(lun)) {
    g_live_async.fetch_add(1);
  }
  virtual ~VssAsync() { g_live_async.fetch_sub(1); }
  VssAsync(const VssAsync&) = delete;
  VssAsync& operator=(const VssAsync&) = delete;

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** object) override {
    if (object == nullptr) return E_POINTER;
    *object = nullptr;
    if (!IsEqualIID(iid, IID_IUnknown) && !IsEqualIID(iid, IID_IVssAsync)) return E_NOINTERFACE;
    *object = static_cast<IVssAsync*>(this);
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return refs_.fetch_add(1) + 1; }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = refs_.fetch_sub(1) - 1;
    if (left == 0) delete this;
    return left;
  }

  HRESULT STDMETHODCALLTYPE Cancel() override {
    try {
      const std::optional<absl::Status> status = operation_->Status();
      if (!status.has_value()) {
        if (cancel_requested_.exchange(true)) return AsHresult(kVSS_S_ASYNC_CANCELLED);
        operation_->Cancel();
        Log()->info("ResyncLuns: cancel requested");
        return S_OK;
      }
      return Ended(*status);
    } catch (...) {
      return AsHresult(kVSS_E_UNEXPECTED);
    }
  }

  HRESULT STDMETHODCALLTYPE Wait(DWORD dwMilliseconds) override {
    try {
      const absl::Duration timeout =
          dwMilliseconds == INFINITE ? absl::InfiniteDuration() : absl::Milliseconds(dwMilliseconds);
      const std::optional<absl::Status> status = operation_->Wait(timeout);
      if (!status.has_value()) return S_OK;  // timed out: QueryStatus says pending
      const HRESULT ended = Ended(*status);
      return ended == AsHresult(kVSS_S_ASYNC_FINISHED) || ended == AsHresult(kVSS_S_ASYNC_CANCELLED) ? S_OK : ended;
    } catch (...) {
      return AsHresult(kVSS_E_UNEXPECTED);
    }
  }

  HRESULT STDMETHODCALLTYPE QueryStatus(HRESULT* pHrResult, INT* pReserved) override {
    if (pHrResult == nullptr) return AsHresult(kE_INVALIDARG);
    if (pReserved != nullptr) *pReserved = 0;
    try {
      const std::optional<absl::Status> status = operation_->Status();
      *pHrResult = status.has_value() ? Ended(*status) : AsHresult(kVSS_S_ASYNC_PENDING);
      return S_OK;
    } catch (...) {
      return AsHresult(kVSS_E_UNEXPECTED);
    }
  }

 private:
  // The result for an operation that ended with `status`; reports a failure
  // that needs an event-log entry the first time it is seen.
  HRESULT Ended(const absl::Status& status) noexcept {
    const std::uint32_t result = MapAsyncStatusToResult(VssMethod::kResyncLuns, status);
    if ((result & 0x80000000u) != 0 && !reported_.exchange(true)) {
      const bool owed = NeedsEventLogEntry(result);
      try {
        Log()->warn("ResyncLuns (asynchronous part): {} -> {}{}", status.ToString(), VssResultName(result),
                    owed && event_log_ != nullptr ? " (event-log entry reported)" : "");
      } catch (...) {
      }
      if (owed && event_log_ != nullptr) {
        try {
          AdminEventFacts event;
          event.method = VssMethod::kResyncLuns;
          event.status = status;
          event.result = result;
          event.lun = lun_;
          event_log_->Report(event);
        } catch (...) {
        }
      }
    }
    return AsHresult(result);
  }

  std::atomic<ULONG> refs_{1};
  std::atomic<bool> cancel_requested_{false};
  std::atomic<bool> reported_{false};
  const std::shared_ptr<AsyncOperation> operation_;
  const std::shared_ptr<SnapshotProvider> provider_;  // outlives the operation's owner
  const std::shared_ptr<AdminEventLog> event_log_;    // may be null
  const std::string lun_;
};

class VssProvider final : public IVssHardwareSnapshotProviderEx,
                          public IVssProviderCreateSnapshotSet,
                          public IVssProviderNotifications {
 public:
  VssProvider(std::shared_ptr<SnapshotProvider> provider, std::shared_ptr<AdminEventLog> event_log)
      : provider_(std::move(provider)), event_log_(std::move(event_log)) {
    g_live_objects.fetch_add(1);
  }
  virtual ~VssProvider() { g_live_objects.fetch_sub(1); }
  VssProvider(const VssProvider&) = delete;
  VssProvider& operator=(const VssProvider&) = delete;

  // --- IUnknown (reached through any of the three bases) --------------------
  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** object) override {
    if (object == nullptr) return E_POINTER;
    *object = nullptr;
    if (IsEqualIID(iid, IID_IUnknown) || IsEqualIID(iid, IID_IVssHardwareSnapshotProvider) ||
        IsEqualIID(iid, IID_IVssHardwareSnapshotProviderEx)) {
      *object = static_cast<IVssHardwareSnapshotProviderEx*>(this);
    } else if (IsEqualIID(iid, IID_IVssProviderCreateSnapshotSet)) {
      *object = static_cast<IVssProviderCreateSnapshotSet*>(this);
    } else if (IsEqualIID(iid, IID_IVssProviderNotifications)) {
      *object = static_cast<IVssProviderNotifications*>(this);
    } else {
      return E_NOINTERFACE;
    }
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return refs_.fetch_add(1) + 1; }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = refs_.fetch_sub(1) - 1;
    if (left == 0) delete this;
    return left;
  }

  // --- IVssHardwareSnapshotProvider ----------------------------------------
  HRESULT STDMETHODCALLTYPE AreLunsSupported(LONG lLunCount, LONG lContext, VSS_PWSZ* rgwszDevices,
                                             VDS_LUN_INFORMATION* pLunInformation,
                                             WINBOOL* pbIsSupported) override {
    return Run(VssMethod::kAreLunsSupported, [&]() -> absl::Status {
      if (pbIsSupported == nullptr) return InvalidArgumentError("null pbIsSupported");
      *pbIsSupported = FALSE;
      if (auto s = CheckDeviceNames("AreLunsSupported", rgwszDevices); !s.ok()) return s;
      absl::StatusOr<std::vector<LunIdentity>> luns = ReadLuns("AreLunsSupported", lLunCount, pLunInformation);
      if (!luns.ok()) return luns.status();
      absl::StatusOr<bool> supported = provider_->AreLunsSupported(*luns, static_cast<std::int32_t>(lContext));
      if (!supported.ok()) return supported.status();
      *pbIsSupported = *supported ? TRUE : FALSE;
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE FillInLunInfo(VSS_PWSZ wszDeviceName, VDS_LUN_INFORMATION* pLunInfo,
                                          WINBOOL* pbIsSupported) override {
    CallFacts facts;
    return Run(VssMethod::kFillInLunInfo, facts, [&]() -> absl::Status {
      if (pbIsSupported == nullptr) return InvalidArgumentError("FillInLunInfo: null pbIsSupported");
      *pbIsSupported = FALSE;
      if (pLunInfo == nullptr) return InvalidArgumentError("FillInLunInfo: null pLunInfo");
      absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(pLunInfo);
      if (!lun.ok()) return lun.status();
      facts.lun = lun->ToString();
      absl::StatusOr<bool> supported = provider_->FillInLunInfo(Narrow(wszDeviceName), *lun);
      if (!supported.ok()) return supported.status();
      if (!*supported) return absl::OkStatus();
      // Replace the description with the completed one; VSS's strings and
      // buffers are CoTaskMem blocks (it frees ours the same way). The
      // documentation forbids touching m_rgInterconnects: VSS's array stays,
      // and so do the disk signature and the descriptor version.
      lun->interconnects.clear();
      VDS_LUN_INFORMATION completed{};
      if (auto s = LunIdentityToVds(*lun, &completed, pLunInfo->m_deviceIdDescriptor.m_version); !s.ok()) return s;
      completed.m_diskSignature = pLunInfo->m_diskSignature;
      completed.m_cInterconnects = pLunInfo->m_cInterconnects;
      completed.m_rgInterconnects = pLunInfo->m_rgInterconnects;
      pLunInfo->m_cInterconnects = 0;
      pLunInfo->m_rgInterconnects = nullptr;
      FreeVdsLunInformation(pLunInfo);
      *pLunInfo = completed;
      *pbIsSupported = TRUE;
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE BeginPrepareSnapshot(VSS_ID SnapshotSetId, VSS_ID SnapshotId, LONG lContext,
                                                 LONG lLunCount, VSS_PWSZ* rgDeviceNames,
                                                 VDS_LUN_INFORMATION* rgLunInformation) override {
    CallFacts facts = ForSet(SnapshotSetId);
    return Run(VssMethod::kBeginPrepareSnapshot, facts, [&]() -> absl::Status {
      if (auto s = CheckDeviceNames("BeginPrepareSnapshot", rgDeviceNames); !s.ok()) return s;
      absl::StatusOr<std::vector<LunIdentity>> luns =
          ReadLuns("BeginPrepareSnapshot", lLunCount, rgLunInformation);
      if (!luns.ok()) return luns.status();
      // A new set ends a set whose freeze window is still open (implicit
      // abort) — but only a well-formed call: a malformed one is refused and
      // must not release entries while volumes may be frozen.
      if (event_log_ != nullptr && !IsEqualGUID(SnapshotSetId, GUID_NULL)) {
        event_log_->NoteSetBegan(SetId(SnapshotSetId));
      }
      return provider_->BeginPrepareSnapshot(SetId(SnapshotSetId), GuidFromWindows<SnapshotTag>(SnapshotId),
                                             static_cast<std::int32_t>(lContext), *luns);
    });
  }

  HRESULT STDMETHODCALLTYPE GetTargetLuns(LONG lLunCount, VSS_PWSZ* rgDeviceNames,
                                          VDS_LUN_INFORMATION* rgSourceLuns,
                                          VDS_LUN_INFORMATION* rgDestinationLuns) override {
    return Run(VssMethod::kGetTargetLuns, [&]() -> absl::Status {
      if (auto s = CheckDeviceNames("GetTargetLuns", rgDeviceNames); !s.ok()) return s;
      absl::StatusOr<std::vector<LunIdentity>> sources = ReadLuns("GetTargetLuns", lLunCount, rgSourceLuns);
      if (!sources.ok()) return sources.status();
      if (rgDestinationLuns == nullptr) return InvalidArgumentError("GetTargetLuns: null destination array");
      absl::StatusOr<std::vector<LunIdentity>> targets = provider_->GetTargetLuns(*sources);
      if (!targets.ok()) return targets.status();
      if (targets->size() != sources->size()) {
        return BackendFailureError(absl::StrCat("GetTargetLuns: core returned ", targets->size(),
                                                " targets for ", sources->size(), " sources"));
      }
      // Fill all or nothing: build every destination before handing any over.
      std::vector<VDS_LUN_INFORMATION> filled(targets->size());
      for (std::size_t i = 0; i < filled.size(); ++i) {
        absl::Status s = LunIdentityToVds((*targets)[i], &filled[i],
                                          rgSourceLuns[i].m_deviceIdDescriptor.m_version);
        if (!s.ok()) {
          for (std::size_t j = 0; j < i; ++j) FreeVdsLunInformation(&filled[j]);
          return Annotate(s, absl::StrCat("GetTargetLuns: target ", i));
        }
      }
      for (std::size_t i = 0; i < filled.size(); ++i) rgDestinationLuns[i] = filled[i];
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE LocateLuns(LONG lLunCount, VDS_LUN_INFORMATION* rgSourceLuns) override {
    return Run(VssMethod::kLocateLuns, [&]() -> absl::Status {
      absl::StatusOr<std::vector<LunIdentity>> luns = ReadLuns("LocateLuns", lLunCount, rgSourceLuns);
      if (!luns.ok()) return luns.status();
      return provider_->LocateLuns(*luns);
    });
  }

  HRESULT STDMETHODCALLTYPE OnLunEmpty(VSS_PWSZ wszDeviceName, VDS_LUN_INFORMATION* pInformation) override {
    CallFacts facts;
    return Run(VssMethod::kOnLunEmpty, facts, [&]() -> absl::Status {
      if (pInformation == nullptr) return InvalidArgumentError("OnLunEmpty: null pInformation");
      absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(pInformation);
      if (!lun.ok()) return lun.status();
      facts.lun = lun->ToString();
      return provider_->OnLunEmpty(Narrow(wszDeviceName), *lun);
    });
  }

  // --- IVssHardwareSnapshotProviderEx --------------------------------------
  HRESULT STDMETHODCALLTYPE GetProviderCapabilities(ULONGLONG* pllOriginalCapabilityMask) override {
    // Reserved by Microsoft: the table's only result is E_NOTIMPL.
    return Run(VssMethod::kGetProviderCapabilities, [&]() -> absl::Status {
      if (pllOriginalCapabilityMask != nullptr) *pllOriginalCapabilityMask = 0;
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE OnLunStateChange(VDS_LUN_INFORMATION* pSnapshotLuns, VDS_LUN_INFORMATION* pOriginalLuns,
                                             DWORD dwCount, DWORD dwFlags) override {
    CallFacts facts;
    return Run(VssMethod::kOnLunStateChange, facts, [&]() -> absl::Status {
      absl::StatusOr<std::vector<LunIdentity>> snapshots =
          ReadLuns("OnLunStateChange: snapshot LUNs", CountOf(dwCount), pSnapshotLuns);
      if (!snapshots.ok()) return snapshots.status();
      facts.lun = snapshots->front().ToString();
      absl::StatusOr<std::vector<LunIdentity>> originals =
          ReadLuns("OnLunStateChange: original LUNs", CountOf(dwCount), pOriginalLuns);
      if (!originals.ok()) return originals.status();
      Log()->info("OnLunStateChange: {} LUNs, flags 0x{:x}", dwCount, dwFlags);
      return provider_->OnLunStateChange(*snapshots, *originals, static_cast<std::uint32_t>(dwFlags));
    });
  }

  // pSourceLuns are the shadow-copy LUNs (targets of this provider), pTargetLuns
  // the LUNs to copy them onto (the ResyncLuns page's "destination volume").
  // The table has no E_INVALIDARG: bad arguments are a veto with an entry.
  HRESULT STDMETHODCALLTYPE ResyncLuns(VDS_LUN_INFORMATION* pSourceLuns, VDS_LUN_INFORMATION* pTargetLuns,
                                       DWORD dwCount, IVssAsync** ppAsync) override {
    CallFacts facts;
    return Run(VssMethod::kResyncLuns, facts, [&]() -> absl::Status {
      if (ppAsync == nullptr) return InvalidArgumentError("ResyncLuns: null ppAsync");
      *ppAsync = nullptr;
      absl::StatusOr<std::vector<LunIdentity>> snapshots =
          ReadLuns("ResyncLuns: shadow-copy LUNs", CountOf(dwCount), pSourceLuns);
      if (!snapshots.ok()) return snapshots.status();
      facts.lun = snapshots->front().ToString();
      absl::StatusOr<std::vector<LunIdentity>> destinations =
          ReadLuns("ResyncLuns: destination LUNs", CountOf(dwCount), pTargetLuns);
      if (!destinations.ok()) return destinations.status();
      absl::StatusOr<std::shared_ptr<AsyncOperation>> operation = provider_->ResyncLuns(*snapshots, *destinations);
      if (!operation.ok()) return operation.status();
      if (*operation == nullptr) return BackendFailureError("ResyncLuns: the core returned no operation");
      VssAsync* async = new (std::nothrow) VssAsync(*operation, provider_, event_log_, facts.lun);
      if (async == nullptr) {
        (*operation)->Cancel();  // nobody could ever observe or cancel it
        return PrebuiltOutOfMemory();
      }
      {
        std::lock_guard<std::mutex> lock(operations_mu_);
        PruneEndedOperations();
        operations_.push_back(*operation);
      }
      Log()->info("ResyncLuns: {} LUNs, started", dwCount);
      *ppAsync = async;  // the creation reference is the caller's
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE OnReuseLuns(VDS_LUN_INFORMATION* pSnapshotLuns, VDS_LUN_INFORMATION* pOriginalLuns,
                                        DWORD dwCount) override {
    // Reserved by Microsoft ("not supported"): E_NOTIMPL whatever the arguments.
    return Run(VssMethod::kOnReuseLuns, [&]() -> absl::Status {
      return NotSupportedError("OnReuseLuns is reserved");
    });
  }

  // --- IVssProviderCreateSnapshotSet ---------------------------------------
  HRESULT STDMETHODCALLTYPE EndPrepareSnapshots(VSS_ID SnapshotSetId) override {
    CallFacts facts = ForSet(SnapshotSetId);
    return Run(VssMethod::kEndPrepareSnapshots, facts,
               [&] { return provider_->EndPrepareSnapshots(SetId(SnapshotSetId)); });
  }
  HRESULT STDMETHODCALLTYPE PreCommitSnapshots(VSS_ID SnapshotSetId) override {
    // The writers are frozen from here to PostCommitSnapshots: hold entries.
    // A window already open for another set stays that set's; one this call
    // opened for a set the core does not know is closed again.
    const bool opened = event_log_ != nullptr && event_log_->EnterFreezeWindow(SetId(SnapshotSetId));
    CallFacts facts = ForSet(SnapshotSetId);
    const HRESULT hr = Run(VssMethod::kPreCommitSnapshots, facts,
                           [&] { return provider_->PreCommitSnapshots(SetId(SnapshotSetId)); });
    if (opened && (hr == AsHresult(kVSS_E_OBJECT_NOT_FOUND) || hr == AsHresult(kE_INVALIDARG))) {
      LeaveFreezeWindow(SnapshotSetId, "PreCommitSnapshots refused a set it does not know");
    }
    return hr;
  }
  HRESULT STDMETHODCALLTYPE CommitSnapshots(VSS_ID SnapshotSetId) override {
    CallFacts facts = ForSet(SnapshotSetId);
    return Run(VssMethod::kCommitSnapshots, facts, [&] { return provider_->CommitSnapshots(SetId(SnapshotSetId)); });
  }
  HRESULT STDMETHODCALLTYPE PostCommitSnapshots(VSS_ID SnapshotSetId, LONG lSnapshotsCount) override {
    CallFacts facts = ForSet(SnapshotSetId);
    const HRESULT hr = Run(VssMethod::kPostCommitSnapshots, facts, [&] {
      return provider_->PostCommitSnapshots(SetId(SnapshotSetId), static_cast<std::int32_t>(lSnapshotsCount));
    });
    LeaveFreezeWindow(SnapshotSetId, "PostCommitSnapshots returned");
    return hr;
  }
  HRESULT STDMETHODCALLTYPE PreFinalCommitSnapshots(VSS_ID SnapshotSetId) override {
    LeaveFreezeWindow(SnapshotSetId, "PreFinalCommitSnapshots: the writers have thawed");
    CallFacts facts = ForSet(SnapshotSetId);
    return Run(VssMethod::kPreFinalCommitSnapshots, facts,
               [&] { return provider_->PreFinalCommitSnapshots(SetId(SnapshotSetId)); });
  }
  HRESULT STDMETHODCALLTYPE PostFinalCommitSnapshots(VSS_ID SnapshotSetId) override {
    LeaveFreezeWindow(SnapshotSetId, "PostFinalCommitSnapshots: the writers have thawed");
    CallFacts facts = ForSet(SnapshotSetId);
    return Run(VssMethod::kPostFinalCommitSnapshots, facts,
               [&] { return provider_->PostFinalCommitSnapshots(SetId(SnapshotSetId)); });
  }
  HRESULT STDMETHODCALLTYPE AbortSnapshots(VSS_ID SnapshotSetId) override {
    CallFacts facts = ForSet(SnapshotSetId);
    const HRESULT hr =
        Run(VssMethod::kAbortSnapshots, facts, [&] { return provider_->AbortSnapshots(SetId(SnapshotSetId)); });
    LeaveFreezeWindow(SnapshotSetId, "AbortSnapshots returned");
    return hr;
  }

  // --- IVssProviderNotifications -------------------------------------------
  HRESULT STDMETHODCALLTYPE OnLoad(IUnknown* pCallback) override {
    // Load must stay cheap: the SnapshotProvider (catalog open and recovery)
    // was built before this object; here only whether it is usable. The
    // callback is reserved.
    return Run(VssMethod::kOnLoad, [&] { return ProviderUsable(*provider_); });
  }
  HRESULT STDMETHODCALLTYPE OnUnload(WINBOOL bForceUnload) override {
    LeaveFreezeWindow("the provider is being unloaded");
    const bool busy = !bForceUnload && ResyncRunning();
    return Run(bForceUnload ? VssMethod::kOnUnloadForced : VssMethod::kOnUnload, [busy]() -> absl::Status {
      FlushLogs();
      if (busy) {
        // S_FALSE ("do not unload me now"), allowed only when not forced.
        Log()->info("OnUnload: a LUN resynchronisation is still running; asking VSS not to unload");
        return BadStateError("a LUN resynchronisation is still running");
      }
      return absl::OkStatus();
    });
  }

 private:
  // The one exit of every method: runs `body`, maps its Status (or an
  // exception) to a result the method may return, logs failures and reports
  // those that owe the administrator an event-log entry (`facts` says where).
  template <typename Body>
  HRESULT Run(VssMethod method, CallFacts& facts, Body&& body) noexcept {
    absl::Status status;
    try {
      status = body();
    } catch (const std::bad_alloc&) {
      status = PrebuiltOutOfMemory();  // no allocation here (see PrebuiltOutOfMemory)
    } catch (const std::exception& e) {
      status = Describe(PrebuiltUnexpectedException(), e.what());
    } catch (...) {
      status = PrebuiltUnexpectedException();
    }
    const std::uint32_t result = MapStatusToResult(method, status);
    if (!status.ok()) {
      const bool owed = NeedsEventLogEntry(result);
      try {
        Log()->warn("{}: {} -> {}{}", VssMethodName(method), status.ToString(), VssResultName(result),
                    !owed ? "" : event_log_ != nullptr ? " (event-log entry reported)" : " (no event log to report to)");
      } catch (...) {
        // Logging must never change the result.
      }
      if (owed && event_log_ != nullptr) {
        try {
          AdminEventFacts event;
          event.method = method;
          event.status = status;
          event.result = result;
          event.set_id = facts.set;
          event.lun = facts.lun;
          event_log_->Report(event);  // held while the freeze window is open
        } catch (...) {
          // Copying the facts may fail for want of memory; the log line above stands.
        }
      }
    }
    // The safety timeout of a freeze window whose end VSS never sent; never
    // inside CommitSnapshots, where even that check's possible I/O is banned.
    if (event_log_ != nullptr && method != VssMethod::kCommitSnapshots) event_log_->Poll();
    return AsHresult(result);
  }
  template <typename Body>
  HRESULT Run(VssMethod method, Body&& body) noexcept {
    CallFacts facts;
    return Run(method, facts, std::forward<Body>(body));
  }

  // Ends the freeze window (of `set` only, in the second form); see provider_com.h.
  void LeaveFreezeWindow(absl::string_view why) noexcept {
    if (event_log_ != nullptr) event_log_->LeaveFreezeWindow(why);
  }
  void LeaveFreezeWindow(const VSS_ID& set, absl::string_view why) noexcept {
    if (event_log_ != nullptr) event_log_->LeaveFreezeWindow(SetId(set), why);
  }

  // Forgets the operations that ended. Requires operations_mu_.
  void PruneEndedOperations() {
    operations_.erase(std::remove_if(operations_.begin(), operations_.end(),
                                     [](const std::shared_ptr<AsyncOperation>& op) { return op->Status().has_value(); }),
                      operations_.end());
  }
  // True while a ResyncLuns operation this object started has not ended.
  bool ResyncRunning() noexcept {
    try {
      std::lock_guard<std::mutex> lock(operations_mu_);
      PruneEndedOperations();
      return !operations_.empty();
    } catch (...) {
      return false;
    }
  }

  std::atomic<ULONG> refs_{1};
  const std::shared_ptr<SnapshotProvider> provider_;
  const std::shared_ptr<AdminEventLog> event_log_;  // may be null
  std::mutex operations_mu_;
  // ResyncLuns operations started here and not seen ended; guarded by operations_mu_.
  std::vector<std::shared_ptr<AsyncOperation>> operations_;
};
#pragma GCC diagnostic pop

}  // namespace

HRESULT CreateVssProviderObject(std::shared_ptr<SnapshotProvider> provider, std::shared_ptr<AdminEventLog> event_log,
                                REFIID iid, void** object) noexcept {
  if (object == nullptr) return E_POINTER;
  *object = nullptr;
  if (provider == nullptr) return AsHresult(kE_INVALIDARG);
  try {
    PrebuiltOutOfMemory();  // built now, while memory is plentiful
    PrebuiltUnexpectedException();
  } catch (...) {
    return AsHresult(kE_OUTOFMEMORY);
  }
  VssProvider* created = new (std::nothrow) VssProvider(std::move(provider), std::move(event_log));
  if (created == nullptr) return AsHresult(kE_OUTOFMEMORY);
  const HRESULT hr = created->QueryInterface(iid, object);
  created->Release();  // the creation reference; QueryInterface took its own
  return hr;
}

HRESULT CreateVssProviderObject(std::shared_ptr<SnapshotProvider> provider, REFIID iid, void** object) noexcept {
  return CreateVssProviderObject(std::move(provider), nullptr, iid, object);
}

long LiveVssProviderObjects() noexcept { return g_live_objects.load(); }

long LiveVssAsyncObjects() noexcept { return g_live_async.load(); }

void LogRecoveryReport(const SnapshotProvider& provider) noexcept {
  try {
    // The core logs each problem and a cut-off torn record itself
    // ("core.provider"); this is the DLL's one line per load, a warning when
    // something was left for the administrator.
    const RecoveryReport& report = provider.recovery();
    const std::shared_ptr<spdlog::logger> log = GetLogger("windows.catalog");
    if (report.load.path.empty()) {
      log->info("no catalog open: snapshot sets are kept in memory only");
      return;
    }
    const bool attention = !report.problems.empty() || report.load.torn_tail_bytes != 0;
    log->log(attention ? spdlog::level::warn : spdlog::level::info,
             "catalog {}{}: {} sets, {} live targets, loaded in {}; {} sets served again, {} rolled back, "
             "{} targets restored, {} unrestorable; {} problems{}",
             report.load.path, report.load.created ? " (created)" : "", report.load.sets, report.load.live_targets,
             absl::FormatDuration(report.load.load_time), report.sets_served, report.sets_rolled_back,
             report.targets_restored, report.targets_unrestorable, report.problems.size(),
             report.load.torn_tail_bytes != 0 ? ", an incomplete last record was cut off" : "");
  } catch (...) {
    // Logging must never fail a load.
  }
}

}  // namespace windows
}  // namespace hwsnap
