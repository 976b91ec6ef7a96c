// Cancellation shared between a set and the backend calls made for it.
// std::mutex/std::condition_variable (not absl::Mutex) so that
// ThreadSanitizer sees every happens-before edge through pthread calls.
#include "hwsnap/cancel_token.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "hwsnap/status.h"

namespace hwsnap {
namespace internal {

struct CancelState {
  std::atomic<bool> cancelled{false};
  std::mutex mu;
  std::condition_variable cv;
  std::string reason;  // guarded by mu; set once
};

}  // namespace internal

namespace {

// absl::Time -> steady-clock time point for condition_variable::wait_until.
std::chrono::steady_clock::time_point ToSteady(absl::Time deadline) {
  if (deadline == absl::InfiniteFuture()) return std::chrono::steady_clock::time_point::max();
  const absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return std::chrono::steady_clock::now();
  // Cap at a day to stay clear of overflow in the addition.
  const absl::Duration capped = std::min(left, absl::Hours(24));
  return std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(capped);
}

}  // namespace

CancelToken::CancelToken() : state_(std::make_shared<internal::CancelState>()) {}
CancelToken::CancelToken(std::shared_ptr<internal::CancelState> state) : state_(std::move(state)) {}

bool CancelToken::IsCancelled() const { return state_->cancelled.load(std::memory_order_acquire); }

absl::Status CancelToken::status() const {
  if (!IsCancelled()) return absl::OkStatus();
  std::lock_guard<std::mutex> lock(state_->mu);
  return CancelledError(state_->reason.empty() ? "cancelled" : state_->reason);
}

bool CancelToken::WaitUntil(absl::Time deadline) const {
  std::unique_lock<std::mutex> lock(state_->mu);
  const auto until = ToSteady(deadline);
  state_->cv.wait_until(lock, until, [this] { return state_->cancelled.load(std::memory_order_acquire); });
  return state_->cancelled.load(std::memory_order_acquire);
}

absl::Status CancelToken::SleepFor(absl::Duration duration) const {
  if (duration > absl::ZeroDuration()) WaitUntil(absl::Now() + duration);
  return status();
}

CancelSource::CancelSource() : state_(std::make_shared<internal::CancelState>()) {}

CancelToken CancelSource::token() const { return CancelToken(state_); }

bool CancelSource::Cancel(std::string reason) {
  {
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->cancelled.load(std::memory_order_relaxed)) return false;
    state_->reason = std::move(reason);
    state_->cancelled.store(true, std::memory_order_release);
  }
  state_->cv.notify_all();
  return true;
}

bool CancelSource::IsCancelled() const { return state_->cancelled.load(std::memory_order_acquire); }

}  // namespace hwsnap
