// hwsnap/windows/provider_com.h — the VSS hardware provider COM object.
//
// This file exists to give the COM boundary one small entry point: a function
// that makes the provider object over a given hwsnap::SnapshotProvider. The
// DLL (dll_main.cc) calls it with the provider of the one backend it was
// built for; tests call it with a provider over a MockBackend they control,
// and drive the object only through its COM interfaces.
//
// The object implements IVssHardwareSnapshotProvider(Ex),
// IVssProviderCreateSnapshotSet and IVssProviderNotifications. Every method
// is noexcept in effect (a catch-all maps exceptions: bad_alloc to
// out-of-memory, anything else to a backend failure), unpacks and checks its
// arguments (null pointers, non-positive counts, count/array mismatches give
// E_INVALIDARG with a log line), calls the core, and ends in
// hwsnap::windows::MapStatusToResult, so it only ever returns results its
// documentation page lists.
//
//   IUnknown* unknown = nullptr;
//   HRESULT hr = CreateVssProviderObject(provider, IID_IUnknown, reinterpret_cast<void**>(&unknown));
#ifndef HWSNAP_WINDOWS_PROVIDER_COM_H_
#define HWSNAP_WINDOWS_PROVIDER_COM_H_

#include <windows.h>

#include <memory>

#include "hwsnap/provider.h"

namespace hwsnap {
namespace windows {

// Creates a provider object over `provider` and returns its `iid` interface
// in `*object` (with one reference). E_POINTER for a null `object`,
// E_INVALIDARG for a null `provider`, E_NOINTERFACE for an interface the
// object does not implement, E_OUTOFMEMORY.
HRESULT CreateVssProviderObject(std::shared_ptr<SnapshotProvider> provider, REFIID iid, void** object) noexcept;

// Provider objects alive in this process (for DllCanUnloadNow).
long LiveVssProviderObjects() noexcept;

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_PROVIDER_COM_H_
