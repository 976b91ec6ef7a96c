// Tests of the VSS provider COM object (Windows only; runs under Wine).
//
// This file exists to drive the provider the way VSS does — only through its
// COM interfaces, with VDS_LUN_INFORMATION arrays and GUIDs — over a
// MockBackend the test controls, and to check that every result is one the
// method's documentation page allows (IsLegalResult): a full snapshot
// sequence, abort, bad arguments and unknown sets — and that vetoes reach
// the administrator's event log (a capturing sink standing in for the
// Windows event log) only once the set's volumes have thawed.
#include "hwsnap/windows/provider_com.h"

#include <objbase.h>
#include <vsprov.h>
#include <vss.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <stdexcept>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admin_event_capture_sink.h"
#include "hwsnap/backend.h"
#include "hwsnap/cancel_token.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/mock/fault_injecting_backend.h"
#include "hwsnap/mock/mock_backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/status.h"
#include "hwsnap/windows/admin_event_log.h"
#include "hwsnap/windows/guid_conversion.h"
#include "hwsnap/windows/vds_lun_conversion.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

// Checks `hr` is legal for `method` and returns it.
HRESULT Legal(VssMethod method, HRESULT hr) {
  EXPECT_TRUE(IsLegalResult(method, static_cast<std::uint32_t>(hr)))
      << VssMethodName(method) << " returned " << VssResultName(static_cast<std::uint32_t>(hr));
  return hr;
}

// Owns an array of VDS_LUN_INFORMATION filled by LunIdentityToVds.
class VdsLuns {
 public:
  explicit VdsLuns(const std::vector<LunIdentity>& luns) : infos_(luns.size()) {
    for (std::size_t i = 0; i < luns.size(); ++i) {
      EXPECT_TRUE(LunIdentityToVds(luns[i], &infos_[i]).ok());
    }
  }
  explicit VdsLuns(std::size_t empty_count) : infos_(empty_count) {}
  ~VdsLuns() {
    for (auto& info : infos_) FreeVdsLunInformation(&info);
  }
  VdsLuns(const VdsLuns&) = delete;
  VdsLuns& operator=(const VdsLuns&) = delete;

  VDS_LUN_INFORMATION* data() { return infos_.data(); }
  LONG count() const { return static_cast<LONG>(infos_.size()); }
  VDS_LUN_INFORMATION& operator[](std::size_t i) { return infos_[i]; }

 private:
  std::vector<VDS_LUN_INFORMATION> infos_;
};

class ProviderComTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_shared<MockBackend>();
    provider_ = std::make_shared<SnapshotProvider>(mock_);
    ASSERT_EQ(CreateVssProviderObject(provider_, IID_IVssHardwareSnapshotProviderEx,
                                      reinterpret_cast<void**>(&hw_)),
              S_OK);
    ASSERT_EQ(hw_->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create_)), S_OK);
    ASSERT_EQ(hw_->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify_)), S_OK);
  }
  void TearDown() override {
    if (notify_ != nullptr) notify_->Release();
    if (create_ != nullptr) create_->Release();
    if (hw_ != nullptr) hw_->Release();
    EXPECT_EQ(LiveVssProviderObjects(), 0);
  }

  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<SnapshotProvider> provider_;
  IVssHardwareSnapshotProviderEx* hw_ = nullptr;
  IVssProviderCreateSnapshotSet* create_ = nullptr;
  IVssProviderNotifications* notify_ = nullptr;
  wchar_t device0_[32] = L"\\\\?\\PhysicalDrive1";
  wchar_t device1_[32] = L"\\\\?\\PhysicalDrive2";
  VSS_PWSZ devices_[2] = {device0_, device1_};
};

