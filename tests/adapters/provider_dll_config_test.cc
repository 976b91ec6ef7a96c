// Tests of how hwsnap_vss.dll is configured (Windows only; runs under Wine).
//
// This file exists to check, through the DLL as COM loads it, the paths an
// administrator and a test use to choose the backend: the environment
// (HWSNAP_BACKEND, HWSNAP_MOCK_FAULT, HWSNAP_CONFIG), the registry value
// HKLM\SOFTWARE\hwsnap\ConfigFile naming a configuration file, and a broken
// configuration, which must leave a provider that supports no LUN (never one
// that fails VSS). The rotating log file must appear in the configured
// directory. Each case runs in its own process (gtest_discover_tests), and
// the suite runs serially: the registry value is machine-wide.
#include <windows.h>
#include <objbase.h>
#include <vsprov.h>
#include <vss.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>

#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/windows/guid_conversion.h"
#include "hwsnap/windows/provider_ids.h"
#include "hwsnap/windows/vds_lun_conversion.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

using GetClassObjectFn = HRESULT(STDAPICALLTYPE*)(REFCLSID, REFIID, LPVOID*);

std::wstring ExeDirectory() {
  wchar_t path[MAX_PATH + 1] = {};
  GetModuleFileNameW(nullptr, path, MAX_PATH);
  std::wstring dir(path);
  dir.resize(dir.find_last_of(L"\\/") + 1);
  return dir;
}

// A scratch directory of this test process under %TEMP%.
std::wstring ScratchDirectory(const wchar_t* name) {
  wchar_t temp[MAX_PATH + 1] = {};
  GetTempPathW(MAX_PATH, temp);
  std::wstring dir = std::wstring(temp) + L"hwsnap-config-test-" + std::to_wstring(GetCurrentProcessId()) + L"-" + name;
  CreateDirectoryW(dir.c_str(), nullptr);
  return dir;
}

void WriteFile(const std::wstring& path, const std::string& text) {
  FILE* file = _wfopen(path.c_str(), L"wb");
  ASSERT_NE(file, nullptr);
  std::fwrite(text.data(), 1, text.size(), file);
  std::fclose(file);
}

bool FileExists(const std::wstring& path) { return GetFileAttributesW(path.c_str()) != INVALID_FILE_ATTRIBUTES; }

LunIdentity LunWithNaa(std::uint8_t last) {
  LunIdentity lun;
  lun.vendor_id = "HOST";
  lun.product_id = "DISK";
  lun.serial_number = "SN" + std::to_string(last);
  Designator naa;
  naa.type = DesignatorType::kNaa;
  naa.bytes = {0x60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, last};
  lun.designators.push_back(naa);
  return lun;
}

class ProviderDllConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const wchar_t* name : {L"HWSNAP_BACKEND", L"HWSNAP_MOCK_FAULT", L"HWSNAP_MOCK_PREPARE_MS", L"HWSNAP_CONFIG",
                                L"HWSNAP_LOG_DIR", L"HWSNAP_LOG_LEVEL", L"HWSNAP_CATALOG"}) {
      SetEnvironmentVariableW(name, nullptr);
    }
    // Each case's own catalog: never the Wine prefix's default one.
    catalog_ = ScratchDirectory(L"catalog") + L"\\catalog.hwsnap";
    SetEnvironmentVariableW(L"HWSNAP_CATALOG", catalog_.c_str());
    RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue);
    module_ = LoadLibraryW((ExeDirectory() + L"hwsnap_vss.dll").c_str());
    ASSERT_NE(module_, nullptr) << "cannot load hwsnap_vss.dll, error " << GetLastError();
    auto get_class_object = reinterpret_cast<GetClassObjectFn>(
        reinterpret_cast<void (*)()>(GetProcAddress(module_, "DllGetClassObject")));
    ASSERT_NE(get_class_object, nullptr);
    ASSERT_EQ(get_class_object(kProviderClsid, IID_IClassFactory, reinterpret_cast<void**>(&factory_)), S_OK);
  }
  void TearDown() override {
    if (factory_ != nullptr) factory_->Release();
    RegDeleteKeyValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue);
  }

  // Creates a provider object (reading the configuration as VSS's load would).
  IVssHardwareSnapshotProvider* Create() {
    IVssHardwareSnapshotProvider* hw = nullptr;
    EXPECT_EQ(factory_->CreateInstance(nullptr, IID_IVssHardwareSnapshotProvider, reinterpret_cast<void**>(&hw)),
              S_OK);
    return hw;
  }

  // AreLunsSupported for one LUN; asserts the result is legal and S_OK.
  static bool Supported(IVssHardwareSnapshotProvider* hw, const LunIdentity& lun) {
    VDS_LUN_INFORMATION info{};
    EXPECT_TRUE(LunIdentityToVds(lun, &info).ok());
    wchar_t device[] = L"\\\\?\\PhysicalDrive3";
    VSS_PWSZ devices[] = {device};
    WINBOOL supported = FALSE;
    const HRESULT hr = hw->AreLunsSupported(1, VSS_CTX_BACKUP, devices, &info, &supported);
    EXPECT_TRUE(IsLegalResult(VssMethod::kAreLunsSupported, static_cast<std::uint32_t>(hr))) << std::hex << hr;
    EXPECT_EQ(hr, S_OK);
    FreeVdsLunInformation(&info);
    return supported != FALSE;
  }

  // BeginPrepare + EndPrepare of one LUN in a new set; returns EndPrepare's result.
  static HRESULT PrepareOne(IVssHardwareSnapshotProvider* hw, const LunIdentity& lun) {
    IVssProviderCreateSnapshotSet* create = nullptr;
    EXPECT_EQ(hw->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create)), S_OK);
    if (create == nullptr) return E_NOINTERFACE;
    VDS_LUN_INFORMATION info{};
    EXPECT_TRUE(LunIdentityToVds(lun, &info).ok());
    wchar_t device[] = L"\\\\?\\PhysicalDrive3";
    VSS_PWSZ devices[] = {device};
    const VSS_ID set = GuidToWindows(SnapshotSetId::Random());
    HRESULT hr = hw->BeginPrepareSnapshot(set, GuidToWindows(SnapshotId::Random()), VSS_CTX_BACKUP, 1, devices, &info);
    EXPECT_EQ(hr, S_OK);
    FreeVdsLunInformation(&info);
    hr = create->EndPrepareSnapshots(set);
    EXPECT_TRUE(IsLegalResult(VssMethod::kEndPrepareSnapshots, static_cast<std::uint32_t>(hr))) << std::hex << hr;
    if (hr != S_OK) {
      EXPECT_EQ(create->AbortSnapshots(set), S_OK);
    }
    create->Release();
    return hr;
  }

  // OnLoad of a new provider object, as VSS calls it after creating one.
  static HRESULT Load(IVssHardwareSnapshotProvider* hw) {
    IVssProviderNotifications* notify = nullptr;
    EXPECT_EQ(hw->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify)), S_OK);
    if (notify == nullptr) return E_NOINTERFACE;
    const HRESULT hr = notify->OnLoad(nullptr);
    EXPECT_TRUE(IsLegalResult(VssMethod::kOnLoad, static_cast<std::uint32_t>(hr))) << std::hex << hr;
    EXPECT_EQ(notify->OnUnload(TRUE), S_OK);
    notify->Release();
    return hr;
  }

  HMODULE module_ = nullptr;
  IClassFactory* factory_ = nullptr;
  std::wstring catalog_;
};

TEST_F(ProviderDllConfigTest, WithoutConfigurationNoLunIsSupported) {
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_FALSE(Supported(hw, LunWithNaa(1)));
  hw->Release();
}

TEST_F(ProviderDllConfigTest, EnvironmentSelectsTheMockAndItsFault) {
  const std::wstring logs = ScratchDirectory(L"logs");
  SetEnvironmentVariableW(L"HWSNAP_BACKEND", L"mock");
  SetEnvironmentVariableW(L"HWSNAP_MOCK_FAULT", L"prepare:insufficient-storage");
  SetEnvironmentVariableW(L"HWSNAP_LOG_DIR", logs.c_str());
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_TRUE(Supported(hw, LunWithNaa(2))) << "the DLL's mock adopts any LUN with a unique designator";
  LunIdentity anonymous = LunWithNaa(3);
  anonymous.designators.clear();
  EXPECT_FALSE(Supported(hw, anonymous));
  EXPECT_EQ(PrepareOne(hw, LunWithNaa(2)), static_cast<HRESULT>(kVSS_E_INSUFFICIENT_STORAGE));
  hw->Release();
  EXPECT_TRUE(FileExists(logs + L"\\hwsnap_vss.log")) << "the rotating log file is in HWSNAP_LOG_DIR";
}

TEST_F(ProviderDllConfigTest, TheRegistryNamesTheConfigurationFile) {
  const std::wstring dir = ScratchDirectory(L"registry");
  const std::wstring file = dir + L"\\hwsnap.conf";
  WriteFile(file, "# written by the test\r\nbackend = mock\r\nbackend.prepare-ms = 10\r\nlog_directory = " +
                      std::string(dir.begin(), dir.end()) + "\r\n");
  ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue, REG_SZ, file.c_str(),
                            static_cast<DWORD>((file.size() + 1) * sizeof(wchar_t))),
            ERROR_SUCCESS);
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_TRUE(Supported(hw, LunWithNaa(4)));
  EXPECT_EQ(PrepareOne(hw, LunWithNaa(4)), S_OK);
  hw->Release();
  EXPECT_TRUE(FileExists(dir + L"\\hwsnap_vss.log")) << "log_directory from the file";
}

