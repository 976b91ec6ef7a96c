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

#include <atomic>
#include <cstdint>
#include <exception>
#include <new>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
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
    return Run(VssMethod::kOnLunStateChange, [&]() -> absl::Status {
      if (dwCount == 0) return absl::OkStatus();
      if (dwCount > static_cast<DWORD>(kMaxLunsPerCall)) {
        return InvalidArgumentError(absl::StrCat("OnLunStateChange: LUN count ", dwCount, " above ", kMaxLunsPerCall));
      }
      const auto count = static_cast<LONG>(dwCount);
      absl::StatusOr<std::vector<LunIdentity>> snapshots = ReadLuns("OnLunStateChange", count, pSnapshotLuns);
      if (!snapshots.ok()) return snapshots.status();
      absl::StatusOr<std::vector<LunIdentity>> originals = ReadLuns("OnLunStateChange", count, pOriginalLuns);
      if (!originals.ok()) return originals.status();
      // The core has no LUN-state hook yet: nothing on the array changes.
      Log()->info("OnLunStateChange: {} LUNs, flags 0x{:x}: no action (not supported by the core yet)", dwCount,
                  dwFlags);
      return absl::OkStatus();
    });
  }

  HRESULT STDMETHODCALLTYPE ResyncLuns(VDS_LUN_INFORMATION* pSourceLuns, VDS_LUN_INFORMATION* pTargetLuns,
                                       DWORD dwCount, IVssAsync** ppAsync) override {
    return Run(VssMethod::kResyncLuns, [&]() -> absl::Status {
      if (ppAsync != nullptr) *ppAsync = nullptr;
      return NotSupportedError("ResyncLuns: LUN resynchronisation is not implemented");
    });
  }

  HRESULT STDMETHODCALLTYPE OnReuseLuns(VDS_LUN_INFORMATION* pSnapshotLuns, VDS_LUN_INFORMATION* pOriginalLuns,
                                        DWORD dwCount) override {
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
    // Load must stay cheap; the callback is reserved.
    return Run(VssMethod::kOnLoad, [] { return absl::OkStatus(); });
  }
  HRESULT STDMETHODCALLTYPE OnUnload(WINBOOL bForceUnload) override {
    LeaveFreezeWindow("the provider is being unloaded");
    return Run(bForceUnload ? VssMethod::kOnUnloadForced : VssMethod::kOnUnload, [] {
      FlushLogs();
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

  std::atomic<ULONG> refs_{1};
  const std::shared_ptr<SnapshotProvider> provider_;
  const std::shared_ptr<AdminEventLog> event_log_;  // may be null
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

}  // namespace windows
}  // namespace hwsnap
