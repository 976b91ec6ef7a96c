// The AsyncOperation of ResyncLuns (see resync_operation.h).
#include "resync_operation.h"

#include <algorithm>
#include <chrono>
#include <utility>

namespace hwsnap {
namespace {

std::chrono::steady_clock::time_point SteadyAfter(absl::Duration d) {
  return std::chrono::steady_clock::now() +
         absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365)));
}

}  // namespace

std::optional<absl::Status> ResyncOperation::Status() const {
  std::lock_guard<std::mutex> lock(mu_);
  return final_;
}

std::optional<absl::Status> ResyncOperation::Wait(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  if (timeout == absl::InfiniteDuration()) {
    cv_.wait(lock, [&] { return final_.has_value(); });
  } else {
    cv_.wait_until(lock, SteadyAfter(std::max(timeout, absl::ZeroDuration())),
                   [&] { return final_.has_value(); });
  }
  return final_;
}

void ResyncOperation::Cancel() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (final_) return;
  }
  cancel_.Cancel("ResyncLuns was cancelled");
}

double ResyncOperation::Progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (fractions_.empty()) return final_ ? 1.0 : 0.0;
  double sum = 0;
  for (double f : fractions_) sum += f;
  return std::clamp(sum / static_cast<double>(fractions_.size()), 0.0, 1.0);
}

void ResyncOperation::SetPairProgress(size_t index, double fraction) {
  std::lock_guard<std::mutex> lock(mu_);
  if (index >= fractions_.size()) return;
  fraction = std::clamp(fraction, 0.0, 1.0);
  fractions_[index] = std::max(fractions_[index], fraction);
}

void ResyncOperation::NoteStarted() {
  std::lock_guard<std::mutex> lock(mu_);
  if (started_) return;
  started_ = true;
  cv_.notify_all();
}

void ResyncOperation::NoteFirstResult(const absl::Status& status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (first_result_) return;
  first_result_ = status;
  cv_.notify_all();
}

void ResyncOperation::Finish(absl::Status status) {
  std::lock_guard<std::mutex> lock(mu_);
  if (final_) return;
  if (status.ok()) std::fill(fractions_.begin(), fractions_.end(), 1.0);
  final_ = std::move(status);
  if (!first_result_) first_result_ = final_;
  cv_.notify_all();
}

std::optional<absl::Status> ResyncOperation::WaitFirstResult(absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, SteadyAfter(timeout), [&] { return started_ || first_result_.has_value(); });
  return first_result_;
}

}  // namespace hwsnap