TEST_F(ProviderComTest, FullSnapshotSequenceThroughComInterfaces) {
  std::vector<LunIdentity> sources = {mock_->AddSourceLun(), mock_->AddSourceLun()};
  VdsLuns luns(sources);
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  const GUID snapshot = GuidToWindows(SnapshotId::Random());

  EXPECT_EQ(Legal(VssMethod::kOnLoad, notify_->OnLoad(nullptr)), S_OK);
  WINBOOL supported = FALSE;
  EXPECT_EQ(Legal(VssMethod::kAreLunsSupported,
                  hw_->AreLunsSupported(luns.count(), VSS_CTX_BACKUP, devices_, luns.data(), &supported)),
            S_OK);
  EXPECT_EQ(supported, TRUE);
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                  hw_->BeginPrepareSnapshot(set, snapshot, VSS_CTX_BACKUP, luns.count(), devices_, luns.data())),
            S_OK);
  EXPECT_EQ(Legal(VssMethod::kEndPrepareSnapshots, create_->EndPrepareSnapshots(set)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kPreCommitSnapshots, create_->PreCommitSnapshots(set)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kCommitSnapshots, create_->CommitSnapshots(set)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kPostCommitSnapshots, create_->PostCommitSnapshots(set, 1)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kPreFinalCommitSnapshots, create_->PreFinalCommitSnapshots(set)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kPostFinalCommitSnapshots, create_->PostFinalCommitSnapshots(set)), S_OK);
  EXPECT_EQ(mock_->LiveTargetCount(), 2);

  // GetTargetLuns fills the empty destinations with the targets' identities.
  VdsLuns targets(sources.size());
  EXPECT_EQ(Legal(VssMethod::kGetTargetLuns, hw_->GetTargetLuns(luns.count(), devices_, luns.data(), targets.data())),
            S_OK);
  std::vector<LunIdentity> target_ids;
  for (LONG i = 0; i < targets.count(); ++i) {
    absl::StatusOr<LunIdentity> target = LunIdentityFromVds(&targets[static_cast<std::size_t>(i)]);
    ASSERT_TRUE(target.ok()) << target.status();
    EXPECT_TRUE(target->HasUniqueDesignator());
    EXPECT_FALSE(target->SameLunAs(sources[static_cast<std::size_t>(i)]));
    target_ids.push_back(*target);
  }

  // Import: locate, then FillInLunInfo for each new disk reports it as ours.
  EXPECT_EQ(Legal(VssMethod::kLocateLuns, hw_->LocateLuns(targets.count(), targets.data())), S_OK);
  for (std::size_t i = 0; i < target_ids.size(); ++i) {
    LunIdentity seen = target_ids[i];
    Interconnect path;
    path.address_type = InterconnectAddressType::kScsi;
    path.address = {0, 2, 0, static_cast<std::uint8_t>(i)};
    seen.interconnects = {path};  // what the host sees; the provider must not touch it
    VdsLuns found(std::vector<LunIdentity>{seen});
    found[0].m_diskSignature = IID_IUnknown;
    VDS_INTERCONNECT* const interconnects = found[0].m_rgInterconnects;
    WINBOOL ours = FALSE;
    EXPECT_EQ(Legal(VssMethod::kFillInLunInfo, hw_->FillInLunInfo(device0_, found.data(), &ours)), S_OK);
    EXPECT_EQ(ours, TRUE);
    EXPECT_EQ(found[0].m_rgInterconnects, interconnects);
    EXPECT_EQ(found[0].m_cInterconnects, 1u);
    EXPECT_EQ(found[0].m_rgInterconnects[0].m_cbAddress, 4u);
    EXPECT_TRUE(IsEqualGUID(found[0].m_diskSignature, IID_IUnknown));
    absl::StatusOr<LunIdentity> filled = LunIdentityFromVds(found.data());
    ASSERT_TRUE(filled.ok()) << filled.status();
    EXPECT_TRUE(filled->SameLunAs(target_ids[i]));
  }

  // The requester is done with the snapshots: every target is reclaimed.
  for (std::size_t i = 0; i < target_ids.size(); ++i) {
    EXPECT_EQ(Legal(VssMethod::kOnLunEmpty, hw_->OnLunEmpty(device0_, &targets[i])), S_OK);
  }
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
  EXPECT_EQ(Legal(VssMethod::kOnUnloadForced, notify_->OnUnload(TRUE)), S_OK);
}

