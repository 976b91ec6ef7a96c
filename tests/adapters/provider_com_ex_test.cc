// Tests of the provider COM object's IVssHardwareSnapshotProviderEx half, its
// IVssAsync, OnLoad/OnUnload and the durable catalog behind it (Windows only;
// runs under Wine).
//
// This file exists to drive what issue 8 added the way VSS does — only
// through COM interfaces, VDS_LUN_INFORMATION arrays and IVssAsync — and to
// check that every result is one the method's documentation page allows
// (IsLegalResult): argument validation of every Ex method (never a crash),
// OnLunStateChange and ResyncLuns reaching the core, the IVssAsync's
// Wait / QueryStatus / Cancel codes, vetoes reaching the administrator's event
// log, a provider object released and re-created on the same catalog still
// answering GetTargetLuns, and a catalog that cannot be opened.
//
// Resync behaviour comes from a test-local decorator (ScriptedExBackend), so
// these tests decide when a resynchronisation ends, fails or observes its
// cancellation independently of the mock's own ResyncTarget.
#include "hwsnap/windows/provider_com.h"

#include <objbase.h>
#include <vsprov.h>
#include <vss.h>

#include <atomic>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "admin_event_capture_sink.h"
#include "hwsnap/backend.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/admin_event_log.h"
#include "hwsnap/windows/guid_conversion.h"
#include "hwsnap/windows/utf16.h"
#include "hwsnap/windows/vds_lun_conversion.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

HRESULT Legal(VssMethod method, HRESULT hr) {
  EXPECT_TRUE(IsLegalResult(method, static_cast<std::uint32_t>(hr)))
      << VssMethodName(method) << " returned " << VssResultName(static_cast<std::uint32_t>(hr));
  return hr;
}

HRESULT Hr(std::uint32_t result) { return static_cast<HRESULT>(result); }

// Owns an array of VDS_LUN_INFORMATION filled by LunIdentityToVds.
class VdsLuns {
 public:
  explicit VdsLuns(const std::vector<LunIdentity>& luns) : infos_(luns.size()) {
    for (std::size_t i = 0; i < luns.size(); ++i) EXPECT_TRUE(LunIdentityToVds(luns[i], &infos_[i]).ok());
  }
  explicit VdsLuns(std::size_t empty_count) : infos_(empty_count) {}
  ~VdsLuns() {
    for (auto& info : infos_) FreeVdsLunInformation(&info);
  }
  VdsLuns(const VdsLuns&) = delete;
  VdsLuns& operator=(const VdsLuns&) = delete;

  VDS_LUN_INFORMATION* data() { return infos_.data(); }
  LONG count() const { return static_cast<LONG>(infos_.size()); }
  DWORD dcount() const { return static_cast<DWORD>(infos_.size()); }
  VDS_LUN_INFORMATION& operator[](std::size_t i) { return infos_[i]; }

 private:
  std::vector<VDS_LUN_INFORMATION> infos_;
};

// The mock with scripted resynchronisation and recorded masking.
class ScriptedExBackend final : public ForwardingBackend {
 public:
  enum class Resync { kSucceed, kHold, kFail };
  using ForwardingBackend::ForwardingBackend;

  void SetResync(Resync mode, absl::Status failure = absl::OkStatus()) {
    std::lock_guard<std::mutex> lock(mu_);
    mode_ = mode;
    failure_ = std::move(failure);
  }
  // Lets held resynchronisations finish successfully.
  void Finish() { finish_.store(true); }
  int resyncs() const { return resyncs_.load(); }
  int masks() const { return masks_.load(); }

  absl::Status ResyncTarget(const TargetId&, const LunIdentity&, const CancelToken& cancel,
                            const ProgressCallback& progress) override {
    resyncs_.fetch_add(1);
    Resync mode;
    absl::Status failure;
    {
      std::lock_guard<std::mutex> lock(mu_);
      mode = mode_;
      failure = failure_;
    }
    switch (mode) {
      case Resync::kSucceed:
        if (progress) progress(1.0);
        return absl::OkStatus();
      case Resync::kFail:
        return failure;
      case Resync::kHold:
        while (!finish_.load()) {
          if (cancel.WaitUntil(absl::Now() + absl::Milliseconds(10))) return CancelledError("resync cancelled");
        }
        if (progress) progress(1.0);
        return absl::OkStatus();
    }
    return absl::OkStatus();
  }
  absl::Status MaskTarget(const TargetId& target) override {
    masks_.fetch_add(1);
    return absl::OkStatus();
  }

