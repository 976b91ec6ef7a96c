// hwsnap/logging.h — one spdlog logger per component, asynchronous.
//
// Every component (provider, set, pool, mock backend, ...) logs through its
// own named logger so an operator can filter by name. Loggers are
// asynchronous with a non-blocking overflow policy: a log call never waits
// for I/O, which is what makes logging legal inside the commit window, when
// VSS holds writes and the provider must not block on the disks being
// snapshotted. Lines of a set's life carry "set={GUID}".
//
//   auto log = hwsnap::GetLogger("core.provider");
//   log->info("set={} begin-prepare: {} LUNs", set_id.ToString(), n);
//
// Sinks default to stderr; a host (the Windows DLL, hwsnapctl, tests) may
// replace them before or after loggers exist, e.g. with an event-log sink.
#ifndef HWSNAP_LOGGING_H_
#define HWSNAP_LOGGING_H_

#include <memory>
#include "absl/strings/string_view.h"
#include <vector>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/sink.h>

// Debian builds Abseil with its own string_view type (not std::string_view);
// teach fmt to print it so log lines can take absl::string_view arguments.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace hwsnap {

// The logger for `component`, created on first use with the current sinks and level.
std::shared_ptr<spdlog::logger> GetLogger(absl::string_view component);

// Replaces the sinks of every existing and future hwsnap logger. Call it at
// start-up, before other threads log (spdlog's sink lists are not swapped
// atomically under a running async logger).
void SetLogSinks(std::vector<spdlog::sink_ptr> sinks);

// Sets the level of every existing and future hwsnap logger.
void SetLogLevel(spdlog::level::level_enum level);

// Blocks until queued log lines are written (call before exiting a process).
void FlushLogs();

// Turns off the flush that otherwise runs at exit (std::atexit). For a
// Windows DLL: its atexit handlers run at DLL_PROCESS_DETACH after
// ExitProcess has killed every other thread, so the logging thread may have
// died holding the queue's or a sink's lock, and flushing would wait on it
// forever (a host process that never exits). Flush earlier instead (the
// provider's OnUnload does).
void SkipFlushAtExit();

}  // namespace hwsnap

#endif  // HWSNAP_LOGGING_H_