TEST_F(ProviderComTest, AbortAfterEndPrepareReleasesEverything) {
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                  hw_->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                            luns.data())),
            S_OK);
  EXPECT_EQ(Legal(VssMethod::kEndPrepareSnapshots, create_->EndPrepareSnapshots(set)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(set)), S_OK);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(ProviderComTest, UnknownLunsAreNotSupported) {
  LunIdentity stranger = mock_->AddSourceLun();
  for (auto& d : stranger.designators) d.bytes.back() ^= 0x5a;  // not a LUN the array has
  stranger.serial_number += "x";
  VdsLuns luns(std::vector<LunIdentity>{stranger});
  WINBOOL supported = TRUE;
  const HRESULT hr = hw_->AreLunsSupported(1, VSS_CTX_BACKUP, devices_, luns.data(), &supported);
  Legal(VssMethod::kAreLunsSupported, hr);
  EXPECT_EQ(hr, S_OK);
  EXPECT_EQ(supported, FALSE);
}

// A backend whose every call throws: what a buggy vendor backend does. No
// exception may reach VSS; out-of-memory stays out-of-memory.
template <typename Exception>
class ThrowingBackend final : public ForwardingBackend {
 public:
  using ForwardingBackend::ForwardingBackend;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity&) override { throw Exception("identify"); }
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity&, const CancelToken&) override {
    throw Exception("prepare");
  }
};

struct BadAlloc : std::bad_alloc {
  explicit BadAlloc(const char*) {}
};

template <typename Exception>
void DriveThrowingBackend(HRESULT expected_are_luns_supported) {
  auto mock = std::make_shared<MockBackend>();
  const LunIdentity lun = mock->AddSourceLun();
  auto provider = std::make_shared<SnapshotProvider>(std::make_shared<ThrowingBackend<Exception>>(mock));
  IVssHardwareSnapshotProvider* hw = nullptr;
  ASSERT_EQ(CreateVssProviderObject(provider, IID_IVssHardwareSnapshotProvider, reinterpret_cast<void**>(&hw)),
            S_OK);
  IVssProviderCreateSnapshotSet* create = nullptr;
  ASSERT_EQ(hw->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create)), S_OK);
  VdsLuns luns(std::vector<LunIdentity>{lun});
  wchar_t device[] = L"\\\\?\\PhysicalDrive1";
  VSS_PWSZ devices[] = {device};
  WINBOOL supported = TRUE;
  HRESULT hr = Legal(VssMethod::kAreLunsSupported,
                     hw->AreLunsSupported(1, VSS_CTX_BACKUP, devices, luns.data(), &supported));
  EXPECT_EQ(hr, expected_are_luns_supported) << VssResultName(static_cast<std::uint32_t>(hr));
  EXPECT_EQ(supported, FALSE) << "never agree to a snapshot the backend could not even look at";

  const VSS_ID set = GuidToWindows(SnapshotSetId::Random());
  Legal(VssMethod::kBeginPrepareSnapshot,
        hw->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices, luns.data()));
  EXPECT_NE(Legal(VssMethod::kEndPrepareSnapshots, create->EndPrepareSnapshots(set)), S_OK);
  EXPECT_EQ(create->AbortSnapshots(set), S_OK);
  EXPECT_EQ(mock->LiveTargetCount(), 0);
  create->Release();
  hw->Release();
}

TEST(ProviderComThrowingBackendTest, BadAllocIsOutOfMemoryAndNothingEscapes) {
  DriveThrowingBackend<BadAlloc>(static_cast<HRESULT>(kE_OUTOFMEMORY));
}