 private:
  std::mutex mu_;
  Resync mode_ = Resync::kSucceed;
  absl::Status failure_;
  std::atomic<bool> finish_{false};
  std::atomic<int> resyncs_{0};
  std::atomic<int> masks_{0};
};

// A scratch directory of this test process under %TEMP%.
std::wstring ScratchDirectory(const std::wstring& name) {
  wchar_t temp[MAX_PATH + 1] = {};
  GetTempPathW(MAX_PATH, temp);
  static std::atomic<int> counter{0};
  std::wstring dir = std::wstring(temp) + L"hwsnap-com-ex-" + std::to_wstring(GetCurrentProcessId()) + L"-" +
                     std::to_wstring(counter.fetch_add(1)) + L"-" + name;
  CreateDirectoryW(dir.c_str(), nullptr);
  return dir;
}

void WriteBytes(const std::wstring& path, const std::string& bytes) {
  FILE* file = _wfopen(path.c_str(), L"wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(bytes.data(), 1, bytes.size(), file);
  std::fclose(file);
}

std::string ReadBytes(const std::wstring& path) {
  std::string out;
  FILE* file = _wfopen(path.c_str(), L"rb");
  if (file == nullptr) return out;
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof(buffer), file)) > 0) out.append(buffer, n);
  std::fclose(file);
  return out;
}

// One provider object (all three interfaces) over a SnapshotProvider.
struct ComProvider {
  IVssHardwareSnapshotProviderEx* hw = nullptr;
  IVssProviderCreateSnapshotSet* create = nullptr;
  IVssProviderNotifications* notify = nullptr;

  ComProvider(std::shared_ptr<SnapshotProvider> provider, std::shared_ptr<AdminEventLog> event_log) {
    EXPECT_EQ(CreateVssProviderObject(std::move(provider), std::move(event_log), IID_IVssHardwareSnapshotProviderEx,
                                      reinterpret_cast<void**>(&hw)),
              S_OK);
    if (hw == nullptr) return;
    EXPECT_EQ(hw->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create)), S_OK);
    EXPECT_EQ(hw->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify)), S_OK);
  }
  ~ComProvider() { Release(); }
  ComProvider(const ComProvider&) = delete;
  ComProvider& operator=(const ComProvider&) = delete;
  void Release() {
    if (notify != nullptr) notify->Release();
    if (create != nullptr) create->Release();
    if (hw != nullptr) hw->Release();
    notify = nullptr;
    create = nullptr;
    hw = nullptr;
  }
};

class ProviderComExTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_shared<MockBackend>();
    scripted_ = std::make_shared<ScriptedExBackend>(mock_);
    capture_ = std::make_shared<CaptureSink>();
    event_log_ = std::make_shared<AdminEventLog>(capture_);
  }
  void TearDown() override {
    com_.reset();
    provider_.reset();
    EXPECT_EQ(LiveVssProviderObjects(), 0);
    EXPECT_EQ(LiveVssAsyncObjects(), 0);
  }

  // A provider over the scripted mock (`catalog` empty: in memory) and its COM object.
  void Open(const std::string& catalog = "") {
    ProviderOptions options;
    options.catalog_path = catalog;
    provider_ = std::make_shared<SnapshotProvider>(scripted_, options);
    com_ = std::make_unique<ComProvider>(provider_, event_log_);
    ASSERT_NE(com_->hw, nullptr);
  }
  // Releases the COM object (after OnUnload, as VSS does) and the provider.
  void Close() {
    if (com_ != nullptr && com_->notify != nullptr) {
      EXPECT_EQ(Legal(VssMethod::kOnUnloadForced, com_->notify->OnUnload(TRUE)), S_OK);
    }
    com_.reset();
    provider_.reset();
  }

  // A completed snapshot set of `sources`; returns the targets GetTargetLuns reports.
  std::vector<LunIdentity> CompletedSet(const std::vector<LunIdentity>& sources) {
    VdsLuns luns(sources);
    const GUID set = GuidToWindows(SnapshotSetId::Random());
    IVssHardwareSnapshotProviderEx* hw = com_->hw;
    IVssProviderCreateSnapshotSet* create = com_->create;
    EXPECT_EQ(hw->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, luns.count(),
                                       devices_, luns.data()),
              S_OK);
    EXPECT_EQ(create->EndPrepareSnapshots(set), S_OK);
    EXPECT_EQ(create->PreCommitSnapshots(set), S_OK);
    EXPECT_EQ(create->CommitSnapshots(set), S_OK);
    EXPECT_EQ(create->PostCommitSnapshots(set, 1), S_OK);
    EXPECT_EQ(create->PreFinalCommitSnapshots(set), S_OK);
    EXPECT_EQ(create->PostFinalCommitSnapshots(set), S_OK);
    return TargetsOf(sources);
  }
  // GetTargetLuns for `sources` (must succeed).
  std::vector<LunIdentity> TargetsOf(const std::vector<LunIdentity>& sources) {
    VdsLuns luns(sources);
    VdsLuns targets(sources.size());
    EXPECT_EQ(Legal(VssMethod::kGetTargetLuns, com_->hw->GetTargetLuns(luns.count(), devices_, luns.data(),
                                                                       targets.data())),
              S_OK);
    std::vector<LunIdentity> out;
    for (std::size_t i = 0; i < sources.size(); ++i) {
      absl::StatusOr<LunIdentity> target = LunIdentityFromVds(&targets[i]);
      EXPECT_TRUE(target.ok()) << target.status();
      if (target.ok()) out.push_back(*target);
    }
    return out;
  }
  // ResyncLuns(snapshots -> destinations); `*async` receives the IVssAsync.
  HRESULT Resync(const std::vector<LunIdentity>& snapshots, const std::vector<LunIdentity>& destinations,
                 IVssAsync** async) {
    VdsLuns from(snapshots);
    VdsLuns to(destinations);
    return Legal(VssMethod::kResyncLuns, com_->hw->ResyncLuns(from.data(), to.data(), from.dcount(), async));
  }
  static HRESULT Status(IVssAsync* async) {
    HRESULT status = E_FAIL;
    INT reserved = 7;
    EXPECT_EQ(async->QueryStatus(&status, &reserved), S_OK);
    EXPECT_EQ(reserved, 0);
    return status;
  }

  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<ScriptedExBackend> scripted_;
  std::shared_ptr<CaptureSink> capture_;
  std::shared_ptr<AdminEventLog> event_log_;
  std::shared_ptr<SnapshotProvider> provider_;
  std::unique_ptr<ComProvider> com_;
  wchar_t device0_[32] = L"\\\\?\\PhysicalDrive1";
  wchar_t device1_[32] = L"\\\\?\\PhysicalDrive2";
  VSS_PWSZ devices_[2] = {device0_, device1_};
};

TEST_F(ProviderComExTest, QueryInterfaceHandsOutTheExInterfaceOfTheSameObject) {
  Open();
  IVssHardwareSnapshotProviderEx* ex = nullptr;
  ASSERT_EQ(com_->notify->QueryInterface(IID_IVssHardwareSnapshotProviderEx, reinterpret_cast<void**>(&ex)), S_OK);
  ASSERT_NE(ex, nullptr);
  IUnknown* a = nullptr;
  IUnknown* b = nullptr;
  ASSERT_EQ(ex->QueryInterface(IID_IUnknown, reinterpret_cast<void**>(&a)), S_OK);
  ASSERT_EQ(com_->create->QueryInterface(IID_IUnknown, reinterpret_cast<void**>(&b)), S_OK);
  EXPECT_EQ(a, b);
  IVssHardwareSnapshotProvider* base = nullptr;
  ASSERT_EQ(ex->QueryInterface(IID_IVssHardwareSnapshotProvider, reinterpret_cast<void**>(&base)), S_OK);
  EXPECT_EQ(static_cast<IVssHardwareSnapshotProvider*>(ex), base);
  void* none = &a;
  EXPECT_EQ(ex->QueryInterface(IID_IVssAsync, &none), E_NOINTERFACE);
  EXPECT_EQ(none, nullptr);
  base->Release();
  a->Release();
  b->Release();
  ex->Release();
  EXPECT_EQ(Legal(VssMethod::kOnLoad, com_->notify->OnLoad(nullptr)), S_OK);
}

