// Registration, activation and the provider's interfaces (see com_session.h).
#include "com_session.h"

#include <cwchar>
#include <utility>

#include "hwsnap/windows/provider_ids.h"

namespace hwsnap {
namespace vss_driver {
namespace {

using windows::kProviderClsid;
using windows::kProviderClsidText;

using RegisterFn = HRESULT(STDAPICALLTYPE*)();

std::string Hr(HRESULT hr) { return ResultName(static_cast<std::uint32_t>(hr)); }

std::wstring FullPath(const std::wstring& path) {
  wchar_t full[MAX_PATH * 2] = {};
  const DWORD n = GetFullPathNameW(path.c_str(), MAX_PATH * 2, full, nullptr);
  return (n == 0 || n >= MAX_PATH * 2) ? path : std::wstring(full, n);
}

bool SamePath(const std::wstring& a, const std::wstring& b) {
  return CompareStringOrdinal(a.c_str(), -1, b.c_str(), -1, TRUE) == CSTR_EQUAL;
}

// Loads `dll` and calls its DllRegisterServer, as regsvr32 does. The module
// stays loaded: CoCreateInstance finds it again under the registered path.
bool RegisterDll(const SessionOptions& options, Timeline& timeline) {
  const std::wstring dll = FullPath(options.dll_path);
  const std::wstring existing = RegisteredServerPath();
  if (!existing.empty() && !SamePath(existing, dll) && !options.force_register) {
    timeline.Fail("the provider CLSID is already registered to " + Narrow(existing) +
                  "; pass --no-register to drive that one, or --force-register to repoint it to " + Narrow(dll));
    return false;
  }
  HMODULE module = LoadLibraryW(dll.c_str());
  if (module == nullptr) {
    timeline.Fail("cannot load " + Narrow(dll) + " (Win32 error " + std::to_string(GetLastError()) +
                  "); put hwsnap_vss.dll next to the driver or pass --dll PATH");
    return false;
  }
  // void(*)() is GCC's generic function type: no cast-function-type warning.
  auto do_register =
      reinterpret_cast<RegisterFn>(reinterpret_cast<void (*)()>(GetProcAddress(module, "DllRegisterServer")));
  if (do_register == nullptr) {
    timeline.Fail(Narrow(dll) + " exports no DllRegisterServer");
    return false;
  }
  const HRESULT hr = do_register();
  timeline.Note("DllRegisterServer(" + Narrow(dll) + ") -> " + Hr(hr));
  if (FAILED(hr)) {
    timeline.Fail("DllRegisterServer failed: " + Hr(hr));
    return false;
  }
  return true;
}

template <typename Interface>
bool Ask(IUnknown* object, REFIID iid, const char* name, Microsoft::WRL::ComPtr<Interface>& out,
         Timeline& timeline) {
  const HRESULT hr = object->QueryInterface(iid, reinterpret_cast<void**>(out.ReleaseAndGetAddressOf()));
  timeline.Note(std::string("QueryInterface(") + name + ") -> " + Hr(hr));
  if (hr != S_OK || out == nullptr) {
    timeline.Fail(std::string("the provider object does not implement ") + name);
    return false;
  }
  return true;
}

}  // namespace

ComApartment::ComApartment() : result_(CoInitializeEx(nullptr, COINIT_MULTITHREADED)) {}

ComApartment::~ComApartment() {
  if (SUCCEEDED(result_)) CoUninitialize();
}

std::unique_ptr<ComSession> ComSession::Open(const SessionOptions& options, Timeline& timeline) {
  std::unique_ptr<ComSession> session(new ComSession());
  session->apartment_ = std::make_unique<ComApartment>();
  if (FAILED(session->apartment_->result())) {
    timeline.Fail("CoInitializeEx(COINIT_MULTITHREADED) -> " + Hr(session->apartment_->result()));
    return nullptr;
  }
  if (!options.dll_path.empty() && !RegisterDll(options, timeline)) return nullptr;
  const std::wstring server = RegisteredServerPath();
  timeline.Note("HKCR\\CLSID\\" + Narrow(kProviderClsidText) + "\\InprocServer32 = " +
                (server.empty() ? std::string("(not registered)") : Narrow(server)));

  const HRESULT hr = CoCreateInstance(kProviderClsid, nullptr, options.context, IID_IVssHardwareSnapshotProvider,
                                      reinterpret_cast<void**>(session->hw_.ReleaseAndGetAddressOf()));
  timeline.Note(std::string("CoCreateInstance(CLSID ") + Narrow(kProviderClsidText) + ", " +
                (options.context == CLSCTX_INPROC_SERVER ? "CLSCTX_INPROC_SERVER" : "CLSCTX_ALL") +
                ", IID_IVssHardwareSnapshotProvider) -> " + Hr(hr));
  if (hr != S_OK || session->hw_ == nullptr) {
    timeline.Fail("cannot create the provider object: " + Hr(hr) +
                  (server.empty() ? " (register it: run without --no-register, or regsvr32 hwsnap_vss.dll)" : ""));
    return nullptr;
  }
  IUnknown* object = session->hw_.Get();
  if (!Ask(object, IID_IVssHardwareSnapshotProviderEx, "IVssHardwareSnapshotProviderEx", session->hw_ex_,
           timeline) ||
      !Ask(object, IID_IVssProviderCreateSnapshotSet, "IVssProviderCreateSnapshotSet", session->create_, timeline) ||
      !Ask(object, IID_IVssProviderNotifications, "IVssProviderNotifications", session->notify_, timeline)) {
    return nullptr;
  }
  return session;
}

ComSession::~ComSession() {
  // Interfaces go before the apartment does.
  notify_.Reset();
  create_.Reset();
  hw_ex_.Reset();
  hw_.Reset();
  apartment_.reset();
}

std::wstring RegisteredServerPath() {
  const std::wstring key = std::wstring(L"CLSID\\") + kProviderClsidText + L"\\InprocServer32";
  wchar_t value[MAX_PATH * 2] = {};
  DWORD bytes = sizeof(value);
  // REG_SZ only: RRF_RT_REG_EXPAND_SZ is refused unless RRF_NOEXPAND is given too.
  const LSTATUS status = RegGetValueW(HKEY_CLASSES_ROOT, key.c_str(), nullptr, RRF_RT_REG_SZ, nullptr, value, &bytes);
  return status == ERROR_SUCCESS ? std::wstring(value) : std::wstring();
}

}  // namespace vss_driver
}  // namespace hwsnap
