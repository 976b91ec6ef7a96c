// release_ledger.h — targets whose release failed, kept for a retry.
//
// A rollback must not lose track of a target just because the storage
// refused to delete it at that moment: the target id goes into the ledger,
// is reported by SnapshotProvider::PendingReleases(), and is retried by
// RetryPendingReleases() (and at the start of the next set).
#ifndef HWSNAP_CORE_SRC_RELEASE_LEDGER_H_
#define HWSNAP_CORE_SRC_RELEASE_LEDGER_H_

#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "hwsnap/backend.h"

namespace hwsnap {

class ReleaseLedger {
 public:
  void Add(TargetId target) {
    std::lock_guard<std::mutex> lock(mu_);
    pending_.push_back(std::move(target));
  }
  std::vector<TargetId> Snapshot() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }
  // Removes and returns everything pending (the caller re-adds failures).
  std::vector<TargetId> TakeAll() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::exchange(pending_, {});
  }

 private:
  mutable std::mutex mu_;
  std::vector<TargetId> pending_;
};

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_RELEASE_LEDGER_H_
