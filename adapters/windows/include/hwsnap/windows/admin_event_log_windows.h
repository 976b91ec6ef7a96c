// hwsnap/windows/admin_event_log_windows.h — the Application event log of the DLL's process.
//
// This file exists to give the DLL one call for "the administrator's event
// log of this process": spdlog's win_eventlog_sink for the event source
// kEventSourceName ("hwsnap", provider_ids.h) under event id
// kAdminEventMessageId, wrapped in the freeze-window gate by AdminEventLog.
// Windows only (MinGW build).
//
//   std::shared_ptr<AdminEventLog> log = ProcessAdminEventLog();   // null: no event log
//   CreateVssProviderObject(provider, log, iid, object);
//
// The event source must be registered for Event Viewer to show the text:
// key HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\hwsnap
// with EventMessageFile = the DLL's path and TypesSupported = 7 (and, for
// named categories, CategoryMessageFile = the DLL, CategoryCount = 5). The
// DLL carries the message table (src/hwsnap_messages.mc, message 1000 =
// "%1"). Writing works without the registration, but Event Viewer then says
// "The description for Event ID 1000 from source hwsnap cannot be found"
// before the text.
// Registration is the installer's job (tools/register).
#ifndef HWSNAP_WINDOWS_ADMIN_EVENT_LOG_WINDOWS_H_
#define HWSNAP_WINDOWS_ADMIN_EVENT_LOG_WINDOWS_H_

#include <cstdint>
#include <memory>

#include <spdlog/sinks/sink.h>

#include "absl/status/statusor.h"
#include "hwsnap/windows/admin_event_log.h"

namespace hwsnap {
namespace windows {

// The event id of every hwsnap entry: message 1000 ("%1") of the DLL's
// message table, and win_eventlog_sink's default id.
inline constexpr std::uint16_t kAdminEventMessageId = 1000;

// A sink writing to the Application event log as source kEventSourceName
// under kAdminEventMessageId (spdlog's win_eventlog_sink; it registers the
// source handle lazily, on the first entry, and throws — caught by the gate
// — when RegisterEventSource or ReportEvent fails). kOutOfMemory or
// kBackendFailure when it cannot be made.
absl::StatusOr<spdlog::sink_ptr> MakeApplicationEventLogSink();

// The process's AdminEventLog over MakeApplicationEventLogSink, made on the
// first call (thread-safe) and never destroyed: it must outlive every
// provider object, and writing held entries from a static destructor at
// process exit (under the loader lock) is what the gate must never do. Null
// (with a log line) when the sink cannot be made; later calls return the
// same answer. Never throws.
std::shared_ptr<AdminEventLog> ProcessAdminEventLog() noexcept;

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_ADMIN_EVENT_LOG_WINDOWS_H_