// A backend failure while identifying is "not supported" (S_OK, FALSE): VSS
// then asks another provider instead of failing the backup.
TEST(ProviderComThrowingBackendTest, AnyOtherExceptionMeansNotSupportedAndNothingEscapes) {
  DriveThrowingBackend<std::runtime_error>(S_OK);
}

TEST_F(ProviderComTest, UnknownLunsAreLeftAloneByFillInLunInfoAndGetTargetLuns) {
  LunIdentity stranger = mock_->AddSourceLun();
  for (auto& d : stranger.designators) d.bytes.back() ^= 0x5a;
  stranger.serial_number += "x";
  VdsLuns luns(std::vector<LunIdentity>{stranger});
  const VDS_LUN_INFORMATION before = luns[0];
  WINBOOL ours = TRUE;
  EXPECT_EQ(Legal(VssMethod::kFillInLunInfo, hw_->FillInLunInfo(device0_, luns.data(), &ours)), S_OK);
  EXPECT_EQ(ours, FALSE);
  EXPECT_EQ(std::memcmp(&before, &luns[0], sizeof(before)), 0);  // VSS's struct untouched

  // No completed set holds this source: a legal failure, destinations untouched.
  VdsLuns targets(1);
  const HRESULT hr = hw_->GetTargetLuns(1, devices_, luns.data(), targets.data());
  EXPECT_NE(Legal(VssMethod::kGetTargetLuns, hr), S_OK);
  EXPECT_EQ(targets[0].m_szVendorId, nullptr);
  EXPECT_EQ(targets[0].m_deviceIdDescriptor.m_rgIdentifiers, nullptr);
  EXPECT_EQ(Legal(VssMethod::kLocateLuns, hw_->LocateLuns(1, luns.data())) == S_OK, false);
  EXPECT_NE(Legal(VssMethod::kOnLunEmpty, hw_->OnLunEmpty(device0_, luns.data())), S_OK);
}

TEST_F(ProviderComTest, ANewSetAbortsTheUnfinishedOne) {
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  const GUID first = GuidToWindows(SnapshotSetId::Random());
  const GUID second = GuidToWindows(SnapshotSetId::Random());
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                  hw_->BeginPrepareSnapshot(first, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                            luns.data())),
            S_OK);
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                  hw_->BeginPrepareSnapshot(second, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                            luns.data())),
            S_OK);
  EXPECT_NE(Legal(VssMethod::kEndPrepareSnapshots, create_->EndPrepareSnapshots(first)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kEndPrepareSnapshots, create_->EndPrepareSnapshots(second)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(second)), S_OK);
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

TEST_F(ProviderComTest, UnknownSetsGiveLegalFailures) {
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  EXPECT_NE(Legal(VssMethod::kEndPrepareSnapshots, create_->EndPrepareSnapshots(set)), S_OK);
  EXPECT_NE(Legal(VssMethod::kPreCommitSnapshots, create_->PreCommitSnapshots(set)), S_OK);
  EXPECT_NE(Legal(VssMethod::kCommitSnapshots, create_->CommitSnapshots(set)), S_OK);
  EXPECT_NE(Legal(VssMethod::kPostCommitSnapshots, create_->PostCommitSnapshots(set, 1)), S_OK);
  Legal(VssMethod::kPreFinalCommitSnapshots, create_->PreFinalCommitSnapshots(set));
  Legal(VssMethod::kPostFinalCommitSnapshots, create_->PostFinalCommitSnapshots(set));
  Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(set));
}

