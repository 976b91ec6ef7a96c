// One snapshot set's state machine and jobs (see snapshot_set.h).
#include "snapshot_set.h"

#include <algorithm>
#include <chrono>
#include <utility>

#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backend_call.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using SteadyClock = std::chrono::steady_clock;

SteadyClock::time_point SteadyAfter(absl::Duration d) {
  return SteadyClock::now() + absl::ToChronoNanoseconds(std::min(d, absl::Hours(24 * 365)));
}

std::string Ms(absl::Duration d) { return absl::StrCat(absl::ToDoubleMilliseconds(d), " ms"); }

// Code set, type and bytes of a designator: equal keys <=> equal designators
// (for the association-0 designators this is used on).
std::string DesignatorKey(const Designator& d) {
  std::string key;
  key.reserve(d.bytes.size() + 2);
  key.push_back(static_cast<char>(d.code_set));
  key.push_back(static_cast<char>(d.type));
  key.append(d.bytes.begin(), d.bytes.end());
  return key;
}

}  // namespace

SnapshotSet::SnapshotSet(const SnapshotSetId& id, std::int32_t context, SetEnvironment env)
    : id_(id),
      context_(context),
      env_(std::move(env)),
      created_(absl::Now()),
      log_(GetLogger("core.set")) {}

std::shared_ptr<SnapshotSet> SnapshotSet::Restore(CatalogSet record, SetEnvironment env) {
  // `record` is taken by value and its identities moved: recovery restores
  // every completed set of the catalog (100,000 targets in the benchmark).
  auto set = std::make_shared<SnapshotSet>(record.id, record.context, std::move(env));
  std::lock_guard<std::mutex> lock(set->mu_);
  set->created_ = record.created;
  set->state_ = SetState::kCompleted;
  set->end_prepare_called_ = true;
  set->snapshots_ = std::move(record.snapshots);
  set->luns_.reserve(record.targets.size());
  for (CatalogTarget& target : record.targets) {
    if (!target.alive()) continue;
    LunSlot slot;
    slot.source = std::move(target.source);
    slot.phase = Phase::kPrepared;
    slot.target = std::move(target.target_id);
    slot.target_identity = std::move(target.identity);
    slot.committed = true;
    slot.exposed = target.exposed;
    slot.flags = target.flags;
    slot.updated = target.updated;
    for (const Designator& d : slot.source.designators) {
      if (d.IsUniqueLunDesignator()) set->slot_by_designator_.emplace(DesignatorKey(d), set->luns_.size());
    }
    set->luns_.push_back(std::move(slot));
  }
  return set;
}

std::string SnapshotSet::Tag() const { return absl::StrCat("set=", id_.ToString()); }

SetState SnapshotSet::state() const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_;
}

SetProgress SnapshotSet::Progress() const {
  std::lock_guard<std::mutex> lock(mu_);
  SetProgress p;
  p.id = id_;
  p.state = state_;
  p.snapshots = static_cast<int>(snapshots_.size());
  p.luns = static_cast<int>(luns_.size());
  for (const LunSlot& slot : luns_) {
    if (slot.phase == Phase::kPrepared) ++p.luns_prepared;
    if (slot.phase == Phase::kFailed) ++p.luns_failed;
    if (slot.target) ++p.targets_alive;
  }
  p.age = absl::Now() - created_;
  return p;
}

int SnapshotSet::LiveTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  int alive = 0;
  for (const LunSlot& slot : luns_) alive += slot.target ? 1 : 0;
  return alive;
}

// --- creation ---------------------------------------------------------------

