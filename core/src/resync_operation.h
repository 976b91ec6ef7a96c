// resync_operation.h — the AsyncOperation ResyncLuns hands back.
//
// One operation copies N snapshot targets back onto N destination LUNs; the
// worker running it reports per-pair progress and the first result here, the
// caller polls, waits or cancels through the AsyncOperation interface.
#ifndef HWSNAP_CORE_SRC_RESYNC_OPERATION_H_
#define HWSNAP_CORE_SRC_RESYNC_OPERATION_H_

#include <condition_variable>
#include <cstddef>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "hwsnap/async_operation.h"
#include "hwsnap/cancel_token.h"

namespace hwsnap {

class ResyncOperation : public AsyncOperation {
 public:
  explicit ResyncOperation(size_t pairs) : fractions_(pairs, 0.0) {}

  // AsyncOperation:
  std::optional<absl::Status> Status() const override;
  std::optional<absl::Status> Wait(absl::Duration timeout) override;
  void Cancel() override;
  double Progress() const override;

  // --- the worker's side -----------------------------------------------------
  CancelToken token() const { return cancel_.token(); }
  bool cancelled() const { return cancel_.IsCancelled(); }
  // Pair `index` reached `fraction` (clamped to 0..1; never goes back).
  void SetPairProgress(size_t index, double fraction);
  // The backend showed it is working (first progress report).
  void NoteStarted();
  // The first ResyncTarget call returned `status`.
  void NoteFirstResult(const absl::Status& status);
  void Finish(absl::Status status);

  // --- ResyncLuns' side --------------------------------------------------------
  // Waits up to `timeout` until the first backend call returned or reported
  // progress; the first call's result if it returned, nullopt otherwise.
  std::optional<absl::Status> WaitFirstResult(absl::Duration timeout);

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  CancelSource cancel_;
  std::vector<double> fractions_;
  bool started_ = false;
  std::optional<absl::Status> first_result_;
  std::optional<absl::Status> final_;
};

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_RESYNC_OPERATION_H_