TEST_F(ProviderComTest, BadArgumentsAreInvalidArg) {
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  const GUID snap = GuidToWindows(SnapshotId::Random());
  WINBOOL supported = TRUE;
  const HRESULT invalid = static_cast<HRESULT>(kE_INVALIDARG);
  // AreLunsSupported: null out-pointer, zero / negative counts, null arrays.
  EXPECT_EQ(Legal(VssMethod::kAreLunsSupported, hw_->AreLunsSupported(1, 0, devices_, luns.data(), nullptr)),
            invalid);
  for (LONG count : {0L, -1L, 100000L}) {
    EXPECT_EQ(Legal(VssMethod::kAreLunsSupported, hw_->AreLunsSupported(count, 0, devices_, luns.data(), &supported)),
              invalid);
    EXPECT_EQ(supported, FALSE);
    EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                    hw_->BeginPrepareSnapshot(set, snap, 0, count, devices_, luns.data())),
              invalid);
    EXPECT_EQ(Legal(VssMethod::kLocateLuns, hw_->LocateLuns(count, luns.data())), invalid);
  }
  EXPECT_EQ(Legal(VssMethod::kAreLunsSupported, hw_->AreLunsSupported(1, 0, devices_, nullptr, &supported)), invalid);
  EXPECT_EQ(Legal(VssMethod::kAreLunsSupported, hw_->AreLunsSupported(1, 0, nullptr, luns.data(), &supported)),
            invalid);
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot, hw_->BeginPrepareSnapshot(set, snap, 0, 1, devices_, nullptr)),
            invalid);
  EXPECT_EQ(Legal(VssMethod::kGetTargetLuns, hw_->GetTargetLuns(1, devices_, luns.data(), nullptr)), invalid);
  EXPECT_EQ(Legal(VssMethod::kGetTargetLuns, hw_->GetTargetLuns(1, devices_, nullptr, nullptr)), invalid);
  EXPECT_EQ(Legal(VssMethod::kLocateLuns, hw_->LocateLuns(1, nullptr)), invalid);
  EXPECT_EQ(Legal(VssMethod::kOnLunEmpty, hw_->OnLunEmpty(device0_, nullptr)), invalid);
  EXPECT_EQ(Legal(VssMethod::kFillInLunInfo, hw_->FillInLunInfo(device0_, nullptr, &supported)), invalid);
  EXPECT_EQ(Legal(VssMethod::kFillInLunInfo, hw_->FillInLunInfo(device0_, luns.data(), nullptr)), invalid);
  // A malformed LUN (count without array) is invalid too.
  VdsLuns broken(std::vector<LunIdentity>{mock_->AddSourceLun()});
  VDS_STORAGE_DEVICE_ID_DESCRIPTOR saved = broken[0].m_deviceIdDescriptor;
  broken[0].m_deviceIdDescriptor.m_rgIdentifiers = nullptr;
  EXPECT_EQ(Legal(VssMethod::kAreLunsSupported, hw_->AreLunsSupported(1, 0, devices_, broken.data(), &supported)),
            invalid);
  broken[0].m_deviceIdDescriptor = saved;  // so the fixture frees what it allocated
  // Nothing was prepared by any of this.
  EXPECT_EQ(mock_->LiveTargetCount(), 0);
}

// The Ex methods in depth: provider_com_ex_test.cc.
TEST_F(ProviderComTest, ExMethodsGiveLegalResults) {
  ULONGLONG mask = 123;
  EXPECT_EQ(Legal(VssMethod::kGetProviderCapabilities, hw_->GetProviderCapabilities(&mask)), E_NOTIMPL);
  EXPECT_EQ(Legal(VssMethod::kOnReuseLuns, hw_->OnReuseLuns(nullptr, nullptr, 0)), E_NOTIMPL);
  IVssAsync* async = reinterpret_cast<IVssAsync*>(&mask);
  Legal(VssMethod::kResyncLuns, hw_->ResyncLuns(nullptr, nullptr, 0, &async));
  EXPECT_EQ(async, nullptr);
  VdsLuns luns(std::vector<LunIdentity>{mock_->AddSourceLun()});
  // A source LUN is no snapshot LUN of this provider.
  EXPECT_NE(Legal(VssMethod::kOnLunStateChange, hw_->OnLunStateChange(luns.data(), luns.data(), 1, 0x100)), S_OK);
  EXPECT_EQ(Legal(VssMethod::kOnLunStateChange, hw_->OnLunStateChange(nullptr, luns.data(), 1, 0x100)),
            static_cast<HRESULT>(kE_INVALIDARG));
  EXPECT_EQ(Legal(VssMethod::kOnLunStateChange, hw_->OnLunStateChange(luns.data(), luns.data(), 0, 0x100)),
            static_cast<HRESULT>(kE_INVALIDARG));
  EXPECT_EQ(Legal(VssMethod::kOnUnload, notify_->OnUnload(FALSE)), S_OK);
}