absl::Status SnapshotSet::AddSnapshot(const SnapshotId& snapshot_id,
                                      absl::Span<const LunIdentity> luns) {
  std::vector<size_t> started;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborting_ || state_ != SetState::kPreparing) {
      return BadStateError(absl::StrCat("BeginPrepareSnapshot: set ", id_.ToString(), " is ",
                                        aborting_ ? "being aborted" : SetStateName(state_)));
    }
    if (end_prepare_called_) {
      return BadStateError(absl::StrCat("BeginPrepareSnapshot after EndPrepareSnapshots for set ",
                                        id_.ToString()));
    }
    if (std::find(snapshots_.begin(), snapshots_.end(), snapshot_id) != snapshots_.end()) {
      return InvalidArgumentError(absl::StrCat("snapshot ", snapshot_id.ToString(),
                                               " is already in set ", id_.ToString()));
    }
    // A LUN may back several volumes: prepare it once per set.
    std::vector<const LunIdentity*> fresh;
    for (const LunIdentity& lun : luns) {
      if (FindSourceSlotLocked(lun) < 0) fresh.push_back(&lun);
    }
    if (luns_.size() + fresh.size() > static_cast<size_t>(env_.options.max_luns_per_set)) {
      return NotSupportedError(absl::StrCat("set ", id_.ToString(), " would hold ",
                                            luns_.size() + fresh.size(), " LUNs; at most ",
                                            env_.options.max_luns_per_set, " are allowed"));
    }
    // Durable before it is acknowledged (a no-op without a catalog).
    if (absl::Status recorded = env_.journal->SnapshotAdded(id_, snapshot_id); !recorded.ok()) {
      return Annotate(recorded, absl::StrCat("recording snapshot ", snapshot_id.ToString(), " in the catalog"));
    }
    snapshots_.push_back(snapshot_id);
    // After a LUN failed the set cannot succeed: new LUNs are recorded but not
    // prepared, and the failure is reported where VSS waits for it —
    // EndPrepareSnapshots — not here.
    const bool doomed = !first_failure_.ok();
    for (const LunIdentity* lun : fresh) {
      LunSlot slot;
      slot.source = *lun;
      if (doomed) {
        slot.phase = Phase::kFailed;
        slot.failure = CancelledError("not prepared: another LUN of the set had already failed");
      } else {
        started.push_back(luns_.size());
      }
      for (const Designator& d : slot.source.designators) {
        if (d.IsUniqueLunDesignator()) slot_by_designator_.emplace(DesignatorKey(d), luns_.size());
      }
      luns_.push_back(std::move(slot));
    }
    in_flight_ += static_cast<int>(started.size());
  }
  log_->info("{} snapshot={} begin-prepare: {} LUN(s), {} new to the set", Tag(),
             snapshot_id.ToString(), luns.size(), started.size());
  for (size_t index : started) {
    Submit([self = shared_from_this(), index] { self->RunPrepare(index); });
  }
  return absl::OkStatus();
}

int SnapshotSet::FindSourceSlotLocked(const LunIdentity& lun) const {
  for (const Designator& d : lun.designators) {
    if (!d.IsUniqueLunDesignator()) continue;
    auto it = slot_by_designator_.find(DesignatorKey(d));
    if (it != slot_by_designator_.end()) return static_cast<int>(it->second);
  }
  return -1;
}

void SnapshotSet::Submit(std::function<void()> task) {
  if (std::shared_ptr<WorkerPool> pool = env_.pool.lock()) {
    pool->Submit(std::move(task));
  } else {
    task();
  }
}

void SnapshotSet::RunPrepare(size_t index) {
  LunIdentity source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    LunSlot& slot = luns_[index];
    if (cancel_.IsCancelled() || rolled_back_) {
      slot.phase = Phase::kFailed;
      slot.failure = cancel_.token().status();
      --in_flight_;
      cv_.notify_all();
      return;
    }
    slot.phase = Phase::kRunning;
    source = slot.source;
  }
  const CancelToken token = cancel_.token();
  const absl::Time started = absl::Now();
  absl::StatusOr<TargetId> result = CancelledError("cancelled while waiting for a prepare slot");
  bool started_recorded = false;
  if (env_.prepare_limit->Acquire(token)) {
    // Recorded before the call, so a crash during it is known at restart.
    absl::Status recorded = env_.journal->PrepareStarted(id_, source);
    if (!recorded.ok()) {
      result = Annotate(recorded, "recording the prepare in the catalog");
    } else {
      started_recorded = true;
      result = GuardedCall("PrepareTarget", [&] { return env_.backend->PrepareTarget(source, token); });
      if (!result.ok()) result = BackendFailureForVss(result.status(), "PrepareTarget");
    }
    env_.prepare_limit->Release();
    if (result.ok() && result->empty()) {
      result = BackendFailureError("PrepareTarget returned an empty target id");
    }
  } else if (!token.status().ok()) {
    result = token.status();
  }
  if (started_recorded && result.ok()) {
    if (absl::Status recorded = env_.journal->TargetPrepared(id_, source, *result); !recorded.ok()) {
      // A target the catalog does not know would be lost at a crash: give it
      // back now and fail the LUN.
      const TargetId orphan = *result;
      const absl::Status released =
          GuardedCall("ReleaseTarget", [&] { return env_.backend->ReleaseTarget(orphan); });
      if (!released.ok()) env_.ledger->Add(orphan);
      result = VetoError(absl::StrCat("the catalog could not record target ", orphan, " of ", source.ToString(),
                                      ": ", recorded.message()),
                         "make the catalog's directory writable and free space on its disk");
      (void)env_.journal->PrepareEnded(id_, source);
    }
  } else if (started_recorded) {
    if (absl::Status recorded = env_.journal->PrepareEnded(id_, source); !recorded.ok()) {
      log_->warn("{} recording the failed prepare of {}: {}", Tag(), source.ToString(), recorded.ToString());
    }
  }
  const absl::Duration took = absl::Now() - started;

  std::optional<TargetId> late;
  {
    std::lock_guard<std::mutex> lock(mu_);
    LunSlot& slot = luns_[index];
    if (result.ok() && !rolled_back_) {
      slot.target = *result;
      slot.phase = Phase::kPrepared;
    } else {
      slot.phase = Phase::kFailed;
      if (result.ok()) {
        late = *result;
        ++rollbacks_running_;  // an AbortSnapshots now answers after this release
        slot.failure = CancelledError("the set was rolled back before this prepare returned");
      } else {
        slot.failure = Annotate(result.status(), absl::StrCat("prepare ", source.ToString()));
        NoteFailureLocked(slot.failure);
      }
    }
    --in_flight_;
    cv_.notify_all();
  }
  if (result.ok()) {
    log_->debug("{} prepared {} -> target {} in {}", Tag(), source.ToString(), *result, Ms(took));
  } else if (GetErrorCode(result.status()) == ErrorCode::kCancelled) {
    log_->info("{} prepare of {} cancelled after {}", Tag(), source.ToString(), Ms(took));
  } else {
    log_->warn("{} prepare of {} failed after {}: {}", Tag(), source.ToString(), Ms(took),
               result.status().ToString());
  }
  if (late) {
    log_->warn("{} prepare of {} returned target {} after the set was rolled back; releasing it",
               Tag(), source.ToString(), *late);
    ReleaseAll({*late}, "late prepare after rollback");
    RollBackDone();
  }
}

