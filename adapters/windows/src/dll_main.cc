// hwsnap_vss.dll: the class factory and the four COM DLL exports.
//
// This file exists to keep the DLL's plumbing — DllMain, the class factory,
// DllGetClassObject/DllCanUnloadNow and self-registration — apart from the
// provider object, and to choose the storage backend in exactly one place
// (LoadDllConfiguration, dll_config.h). Registration writes only
// HKCR\CLSID\{CLSID}\InprocServer32 (ThreadingModel Both); it does not touch
// VSS, so it works where VSS is absent (IVssAdmin registration and the COM+
// application are the installer's job).
#include <windows.h>
#include <objbase.h>
#include <olectl.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <new>
#include <string>
#include <utility>

#include "dll_config.h"
#include "hwsnap/logging.h"
#include "hwsnap/provider.h"
#include "hwsnap/windows/provider_com.h"
#include "hwsnap/windows/provider_ids.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap {
namespace windows {
namespace {

HMODULE g_module = nullptr;
std::atomic<long> g_server_locks{0};
std::atomic<long> g_factories{0};

// One SnapshotProvider per process while any provider object lives, so every
// object VSS creates sees the same sets. It is destroyed with the last object
// (never in DllMain, where joining its worker threads would deadlock). Each
// new provider reads the configuration again (LoadDllConfiguration), so a
// changed configuration applies when VSS next loads the provider.
std::shared_ptr<SnapshotProvider> SharedProvider() {
  static std::mutex mu;
  static std::weak_ptr<SnapshotProvider> current;
  std::lock_guard<std::mutex> lock(mu);
  std::shared_ptr<SnapshotProvider> provider = current.lock();
  if (provider == nullptr) {
    // Opens the catalog and recovers what an earlier process left (the core
    // keeps that bounded); a catalog that cannot be opened leaves a provider
    // that refuses every call, which OnLoad reports (veto + event-log entry).
    DllConfiguration configuration = LoadDllConfiguration();
    provider = std::make_shared<SnapshotProvider>(std::move(configuration.backend), std::move(configuration.options));
    LogRecoveryReport(*provider);
    current = provider;
  }
  return provider;
}

// The process's Application event log (source "hwsnap"), whose entries wait
// while volumes are frozen; null when it cannot be opened (then vetoes are
// explained in the hwsnap log only). See admin_event_log_windows.h.
std::shared_ptr<AdminEventLog> SharedEventLog() { return ProcessAdminEventLog(); }

HRESULT AsHresult(std::uint32_t result) { return static_cast<HRESULT>(result); }

// Once a provider object exists, the core's logging thread (and possibly
// worker threads) live in this module; FreeLibrary would run their joins
// under the loader lock and deadlock. Pinning keeps the DLL loaded until its
// process (the COM+ surrogate) exits. Needs a core hook to stop logging
// before it can be lifted.
void PinModule() {
  static std::once_flag once;
  std::call_once(once, [] {
    HMODULE pinned = nullptr;
    GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_PIN | GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS,
                       reinterpret_cast<LPCWSTR>(&g_module), &pinned);
  });
}

// COM interfaces have no virtual destructor by design: objects are deleted
// only by their own Release(), through the concrete type.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class ProviderClassFactory final : public IClassFactory {
 public:
  ProviderClassFactory() { g_factories.fetch_add(1); }
  virtual ~ProviderClassFactory() { g_factories.fetch_sub(1); }
  ProviderClassFactory(const ProviderClassFactory&) = delete;
  ProviderClassFactory& operator=(const ProviderClassFactory&) = delete;

  HRESULT STDMETHODCALLTYPE QueryInterface(REFIID iid, void** object) override {
    if (object == nullptr) return E_POINTER;
    *object = nullptr;
    if (!IsEqualIID(iid, IID_IUnknown) && !IsEqualIID(iid, IID_IClassFactory)) return E_NOINTERFACE;
    *object = static_cast<IClassFactory*>(this);
    AddRef();
    return S_OK;
  }
  ULONG STDMETHODCALLTYPE AddRef() override { return refs_.fetch_add(1) + 1; }
  ULONG STDMETHODCALLTYPE Release() override {
    const ULONG left = refs_.fetch_sub(1) - 1;
    if (left == 0) delete this;
    return left;
  }

