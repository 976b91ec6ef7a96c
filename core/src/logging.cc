// Asynchronous per-component loggers (see hwsnap/logging.h).
#include "hwsnap/logging.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <string>
#include <utility>

#include <spdlog/async.h>
#include <spdlog/async_logger.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include "absl/strings/string_view.h"

namespace hwsnap {
namespace {

constexpr std::size_t kQueueSize = 8192;

// Set by SkipFlushAtExit: the atexit flush must not run (see logging.h).
std::atomic<bool> g_skip_exit_flush{false};

struct LogRegistry {
  LogRegistry()
      : pool(std::make_shared<spdlog::details::thread_pool>(kQueueSize, 1)),
        sinks{std::make_shared<spdlog::sinks::stderr_color_sink_mt>()} {}

  std::mutex mu;
  std::shared_ptr<spdlog::details::thread_pool> pool;
  std::vector<spdlog::sink_ptr> sinks;
  spdlog::level::level_enum level = spdlog::level::info;
  std::vector<std::shared_ptr<spdlog::logger>> loggers;
};

LogRegistry& Registry() {
  // Never destroyed: a worker thread that outlives main() (a backend call
  // that ignored cancellation, detached at shutdown) may still log while
  // static destructors run. Queued lines are written out by FlushLogs at exit.
  static LogRegistry* registry = [] {
    auto* r = new LogRegistry;
    std::atexit([] {
      if (!g_skip_exit_flush.load()) FlushLogs();
    });
    return r;
  }();
  return *registry;
}

}  // namespace

std::shared_ptr<spdlog::logger> GetLogger(absl::string_view component) {
  LogRegistry& r = Registry();
  std::lock_guard<std::mutex> lock(r.mu);
  for (const auto& logger : r.loggers) {
    if (logger->name() == component) return logger;
  }
  // overrun_oldest: when the queue is full, drop the oldest line instead of
  // blocking the caller (the commit window must never wait on logging).
  auto logger = std::make_shared<spdlog::async_logger>(
      std::string(component), r.sinks.begin(), r.sinks.end(), r.pool,
      spdlog::async_overflow_policy::overrun_oldest);
  logger->set_level(r.level);
  logger->flush_on(spdlog::level::err);
  r.loggers.push_back(logger);
  return logger;
}

void SetLogSinks(std::vector<spdlog::sink_ptr> sinks) {
  LogRegistry& r = Registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.sinks = std::move(sinks);
  for (const auto& logger : r.loggers) logger->sinks() = r.sinks;
}

void SetLogLevel(spdlog::level::level_enum level) {
  LogRegistry& r = Registry();
  std::lock_guard<std::mutex> lock(r.mu);
  r.level = level;
  for (const auto& logger : r.loggers) logger->set_level(level);
}

void SkipFlushAtExit() { g_skip_exit_flush.store(true); }

void FlushLogs() {
  LogRegistry& r = Registry();
  std::vector<spdlog::sink_ptr> sinks;
  {
    std::lock_guard<std::mutex> lock(r.mu);
    sinks = r.sinks;
  }
  // The async queue has no "wait until drained" call: poll it, bounded.
  for (int i = 0; i < 200 && r.pool->queue_size() > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (const auto& sink : sinks) sink->flush();
}

}  // namespace hwsnap