void SnapshotSet::NoteFailureLocked(const absl::Status& failure) {
  // A cancellation we caused is a consequence, not a cause.
  if (GetErrorCode(failure) == ErrorCode::kCancelled && cancel_.IsCancelled()) return;
  if (!first_failure_.ok()) return;
  first_failure_ = failure;
  failure_time_ = absl::Now();
  // Fail fast: the set cannot succeed any more, so stop the other LUNs now.
  cancel_.Cancel(absl::StrCat("another LUN of the set failed: ", failure.message()));
  cv_.notify_all();
}

absl::Status SnapshotSet::BestFailureLocked() const {
  absl::Status best = first_failure_;
  for (const LunSlot& slot : luns_) {
    if (slot.failure.ok()) continue;
    if (best.ok() || ActionabilityRank(GetErrorCode(slot.failure)) >
                         ActionabilityRank(GetErrorCode(best))) {
      best = slot.failure;
    }
  }
  return best;
}

absl::Status SnapshotSet::EndPrepare() {
  std::unique_lock<std::mutex> lock(mu_);
  if (aborting_ || state_ == SetState::kAborted) {
    return CancelledError(absl::StrCat("set ", id_.ToString(), " was aborted"));
  }
  if (state_ != SetState::kPreparing || end_prepare_called_) {
    return BadStateError(absl::StrCat("EndPrepareSnapshots: set ", id_.ToString(), " is ",
                                      SetStateName(state_),
                                      end_prepare_called_ ? " (EndPrepareSnapshots already called)" : ""));
  }
  end_prepare_called_ = true;
  const absl::Time started = absl::Now();
  log_->info("{} end-prepare: waiting for {} of {} LUN(s)", Tag(), in_flight_, luns_.size());
  for (;;) {
    if (aborting_) {
      log_->info("{} end-prepare: returning, the set is being aborted", Tag());
      return CancelledError(absl::StrCat("set ", id_.ToString(),
                                         " was aborted while EndPrepareSnapshots waited"));
    }
    if (in_flight_ == 0) break;
    if (!first_failure_.ok()) {
      // After a failure the siblings were cancelled; give them the drain bound.
      const absl::Duration left = failure_time_ + env_.options.abort_drain_timeout - absl::Now();
      if (left <= absl::ZeroDuration()) break;
      cv_.wait_until(lock, SteadyAfter(left));
    } else {
      cv_.wait(lock);
    }
  }
  if (!first_failure_.ok()) {
    const absl::Status best = BestFailureLocked();
    for (const LunSlot& slot : luns_) {
      if (!slot.failure.ok() && GetErrorCode(slot.failure) != ErrorCode::kCancelled) {
        log_->error("{} LUN {} failed: {}", Tag(), slot.source.ToString(), slot.failure.ToString());
      }
    }
    const int stragglers = in_flight_;
    std::vector<TargetId> targets = RollBackLocked(SetState::kFailed);
    lock.unlock();
    log_->error("{} end-prepare failed after {}: {}; rolling back {} target(s){}", Tag(),
                Ms(absl::Now() - started), best.ToString(), targets.size(),
                stragglers ? absl::StrCat(", ", stragglers, " prepare(s) still running") : "");
    ReleaseAll(targets, "prepare failed");
    RollBackDone();
    RecordRolledBack(SetState::kFailed);
    return best;
  }
  if (absl::Status entered = EnterStateLocked(lock, SetState::kPrepared, "EndPrepareSnapshots"); !entered.ok()) {
    return entered;
  }
  log_->info("{} end-prepare: {} LUN(s) prepared in {}", Tag(), luns_.size(),
             Ms(absl::Now() - started));
  return absl::OkStatus();
}