TEST_F(ProviderComExTest, ReservedMethodsAreNotImplementedWhateverTheArguments) {
  Open();
  ULONGLONG mask = 123;
  EXPECT_EQ(Legal(VssMethod::kGetProviderCapabilities, com_->hw->GetProviderCapabilities(&mask)), E_NOTIMPL);
  EXPECT_EQ(Legal(VssMethod::kGetProviderCapabilities, com_->hw->GetProviderCapabilities(nullptr)), E_NOTIMPL);
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  EXPECT_EQ(Legal(VssMethod::kOnReuseLuns, com_->hw->OnReuseLuns(nullptr, nullptr, 0)), E_NOTIMPL);
  EXPECT_EQ(Legal(VssMethod::kOnReuseLuns, com_->hw->OnReuseLuns(luns.data(), luns.data(), 1)), E_NOTIMPL);
  EXPECT_EQ(capture_->size(), 0u) << "E_NOTIMPL explains itself";
}

TEST_F(ProviderComExTest, OnLunStateChangeRefusesBadArgumentsWithInvalidArg) {
  Open();
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  const HRESULT invalid = Hr(kE_INVALIDARG);
  auto call = [&](VDS_LUN_INFORMATION* snapshots, VDS_LUN_INFORMATION* originals, DWORD count, DWORD flags) {
    return Legal(VssMethod::kOnLunStateChange, com_->hw->OnLunStateChange(snapshots, originals, count, flags));
  };
  EXPECT_EQ(call(nullptr, luns.data(), 1, 0x100), invalid);
  EXPECT_EQ(call(luns.data(), nullptr, 1, 0x100), invalid);
  EXPECT_EQ(call(nullptr, nullptr, 1, 0x100), invalid);
  EXPECT_EQ(call(luns.data(), luns.data(), 0, 0x100), invalid);
  EXPECT_EQ(call(nullptr, nullptr, 0, 0x100), invalid);
  EXPECT_EQ(call(luns.data(), luns.data(), 0xFFFFFFFFu, 0x100), invalid);
  EXPECT_EQ(call(luns.data(), luns.data(), 0x80000000u, 0x100), invalid);
  // A malformed LUN (identifier count without an array).
  VDS_STORAGE_DEVICE_ID_DESCRIPTOR saved = luns[0].m_deviceIdDescriptor;
  luns[0].m_deviceIdDescriptor.m_rgIdentifiers = nullptr;
  EXPECT_EQ(call(luns.data(), luns.data(), 1, 0x100), invalid);
  luns[0].m_deviceIdDescriptor = saved;
  EXPECT_EQ(capture_->size(), 0u) << "E_INVALIDARG explains itself";
  EXPECT_EQ(scripted_->masks(), 0);
}