TEST_F(ProviderDllConfigTest, AnUnreadableRegistryValueIsAnErrorNotMissingConfiguration) {
  // Not a path: the DLL must say the configuration is broken (and support
  // nothing), not carry on as if no configuration had been recorded.
  const DWORD not_a_path = 42;
  ASSERT_EQ(RegSetKeyValueW(HKEY_LOCAL_MACHINE, kConfigRegistryKey, kConfigFileValue, REG_DWORD, &not_a_path,
                            sizeof(not_a_path)),
            ERROR_SUCCESS);
  SetEnvironmentVariableW(L"HWSNAP_BACKEND", L"mock");  // would make the LUN supported if the error were ignored
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_FALSE(Supported(hw, LunWithNaa(8)));
  hw->Release();
}

TEST_F(ProviderDllConfigTest, EnvironmentOverridesTheFileNamedByHwsnapConfig) {
  const std::wstring file = ScratchDirectory(L"override") + L"\\hwsnap.conf";
  WriteFile(file, "backend = mock\r\nbackend.fault = prepare:insufficient-storage\r\n");
  SetEnvironmentVariableW(L"HWSNAP_CONFIG", file.c_str());
  SetEnvironmentVariableW(L"HWSNAP_MOCK_FAULT", L"prepare:veto");
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(PrepareOne(hw, LunWithNaa(5)), static_cast<HRESULT>(kVSS_E_PROVIDER_VETO));
  hw->Release();
}

TEST_F(ProviderDllConfigTest, BrokenOrMissingConfigurationSupportsNothingButAnswersLegally) {
  const std::wstring file = ScratchDirectory(L"broken") + L"\\hwsnap.conf";
  for (const std::string& text : {std::string("backend = acme\n"), std::string("backend mock\n"),
                                  std::string("backend = mock\nbackend.capacity = lots\n")}) {
    WriteFile(file, text);
    SetEnvironmentVariableW(L"HWSNAP_CONFIG", file.c_str());
    IVssHardwareSnapshotProvider* hw = Create();
    ASSERT_NE(hw, nullptr);
    EXPECT_FALSE(Supported(hw, LunWithNaa(6))) << text;
    hw->Release();
  }
  SetEnvironmentVariableW(L"HWSNAP_CONFIG", (file + L".missing").c_str());
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_FALSE(Supported(hw, LunWithNaa(7)));
  hw->Release();
}

TEST_F(ProviderDllConfigTest, TheCatalogIsOpenedWhereHwsnapCatalogSays) {
  SetEnvironmentVariableW(L"HWSNAP_BACKEND", L"mock");
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(Load(hw), S_OK);
  EXPECT_EQ(PrepareOne(hw, LunWithNaa(9)), S_OK);
  hw->Release();
  EXPECT_TRUE(FileExists(catalog_)) << "the durable catalog is at HWSNAP_CATALOG";
}

TEST_F(ProviderDllConfigTest, TheConfigurationFileNamesTheCatalog) {
  const std::wstring dir = ScratchDirectory(L"catalog-key");
  const std::wstring file = dir + L"\\hwsnap.conf";
  const std::wstring catalog = dir + L"\\state\\catalog.hwsnap";
  WriteFile(file, "backend = mock\r\ncatalog = " + std::string(catalog.begin(), catalog.end()) + "\r\n");
  SetEnvironmentVariableW(L"HWSNAP_CATALOG", nullptr);
  SetEnvironmentVariableW(L"HWSNAP_CONFIG", file.c_str());
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(Load(hw), S_OK);
  hw->Release();
  EXPECT_TRUE(FileExists(catalog)) << "catalog = from the file (its directory created)";
}

TEST_F(ProviderDllConfigTest, ACatalogThatCannotBeOpenedVetoesTheLoad) {
  const std::wstring blocker = ScratchDirectory(L"catalog-blocked") + L"\\file";
  WriteFile(blocker, "x");
  const std::wstring catalog = blocker + L"\\catalog.hwsnap";  // below a file: cannot be created
  SetEnvironmentVariableW(L"HWSNAP_CATALOG", catalog.c_str());
  SetEnvironmentVariableW(L"HWSNAP_BACKEND", L"mock");
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr) << "the object is still created; OnLoad says what is wrong";
  EXPECT_EQ(Load(hw), static_cast<HRESULT>(kVSS_E_PROVIDER_VETO));
  hw->Release();
}

TEST_F(ProviderDllConfigTest, WithoutABackendNoCatalogIsOpened) {
  IVssHardwareSnapshotProvider* hw = Create();
  ASSERT_NE(hw, nullptr);
  EXPECT_EQ(Load(hw), S_OK);
  hw->Release();
  EXPECT_FALSE(FileExists(catalog_)) << "backend = none leaves the catalog alone";
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