TEST_F(ProviderComTest, QueryInterfaceAndReferenceCounting) {
  IUnknown* a = nullptr;
  IUnknown* b = nullptr;
  ASSERT_EQ(create_->QueryInterface(IID_IUnknown, reinterpret_cast<void**>(&a)), S_OK);
  ASSERT_EQ(notify_->QueryInterface(IID_IUnknown, reinterpret_cast<void**>(&b)), S_OK);
  EXPECT_EQ(a, b);  // one identity whichever interface is asked
  a->Release();
  b->Release();
  void* other = reinterpret_cast<void*>(&a);
  EXPECT_EQ(hw_->QueryInterface(IID_IClassFactory, &other), E_NOINTERFACE);
  EXPECT_EQ(other, nullptr);
  EXPECT_EQ(hw_->QueryInterface(IID_IVssHardwareSnapshotProvider, nullptr), E_POINTER);
  EXPECT_EQ(LiveVssProviderObjects(), 1);
  EXPECT_EQ(CreateVssProviderObject(nullptr, IID_IUnknown, &other), static_cast<HRESULT>(kE_INVALIDARG));
}

// The provider object over a fault-injecting mock, reporting to an
// AdminEventLog whose sink the test reads.
class ProviderComEventLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    mock_ = std::make_shared<MockBackend>();
    faults_ = std::make_shared<FaultInjectingBackend>(mock_);
    provider_ = std::make_shared<SnapshotProvider>(faults_);
    capture_ = std::make_shared<CaptureSink>();
    event_log_ = std::make_shared<AdminEventLog>(capture_);
    ASSERT_EQ(CreateVssProviderObject(provider_, event_log_, IID_IVssHardwareSnapshotProviderEx,
                                      reinterpret_cast<void**>(&hw_)),
              S_OK);
    ASSERT_EQ(hw_->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create_)), S_OK);
    ASSERT_EQ(hw_->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify_)), S_OK);
    source_ = mock_->AddSourceLun();
    luns_ = std::make_unique<VdsLuns>(std::vector<LunIdentity>{source_});
  }
  void TearDown() override {
    luns_.reset();
    if (notify_ != nullptr) notify_->Release();
    if (create_ != nullptr) create_->Release();
    if (hw_ != nullptr) hw_->Release();
    EXPECT_EQ(LiveVssProviderObjects(), 0);
  }

  // BeginPrepare + EndPrepare of a new set over the one source LUN.
  GUID Prepare() {
    const GUID set = GuidToWindows(SnapshotSetId::Random());
    EXPECT_EQ(hw_->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                        luns_->data()),
              S_OK);
    EXPECT_EQ(create_->EndPrepareSnapshots(set), S_OK);
    return set;
  }
  // Prepare, PreCommit, and a CommitSnapshots the array vetoes.
  GUID VetoedCommit() {
    faults_->AddRule(MakeFaultRule(BackendOp::kCommit, FaultKind::kError, std::nullopt, ErrorCode::kVeto));
    const GUID set = Prepare();
    EXPECT_EQ(create_->PreCommitSnapshots(set), S_OK);
    EXPECT_EQ(create_->CommitSnapshots(set), static_cast<HRESULT>(kVSS_E_PROVIDER_VETO));
    return set;
  }

  std::shared_ptr<MockBackend> mock_;
  std::shared_ptr<FaultInjectingBackend> faults_;
  std::shared_ptr<SnapshotProvider> provider_;
  std::shared_ptr<CaptureSink> capture_;
  std::shared_ptr<AdminEventLog> event_log_;
  IVssHardwareSnapshotProviderEx* hw_ = nullptr;
  IVssProviderCreateSnapshotSet* create_ = nullptr;
  IVssProviderNotifications* notify_ = nullptr;
  LunIdentity source_;
  std::unique_ptr<VdsLuns> luns_;
  wchar_t device0_[32] = L"\\\\?\\PhysicalDrive1";
  VSS_PWSZ devices_[1] = {device0_};
};