absl::Status SnapshotSet::EnterStateLocked(std::unique_lock<std::mutex>& lock, SetState state,
                                           absl::string_view call) {
  const absl::Status recorded = env_.journal->SetStateChanged(id_, state);
  if (recorded.ok()) {
    state_ = state;
    cv_.notify_all();
    return absl::OkStatus();
  }
  const absl::Status failure = Annotate(recorded, absl::StrCat(call, ": recording the set in the catalog"));
  NoteFailureLocked(failure);
  std::vector<TargetId> targets = RollBackLocked(SetState::kFailed);
  lock.unlock();
  log_->error("{} {}; rolling back {} target(s)", Tag(), failure.ToString(), targets.size());
  ReleaseAll(targets, "catalog write failed");
  RollBackDone();
  RecordRolledBack(SetState::kFailed);
  return failure;
}

absl::Status SnapshotSet::Advance(SetState from, SetState to, absl::string_view call) {
  {
    std::unique_lock<std::mutex> lock(mu_);
    if (aborting_ || state_ != from) {
      return BadStateError(absl::StrCat(call, ": set ", id_.ToString(), " is ",
                                        aborting_ ? "being aborted" : SetStateName(state_),
                                        ", expected ", SetStateName(from)));
    }
    if (absl::Status entered = EnterStateLocked(lock, to, call); !entered.ok()) return entered;
  }
  log_->info("{} {} -> {}", Tag(), call, SetStateName(to));
  return absl::OkStatus();
}

absl::Status SnapshotSet::PreCommit() {
  return Advance(SetState::kPrepared, SetState::kPreCommitted, "PreCommitSnapshots");
}

absl::Status SnapshotSet::Commit() {
  // Results of the commit groups; shared with the group tasks, guarded by mu_.
  struct CommitRound {
    std::vector<absl::Status> results;
    int pending = 0;
  };
  auto round = std::make_shared<CommitRound>();
  std::vector<std::vector<size_t>> groups;
  size_t target_count = 0;
  const absl::Time deadline = absl::Now() + env_.options.commit_timeout;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborting_ || state_ != SetState::kPreCommitted) {
      return BadStateError(absl::StrCat("CommitSnapshots: set ", id_.ToString(), " is ",
                                        aborting_ ? "being aborted" : SetStateName(state_),
                                        ", expected ", SetStateName(SetState::kPreCommitted)));
    }
    const size_t group_size = env_.capabilities.max_commit_group > 0
                                  ? static_cast<size_t>(env_.capabilities.max_commit_group)
                                  : luns_.size();
    for (size_t i = 0; i < luns_.size(); ++i) {
      if (!luns_[i].target) continue;
      if (groups.empty() || groups.back().size() >= group_size) groups.emplace_back();
      groups.back().push_back(i);
      luns_[i].busy = true;
      ++target_count;
    }
    round->results.resize(groups.size());
    round->pending = static_cast<int>(groups.size());
    in_flight_ += round->pending;
  }
  // Inside the write hold: logging is asynchronous, nothing here blocks on I/O.
  log_->info("{} commit: {} target(s) in {} group(s), deadline in {}", Tag(), target_count,
             groups.size(), Ms(env_.options.commit_timeout));
  for (size_t g = 0; g < groups.size(); ++g) {
    std::vector<TargetId> ids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (size_t i : groups[g]) ids.push_back(*luns_[i].target);
    }
    Submit([self = shared_from_this(), round, g, indexes = groups[g],
                       ids = std::move(ids), deadline] {
      const absl::Status status = BackendFailureForVss(
          GuardedCall("CommitTargets", [&] { return self->env_.backend->CommitTargets(ids, deadline); }),
          "CommitTargets");
      std::vector<TargetId> deferred;
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        round->results[g] = status;
        --round->pending;
        for (size_t i : indexes) {
          LunSlot& slot = self->luns_[i];
          slot.committed = status.ok();
          slot.busy = false;
          if (slot.release_when_idle && slot.target) {
            deferred.push_back(*slot.target);
            slot.target.reset();
          }
        }
        if (!deferred.empty()) ++self->rollbacks_running_;  // an abort answers after these releases
        --self->in_flight_;
        self->cv_.notify_all();
      }
      if (!deferred.empty()) {
        self->ReleaseAll(deferred, "commit returned after rollback");
        self->RollBackDone();
      }
    });
  }

  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_until(lock, SteadyAfter(deadline + env_.options.commit_grace - absl::Now()),
                 [&] { return round->pending == 0 || aborting_; });
  if (aborting_) {
    return CancelledError(absl::StrCat("set ", id_.ToString(), " was aborted during commit"));
  }
  absl::Status failure;
  if (round->pending > 0) {
    failure = DeadlineExceededError(absl::StrCat(
        "commit of set ", id_.ToString(), " did not finish within ",
        Ms(env_.options.commit_timeout), " (", round->pending, " group(s) still running)"));
  } else {
    for (const absl::Status& status : round->results) {
      if (!status.ok() && (failure.ok() || ActionabilityRank(GetErrorCode(status)) >
                                               ActionabilityRank(GetErrorCode(failure)))) {
        failure = status;
      }
    }
  }
  if (!failure.ok()) {
    NoteFailureLocked(failure);
    std::vector<TargetId> targets = RollBackLocked(SetState::kFailed);
    lock.unlock();
    log_->error("{} commit failed: {}; rolling back {} target(s)", Tag(), failure.ToString(),
                targets.size());
    // VSS still holds writes until this returns: the catalog records (an
    // fsync each) are written by a worker, after the releases below.
    std::vector<TargetId> released = ReleaseAll(targets, "commit failed", /*journal=*/false);
    RollBackDone();
    Submit([self = shared_from_this(), released = std::move(released)] {
      for (const TargetId& target : released) {
        if (absl::Status recorded = self->env_.journal->TargetReleased(target); !recorded.ok()) {
          self->log_->warn("{} recording the release of target {}: {}", self->Tag(), target, recorded.ToString());
        }
      }
      self->RecordRolledBack(SetState::kFailed);
    });
    return failure;
  }
  state_ = SetState::kCommitted;
  cv_.notify_all();
  lock.unlock();
  log_->info("{} committed", Tag());
  return absl::OkStatus();
}

