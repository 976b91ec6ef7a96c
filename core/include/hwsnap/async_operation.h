// hwsnap/async_operation.h — a long operation running on the provider's
// workers, observed and cancelled by its caller.
//
// What ResyncLuns hands back (the Windows adapter wraps it in an IVssAsync):
// the caller polls Status() or blocks in Wait(), may Cancel() at any time,
// and reads Progress() for a display. Dropping the last reference does not
// cancel the operation; the provider keeps it alive until it ends.
#ifndef HWSNAP_ASYNC_OPERATION_H_
#define HWSNAP_ASYNC_OPERATION_H_

#include <optional>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace hwsnap {

class AsyncOperation {
 public:
  virtual ~AsyncOperation() = default;

  // nullopt while running; the final status once done (kCancelled after a
  // cancel that took effect).
  virtual std::optional<absl::Status> Status() const = 0;
  // Blocks up to `timeout` (absl::InfiniteDuration() for ever) and returns
  // Status() at that point.
  virtual std::optional<absl::Status> Wait(absl::Duration timeout) = 0;
  // Asks the operation to stop; returns at once. A no-op once it ended.
  virtual void Cancel() = 0;
  // 0.0 .. 1.0.
  virtual double Progress() const = 0;
};

}  // namespace hwsnap

#endif  // HWSNAP_ASYNC_OPERATION_H_