TEST_F(ProviderComExTest, OnLunStateChangeReachesTheCore) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun(), mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), sources.size());
  VdsLuns snapshots(targets);
  VdsLuns originals(sources);
  for (DWORD flags : {0x100u, 0x200u, 0x400u}) {
    EXPECT_EQ(Legal(VssMethod::kOnLunStateChange,
                    com_->hw->OnLunStateChange(snapshots.data(), originals.data(), snapshots.dcount(), flags)),
              S_OK)
        << std::hex << flags;
  }
  // Imported (visible to this host), then masked from it but kept.
  EXPECT_EQ(Legal(VssMethod::kLocateLuns, com_->hw->LocateLuns(snapshots.count(), snapshots.data())), S_OK);
  EXPECT_EQ(Legal(VssMethod::kOnLunStateChange,
                  com_->hw->OnLunStateChange(snapshots.data(), originals.data(), snapshots.dcount(), 0x800)),
            S_OK);
  EXPECT_EQ(scripted_->masks(), 2) << "DO_MASK_LUNS masks each snapshot LUN through the backend";
  EXPECT_EQ(mock_->LiveTargetCount(), 2) << "masked, not deleted";
  // An unknown flag, and a LUN that is no snapshot of ours: refused, legally.
  EXPECT_EQ(Legal(VssMethod::kOnLunStateChange,
                  com_->hw->OnLunStateChange(snapshots.data(), originals.data(), snapshots.dcount(), 0x1)),
            Hr(kE_INVALIDARG));
  EXPECT_NE(Legal(VssMethod::kOnLunStateChange,
                  com_->hw->OnLunStateChange(originals.data(), originals.data(), originals.dcount(), 0x100)),
            S_OK);
}

TEST_F(ProviderComExTest, ResyncLunsRefusesBadArgumentsLegallyWithAnEntry) {
  Open();
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  // The ResyncLuns page lists no E_INVALIDARG: refusals are vetoes, each
  // explained in the event log.
  const HRESULT veto = Hr(kVSS_E_PROVIDER_VETO);
  EXPECT_EQ(Legal(VssMethod::kResyncLuns, com_->hw->ResyncLuns(luns.data(), luns.data(), 1, nullptr)), veto);
  std::size_t entries = capture_->size();
  EXPECT_EQ(entries, 1u);
  for (DWORD count : {0u, 0xFFFFFFFFu, 0x80000000u}) {
    IVssAsync* async = reinterpret_cast<IVssAsync*>(&entries);
    EXPECT_EQ(Legal(VssMethod::kResyncLuns, com_->hw->ResyncLuns(luns.data(), luns.data(), count, &async)), veto);
    EXPECT_EQ(async, nullptr);
  }
  const std::pair<VDS_LUN_INFORMATION*, VDS_LUN_INFORMATION*> null_arrays[] = {
      {nullptr, luns.data()}, {luns.data(), nullptr}, {nullptr, nullptr}};
  for (const auto& [from, to] : null_arrays) {
    IVssAsync* async = reinterpret_cast<IVssAsync*>(&entries);
    EXPECT_EQ(Legal(VssMethod::kResyncLuns, com_->hw->ResyncLuns(from, to, 1, &async)), veto);
    EXPECT_EQ(async, nullptr);
  }
  EXPECT_EQ(capture_->size(), 7u);
  EXPECT_THAT(capture_->texts().back(), ::testing::HasSubstr("ResyncLuns"));
  // A LUN that is no snapshot of ours: nothing starts.
  IVssAsync* async = nullptr;
  EXPECT_EQ(Resync({mock_->AddSourceLun()}, {mock_->AddSourceLun()}, &async), veto);
  EXPECT_EQ(async, nullptr);
  EXPECT_EQ(scripted_->resyncs(), 0);
}

TEST_F(ProviderComExTest, ResyncLunsRunsAndFinishes) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 1u);
  scripted_->SetResync(ScriptedExBackend::Resync::kSucceed);
  IVssAsync* async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  EXPECT_EQ(LiveVssAsyncObjects(), 1);
  IVssAsync* same = nullptr;
  ASSERT_EQ(async->QueryInterface(IID_IVssAsync, reinterpret_cast<void**>(&same)), S_OK);
  same->Release();
  EXPECT_EQ(async->Wait(INFINITE), S_OK);
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_FINISHED));
  EXPECT_EQ(async->Cancel(), Hr(kVSS_S_ASYNC_FINISHED)) << "completed before Cancel";
  EXPECT_EQ(async->QueryStatus(nullptr, nullptr), Hr(kE_INVALIDARG));
  EXPECT_EQ(scripted_->resyncs(), 1);
  async->Release();
  EXPECT_EQ(capture_->size(), 0u);
  EXPECT_EQ(Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE)), S_OK);
}