absl::Status SnapshotSet::PostCommit(std::int32_t snapshot_count) {
  std::vector<std::pair<size_t, TargetId>> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (aborting_ || state_ != SetState::kCommitted) {
      return BadStateError(absl::StrCat("PostCommitSnapshots: set ", id_.ToString(), " is ",
                                        aborting_ ? "being aborted" : SetStateName(state_),
                                        ", expected ", SetStateName(SetState::kCommitted)));
    }
    if (snapshot_count != static_cast<std::int32_t>(snapshots_.size())) {
      log_->warn("{} post-commit: VSS reports {} snapshot(s), this provider holds {}", Tag(),
                 snapshot_count, snapshots_.size());
    }
    for (size_t i = 0; i < luns_.size(); ++i) {
      if (luns_[i].target) work.emplace_back(i, *luns_[i].target);
    }
    // An AbortSnapshots arriving now waits (bounded by abort_drain_timeout)
    // for the describe loop below to stop, and then rolls back every target
    // not in a describe call: its OK means the set is rolled back.
    ++in_flight_;
  }
  // Writes are released now: ask the storage what each target looks like,
  // so GetTargetLuns later answers from memory. One target at a time is
  // busy (in its DescribeTarget call); an abort stops the loop.
  std::vector<absl::StatusOr<LunIdentity>> described;
  described.reserve(work.size());
  std::vector<TargetId> deferred;
  for (const auto& [index, target] : work) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (aborting_ || rolled_back_ || !luns_[index].target) break;
      luns_[index].busy = true;
    }
    absl::StatusOr<LunIdentity> identity =
        GuardedCall("DescribeTarget", [&, &t = target] { return env_.backend->DescribeTarget(t); });
    if (!identity.ok()) identity = BackendFailureForVss(identity.status(), "DescribeTarget");
    if (identity.ok()) {
      std::lock_guard<std::mutex> lock(mu_);
      const LunIdentity& source = luns_[index].source;
      if (auto valid = ValidateLunIdentity(*identity); !valid.ok()) {
        identity = BackendFailureError(absl::StrCat("target ", target, " described malformed: ", valid.message()));
      } else if (!identity->HasUniqueDesignator()) {
        identity = BackendFailureError(absl::StrCat("target ", target, " has no unique designator"));
      } else if (identity->SameLunAs(source)) {
        identity = BackendFailureError(absl::StrCat("target ", target, " carries its source's designator"));
      }
    }
    if (identity.ok()) {
      // Writes are no longer held: the identity is made durable now, since
      // GetTargetLuns after a restart answers from the catalog's record.
      if (absl::Status recorded = env_.journal->TargetDescribed(target, *identity); !recorded.ok()) {
        identity = Annotate(recorded, absl::StrCat("recording target ", target, " in the catalog"));
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      LunSlot& slot = luns_[index];
      slot.busy = false;
      if (identity.ok()) {
        slot.target_identity = *identity;
        slot.updated = absl::Now();
      }
      if (slot.release_when_idle && slot.target) {  // rolled back while it was described
        deferred.push_back(*slot.target);
        slot.target.reset();
      }
    }
    described.push_back(std::move(identity));
  }

  std::unique_lock<std::mutex> lock(mu_);
  if (!deferred.empty()) ++rollbacks_running_;  // an abort answers after these releases
  --in_flight_;
  cv_.notify_all();
  if (aborting_ || rolled_back_) {
    lock.unlock();
    if (!deferred.empty()) {
      ReleaseAll(deferred, "aborted during post-commit");
      RollBackDone();
    }
    return CancelledError(absl::StrCat("set ", id_.ToString(), " was aborted during post-commit"));
  }
  absl::Status failure;
  for (size_t k = 0; k < described.size(); ++k) {
    if (!described[k].ok() && failure.ok()) {
      failure = Annotate(described[k].status(),
                         absl::StrCat("describe target of ", luns_[work[k].first].source.ToString()));
    }
  }
  if (!failure.ok()) {
    NoteFailureLocked(failure);
    std::vector<TargetId> targets = RollBackLocked(SetState::kFailed);
    lock.unlock();
    log_->error("{} post-commit failed: {}; rolling back {} target(s)", Tag(), failure.ToString(),
                targets.size());
    ReleaseAll(targets, "describe failed");
    RollBackDone();
    RecordRolledBack(SetState::kFailed);
    return failure;
  }
  if (absl::Status entered = EnterStateLocked(lock, SetState::kPostCommitted, "PostCommitSnapshots");
      !entered.ok()) {
    return entered;
  }
  lock.unlock();
  log_->info("{} post-commit: {} target(s) described", Tag(), work.size());
  return absl::OkStatus();
}