  HRESULT STDMETHODCALLTYPE CreateInstance(IUnknown* outer, REFIID iid, void** object) override {
    if (object == nullptr) return E_POINTER;
    *object = nullptr;
    if (outer != nullptr) return CLASS_E_NOAGGREGATION;
    try {
      PinModule();
      return CreateVssProviderObject(SharedProvider(), SharedEventLog(), iid, object);
    } catch (const std::bad_alloc&) {
      return AsHresult(kE_OUTOFMEMORY);
    } catch (...) {
      return AsHresult(kE_FAIL);
    }
  }
  HRESULT STDMETHODCALLTYPE LockServer(WINBOOL lock) override {
    if (lock) {
      g_server_locks.fetch_add(1);
    } else {
      g_server_locks.fetch_sub(1);
    }
    return S_OK;
  }

 private:
  std::atomic<ULONG> refs_{1};
};
#pragma GCC diagnostic pop

// Sets `name` (nullptr: the default value) of `key` to `value`.
LSTATUS SetString(HKEY key, const wchar_t* name, const std::wstring& value) {
  return RegSetValueExW(key, name, 0, REG_SZ, reinterpret_cast<const BYTE*>(value.c_str()),
                        static_cast<DWORD>((value.size() + 1) * sizeof(wchar_t)));
}

HRESULT FromWin32(LSTATUS status) { return status == ERROR_SUCCESS ? S_OK : HRESULT_FROM_WIN32(status); }

std::wstring ClsidKeyPath() { return std::wstring(L"CLSID\\") + kProviderClsidText; }

HRESULT Register() {
  wchar_t path[MAX_PATH + 1] = {};
  const DWORD length = GetModuleFileNameW(g_module, path, MAX_PATH);
  if (length == 0 || length >= MAX_PATH) return FromWin32(static_cast<LSTATUS>(GetLastError()));
  HKEY clsid = nullptr;
  LSTATUS status = RegCreateKeyExW(HKEY_CLASSES_ROOT, ClsidKeyPath().c_str(), 0, nullptr, 0, KEY_WRITE, nullptr,
                                   &clsid, nullptr);
  if (status != ERROR_SUCCESS) return FromWin32(status);
  status = SetString(clsid, nullptr, kProviderName);
  HKEY server = nullptr;
  if (status == ERROR_SUCCESS) {
    status = RegCreateKeyExW(clsid, L"InprocServer32", 0, nullptr, 0, KEY_WRITE, nullptr, &server, nullptr);
  }
  if (status == ERROR_SUCCESS) status = SetString(server, nullptr, path);
  if (status == ERROR_SUCCESS) status = SetString(server, L"ThreadingModel", L"Both");
  if (server != nullptr) RegCloseKey(server);
  RegCloseKey(clsid);
  return FromWin32(status);
}

HRESULT Unregister() {
  const LSTATUS status = RegDeleteTreeW(HKEY_CLASSES_ROOT, ClsidKeyPath().c_str());
  if (status == ERROR_FILE_NOT_FOUND) return S_OK;  // not registered: nothing to undo
  return FromWin32(status);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap

extern "C" BOOL WINAPI DllMain(HINSTANCE instance, DWORD reason, LPVOID reserved) {
  if (reason == DLL_PROCESS_ATTACH) {
    hwsnap::windows::g_module = instance;
    DisableThreadLibraryCalls(instance);
  } else if (reason == DLL_PROCESS_DETACH && reserved != nullptr) {
    // The process is exiting and its other threads are already gone; the
    // logging thread may have died holding a lock, so the core's exit flush
    // must not run (dll_config.cc also arranges this from an atexit handler,
    // whichever of the two the C runtime runs first).
    hwsnap::SkipFlushAtExit();
  }
  return TRUE;
}

STDAPI DllGetClassObject(REFCLSID clsid, REFIID iid, LPVOID* object) {
  if (object == nullptr) return E_POINTER;
  *object = nullptr;
  if (!IsEqualCLSID(clsid, hwsnap::windows::kProviderClsid)) return CLASS_E_CLASSNOTAVAILABLE;
  auto* factory = new (std::nothrow) hwsnap::windows::ProviderClassFactory();
  if (factory == nullptr) return E_OUTOFMEMORY;
  const HRESULT hr = factory->QueryInterface(iid, object);
  factory->Release();
  return hr;
}

STDAPI DllCanUnloadNow() {
  using namespace hwsnap::windows;
  return (LiveVssProviderObjects() == 0 && LiveVssAsyncObjects() == 0 && g_server_locks.load() == 0 &&
          g_factories.load() == 0)
             ? S_OK
             : S_FALSE;
}

STDAPI DllRegisterServer() {
  try {
    return hwsnap::windows::Register();
  } catch (...) {
    return SELFREG_E_CLASS;
  }
}

STDAPI DllUnregisterServer() {
  try {
    return hwsnap::windows::Unregister();
  } catch (...) {
    return SELFREG_E_CLASS;
  }
}