TEST_F(ProviderComExTest, ResyncLunsCanBeWaitedForWithATimeoutAndCancelled) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun(), mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 2u);
  scripted_->SetResync(ScriptedExBackend::Resync::kHold);
  IVssAsync* async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_PENDING));
  EXPECT_EQ(async->Wait(50), S_OK) << "a timed-out wait succeeds; QueryStatus says pending";
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_PENDING));
  // Work in progress: a non-forced unload is declined, a forced one is not.
  EXPECT_EQ(Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE)), S_FALSE);
  EXPECT_EQ(async->Cancel(), S_OK);
  const HRESULT again = async->Cancel();
  EXPECT_EQ(again, Hr(kVSS_S_ASYNC_CANCELLED)) << VssResultName(static_cast<std::uint32_t>(again));
  EXPECT_EQ(async->Wait(INFINITE), S_OK);
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_CANCELLED));
  EXPECT_EQ(async->Cancel(), Hr(kVSS_S_ASYNC_CANCELLED));
  EXPECT_EQ(Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE)), S_OK);
  async->Release();
  EXPECT_EQ(capture_->size(), 0u) << "a cancellation VSS asked for needs no entry";
}

TEST_F(ProviderComExTest, AVetoedResyncIsReportedOnceAndMappedThroughTheResyncTable) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 1u);
  scripted_->SetResync(ScriptedExBackend::Resync::kFail,
                       VetoError("the destination LUN is replicated", "Pause replication, then retry."));
  IVssAsync* async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  EXPECT_EQ(async->Wait(INFINITE), Hr(kVSS_E_PROVIDER_VETO)) << "Wait returns the operation's error";
  EXPECT_EQ(Status(async), Hr(kVSS_E_PROVIDER_VETO));
  EXPECT_EQ(async->Cancel(), Hr(kVSS_E_PROVIDER_VETO));
  async->Release();
  const auto texts = capture_->texts();
  ASSERT_EQ(texts.size(), 1u) << "one entry however often the failure is observed";
  EXPECT_THAT(texts[0], ::testing::HasSubstr("ResyncLuns"));
  EXPECT_THAT(texts[0], ::testing::HasSubstr("Pause replication"));

  // Out of space explains itself: VSS_E_INSUFFICIENT_STORAGE, no entry.
  scripted_->SetResync(ScriptedExBackend::Resync::kFail, InsufficientStorageError("pool full"));
  async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  EXPECT_EQ(async->Wait(INFINITE), Hr(kVSS_E_INSUFFICIENT_STORAGE));
  EXPECT_EQ(Status(async), Hr(kVSS_E_INSUFFICIENT_STORAGE));
  async->Release();
  EXPECT_EQ(capture_->size(), 1u);
}

TEST_F(ProviderComExTest, TheAsyncMayOutliveTheProviderObject) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 1u);
  scripted_->SetResync(ScriptedExBackend::Resync::kHold);
  IVssAsync* async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  com_.reset();      // VSS released the provider object ...
  provider_.reset();  // ... and nothing else holds the core but the IVssAsync
  EXPECT_EQ(LiveVssProviderObjects(), 0);
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_PENDING));
  scripted_->Finish();
  EXPECT_EQ(async->Wait(INFINITE), S_OK);
  EXPECT_EQ(Status(async), Hr(kVSS_S_ASYNC_FINISHED));
  async->Release();
}

TEST_F(ProviderComExTest, ReleasingTheAsyncEarlyNeitherCancelsNorCrashes) {
  Open();
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 1u);
  scripted_->SetResync(ScriptedExBackend::Resync::kHold);
  IVssAsync* async = nullptr;
  ASSERT_EQ(Resync(targets, sources, &async), S_OK);
  ASSERT_NE(async, nullptr);
  async->Release();
  EXPECT_EQ(LiveVssAsyncObjects(), 0);
  EXPECT_EQ(Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE)), S_FALSE) << "still running";
  scripted_->Finish();
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  HRESULT unload = S_FALSE;
  while (unload == S_FALSE && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(10));
    unload = Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE));
  }
  EXPECT_EQ(unload, S_OK);
}