absl::Status SnapshotSet::PreFinalCommit() {
  return Advance(SetState::kPostCommitted, SetState::kPreFinalCommitted, "PreFinalCommitSnapshots");
}

absl::Status SnapshotSet::PostFinalCommit() {
  return Advance(SetState::kPreFinalCommitted, SetState::kCompleted, "PostFinalCommitSnapshots");
}

// --- abort and rollback -----------------------------------------------------

absl::Status SnapshotSet::Abort(absl::string_view reason) {
  std::unique_lock<std::mutex> lock(mu_);
  if (state_ == SetState::kCompleted) {
    return BadStateError(absl::StrCat("AbortSnapshots: set ", id_.ToString(),
                                      " is completed; its LUNs are freed by OnLunEmpty"));
  }
  if (aborting_ || IsFinal(state_)) {
    // Another thread is aborting, or a failure is rolling the set back: OK
    // means "rolled back", so answer once that rollback's releases returned
    // (as long as the other caller waits, no longer).
    cv_.wait(lock, [&] { return IsFinal(state_) && rollbacks_running_ == 0; });
    log_->info("{} abort: already {}, nothing more to do", Tag(), SetStateName(state_));
    return absl::OkStatus();
  }
  const absl::Time started = absl::Now();
  const SetState was = state_;
  aborting_ = true;
  cancel_.Cancel(std::string(reason));
  cv_.notify_all();
  cv_.wait_until(lock, SteadyAfter(env_.options.abort_drain_timeout), [&] { return in_flight_ == 0; });
  const int stragglers = in_flight_;
  std::vector<TargetId> targets = RollBackLocked(SetState::kAborted);
  lock.unlock();
  ReleaseAll(targets, "aborted");
  RollBackDone();
  RecordRolledBack(SetState::kAborted);
  if (stragglers > 0) {
    log_->warn("{} abort: {} backend call(s) ignored cancellation for {}; their targets are "
               "released as soon as they return",
               Tag(), stragglers, Ms(env_.options.abort_drain_timeout));
  }
  log_->info("{} aborted in state {} ({}): released {} target(s) in {}", Tag(), SetStateName(was),
             reason, targets.size(), Ms(absl::Now() - started));
  return absl::OkStatus();
}

void SnapshotSet::RollBackDone() {
  std::lock_guard<std::mutex> lock(mu_);
  --rollbacks_running_;
  cv_.notify_all();
}

std::vector<TargetId> SnapshotSet::RollBackLocked(SetState final_state) {
  ++rollbacks_running_;
  rolled_back_ = true;
  state_ = final_state;
  std::vector<TargetId> targets;
  for (LunSlot& slot : luns_) {
    if (!slot.target) continue;
    if (slot.busy) {
      slot.release_when_idle = true;
    } else {
      targets.push_back(*slot.target);
      slot.target.reset();
    }
  }
  cv_.notify_all();
  return targets;
}