TEST_F(ProviderComEventLogTest, VetoOutsideTheFreezeWindowIsWrittenAtOnce) {
  faults_->AddRule(MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, source_, ErrorCode::kVeto));
  const SnapshotSetId set_id = SnapshotSetId::Random();
  const GUID set = GuidToWindows(set_id);
  ASSERT_EQ(hw_->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                      luns_->data()),
            S_OK);
  EXPECT_EQ(create_->EndPrepareSnapshots(set), static_cast<HRESULT>(kVSS_E_PROVIDER_VETO));
  const auto entries = capture_->entries();
  ASSERT_EQ(entries.size(), 1u);  // written before EndPrepareSnapshots returned
  EXPECT_EQ(entries[0].level, spdlog::level::err);
  EXPECT_THAT(entries[0].text, ::testing::HasSubstr("(VSS call EndPrepareSnapshots) for snapshot set " +
                                                    set_id.ToString() + " on LUN " + source_.ToString()));
  EXPECT_THAT(entries[0].text, ::testing::HasSubstr("VSS_E_PROVIDER_VETO"));
  EXPECT_THAT(entries[0].text, ::testing::HasSubstr("What to do: This failure was injected for testing"));
}

TEST_F(ProviderComEventLogTest, FailuresThatExplainThemselvesWriteNoEntry) {
  faults_->AddRule(
      MakeFaultRule(BackendOp::kPrepare, FaultKind::kError, source_, ErrorCode::kInsufficientStorage));
  const GUID set = GuidToWindows(SnapshotSetId::Random());
  ASSERT_EQ(hw_->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices_,
                                      luns_->data()),
            S_OK);
  EXPECT_EQ(create_->EndPrepareSnapshots(set), static_cast<HRESULT>(kVSS_E_INSUFFICIENT_STORAGE));
  EXPECT_EQ(capture_->size(), 0u);  // VSS reports VSS_E_INSUFFICIENT_STORAGE itself
}

TEST_F(ProviderComEventLogTest, StrayCallsDuringTheFreezeWindowReleaseNothing) {
  const GUID set = VetoedCommit();
  ASSERT_EQ(event_log_->gate().held(), 1u);
  // A malformed BeginPrepare with a new set id is refused: it must not end the window.
  EXPECT_EQ(Legal(VssMethod::kBeginPrepareSnapshot,
                  hw_->BeginPrepareSnapshot(GuidToWindows(SnapshotSetId::Random()),
                                            GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 0, devices_,
                                            luns_->data())),
            static_cast<HRESULT>(kE_INVALIDARG));
  // PreCommit of a set nobody knows neither takes over nor ends the window.
  Legal(VssMethod::kPreCommitSnapshots, create_->PreCommitSnapshots(GuidToWindows(SnapshotSetId::Random())));
  EXPECT_EQ(capture_->size(), 0u) << "nothing written while the volumes are frozen";
  EXPECT_EQ(event_log_->frozen_set(), GuidFromWindows<SnapshotSetTag>(set));
  EXPECT_EQ(Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(set)), S_OK);
  EXPECT_GE(capture_->size(), 1u) << "the real set's abort writes what was held";
  EXPECT_FALSE(event_log_->frozen_set().has_value());
}

TEST_F(ProviderComEventLogTest, PreCommitOfAnUnknownSetOpensNoWindow) {
  Legal(VssMethod::kPreCommitSnapshots, create_->PreCommitSnapshots(GuidToWindows(SnapshotSetId::Random())));
  EXPECT_FALSE(event_log_->frozen_set().has_value());
  EXPECT_FALSE(event_log_->gate().is_open());
}