// The mock's own ResyncTarget (not the scripted one): the whole path from
// IVssAsync to the array and back.
TEST(ProviderComExMockTest, ResyncLunsOverTheMocksOwnResync) {
  MockBackendOptions options;
  options.resync_latency = absl::Milliseconds(100);
  auto mock = std::make_shared<MockBackend>(options);
  auto provider = std::make_shared<SnapshotProvider>(mock);
  ComProvider com(provider, nullptr);
  ASSERT_NE(com.hw, nullptr);
  const LunIdentity source = mock->AddSourceLun();
  VdsLuns luns(std::vector<LunIdentity>{source});
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  wchar_t device[] = L"\\\\?\\PhysicalDrive1";
  VSS_PWSZ devices[] = {device};
  ASSERT_EQ(com.hw->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices,
                                         luns.data()),
            S_OK);
  ASSERT_EQ(com.create->EndPrepareSnapshots(set), S_OK);
  ASSERT_EQ(com.create->PreCommitSnapshots(set), S_OK);
  ASSERT_EQ(com.create->CommitSnapshots(set), S_OK);
  ASSERT_EQ(com.create->PostCommitSnapshots(set, 1), S_OK);
  ASSERT_EQ(com.create->PreFinalCommitSnapshots(set), S_OK);
  ASSERT_EQ(com.create->PostFinalCommitSnapshots(set), S_OK);  // the set is complete
  VdsLuns targets(1);
  ASSERT_EQ(com.hw->GetTargetLuns(1, devices, luns.data(), targets.data()), S_OK);
  IVssAsync* async = nullptr;
  ASSERT_EQ(Legal(VssMethod::kResyncLuns, com.hw->ResyncLuns(targets.data(), luns.data(), 1, &async)), S_OK);
  ASSERT_NE(async, nullptr);
  EXPECT_EQ(async->Wait(INFINITE), S_OK);
  HRESULT status = E_FAIL;
  EXPECT_EQ(async->QueryStatus(&status, nullptr), S_OK);
  EXPECT_EQ(status, Hr(kVSS_S_ASYNC_FINISHED));
  EXPECT_EQ(mock->calls().resync, 1);
  async->Release();
  EXPECT_EQ(LiveVssAsyncObjects(), 0);
}

// --- the durable catalog through the COM object -----------------------------

TEST_F(ProviderComExTest, ANewProviderObjectOnTheSameCatalogStillAnswersGetTargetLuns) {
  const std::string catalog = Narrow(ScratchDirectory(L"restart") + L"\\catalog.hwsnap");
  Open(catalog);
  EXPECT_EQ(Legal(VssMethod::kOnLoad, com_->notify->OnLoad(nullptr)), S_OK);
  const std::vector<LunIdentity> sources = {mock_->AddSourceLun(), mock_->AddSourceLun()};
  const std::vector<LunIdentity> targets = CompletedSet(sources);
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(Legal(VssMethod::kOnUnload, com_->notify->OnUnload(FALSE)), S_OK);
  Close();  // VSS released the provider: its process could end here

  Open(catalog);  // the same array, a new provider on the same catalog
  EXPECT_EQ(Legal(VssMethod::kOnLoad, com_->notify->OnLoad(nullptr)), S_OK);
  EXPECT_EQ(provider_->recovery().load.path, catalog);
  EXPECT_GE(provider_->recovery().sets_served, 1);
  const std::vector<LunIdentity> again = TargetsOf(sources);
  ASSERT_EQ(again.size(), targets.size());
  for (std::size_t i = 0; i < targets.size(); ++i) EXPECT_TRUE(again[i].SameLunAs(targets[i])) << i;
  // ... and the rest of the snapshots' life goes on: OnLunEmpty deletes them.
  VdsLuns empties(again);
  for (std::size_t i = 0; i < again.size(); ++i) {
    EXPECT_EQ(Legal(VssMethod::kOnLunEmpty, com_->hw->OnLunEmpty(device0_, &empties[i])), S_OK);
  }
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
  EXPECT_EQ(capture_->size(), 0u);
  Close();
}