std::vector<TargetId> SnapshotSet::ReleaseAll(const std::vector<TargetId>& targets, absl::string_view why,
                                              bool journal) {
  std::vector<TargetId> released;
  for (const TargetId& target : targets) {
    const absl::Status status =
        GuardedCall("ReleaseTarget", [&] { return env_.backend->ReleaseTarget(target); });
    if (status.ok()) {
      log_->debug("{} released target {} ({})", Tag(), target, why);
      released.push_back(target);
      if (!journal) continue;
      if (absl::Status recorded = env_.journal->TargetReleased(target); !recorded.ok()) {
        log_->warn("{} recording the release of target {}: {}", Tag(), target, recorded.ToString());
      }
    } else {
      env_.ledger->Add(target);
      log_->error("{} could not release target {} ({}): {}; kept for a retry", Tag(), target, why,
                  status.ToString());
    }
  }
  if (journal && !targets.empty()) MaybeForget();
  return released;
}

void SnapshotSet::RecordRolledBack(SetState final_state) {
  if (absl::Status recorded = env_.journal->SetStateChanged(id_, final_state); !recorded.ok()) {
    log_->warn("{} recording the set {}: {}", Tag(), SetStateName(final_state), recorded.ToString());
  }
  MaybeForget();
}

void SnapshotSet::MaybeForget() {
  if (!env_.journal->durable()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!IsFinal(state_) || in_flight_ > 0) return;
    for (const LunSlot& slot : luns_) {
      if (slot.target) return;
    }
  }
  if (absl::Status forgotten = env_.journal->ForgetIfDead(id_); !forgotten.ok()) {
    log_->warn("{} forgetting the finished set in the catalog: {}", Tag(), forgotten.ToString());
  }
}

// --- serving a completed set ------------------------------------------------

std::optional<LunIdentity> SnapshotSet::TargetIdentityFor(const LunIdentity& source) const {
  std::lock_guard<std::mutex> lock(mu_);
  if (state_ != SetState::kPostCommitted && state_ != SetState::kPreFinalCommitted &&
      state_ != SetState::kCompleted) {
    return std::nullopt;
  }
  for (const LunSlot& slot : luns_) {
    if (slot.target && slot.target_identity && slot.source.SameLunAs(source)) {
      return slot.target_identity;
    }
  }
  return std::nullopt;
}

int SnapshotSet::FindTargetSlotLocked(const LunIdentity& target) const {
  for (size_t i = 0; i < luns_.size(); ++i) {
    const LunSlot& slot = luns_[i];
    if (slot.target && slot.target_identity && slot.target_identity->SameLunAs(target)) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

bool SnapshotSet::HoldsTarget(const LunIdentity& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  return state_ == SetState::kCompleted && FindTargetSlotLocked(target) >= 0;
}

absl::Status SnapshotSet::WithBusySlot(size_t index,
                                       const std::function<absl::Status(const TargetId&)>& call) {
  TargetId target;
  {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [&] { return !luns_[index].busy; });
    if (!luns_[index].target) return ObjectNotFoundError("the target was released meanwhile");
    luns_[index].busy = true;
    target = *luns_[index].target;
  }
  const absl::Status status = call(target);
  std::vector<TargetId> deferred;
  {
    std::lock_guard<std::mutex> lock(mu_);
    LunSlot& slot = luns_[index];
    slot.busy = false;
    if (slot.release_when_idle && slot.target) {
      deferred.push_back(*slot.target);
      slot.target.reset();
    }
    cv_.notify_all();
  }
  ReleaseAll(deferred, "rolled back during a call");
  return status;
}

absl::Status SnapshotSet::ExposeTarget(const LunIdentity& target) {
  int index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = state_ == SetState::kCompleted ? FindTargetSlotLocked(target) : -1;
  }
  if (index < 0) return ObjectNotFoundError(absl::StrCat("no snapshot target ", target.ToString(), " in ", Tag()));
  absl::Status status = WithBusySlot(static_cast<size_t>(index), [&](const TargetId& id) {
    return BackendFailureForVss(GuardedCall("ExposeTarget", [&] { return env_.backend->ExposeTarget(id); }),
                                "ExposeTarget");
  });
  if (!status.ok()) return status;
  TargetId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    LunSlot& slot = luns_[static_cast<size_t>(index)];
    slot.exposed = true;
    slot.updated = absl::Now();
    if (!slot.target) return absl::OkStatus();
    id = *slot.target;
  }
  if (absl::Status recorded = env_.journal->TargetExposed(id, true); !recorded.ok()) {
    return Annotate(recorded, absl::StrCat("recording target ", id, " exposed in the catalog"));
  }
  return absl::OkStatus();
}

