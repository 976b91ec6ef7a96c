// Elastic Boost.Thread pool (see worker_pool.h).
#include "worker_pool.h"

#include <algorithm>
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
  int threads = 0;   // started and not exited (includes `starting`)
  int idle = 0;      // waiting for work
  int starting = 0;  // created, not yet in WorkerLoop
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

// How many workers to start so that every queued task has one: tasks
// waiting minus workers idle or already starting. Requires state.mu.
static int WorkersNeededLocked(const WorkerPool::Options& options, int queued, int idle, int starting,
                               int threads, int at_most) {
  const int needed = queued - idle - starting;
  return std::max(0, std::min({needed, at_most, options.max_threads - threads}));
}

void WorkerPool::Spawn(const std::shared_ptr<State>& state, int count) {
  for (int i = 0; i < count; ++i) {
    try {
      boost::thread worker([state] { WorkerLoop(state); });
      worker.detach();
    } catch (const std::exception& e) {
      // No thread: the task stays queued for an existing worker (if any).
      std::lock_guard<std::mutex> lock(state->mu);
      --state->threads;
      --state->starting;
      GetLogger("core.pool")->error("cannot start a worker thread: {}", e.what());
    }
  }
}

void WorkerPool::Submit(std::function<void()> task) {
  int spawn = 0;
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->queue.push_back(std::move(task));
    // The caller starts at most one thread; new workers start the rest (two
    // each), so a burst of 512 jobs costs BeginPrepareSnapshot one thread
    // creation and the pool grows as a tree off the caller's path.
    spawn = WorkersNeededLocked(state_->options, static_cast<int>(state_->queue.size()), state_->idle,
                                state_->starting, state_->threads, 1);
    state_->threads += spawn;
    state_->starting += spawn;
  }
  Spawn(state_, spawn);
  state_->work_cv.notify_one();
}

int WorkerPool::threads() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return state_->threads;
}

void WorkerPool::WorkerLoop(std::shared_ptr<State> state) {
  const auto idle_timeout = absl::ToChronoMilliseconds(state->options.idle_timeout);
  std::unique_lock<std::mutex> lock(state->mu);
  --state->starting;
  // This worker takes one queued task; start up to two more for the rest.
  const int spawn = WorkersNeededLocked(state->options, static_cast<int>(state->queue.size()) - 1,
                                        state->idle, state->starting, state->threads, 2);
  if (spawn > 0) {
    state->threads += spawn;
    state->starting += spawn;
    lock.unlock();
    Spawn(state, spawn);
    lock.lock();
  }
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
