// Tests of hwsnap_vss.dll as COM loads it (Windows only; runs under Wine).
//
// This file exists to check the DLL itself rather than the object code it is
// built from: its four exports, the class factory, self-registration under
// HKCR\CLSID (ThreadingModel Both), CoCreateInstance through that
// registration, and that the object it makes answers VSS with legal results.
// The DLL's backend is a fresh mock without source LUNs, so it supports no
// LUN; the full snapshot sequence is in provider_com_test.cc.
#include <windows.h>
#include <objbase.h>
#include <vsprov.h>
#include <vss.h>

#include <cstdint>
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
using NoArgFn = HRESULT(STDAPICALLTYPE*)();

// The DLL is copied next to this executable at build time.
std::wstring DllPath() {
  wchar_t path[MAX_PATH + 1] = {};
  GetModuleFileNameW(nullptr, path, MAX_PATH);
  std::wstring dir(path);
  dir.resize(dir.find_last_of(L"\\/") + 1);
  return dir + L"hwsnap_vss.dll";
}

template <typename Fn>
Fn Export(HMODULE module, const char* name) {
  // void(*)() is GCC's generic function type: no cast-function-type warning.
  return reinterpret_cast<Fn>(reinterpret_cast<void (*)()>(GetProcAddress(module, name)));
}

class ProviderDllTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // Never freed: the DLL pins itself once it has made an object.
    module_ = LoadLibraryW(DllPath().c_str());
    ASSERT_NE(module_, nullptr) << "cannot load hwsnap_vss.dll, error " << GetLastError();
    get_class_object_ = Export<GetClassObjectFn>(module_, "DllGetClassObject");
    can_unload_now_ = Export<NoArgFn>(module_, "DllCanUnloadNow");
    register_ = Export<NoArgFn>(module_, "DllRegisterServer");
    unregister_ = Export<NoArgFn>(module_, "DllUnregisterServer");
    ASSERT_NE(get_class_object_, nullptr);
    ASSERT_NE(can_unload_now_, nullptr);
    ASSERT_NE(register_, nullptr);
    ASSERT_NE(unregister_, nullptr);
  }

  HMODULE module_ = nullptr;
  GetClassObjectFn get_class_object_ = nullptr;
  NoArgFn can_unload_now_ = nullptr;
  NoArgFn register_ = nullptr;
  NoArgFn unregister_ = nullptr;
};

TEST_F(ProviderDllTest, ClassFactoryMakesAProviderThatAnswersLegally) {
  void* none = &module_;
  EXPECT_EQ(get_class_object_(IID_IUnknown, IID_IClassFactory, &none), CLASS_E_CLASSNOTAVAILABLE);
  EXPECT_EQ(none, nullptr);

  IClassFactory* factory = nullptr;
  ASSERT_EQ(get_class_object_(kProviderClsid, IID_IClassFactory, reinterpret_cast<void**>(&factory)), S_OK);
  IVssHardwareSnapshotProviderEx* hw = nullptr;
  EXPECT_EQ(factory->CreateInstance(factory, IID_IVssHardwareSnapshotProviderEx, reinterpret_cast<void**>(&hw)),
            CLASS_E_NOAGGREGATION);
  ASSERT_EQ(factory->CreateInstance(nullptr, IID_IVssHardwareSnapshotProviderEx, reinterpret_cast<void**>(&hw)),
            S_OK);
  EXPECT_EQ(can_unload_now_(), S_FALSE);

  IVssProviderNotifications* notify = nullptr;
  ASSERT_EQ(hw->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify)), S_OK);
  EXPECT_EQ(notify->OnLoad(nullptr), S_OK);

  // A well-formed LUN the (empty) mock does not have: supported = FALSE, S_OK.
  LunIdentity lun;
  lun.vendor_id = "OTHER";
  lun.product_id = "DISK";
  Designator naa;
  naa.type = DesignatorType::kNaa;
  naa.bytes = {0x60, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
  lun.designators.push_back(naa);
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(lun, &info).ok());
  wchar_t device[] = L"\\\\?\\PhysicalDrive7";
  VSS_PWSZ devices[] = {device};
  WINBOOL supported = TRUE;
  HRESULT hr = hw->AreLunsSupported(1, VSS_CTX_BACKUP, devices, &info, &supported);
  EXPECT_TRUE(IsLegalResult(VssMethod::kAreLunsSupported, static_cast<std::uint32_t>(hr)));
  EXPECT_EQ(hr, S_OK);
  EXPECT_EQ(supported, FALSE);
  FreeVdsLunInformation(&info);

  IVssProviderCreateSnapshotSet* create = nullptr;
  ASSERT_EQ(hw->QueryInterface(IID_IVssProviderCreateSnapshotSet, reinterpret_cast<void**>(&create)), S_OK);
  hr = create->EndPrepareSnapshots(GuidToWindows(SnapshotSetId::Random()));
  EXPECT_TRUE(IsLegalResult(VssMethod::kEndPrepareSnapshots, static_cast<std::uint32_t>(hr))) << std::hex << hr;
  EXPECT_NE(hr, S_OK);

  EXPECT_EQ(notify->OnUnload(TRUE), S_OK);
  create->Release();
  notify->Release();
  hw->Release();
  factory->Release();
  EXPECT_EQ(can_unload_now_(), S_OK);
}

