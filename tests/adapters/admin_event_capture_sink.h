// tests/adapters/admin_event_capture_sink.h — an spdlog sink that records what reaches it.
//
// This file exists so the event-log tests (gate, reporter, COM object) can
// stand a recording sink where the DLL has the Windows event log, and assert
// exactly which entries were written and when. Thread-safe (base_sink's mutex).
#ifndef HWSNAP_TESTS_ADAPTERS_ADMIN_EVENT_CAPTURE_SINK_H_
#define HWSNAP_TESTS_ADAPTERS_ADMIN_EVENT_CAPTURE_SINK_H_

#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include <spdlog/details/log_msg.h>
#include <spdlog/sinks/base_sink.h>

namespace hwsnap {
namespace windows {

class CaptureSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  struct Entry {
    spdlog::level::level_enum level;
    std::string text;       // the payload
    std::string formatted;  // through the sink's formatter (pattern set by the writer)
  };

  std::vector<Entry> entries() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_;
  }
  std::vector<std::string> texts() {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (const Entry& e : entries_) out.push_back(e.text);
    return out;
  }
  std::size_t size() {
    std::lock_guard<std::mutex> lock(mutex_);
    return entries_.size();
  }
  int flushes() {
    std::lock_guard<std::mutex> lock(mutex_);
    return flushes_;
  }
  // The next `n` writes throw, as spdlog's Windows sink does when ReportEvent fails.
  void FailNextWrites(int n) {
    std::lock_guard<std::mutex> lock(mutex_);
    fail_next_ = n;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    if (fail_next_ > 0) {
      --fail_next_;
      throw std::runtime_error("ReportEvent: 1502 (the event log file is full)");
    }
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    entries_.push_back({msg.level, std::string(msg.payload.data(), msg.payload.size()),
                        std::string(formatted.data(), formatted.size())});
  }
  void flush_() override { ++flushes_; }

 private:
  std::vector<Entry> entries_;
  int flushes_ = 0;
  int fail_next_ = 0;
};

}  // namespace windows
}  // namespace hwsnap

#endif  // HWSNAP_TESTS_ADAPTERS_ADMIN_EVENT_CAPTURE_SINK_H_
