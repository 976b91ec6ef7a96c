// hwsnap/windows/admin_event_gate.h — an spdlog sink that holds entries while volumes are frozen.
//
// This file exists because VSS forbids a provider to write its event-log
// entries while the volumes of a snapshot set are frozen (PreCommitSnapshots
// to PostCommitSnapshots; inside CommitSnapshots even synchronous logging is
// forbidden), yet a failure in that window still owes the administrator an
// entry. FreezeWindowGate wraps the sink that really writes (the Windows
// event log, or a capturing sink in tests): while the window is open it only
// copies entries into a bounded in-memory buffer (no I/O, no waiting); when
// the window closes it writes them to the wrapped sink in the order they came.
//
//   auto gate = std::make_shared<FreezeWindowGate>(event_log_sink);
//   spdlog::logger admin("hwsnap", gate);
//   gate->Open();      // PreCommitSnapshots
//   admin.error("…");  // buffered
//   gate->Close();     // PostCommitSnapshots / AbortSnapshots returned: written now
//
// Safety timeout. A lost PostCommitSnapshots must not hold entries forever:
// every call into the gate (a log line, flush, Open, Close, Poll) first checks
// whether the window has been open longer than `max_window` (default 70 s —
// longer than VSS's 60 s writer freeze, so the volumes have thawed by then)
// and, if so, closes it and writes what it held.
//
// Why no thread of its own: the gate is meant to live in hwsnap_vss.dll,
// which VSS loads and unloads at will; a timer thread would have to be joined
// at unload (under the loader lock, a deadlock) and would wake up inside the
// very window it exists to keep quiet. Every event that ends a window
// normally is a call we see (PostCommitSnapshots, AbortSnapshots, the next
// set's BeginPrepareSnapshot, OnUnload), and the adapter polls on every COM
// call, so the timeout is only a backstop for a VSS that lost a call; until
// the next call arrives the entries simply wait in memory.
//
// Thread safety: every public method may be called from any thread. Entries
// are written to the wrapped sink under the gate's mutex (so their order is
// the order they were logged); the wrapped sink must not log back into the
// gate. Exceptions from the wrapped sink (spdlog's Windows sink throws when
// ReportEvent fails) are caught, counted and logged to the "windows.eventlog"
// component logger; they never reach the caller.
#ifndef HWSNAP_WINDOWS_ADMIN_EVENT_GATE_H_
#define HWSNAP_WINDOWS_ADMIN_EVENT_GATE_H_

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/details/log_msg_buffer.h>
#include <spdlog/sinks/base_sink.h>

#include "absl/strings/string_view.h"

namespace hwsnap {
namespace windows {

struct FreezeWindowGateOptions {
  // Entries held while the window is open; later ones are dropped and counted.
  std::size_t capacity = 128;
  // The window closes by itself once it has been open this long.
  std::chrono::steady_clock::duration max_window = std::chrono::seconds(70);
  // The clock (tests pass a fake one); empty: std::chrono::steady_clock::now.
  std::function<std::chrono::steady_clock::time_point()> now;
};

class FreezeWindowGate final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // `inner` must not be null (a null one drops everything, with a log line).
  explicit FreezeWindowGate(spdlog::sink_ptr inner, FreezeWindowGateOptions options = {});
  // Writes what is still held (the window is over when its owner is gone).
  ~FreezeWindowGate() override;

  // Opens the freeze window: entries are held from now on. Opening an open
  // window restarts its clock (a new set froze before the old window closed;
  // what was held stays held until this one closes).
  void Open();
  // Closes the window and writes the held entries in order, then — when some
  // were dropped — one warning entry saying how many. No-op when closed.
  // `why` goes to the component log ("PostCommitSnapshots returned").
  void Close(absl::string_view why);
  // Applies the safety timeout; returns whether the window is (still) open.
  bool Poll();

  bool is_open();
  // Entries held right now.
  std::size_t held();
  // Entries dropped since construction (buffer full while open).
  std::size_t dropped_total();
  // Entries the wrapped sink failed to write (it threw).
  std::size_t write_failures();

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;
  // The gate formats nothing itself: patterns and formatters go to the wrapped sink.
  void set_pattern_(const std::string& pattern) override;
  void set_formatter_(std::unique_ptr<spdlog::formatter> formatter) override;

 private:
  std::chrono::steady_clock::time_point Now() const;
  // The safety timeout. REQUIRES mutex_.
  void ExpireIfDueLocked();
  // Writes the held entries and the dropped note; closes. REQUIRES mutex_.
  void ReleaseLocked(absl::string_view why);
  // One entry to the wrapped sink, exceptions caught. REQUIRES mutex_.
  void WriteLocked(const spdlog::details::log_msg& msg);

  const spdlog::sink_ptr inner_;
  const FreezeWindowGateOptions options_;
  // Guarded by mutex_ (base_sink's).
  bool open_ = false;
  std::chrono::steady_clock::time_point opened_at_{};
  std::vector<spdlog::details::log_msg_buffer> held_;
  std::size_t dropped_in_window_ = 0;
  std::size_t dropped_total_ = 0;
  std::size_t write_failures_ = 0;
};

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_WINDOWS_ADMIN_EVENT_GATE_H_