std::wstring ReadString(HKEY root, const std::wstring& key, const wchar_t* name, LSTATUS* status) {
  wchar_t value[1024] = {};
  DWORD bytes = sizeof(value);
  *status = RegGetValueW(root, key.c_str(), name, RRF_RT_REG_SZ, nullptr, value, &bytes);
  return value;
}

TEST_F(ProviderDllTest, RegistersUnregistersAndCoCreatesThroughTheRegistry) {
  const std::wstring clsid_key = std::wstring(L"CLSID\\") + kProviderClsidText;
  const std::wstring server_key = clsid_key + L"\\InprocServer32";
  ASSERT_EQ(register_(), S_OK);
  ASSERT_EQ(register_(), S_OK);  // idempotent (re-install over an old registration)
  LSTATUS status = ERROR_SUCCESS;
  EXPECT_EQ(ReadString(HKEY_CLASSES_ROOT, clsid_key, nullptr, &status), kProviderName);
  EXPECT_EQ(status, ERROR_SUCCESS);
  const std::wstring server = ReadString(HKEY_CLASSES_ROOT, server_key, nullptr, &status);
  EXPECT_EQ(status, ERROR_SUCCESS);
  EXPECT_NE(server.find(L"hwsnap_vss.dll"), std::wstring::npos);
  EXPECT_EQ(ReadString(HKEY_CLASSES_ROOT, server_key, L"ThreadingModel", &status), L"Both");
  EXPECT_EQ(status, ERROR_SUCCESS);

  ASSERT_EQ(CoInitializeEx(nullptr, COINIT_MULTITHREADED), S_OK);
  IVssHardwareSnapshotProvider* hw = nullptr;
  EXPECT_EQ(CoCreateInstance(kProviderClsid, nullptr, CLSCTX_INPROC_SERVER, IID_IVssHardwareSnapshotProvider,
                             reinterpret_cast<void**>(&hw)),
            S_OK);
  if (hw != nullptr) {
    IVssProviderNotifications* notify = nullptr;
    EXPECT_EQ(hw->QueryInterface(IID_IVssProviderNotifications, reinterpret_cast<void**>(&notify)), S_OK);
    if (notify != nullptr) {
      EXPECT_EQ(notify->OnLoad(nullptr), S_OK);
      EXPECT_EQ(notify->OnUnload(FALSE), S_OK);
      notify->Release();
    }
    hw->Release();
  }
  CoUninitialize();

  EXPECT_EQ(unregister_(), S_OK);
  ReadString(HKEY_CLASSES_ROOT, server_key, nullptr, &status);
  EXPECT_EQ(status, ERROR_FILE_NOT_FOUND);
  EXPECT_EQ(unregister_(), S_OK);  // nothing registered: still fine
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
