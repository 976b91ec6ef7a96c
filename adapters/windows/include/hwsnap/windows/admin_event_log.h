// hwsnap/windows/admin_event_log.h — what the VSS provider object reports to the administrator.
//
// This file exists to give the COM adapter three verbs and nothing else:
// report a failure that owes the administrator an event-log entry, and tell
// the log when the volumes of a snapshot set freeze and thaw. Behind them an
// spdlog logger (synchronous, not in spdlog's registry) writes the
// AdminEventText sentence through a FreezeWindowGate into the real sink: the
// Windows Application event log in the DLL (admin_event_log_windows.h), a
// capturing sink in tests. Platform-neutral: no Windows headers.
//
//   auto log = std::make_shared<AdminEventLog>(sink);
//   log->EnterFreezeWindow(set);                    // PreCommitSnapshots
//   log->Report({VssMethod::kCommitSnapshots, status, hr, set, ""});   // held
//   log->LeaveFreezeWindow("PostCommitSnapshots returned");            // written
//
// Every method is noexcept: reporting must never change a COM result.
// Thread-safe (the gate serialises).
#ifndef HWSNAP_WINDOWS_ADMIN_EVENT_LOG_H_
#define HWSNAP_WINDOWS_ADMIN_EVENT_LOG_H_

#include <memory>
#include <mutex>
#include <optional>

#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

#include "absl/strings/string_view.h"
#include "hwsnap/ids.h"
#include "hwsnap/windows/admin_event_gate.h"
#include "hwsnap/windows/admin_event_text.h"

namespace hwsnap {
namespace windows {

class AdminEventLog {
 public:
  // Entries go to `sink` (wrapped in a FreezeWindowGate with `options`); the
  // sink's formatter is set to "%v" without a line end: the entry is the
  // sentence alone, Event Viewer shows time, level and source itself.
  explicit AdminEventLog(spdlog::sink_ptr sink, FreezeWindowGateOptions options = {});
  AdminEventLog(const AdminEventLog&) = delete;
  AdminEventLog& operator=(const AdminEventLog&) = delete;

  // Writes AdminEventText(facts) as an error entry, or holds it while the
  // freeze window is open. Also logs a one-line note to the "windows.eventlog"
  // component logger.
  void Report(const AdminEventFacts& facts) noexcept;

  // The volumes of `set` are frozen (call it when PreCommitSnapshots starts).
  // Returns true when this call opened the window; false when one is already
  // open (a window open for another set stays that set's: a stray
  // PreCommitSnapshots must not take over the real set's window).
  bool EnterFreezeWindow(const SnapshotSetId& set) noexcept;
  // The freeze is over (PostCommitSnapshots or AbortSnapshots returned, the
  // writers thawed, the provider unloads): held entries are written now.
  // `why` goes to the component log.
  void LeaveFreezeWindow(absl::string_view why) noexcept;
  // The same when the call that ends it names a set: a window opened for
  // another set stays open (a stray AbortSnapshots of an old set id does not
  // thaw the volumes of the set being committed).
  void LeaveFreezeWindow(const SnapshotSetId& set, absl::string_view why) noexcept;
  // `set` begins (BeginPrepareSnapshot). A window still open for another set
  // belongs to a set VSS has abandoned (a new set id implicitly aborts the old
  // one): it is closed. A window of `set` itself stays as it is.
  void NoteSetBegan(const SnapshotSetId& set) noexcept;
  // Applies the gate's safety timeout (call it on every COM call except
  // CommitSnapshots).
  void Poll() noexcept;

  // The set whose freeze window is open, if any.
  std::optional<SnapshotSetId> frozen_set() const;
  FreezeWindowGate& gate() { return *gate_; }

 private:
  const std::shared_ptr<FreezeWindowGate> gate_;
  const std::shared_ptr<spdlog::logger> logger_;
  mutable std::mutex mu_;
  std::optional<SnapshotSetId> frozen_set_;  // guarded by mu_
};

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_ADMIN_EVENT_LOG_H_
