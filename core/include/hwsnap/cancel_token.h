// hwsnap/cancel_token.h — cooperative cancellation for slow backend work.
//
// Every snapshot set owns one CancelSource. AbortSnapshots (or the first hard
// failure of a sibling LUN) trips it; every backend call that can block gets a
// CancelToken and must observe it within the bound its capabilities declare.
// The token is cheap to copy and safe to use from any thread.
//
//   hwsnap::CancelSource source;
//   hwsnap::CancelToken token = source.token();
//   // in a backend:   if (auto s = token.SleepFor(absl::Milliseconds(10)); !s.ok()) return s;
//   source.Cancel("aborted by VSS");  // wakes every SleepFor/WaitFor at once
#ifndef HWSNAP_CANCEL_TOKEN_H_
#define HWSNAP_CANCEL_TOKEN_H_

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hwsnap {

namespace internal {
struct CancelState;
}

// The observing side: handed to backends.
class CancelToken {
 public:
  // A token that is never cancelled (for calls made outside any set).
  CancelToken();

  bool IsCancelled() const;
  // Cancelled-domain status with the reason given to Cancel(), or OK.
  absl::Status status() const;
  // Sleeps for `duration` unless cancelled first; returns status() afterwards.
  absl::Status SleepFor(absl::Duration duration) const;
  // Blocks until cancelled or `deadline`; returns true when cancelled.
  bool WaitUntil(absl::Time deadline) const;

 private:
  friend class CancelSource;
  explicit CancelToken(std::shared_ptr<internal::CancelState> state);
  std::shared_ptr<internal::CancelState> state_;
};

// The owning side: held by the snapshot set.
class CancelSource {
 public:
  CancelSource();
  CancelToken token() const;
  // Trips the token; the first reason wins; later calls are no-ops. Returns
  // true for the call that actually cancelled.
  bool Cancel(std::string reason);
  bool IsCancelled() const;

 private:
  std::shared_ptr<internal::CancelState> state_;
};

}  // namespace hwsnap

#endif  // HWSNAP_CANCEL_TOKEN_H_
