// A VSS calling thread driven by the director (see call_lane.h).
#include "call_lane.h"

#include <utility>

namespace hwsnap::sim {

CallLane::CallLane(std::string name) : name_(std::move(name)), thread_([this] { Loop(); }) {}

CallLane::~CallLane() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void CallLane::Post(std::function<void()> call) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    call_ = std::move(call);
    posted_ = true;
    done_ = false;
  }
  cv_.notify_all();
}

bool CallLane::busy() const {
  std::lock_guard<std::mutex> lock(mu_);
  return posted_ || done_;
}

bool CallLane::TakeDone() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!done_) return false;
  done_ = false;
  return true;
}

void CallLane::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return stop_ || (posted_ && call_); });
    if (stop_) return;
    std::function<void()> call = std::move(call_);
    call_ = nullptr;
    lock.unlock();
    call();
    call = nullptr;
    lock.lock();
    posted_ = false;
    done_ = true;
    ++activity_;
  }
}

}  // namespace hwsnap::sim
