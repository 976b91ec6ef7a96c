// com_session.h — reaching the provider the way VSS does: through COM.
//
// This file exists to keep everything about getting hold of the provider in
// one place: registering the DLL (its own DllRegisterServer, as regsvr32
// would), joining the multithreaded apartment, CoCreateInstance of the
// provider CLSID and QueryInterface for the other three interfaces. The
// driver never links the provider's code: whatever the registry names as
// InprocServer32 (or the COM+ application, with --context all) is what runs.
//
//   SessionOptions options;
//   options.dll_path = L"hwsnap_vss.dll";      // register this copy first
//   std::unique_ptr<ComSession> session = ComSession::Open(options, timeline);
//   if (!session) return 2;                    // why was printed on the timeline
//   session->create()->EndPrepareSnapshots(set);
//
// Threads: Open joins the MTA on the calling thread; other threads that call
// the provider join it with ComApartment (below).
#ifndef HWSNAP_TOOLS_VSS_DRIVER_COM_SESSION_H_
#define HWSNAP_TOOLS_VSS_DRIVER_COM_SESSION_H_

#include <windows.h>
#include <objbase.h>
#include <vsprov.h>
#include <vss.h>
#include <wrl/client.h>

#include <memory>
#include <string>

#include "hwsnap/windows/utf16.h"
#include "timeline.h"

namespace hwsnap {
namespace vss_driver {

struct SessionOptions {
  // The DLL to register before creating the object; empty: do not register
  // (--no-register: use what the registry already names).
  std::wstring dll_path;
  // Register even when the CLSID is already registered to a different file
  // (an installed provider). Without it the driver refuses, so that running it
  // on a server never silently repoints the installed provider.
  bool force_register = false;
  // CLSCTX for CoCreateInstance: CLSCTX_INPROC_SERVER (the DLL in this
  // process, so HWSNAP_* environment variables reach it) or CLSCTX_ALL (an
  // installed provider in its COM+ server application).
  DWORD context = CLSCTX_INPROC_SERVER;
};

// Joins the multithreaded apartment for the lifetime of the object.
class ComApartment {
 public:
  ComApartment();
  ~ComApartment();
  ComApartment(const ComApartment&) = delete;
  ComApartment& operator=(const ComApartment&) = delete;
  HRESULT result() const { return result_; }

 private:
  HRESULT result_;
};

class ComSession {
 public:
  // Registers (when asked), creates the provider object and asks for its four
  // interfaces. On failure prints why on `timeline` (counted as a failure)
  // and returns nullptr.
  static std::unique_ptr<ComSession> Open(const SessionOptions& options, Timeline& timeline);
  ~ComSession();
  ComSession(const ComSession&) = delete;
  ComSession& operator=(const ComSession&) = delete;

  IVssHardwareSnapshotProvider* hw() const { return hw_.Get(); }
  IVssHardwareSnapshotProviderEx* hw_ex() const { return hw_ex_.Get(); }
  IVssProviderCreateSnapshotSet* create() const { return create_.Get(); }
  IVssProviderNotifications* notify() const { return notify_.Get(); }

 private:
  ComSession() = default;

  std::unique_ptr<ComApartment> apartment_;
  Microsoft::WRL::ComPtr<IVssHardwareSnapshotProvider> hw_;
  Microsoft::WRL::ComPtr<IVssHardwareSnapshotProviderEx> hw_ex_;
  Microsoft::WRL::ComPtr<IVssProviderCreateSnapshotSet> create_;
  Microsoft::WRL::ComPtr<IVssProviderNotifications> notify_;
};

// The default value of HKCR\CLSID\{provider CLSID}\InprocServer32, or "" when
// the class is not registered.
std::wstring RegisteredServerPath();

// UTF-16 -> UTF-8 (for printing paths): hwsnap/windows/utf16.h.
using windows::Narrow;

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_COM_SESSION_H_
