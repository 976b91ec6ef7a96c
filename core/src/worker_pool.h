// worker_pool.h — the threads prepare jobs and commit groups run on.
//
// Prepare calls mostly wait on storage (an array allocating a LUN, a mirror
// syncing), so the pool is elastic rather than sized to the cores: a task
// that finds no idle worker starts a new Boost thread, up to a cap, and
// workers retire after a spell of idleness. That is what lets the LUNs of a
// set prepare in parallel, so EndPrepare takes about as long as the slowest
// LUN rather than the sum, while an idle provider holds no threads at all.
//
// Workers share the pool's state through a shared_ptr, so the pool can be
// destroyed while a task that ignores cancellation is still running: the
// destructor waits (bounded) and then leaves the straggler to finish alone.
#ifndef HWSNAP_CORE_SRC_WORKER_POOL_H_
#define HWSNAP_CORE_SRC_WORKER_POOL_H_

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>

#include "absl/time/time.h"
#include "hwsnap/cancel_token.h"

namespace hwsnap {

class WorkerPool {
 public:
  struct Options {
    int max_threads = 1024;
    absl::Duration idle_timeout = absl::Seconds(30);
    absl::Duration shutdown_timeout = absl::Seconds(10);
  };

  explicit WorkerPool(Options options);
  // Lets queued tasks run, waits up to shutdown_timeout for all workers to
  // finish, then detaches from any still running.
  ~WorkerPool();

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Runs `task` on a worker. Never blocks; exceptions escaping `task` are
  // logged and swallowed (a task must report its result by other means).
  void Submit(std::function<void()> task);

  // Workers alive right now (for tests and progress displays).
  int threads() const;

 private:
  struct State;
  static void WorkerLoop(std::shared_ptr<State> state);
  static void Spawn(const std::shared_ptr<State>& state, int count);
  std::shared_ptr<State> state_;
};

// A counting limit on concurrent backend calls (BackendCapabilities::
// max_parallel_prepares), whose waits give up when a cancel token trips.
class ConcurrencyLimit {
 public:
  // limit <= 0: unlimited.
  explicit ConcurrencyLimit(int limit) : limit_(limit) {}

  // Takes a slot; false (nothing taken) if `cancel` tripped first.
  bool Acquire(const CancelToken& cancel);
  void Release();

 private:
  const int limit_;
  std::mutex mu_;
  std::condition_variable cv_;
  int in_use_ = 0;
};

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_WORKER_POOL_H_