TEST_F(ProviderComEventLogTest, VetoInTheFreezeWindowWaitsForAbort) {
  const GUID set = VetoedCommit();
  EXPECT_EQ(capture_->size(), 0u);  // nothing written while the volumes are frozen
  EXPECT_EQ(event_log_->gate().held(), 1u);
  EXPECT_EQ(Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(set)), S_OK);
  const auto texts = capture_->texts();
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("could not take the snapshots (VSS call CommitSnapshots)"));
  EXPECT_FALSE(event_log_->frozen_set().has_value());
}

TEST_F(ProviderComEventLogTest, VetoInTheFreezeWindowWaitsForPostCommit) {
  const GUID set = VetoedCommit();
  EXPECT_EQ(capture_->size(), 0u);
  const HRESULT post = Legal(VssMethod::kPostCommitSnapshots, create_->PostCommitSnapshots(set, 1));
  EXPECT_NE(post, S_OK);  // the set failed at commit
  const auto texts = capture_->texts();
  ASSERT_GE(texts.size(), 1u);  // PostCommit's own failure may follow
  EXPECT_THAT(texts[0], ::testing::HasSubstr("VSS call CommitSnapshots"));
  EXPECT_EQ(event_log_->gate().held(), 0u);
}

TEST_F(ProviderComEventLogTest, PostCommitFailureNamingItsLunIsWrittenWhenPostCommitReturns) {
  faults_->AddRule(MakeFaultRule(BackendOp::kDescribe, FaultKind::kError, std::nullopt, ErrorCode::kBackendFailure));
  const GUID set = Prepare();
  ASSERT_EQ(create_->PreCommitSnapshots(set), S_OK);
  ASSERT_EQ(create_->CommitSnapshots(set), S_OK);
  EXPECT_EQ(create_->PostCommitSnapshots(set, 1), static_cast<HRESULT>(kVSS_E_PROVIDER_VETO));
  const auto texts = capture_->texts();
  ASSERT_EQ(texts.size(), 1u);
  EXPECT_THAT(texts[0], ::testing::HasSubstr("(VSS call PostCommitSnapshots)"));
  EXPECT_THAT(texts[0], ::testing::HasSubstr("on LUN " + source_.ToString()));
  EXPECT_FALSE(event_log_->frozen_set().has_value());
  EXPECT_EQ(Legal(VssMethod::kAbortSnapshots, create_->AbortSnapshots(set)), S_OK);
}

TEST_F(ProviderComEventLogTest, ANewSetEndsAWindowWhoseEndVssNeverSent) {
  VetoedCommit();
  EXPECT_EQ(capture_->size(), 0u);
  faults_->ClearRules();
  Prepare();  // BeginPrepareSnapshot of another set: the old one is over
  EXPECT_EQ(capture_->size(), 1u);
}

TEST_F(ProviderComEventLogTest, UnloadEndsTheWindow) {
  VetoedCommit();
  EXPECT_EQ(capture_->size(), 0u);
  EXPECT_EQ(Legal(VssMethod::kOnUnload, notify_->OnUnload(FALSE)), S_OK);
  EXPECT_EQ(capture_->size(), 1u);
}

TEST_F(ProviderComEventLogTest, SuccessfulSetWritesNothing) {
  const GUID set = Prepare();
  EXPECT_EQ(create_->PreCommitSnapshots(set), S_OK);
  EXPECT_TRUE(event_log_->frozen_set().has_value());
  EXPECT_EQ(create_->CommitSnapshots(set), S_OK);
  EXPECT_EQ(create_->PostCommitSnapshots(set, 1), S_OK);
  EXPECT_FALSE(event_log_->frozen_set().has_value());
  EXPECT_EQ(create_->AbortSnapshots(set), S_OK);
  EXPECT_EQ(capture_->size(), 0u);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
