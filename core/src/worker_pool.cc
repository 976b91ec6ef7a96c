// Elastic Boost.Thread pool (see worker_pool.h).
#include "worker_pool.h"

#include <chrono>
#include <deque>
#include <exception>
#include <new>
#include <utility>

#include <boost/thread/thread.hpp>

#include "hwsnap/logging.h"

namespace hwsnap {

struct WorkerPool::State {
  explicit State(Options o) : options(o) {}
  const Options options;
  std::mutex mu;
  std::condition_variable work_cv;  // tasks arrived or stopping
  std::condition_variable done_cv;  // a worker exited
  std::deque<std::function<void()>> queue;
  int threads = 0;
  int idle = 0;
  bool stopping = false;
};

WorkerPool::WorkerPool(Options options) : state_(std::make_shared<State>(options)) {}

WorkerPool::~WorkerPool() {
  std::unique_lock<std::mutex> lock(state_->mu);
  state_->stopping = true;
  state_->work_cv.notify_all();
  const auto until = std::chrono::steady_clock::now() +
                     absl::ToChronoMilliseconds(state_->options.shutdown_timeout);
  if (!state_->done_cv.wait_until(lock, until, [this] { return state_->threads == 0; })) {
    GetLogger("core.pool")->warn(
        "worker pool shut down with {} worker(s) still busy (a backend call ignored "
        "cancellation); they finish on their own",
        state_->threads);
  }
}

void WorkerPool::Submit(std::function<void()> task) {
  bool spawn = false;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->queue.push_back(std::move(task));
    const int waiting = static_cast<int>(state_->queue.size());
    if (state_->idle < waiting && state_->threads < state_->options.max_threads) {
      ++state_->threads;
      spawn = true;
    }
  }
  if (spawn) {
    try {
      boost::thread worker([state = state_] { WorkerLoop(state); });
      worker.detach();
    } catch (const std::exception& e) {
      // No thread: the task stays queued for an existing worker (if any).
      std::lock_guard<std::mutex> lock(state_->mu);
      --state_->threads;
      GetLogger("core.pool")->error("cannot start a worker thread: {}", e.what());
    }
  }
  state_->work_cv.notify_one();
}

int WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

void WorkerPool::WorkerLoop(std::shared_ptr<State> state) {
  const auto idle_timeout = absl::ToChronoMilliseconds(state->options.idle_timeout);
  std::unique_lock<std::mutex> lock(state->mu);
  for (;;) {
    if (state->queue.empty()) {
      if (state->stopping) break;
      ++state->idle;
      const bool woke = state->work_cv.wait_for(
          lock, idle_timeout, [&] { return !state->queue.empty() || state->stopping; });
      --state->idle;
      if (!woke) break;  // idle too long: retire
      continue;
    }
    std::function<void()> task = std::move(state->queue.front());
    state->queue.pop_front();
    lock.unlock();
    try {
      task();
    } catch (const std::exception& e) {
      GetLogger("core.pool")->error("task threw: {}", e.what());
    } catch (...) {
      GetLogger("core.pool")->error("task threw a non-standard exception");
    }
    task = nullptr;  // destroy captures outside the lock
    lock.lock();
  }
  --state->threads;
  state->done_cv.notify_all();
}

bool ConcurrencyLimit::Acquire(const CancelToken& cancel) {
  if (limit_ <= 0) return !cancel.IsCancelled();
  std::unique_lock<std::mutex> lock(mu_);
  // The cancel token has its own condition variable; poll it at a short
  // interval while waiting for a slot (cancellation must be observed within
  // the backend's bound, and slots free up on Release's notify anyway).
  while (in_use_ >= limit_) {
    if (cancel.IsCancelled()) return false;
    cv_.wait_for(lock, std::chrono::milliseconds(5));
  }
  if (cancel.IsCancelled()) return false;
  ++in_use_;
  return true;
}

void ConcurrencyLimit::Release() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (in_use_ > 0) --in_use_;
  }
  cv_.notify_one();
}

}  // namespace hwsnap
