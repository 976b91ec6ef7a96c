// hwsnap/windows/provider_com.h — the VSS hardware provider COM object.
//
// This file exists to give the COM boundary one small entry point: a function
// that makes the provider object over a given hwsnap::SnapshotProvider. The
// DLL (dll_main.cc) calls it with the provider of the one backend it was
// built for; tests call it with a provider over a MockBackend they control,
// and drive the object only through its COM interfaces.
//
// The object implements IVssHardwareSnapshotProvider(Ex),
// IVssProviderCreateSnapshotSet and IVssProviderNotifications. The Ex methods:
// GetProviderCapabilities and OnReuseLuns are reserved (E_NOTIMPL);
// OnLunStateChange and ResyncLuns go to the core, ResyncLuns handing VSS an
// IVssAsync over the core's AsyncOperation (Wait / QueryStatus / Cancel,
// VSS_S_ASYNC_* codes). OnLoad fails (VSS_E_PROVIDER_VETO with an event-log
// entry) when the provider is unusable, e.g. its catalog could not be
// opened; OnUnload(FALSE) answers S_FALSE while a resynchronisation this
// object started is still running. Every method
// is noexcept in effect (a catch-all maps exceptions: bad_alloc to
// out-of-memory, anything else to a backend failure), unpacks and checks its
// arguments (null pointers, non-positive counts, count/array mismatches give
// E_INVALIDARG with a log line), calls the core, and ends in
// hwsnap::windows::MapStatusToResult, so it only ever returns results its
// documentation page lists.
//
// Failures that oblige the provider to explain itself (NeedsEventLogEntry:
// vetoes and unexplained failures) are reported to an AdminEventLog, which
// holds them while the set's volumes are frozen: the object opens the freeze
// window when PreCommitSnapshots starts and closes it when
// PostCommitSnapshots or AbortSnapshots of that set returns — and also when
// a set begins while another set's window is still open (BeginPrepareSnapshot
// with a new set id ends the old set), when PreFinalCommitSnapshots or
// PostFinalCommitSnapshots of that set arrives (the writers have thawed), and
// on OnUnload. Every call except CommitSnapshots also applies the window's
// safety timeout (AdminEventLog::Poll). Closing at the end of
// PostCommitSnapshots writes the held entries before that call returns: VSS
// has released I/O by then ("any I/O deferred from Commit" belongs there).
//
//   IUnknown* unknown = nullptr;
//   HRESULT hr = CreateVssProviderObject(provider, ProcessAdminEventLog(), IID_IUnknown,
//                                        reinterpret_cast<void**>(&unknown));
#ifndef HWSNAP_WINDOWS_PROVIDER_COM_H_
#define HWSNAP_WINDOWS_PROVIDER_COM_H_

#include <windows.h>

#include <memory>

#include "hwsnap/provider.h"
#include "hwsnap/windows/admin_event_log.h"
#include "hwsnap/windows/admin_event_log_windows.h"  // ProcessAdminEventLog(), what the DLL passes

namespace hwsnap {
namespace windows {

// Creates a provider object over `provider` reporting to `event_log` (null:
// no event log; failures are then only in the component log) and returns
// its `iid` interface in `*object` (with one reference). E_POINTER for a
// null `object`, E_INVALIDARG for a null `provider`, E_NOINTERFACE for an
// interface the object does not implement, E_OUTOFMEMORY.
HRESULT CreateVssProviderObject(std::shared_ptr<SnapshotProvider> provider, std::shared_ptr<AdminEventLog> event_log,
                                REFIID iid, void** object) noexcept;

// The same without an event log (tests that do not look at it).
HRESULT CreateVssProviderObject(std::shared_ptr<SnapshotProvider> provider, REFIID iid, void** object) noexcept;

// Provider objects alive in this process (for DllCanUnloadNow).
long LiveVssProviderObjects() noexcept;

// IVssAsync objects (from ResyncLuns) alive in this process (for DllCanUnloadNow).
long LiveVssAsyncObjects() noexcept;

// Logs what `provider` recovered from its catalog at construction
// (SnapshotProvider::recovery()): one summary line, and each problem and a
// cut-off torn last record as a warning. Call it once after constructing.
void LogRecoveryReport(const SnapshotProvider& provider) noexcept;

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_PROVIDER_COM_H_
