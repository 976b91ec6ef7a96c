// The administrator's event log as the COM adapter sees it (see hwsnap/windows/admin_event_log.h).
//
// This file exists to join the sentence (admin_event_text) to the gate
// (admin_event_gate) behind noexcept verbs, and to remember which set froze.
#include "hwsnap/windows/admin_event_log.h"

#include <memory>
#include <string>
#include <utility>

#include <spdlog/pattern_formatter.h>

#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

std::shared_ptr<spdlog::logger> Log() {
  static const std::shared_ptr<spdlog::logger> log = GetLogger("windows.eventlog");
  return log;
}

}  // namespace

AdminEventLog::AdminEventLog(spdlog::sink_ptr sink, FreezeWindowGateOptions options)
    : gate_(std::make_shared<FreezeWindowGate>(std::move(sink), std::move(options))),
      logger_(std::make_shared<spdlog::logger>("hwsnap", gate_)) {
  logger_->set_level(spdlog::level::trace);
  // The sentence alone, without a line end (forwarded by the gate to the real sink).
  logger_->set_formatter(std::make_unique<spdlog::pattern_formatter>("%v", spdlog::pattern_time_type::local,
                                                                     std::string()));
}

void AdminEventLog::Report(const AdminEventFacts& facts) noexcept {
  try {
    const std::string text = AdminEventText(facts);
    const bool held = gate_->is_open();
    Log()->info("{} {}: event-log entry {}", VssMethodName(facts.method),
                facts.set_id ? facts.set_id->ToString() : std::string("(no set)"),
                held ? "held until the volumes thaw" : "written");
    logger_->error(text);
  } catch (...) {
    // Reporting must never change a COM result; the component log already
    // has the failure (the adapter logs every one).
  }
}

bool AdminEventLog::EnterFreezeWindow(const SnapshotSetId& set) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (gate_->is_open() && frozen_set_.has_value()) {
      if (*frozen_set_ != set) {
        Log()->warn("{} PreCommitSnapshots: the freeze window of set {} stays that set's", set.ToString(),
                    frozen_set_->ToString());
      }
      return false;
    }
    frozen_set_ = set;
    gate_->Open();
    return true;
  } catch (...) {
    return false;
  }
}

void AdminEventLog::LeaveFreezeWindow(absl::string_view why) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    frozen_set_.reset();
    gate_->Close(why);
  } catch (...) {
  }
}

void AdminEventLog::LeaveFreezeWindow(const SnapshotSetId& set, absl::string_view why) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (frozen_set_.has_value() && *frozen_set_ != set && gate_->is_open()) {
      Log()->warn("{} {}: the freeze window of set {} stays open", set.ToString(), why, frozen_set_->ToString());
      return;
    }
    frozen_set_.reset();
    gate_->Close(why);
  } catch (...) {
  }
}

void AdminEventLog::NoteSetBegan(const SnapshotSetId& set) noexcept {
  try {
    std::lock_guard<std::mutex> lock(mu_);
    if (!gate_->is_open() || (frozen_set_.has_value() && *frozen_set_ == set)) return;
    const std::string why = "snapshot set " + set.ToString() + " began while the freeze window of " +
                            (frozen_set_ ? frozen_set_->ToString() : std::string("another set")) +
                            " was still open (that set is over)";
    frozen_set_.reset();
    gate_->Close(why);
  } catch (...) {
  }
}

void AdminEventLog::Poll() noexcept {
  try {
    gate_->Poll();
  } catch (...) {
  }
}

std::optional<SnapshotSetId> AdminEventLog::frozen_set() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (!gate_->is_open()) return std::nullopt;
  return frozen_set_;
}

}  // namespace windows
}  // namespace hwsnap
