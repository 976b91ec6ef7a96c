// The freeze-window gate sink (see hwsnap/windows/admin_event_gate.h).
//
// This file exists to keep the one rule "no event-log I/O while volumes are
// frozen" in a single small sink that knows nothing about VSS or Windows.
#include "hwsnap/windows/admin_event_gate.h"

#include <exception>
#include <string>
#include <utility>

#include <fmt/format.h>

#include "hwsnap/logging.h"

namespace hwsnap {
namespace windows {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> log = GetLogger("windows.eventlog");
  return log;
}

// Logging about the gate must never disturb the caller.
template <typename... Args>
void Note(spdlog::level::level_enum level, fmt::format_string<Args...> format, Args&&... args) noexcept {
  try {
    Log()->log(level, format, std::forward<Args>(args)...);
  } catch (...) {
  }
}

}  // namespace

FreezeWindowGate::FreezeWindowGate(spdlog::sink_ptr inner, FreezeWindowGateOptions options)
    : inner_(std::move(inner)), options_(std::move(options)) {
  if (inner_ == nullptr) Note(spdlog::level::err, "event-log gate without a sink: entries will be dropped");
  held_.reserve(options_.capacity);
}

FreezeWindowGate::~FreezeWindowGate() {
  std::lock_guard<std::mutex> lock(mutex_);
  if (open_ || !held_.empty()) ReleaseLocked("the event log is being closed");
}

void FreezeWindowGate::Open() {
  std::lock_guard<std::mutex> lock(mutex_);
  ExpireIfDueLocked();
  if (open_) {
    Note(spdlog::level::warn, "event-log freeze window reopened before it closed; holding {} entr{} until it closes",
         held_.size(), held_.size() == 1 ? "y" : "ies");
  }
  open_ = true;
  opened_at_ = Now();
}

void FreezeWindowGate::Close(absl::string_view why) {
  std::lock_guard<std::mutex> lock(mutex_);
  ExpireIfDueLocked();
  if (open_) ReleaseLocked(why);
}

bool FreezeWindowGate::Poll() {
  std::lock_guard<std::mutex> lock(mutex_);
  ExpireIfDueLocked();
  return open_;
}

bool FreezeWindowGate::is_open() {
  std::lock_guard<std::mutex> lock(mutex_);
  return open_;
}

std::size_t FreezeWindowGate::held() {
  std::lock_guard<std::mutex> lock(mutex_);
  return held_.size();
}

std::size_t FreezeWindowGate::dropped_total() {
  std::lock_guard<std::mutex> lock(mutex_);
  return dropped_total_;
}

std::size_t FreezeWindowGate::write_failures() {
  std::lock_guard<std::mutex> lock(mutex_);
  return write_failures_;
}

void FreezeWindowGate::sink_it_(const spdlog::details::log_msg& msg) {
  ExpireIfDueLocked();
  if (!open_) {
    WriteLocked(msg);
    return;
  }
  if (held_.size() >= options_.capacity) {
    ++dropped_in_window_;
    ++dropped_total_;
    return;
  }
  held_.emplace_back(msg);  // copies the payload: msg's views die with the call
}

void FreezeWindowGate::flush_() {
  ExpireIfDueLocked();
  if (open_ || inner_ == nullptr) return;  // flushing is I/O: not while frozen
  try {
    inner_->flush();
  } catch (const std::exception& e) {
    Note(spdlog::level::warn, "event-log sink flush failed: {}", e.what());
  } catch (...) {
    Note(spdlog::level::warn, "event-log sink flush failed");
  }
}

void FreezeWindowGate::set_pattern_(const std::string& pattern) {
  if (inner_ != nullptr) inner_->set_pattern(pattern);
}

void FreezeWindowGate::set_formatter_(std::unique_ptr<spdlog::formatter> formatter) {
  if (inner_ != nullptr) inner_->set_formatter(std::move(formatter));
}

std::chrono::steady_clock::time_point FreezeWindowGate::Now() const {
  return options_.now ? options_.now() : std::chrono::steady_clock::now();
}

void FreezeWindowGate::ExpireIfDueLocked() {
  if (!open_ || Now() - opened_at_ <= options_.max_window) return;
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(options_.max_window).count();
  ReleaseLocked(fmt::format("the freeze window was open for more than {} s without PostCommitSnapshots or "
                            "AbortSnapshots",
                            seconds));
}

void FreezeWindowGate::ReleaseLocked(absl::string_view why) {
  open_ = false;
  if (!held_.empty() || dropped_in_window_ > 0) {
    Note(spdlog::level::info, "writing {} deferred event-log entr{} ({} dropped): {}", held_.size(),
         held_.size() == 1 ? "y" : "ies", dropped_in_window_, std::string(why));
  }
  std::vector<spdlog::details::log_msg_buffer> held;
  held.swap(held_);
  held_.reserve(options_.capacity);
  for (const spdlog::details::log_msg_buffer& msg : held) WriteLocked(msg);
  if (dropped_in_window_ > 0) {
    const std::string text = fmt::format(
        "hwsnap: {} more event-log entr{} raised while volumes were frozen could not be kept (at most {} are "
        "held until the volumes thaw) and {} dropped. The hwsnap log file lists every failure.",
        dropped_in_window_, dropped_in_window_ == 1 ? "y" : "ies", options_.capacity,
        dropped_in_window_ == 1 ? "was" : "were");
    const std::string name = held.empty() ? std::string("hwsnap") : std::string(held.back().logger_name.data(),
                                                                                   held.back().logger_name.size());
    WriteLocked(spdlog::details::log_msg(name, spdlog::level::warn, text));
    dropped_in_window_ = 0;
  }
}

void FreezeWindowGate::WriteLocked(const spdlog::details::log_msg& msg) {
  if (inner_ == nullptr) return;
  try {
    if (inner_->should_log(msg.level)) inner_->log(msg);
  } catch (const std::exception& e) {
    ++write_failures_;
    Note(spdlog::level::warn, "event-log entry not written: {}", e.what());
  } catch (...) {
    ++write_failures_;
    Note(spdlog::level::warn, "event-log entry not written (unknown exception)");
  }
}

}  // namespace windows
}  // namespace hwsnap