// What every refused call of a provider whose catalog cannot be used looks like.
void ExpectUnusable(IVssHardwareSnapshotProviderEx* hw, IVssProviderCreateSnapshotSet* create,
                    IVssProviderNotifications* notify, MockBackend& mock, VSS_PWSZ* devices) {
  EXPECT_EQ(Legal(VssMethod::kOnLoad, notify->OnLoad(nullptr)), Hr(kVSS_E_PROVIDER_VETO));
  VdsLuns luns(std::vector<LunIdentity>{mock.AddSourceLun()});
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  const HRESULT begin =
      Legal(VssMethod::kBeginPrepareSnapshot,
            hw->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices, luns.data()));
  EXPECT_NE(begin, S_OK);
  VdsLuns targets(1);
  EXPECT_NE(Legal(VssMethod::kGetTargetLuns, hw->GetTargetLuns(1, devices, luns.data(), targets.data())), S_OK);
  EXPECT_NE(Legal(VssMethod::kOnLunStateChange, hw->OnLunStateChange(luns.data(), luns.data(), 1, 0x100)), S_OK);
  IVssAsync* async = nullptr;
  EXPECT_NE(Legal(VssMethod::kResyncLuns, hw->ResyncLuns(luns.data(), luns.data(), 1, &async)), S_OK);
  EXPECT_EQ(async, nullptr);
  Legal(VssMethod::kAbortSnapshots, create->AbortSnapshots(set));
  EXPECT_EQ(Legal(VssMethod::kOnUnloadForced, notify->OnUnload(TRUE)), S_OK);
  EXPECT_EQ(mock.LiveTargetCount(), 0);
}

TEST_F(ProviderComExTest, ACorruptCatalogIsAVetoWithAnEntryAndIsKept) {
  const std::wstring path = ScratchDirectory(L"corrupt") + L"\\catalog.hwsnap";
  const std::string garbage(4096, '\x5a');
  WriteBytes(path, garbage);
  Open(Narrow(path));
  ExpectUnusable(com_->hw, com_->create, com_->notify, *mock_, devices_);
  ASSERT_GE(capture_->size(), 1u);
  EXPECT_THAT(capture_->texts().front(), ::testing::HasSubstr("VSS call OnLoad"));
  Close();
  EXPECT_EQ(ReadBytes(path), garbage) << "a damaged catalog is never silently discarded";
}

TEST_F(ProviderComExTest, ACatalogThatCannotBeCreatedIsAVetoWithAnEntry) {
  // Its directory would have to be created where a file is.
  const std::wstring blocker = ScratchDirectory(L"blocked") + L"\\not-a-directory";
  WriteBytes(blocker, "x");
  Open(Narrow(blocker + L"\\catalog.hwsnap"));
  ExpectUnusable(com_->hw, com_->create, com_->notify, *mock_, devices_);
  ASSERT_GE(capture_->size(), 1u);
  EXPECT_THAT(capture_->texts().front(), ::testing::HasSubstr("VSS call OnLoad"));
  Close();
}

TEST_F(ProviderComExTest, ACatalogHeldByAnotherProviderIsAVeto) {
  const std::string catalog = Narrow(ScratchDirectory(L"held") + L"\\catalog.hwsnap");
  ProviderOptions options;
  options.catalog_path = catalog;
  auto holder = std::make_shared<SnapshotProvider>(scripted_, options);
  {
    ComProvider first(holder, nullptr);
    ASSERT_NE(first.notify, nullptr);
    EXPECT_EQ(Legal(VssMethod::kOnLoad, first.notify->OnLoad(nullptr)), S_OK);
  }
  Open(catalog);  // a second provider on the same catalog while the first holds it
  ExpectUnusable(com_->hw, com_->create, com_->notify, *mock_, devices_);
  EXPECT_GE(capture_->size(), 1u);
  Close();
  holder.reset();
  Open(catalog);  // released: usable again
  EXPECT_EQ(Legal(VssMethod::kOnLoad, com_->notify->OnLoad(nullptr)), S_OK);
  Close();
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