absl::Status SnapshotSet::ReleaseTarget(const LunIdentity& target) {
  TargetId id;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int index = state_ == SetState::kCompleted ? FindTargetSlotLocked(target) : -1;
    if (index < 0) return ObjectNotFoundError(absl::StrCat("no snapshot target ", target.ToString(), " in ", Tag()));
    id = *luns_[static_cast<size_t>(index)].target;
  }
  return ReleaseTargetById(id);
}

int SnapshotSet::FindTargetIdSlotLocked(const TargetId& target) const {
  for (size_t i = 0; i < luns_.size(); ++i) {
    if (luns_[i].target && *luns_[i].target == target) return static_cast<int>(i);
  }
  return -1;
}

absl::Status SnapshotSet::CallOnTarget(const TargetId& target,
                                       const std::function<absl::Status(const TargetId&)>& call) {
  int index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = state_ == SetState::kCompleted ? FindTargetIdSlotLocked(target) : -1;
  }
  if (index < 0) return ObjectNotFoundError(absl::StrCat("no live snapshot target ", target, " in ", Tag()));
  return WithBusySlot(static_cast<size_t>(index), call);
}

absl::Status SnapshotSet::ReleaseTargetById(const TargetId& target) {
  int index = -1;
  absl::Status status = CallOnTarget(target, [&](const TargetId& id) {
    const absl::Status released = GuardedCall("ReleaseTarget", [&] { return env_.backend->ReleaseTarget(id); });
    if (GetErrorCode(released) == ErrorCode::kObjectNotFound) {
      // The storage no longer has it: what OnLunEmpty asked for is done.
      log_->info("{} target {} was already gone from the storage: {}", Tag(), id, released.message());
      return absl::OkStatus();
    }
    return BackendFailureForVss(released, "ReleaseTarget");
  });
  if (!status.ok()) return status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = FindTargetIdSlotLocked(target);
    if (index >= 0) luns_[static_cast<size_t>(index)].target.reset();
    cv_.notify_all();
  }
  if (absl::Status recorded = env_.journal->TargetReleased(target); !recorded.ok()) {
    // The storage no longer has it; a stale record only costs a reclaim pass
    // (which finds the target gone) — not a reason to fail OnLunEmpty.
    log_->warn("{} recording the release of target {}: {}", Tag(), target, recorded.ToString());
  }
  MaybeForget();
  return absl::OkStatus();
}

std::optional<ServedTarget> SnapshotSet::FindServedTarget(const LunIdentity& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  const int index = state_ == SetState::kCompleted ? FindTargetSlotLocked(target) : -1;
  if (index < 0) return std::nullopt;
  const LunSlot& slot = luns_[static_cast<size_t>(index)];
  return ServedTarget{id_, *slot.target, slot.source, *slot.target_identity, slot.exposed, slot.flags, slot.updated};
}

std::vector<ServedTarget> SnapshotSet::ServedTargets() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ServedTarget> out;
  if (state_ != SetState::kCompleted) return out;
  for (const LunSlot& slot : luns_) {
    if (!slot.target) continue;
    out.push_back(ServedTarget{id_, *slot.target, slot.source, slot.target_identity.value_or(LunIdentity{}),
                               slot.exposed, slot.flags, slot.updated});
  }
  return out;
}

absl::Status SnapshotSet::MaskTarget(const TargetId& target) {
  absl::Status status = CallOnTarget(target, [&](const TargetId& id) {
    return GuardedCall("MaskTarget", [&] { return env_.backend->MaskTarget(id); });
  });
  if (!status.ok()) return status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int index = FindTargetIdSlotLocked(target);
    if (index >= 0) {
      LunSlot& slot = luns_[static_cast<size_t>(index)];
      slot.exposed = false;
      slot.flags |= kTargetMasked;
      slot.updated = absl::Now();
    }
  }
  if (absl::Status recorded = env_.journal->TargetExposed(target, false); !recorded.ok()) {
    return Annotate(recorded, absl::StrCat("recording target ", target, " masked in the catalog"));
  }
  return RecordTargetFlags(target, kTargetMasked, 0);
}

absl::Status SnapshotSet::RecordTargetFlags(const TargetId& target, std::uint32_t flags, std::uint32_t clear) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    const int index = FindTargetIdSlotLocked(target);
    if (index < 0) return ObjectNotFoundError(absl::StrCat("no live snapshot target ", target, " in ", Tag()));
    LunSlot& slot = luns_[static_cast<size_t>(index)];
    slot.flags = (slot.flags | flags) & ~clear;
    slot.updated = absl::Now();
  }
  if (absl::Status recorded = env_.journal->TargetFlags(target, flags, clear); !recorded.ok()) {
    return Annotate(recorded, absl::StrCat("recording flags of target ", target, " in the catalog"));
  }
  return absl::OkStatus();
}

}  // namespace hwsnap
