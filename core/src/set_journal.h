// set_journal.h — the one seam through which sets record their steps in the
// durable catalog (hwsnap/catalog.h).
//
// Every SnapshotSet holds a SetJournal (through SetEnvironment). Without a
// catalog (ProviderOptions::catalog_path empty) every call is a no-op that
// succeeds, so the set's code is the same with and without durability. With
// one, each call appends one record and returns its status; the set decides
// whether a failure refuses the step (before acknowledging VSS) or is only
// logged (e.g. recording a release that already happened).
//
// Never called while VSS holds writes (CommitSnapshots): a record is an
// append + fsync.
#ifndef HWSNAP_CORE_SRC_SET_JOURNAL_H_
#define HWSNAP_CORE_SRC_SET_JOURNAL_H_

#include <cstdint>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "hwsnap/catalog.h"
#include "hwsnap/ids.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/snapshot_set_state.h"

namespace hwsnap {

class SetJournal {
 public:
  // `catalog` null: the in-memory journal (every call succeeds, nothing kept).
  explicit SetJournal(std::shared_ptr<Catalog> catalog = nullptr) : catalog_(std::move(catalog)) {}

  bool durable() const { return catalog_ != nullptr; }
  Catalog* catalog() const { return catalog_.get(); }

  absl::Status SetCreated(const SnapshotSetId& set, std::int32_t context) {
    return catalog_ ? catalog_->RecordSetCreated(set, context, absl::Now()) : absl::OkStatus();
  }
  absl::Status SnapshotAdded(const SnapshotSetId& set, const SnapshotId& snapshot) {
    return catalog_ ? catalog_->RecordSnapshotAdded(set, snapshot) : absl::OkStatus();
  }
  absl::Status PrepareStarted(const SnapshotSetId& set, const LunIdentity& source) {
    return catalog_ ? catalog_->RecordPrepareStarted(set, source) : absl::OkStatus();
  }
  absl::Status TargetPrepared(const SnapshotSetId& set, const LunIdentity& source, const TargetId& target) {
    return catalog_ ? catalog_->RecordTargetPrepared(set, source, target) : absl::OkStatus();
  }
  absl::Status PrepareEnded(const SnapshotSetId& set, const LunIdentity& source) {
    return catalog_ ? catalog_->RecordPrepareEnded(set, source) : absl::OkStatus();
  }
  absl::Status TargetDescribed(const TargetId& target, const LunIdentity& identity) {
    return catalog_ ? catalog_->RecordTargetDescribed(target, identity) : absl::OkStatus();
  }
  absl::Status SetStateChanged(const SnapshotSetId& set, SetState state) {
    return catalog_ ? catalog_->RecordSetState(set, state) : absl::OkStatus();
  }
  absl::Status TargetExposed(const TargetId& target, bool exposed) {
    return catalog_ ? catalog_->RecordTargetExposed(target, exposed) : absl::OkStatus();
  }
  absl::Status TargetFlags(const TargetId& target, std::uint32_t flags, std::uint32_t clear) {
    return catalog_ ? catalog_->RecordTargetFlags(target, flags, clear) : absl::OkStatus();
  }
  absl::Status TargetReleased(const TargetId& target) {
    return catalog_ ? catalog_->RecordTargetReleased(target) : absl::OkStatus();
  }
  // Drops `set` from the catalog when it is final and holds no live target
  // (nothing to do otherwise, or without a catalog).
  absl::Status ForgetIfDead(const SnapshotSetId& set) {
    if (!catalog_) return absl::OkStatus();
    std::optional<CatalogSet> found = catalog_->FindSet(set);
    if (!found || !IsFinal(found->state) || found->LiveTargets() > 0) return absl::OkStatus();
    return catalog_->ForgetSet(set);
  }

 private:
  std::shared_ptr<Catalog> catalog_;
};

}  // namespace hwsnap

#endif  // HWSNAP_CORE_SRC_SET_JOURNAL_H_
