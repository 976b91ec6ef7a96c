// The platform-neutral VSS hardware provider (see hwsnap/provider.h): input
// validation, the registry of sets, implicit aborts, and serving completed
// sets. Each set's own protocol lives in snapshot_set.cc.
#include "hwsnap/provider.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <utility>

#include <spdlog/logger.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backend_call.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"
#include "release_ledger.h"
#include "snapshot_set.h"
#include "worker_pool.h"

namespace hwsnap {
namespace {

// How many aborted or failed sets are remembered (for idempotent aborts and
// status queries) before the oldest are forgotten.
constexpr size_t kFinishedSetsKept = 64;

absl::Status ValidateOptions(const ProviderOptions& o) {
  if (o.abort_drain_timeout < absl::ZeroDuration()) return InvalidArgumentError("abort_drain_timeout is negative");
  if (o.commit_timeout <= absl::ZeroDuration()) return InvalidArgumentError("commit_timeout must be positive");
  if (o.commit_grace < absl::ZeroDuration()) return InvalidArgumentError("commit_grace is negative");
  if (o.max_worker_threads < 1) return InvalidArgumentError("max_worker_threads must be at least 1");
  if (o.max_luns_per_set < 1) return InvalidArgumentError("max_luns_per_set must be at least 1");
  return absl::OkStatus();
}

// Checks LUNs handed in by VSS: well-formed, and for `what` needing unique ids.
absl::Status ValidateLuns(absl::string_view call, absl::Span<const LunIdentity> luns) {
  if (luns.empty()) return InvalidArgumentError(absl::StrCat(call, ": no LUNs given"));
  for (size_t i = 0; i < luns.size(); ++i) {
    if (auto s = ValidateLunIdentity(luns[i]); !s.ok()) {
      return Annotate(s, absl::StrCat(call, ": LUN ", i));
    }
  }
  return absl::OkStatus();
}

}  // namespace

class SnapshotProvider::Impl {
 public:
  Impl(std::shared_ptr<Backend> backend, ProviderOptions options)
      : backend_(std::move(backend)), options_(options), log_(GetLogger("core.provider")) {
    init_ = backend_ ? ValidateOptions(options_) : InvalidArgumentError("the provider has no backend");
    if (!init_.ok()) {
      log_->error("provider not usable: {}", init_.ToString());
      return;
    }
    caps_ = backend_->Capabilities();
    pool_ = std::make_shared<WorkerPool>(WorkerPool::Options{
        options_.max_worker_threads, absl::Seconds(30), options_.abort_drain_timeout});
    prepare_limit_ = std::make_shared<ConcurrencyLimit>(caps_.max_parallel_prepares);
    ledger_ = std::make_shared<ReleaseLedger>();
    log_->info("provider ready: backend '{}', max {} parallel prepares, commit groups of {}",
               backend_->Name(), caps_.max_parallel_prepares, caps_.max_commit_group);
  }

  ~Impl() {
    if (!init_.ok()) return;
    std::shared_ptr<SnapshotSet> current;
    {
      std::lock_guard<std::mutex> lock(mu_);
      current = in_creation_;
    }
    if (current && !IsFinal(current->state())) {
      const absl::Status aborted = current->Abort("the provider is shutting down");
      if (!aborted.ok()) log_->warn("set={} abort at shutdown: {}", current->id().ToString(), aborted.ToString());
    }
    pool_.reset();  // waits (bounded) for in-flight work
  }

  struct Entry {
    std::shared_ptr<SnapshotSet> set;
    std::uint64_t seq = 0;  // creation order
  };

  absl::Status init_;
  std::shared_ptr<Backend> backend_;
  const ProviderOptions options_;
  BackendCapabilities caps_;
  std::shared_ptr<WorkerPool> pool_;
  std::shared_ptr<ConcurrencyLimit> prepare_limit_;
  std::shared_ptr<ReleaseLedger> ledger_;
  std::shared_ptr<spdlog::logger> log_;

  std::mutex creation_mu_;  // serialises set creation and implicit aborts
  mutable std::mutex mu_;   // guards sets_, in_creation_, next_seq_
  std::map<SnapshotSetId, Entry> sets_;
  std::shared_ptr<SnapshotSet> in_creation_;
  std::uint64_t next_seq_ = 1;

  absl::StatusOr<std::shared_ptr<SnapshotSet>> Find(absl::string_view call, const SnapshotSetId& id) const {
    if (!init_.ok()) return init_;
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sets_.find(id);
    if (it == sets_.end()) {
      log_->warn("{}: unknown snapshot set {}", call, id.ToString());
      return ObjectNotFoundError(absl::StrCat(call, ": unknown snapshot set ", id.ToString()));
    }
    return it->second.set;
  }

  // Sets newest first, for lookups by LUN.
  std::vector<std::shared_ptr<SnapshotSet>> SetsNewestFirst() const {
    std::vector<std::pair<std::uint64_t, std::shared_ptr<SnapshotSet>>> all;
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (const auto& [id, entry] : sets_) all.emplace_back(entry.seq, entry.set);
    }
    std::sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<std::shared_ptr<SnapshotSet>> out;
    out.reserve(all.size());
    for (auto& [seq, set] : all) out.push_back(std::move(set));
    return out;
  }

  // The completed set holding target LUN `target`, or nullptr.
  std::shared_ptr<SnapshotSet> HolderOf(const LunIdentity& target) const {
    for (const auto& set : SetsNewestFirst()) {
      if (set->HoldsTarget(target)) return set;
    }
    return nullptr;
  }

  // Forgets completed sets without targets and all but the newest finished ones.
  void PruneLocked() {
    std::vector<std::pair<std::uint64_t, SnapshotSetId>> finished;
    for (auto it = sets_.begin(); it != sets_.end();) {
      const SetState state = it->second.set->state();
      if (state == SetState::kCompleted && it->second.set->LiveTargets() == 0) {
        it = sets_.erase(it);
        continue;
      }
      if (state == SetState::kAborted || state == SetState::kFailed) {
        finished.emplace_back(it->second.seq, it->first);
      }
      ++it;
    }
    if (finished.size() <= kFinishedSetsKept) return;
    std::sort(finished.begin(), finished.end());
    for (size_t i = 0; i + kFinishedSetsKept < finished.size(); ++i) sets_.erase(finished[i].second);
  }

  int RetryPendingReleases() {
    if (!init_.ok()) return 0;
    int still = 0;
    for (const TargetId& target : ledger_->TakeAll()) {
      const absl::Status s = GuardedCall("ReleaseTarget", [&] { return backend_->ReleaseTarget(target); });
      if (s.ok() || GetErrorCode(s) == ErrorCode::kObjectNotFound) {
        log_->info("released target {} on retry", target);
      } else {
        ledger_->Add(target);
        ++still;
        log_->warn("target {} still cannot be released: {}", target, s.ToString());
      }
    }
    return still;
  }
};

SnapshotProvider::SnapshotProvider(std::shared_ptr<Backend> backend, ProviderOptions options)
    : impl_(std::make_unique<Impl>(std::move(backend), options)) {}

SnapshotProvider::~SnapshotProvider() = default;

absl::StatusOr<bool> SnapshotProvider::AreLunsSupported(absl::Span<const LunIdentity> luns,
                                                        std::int32_t context) {
  if (!impl_->init_.ok()) return impl_->init_;
  if (auto s = ValidateLuns("AreLunsSupported", luns); !s.ok()) {
    impl_->log_->warn("{}", s.message());
    return s;
  }
  for (size_t i = 0; i < luns.size(); ++i) {
    if (!luns[i].HasUniqueDesignator()) {
      impl_->log_->info("AreLunsSupported: LUN {} ({}) has no unique designator of type 1, 2, 3 or 8; "
                        "not supported", i, luns[i].ToString());
      return false;
    }
    absl::StatusOr<LunSupport> support =
        GuardedCall("IdentifyLun", [&] { return impl_->backend_->IdentifyLun(luns[i]); });
    if (!support.ok()) {
      impl_->log_->warn("AreLunsSupported: LUN {} ({}): {}", i, luns[i].ToString(), support.status().ToString());
      return support.status();
    }
    if (!support->supported) {
      impl_->log_->info("AreLunsSupported: LUN {} ({}) not supported: {}", i, luns[i].ToString(), support->reason);
      return false;
    }
  }
  impl_->log_->debug("AreLunsSupported: {} LUN(s) supported (context 0x{:x})", luns.size(),
                     static_cast<std::uint32_t>(context));
  return true;
}

absl::StatusOr<bool> SnapshotProvider::FillInLunInfo(absl::string_view device_name, LunIdentity& lun) {
  if (!impl_->init_.ok()) return impl_->init_;
  if (auto s = ValidateLunIdentity(lun); !s.ok()) {
    s = Annotate(s, absl::StrCat("FillInLunInfo(", device_name, ")"));
    impl_->log_->warn("{}", s.message());
    return s;
  }
  absl::StatusOr<LunSupport> support =
      GuardedCall("IdentifyLun", [&] { return impl_->backend_->IdentifyLun(lun); });
  if (!support.ok()) return support.status();
  if (support->supported) lun = support->identity;
  return support->supported;
}

absl::Status SnapshotProvider::BeginPrepareSnapshot(const SnapshotSetId& set_id,
                                                    const SnapshotId& snapshot_id,
                                                    std::int32_t context,
                                                    absl::Span<const LunIdentity> luns) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  auto reject = [&](absl::Status s) {
    d.log_->warn("BeginPrepareSnapshot set={} snapshot={}: {}", set_id.ToString(), snapshot_id.ToString(),
                 s.message());
    return s;
  };
  if (set_id.is_nil()) return reject(InvalidArgumentError("the snapshot set id is the nil GUID"));
  if (snapshot_id.is_nil()) return reject(InvalidArgumentError("the snapshot id is the nil GUID"));
  if (auto s = ValidateLuns("BeginPrepareSnapshot", luns); !s.ok()) return reject(s);
  for (size_t i = 0; i < luns.size(); ++i) {
    if (!luns[i].HasUniqueDesignator()) {
      return reject(NotSupportedError(absl::StrCat("LUN ", i, " (", luns[i].ToString(),
                                                   ") has no unique designator of type 1, 2, 3 or 8")));
    }
    for (size_t j = 0; j < i; ++j) {
      if (luns[i].SameLunAs(luns[j])) {
        return reject(InvalidArgumentError(absl::StrCat("LUNs ", j, " and ", i, " are the same LUN (",
                                                        luns[i].ToString(), ")")));
      }
    }
  }

  std::lock_guard<std::mutex> creation(d.creation_mu_);
  std::shared_ptr<SnapshotSet> set;
  std::shared_ptr<SnapshotSet> superseded;
  {
    std::lock_guard<std::mutex> lock(d.mu_);
    if (auto it = d.sets_.find(set_id); it != d.sets_.end()) {
      set = it->second.set;
    } else if (d.in_creation_ && !IsFinal(d.in_creation_->state())) {
      superseded = d.in_creation_;
    }
  }
  if (superseded) {
    // VSS starts a new set only after giving up on the old one: abort it (as
    // VSS expects), so only one set is ever in creation.
    d.log_->warn("set={} is still in creation; BeginPrepareSnapshot for set={} aborts it",
                 superseded->id().ToString(), set_id.ToString());
    const absl::Status aborted = superseded->Abort(absl::StrCat("implicitly aborted by set ", set_id.ToString()));
    if (!aborted.ok()) {
      d.log_->warn("set={} implicit abort: {}", superseded->id().ToString(), aborted.ToString());
    }
  }
  const bool created = !set;
  if (created) {
    if (!d.ledger_->Snapshot().empty()) d.RetryPendingReleases();
    SetEnvironment env{d.backend_, d.pool_, d.prepare_limit_, d.ledger_, d.options_, d.caps_};
    set = std::make_shared<SnapshotSet>(set_id, context, std::move(env));
    std::lock_guard<std::mutex> lock(d.mu_);
    d.sets_[set_id] = Impl::Entry{set, d.next_seq_++};
    d.in_creation_ = set;
    d.PruneLocked();
    d.log_->info("set={} created (context 0x{:x})", set_id.ToString(), static_cast<std::uint32_t>(context));
  }
  absl::Status status = set->AddSnapshot(snapshot_id, luns);
  if (!status.ok()) {
    d.log_->warn("BeginPrepareSnapshot set={} snapshot={}: {}", set_id.ToString(), snapshot_id.ToString(),
                 status.ToString());
    if (created) {
      // Nothing was started for a set whose first snapshot was refused: forget it.
      std::lock_guard<std::mutex> lock(d.mu_);
      d.sets_.erase(set_id);
      if (d.in_creation_ == set) d.in_creation_ = nullptr;
    }
  }
  return status;
}

absl::Status SnapshotProvider::EndPrepareSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("EndPrepareSnapshots", set_id);
  return set.ok() ? (*set)->EndPrepare() : set.status();
}

absl::Status SnapshotProvider::PreCommitSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("PreCommitSnapshots", set_id);
  return set.ok() ? (*set)->PreCommit() : set.status();
}

absl::Status SnapshotProvider::CommitSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("CommitSnapshots", set_id);
  return set.ok() ? (*set)->Commit() : set.status();
}

absl::Status SnapshotProvider::PostCommitSnapshots(const SnapshotSetId& set_id, std::int32_t snapshot_count) {
  auto set = impl_->Find("PostCommitSnapshots", set_id);
  if (!set.ok()) return set.status();
  if (snapshot_count < 0) {
    return InvalidArgumentError(absl::StrCat("PostCommitSnapshots: negative snapshot count ", snapshot_count));
  }
  return (*set)->PostCommit(snapshot_count);
}

absl::Status SnapshotProvider::PreFinalCommitSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("PreFinalCommitSnapshots", set_id);
  return set.ok() ? (*set)->PreFinalCommit() : set.status();
}

absl::Status SnapshotProvider::PostFinalCommitSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("PostFinalCommitSnapshots", set_id);
  return set.ok() ? (*set)->PostFinalCommit() : set.status();
}

absl::Status SnapshotProvider::AbortSnapshots(const SnapshotSetId& set_id) {
  auto set = impl_->Find("AbortSnapshots", set_id);
  return set.ok() ? (*set)->Abort("AbortSnapshots") : set.status();
}

absl::StatusOr<std::vector<LunIdentity>> SnapshotProvider::GetTargetLuns(
    absl::Span<const LunIdentity> sources) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  if (auto s = ValidateLuns("GetTargetLuns", sources); !s.ok()) {
    d.log_->warn("{}", s.message());
    return s;
  }
  const auto sets = d.SetsNewestFirst();
  std::vector<LunIdentity> targets;
  targets.reserve(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    std::optional<LunIdentity> found;
    for (const auto& set : sets) {
      if ((found = set->TargetIdentityFor(sources[i]))) break;
    }
    if (!found) {
      d.log_->warn("GetTargetLuns: no snapshot target for source LUN {} ({})", i, sources[i].ToString());
      return ObjectNotFoundError(absl::StrCat("GetTargetLuns: no snapshot target for source LUN ", i,
                                              " (", sources[i].ToString(), ")"));
    }
    targets.push_back(std::move(*found));
  }
  return targets;
}

absl::Status SnapshotProvider::LocateLuns(absl::Span<const LunIdentity> targets) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  if (auto s = ValidateLuns("LocateLuns", targets); !s.ok()) {
    d.log_->warn("{}", s.message());
    return s;
  }
  std::vector<std::shared_ptr<SnapshotSet>> holders;
  for (size_t i = 0; i < targets.size(); ++i) {
    auto holder = d.HolderOf(targets[i]);
    if (!holder) {
      d.log_->warn("LocateLuns: LUN {} ({}) is not a snapshot target of this provider", i, targets[i].ToString());
      return ObjectNotFoundError(absl::StrCat("LocateLuns: LUN ", i, " (", targets[i].ToString(),
                                              ") is not a snapshot target of this provider"));
    }
    holders.push_back(std::move(holder));
  }
  for (size_t i = 0; i < targets.size(); ++i) {
    if (auto s = holders[i]->ExposeTarget(targets[i]); !s.ok()) {
      d.log_->error("LocateLuns: exposing {} failed: {}", targets[i].ToString(), s.ToString());
      return s;
    }
    d.log_->info("set={} exposed target {}", holders[i]->id().ToString(), targets[i].ToString());
  }
  return absl::OkStatus();
}

absl::Status SnapshotProvider::OnLunEmpty(absl::string_view device_name, const LunIdentity& target) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  if (auto s = ValidateLunIdentity(target); !s.ok()) {
    s = Annotate(s, absl::StrCat("OnLunEmpty(", device_name, ")"));
    d.log_->warn("{}", s.message());
    return s;
  }
  auto holder = d.HolderOf(target);
  if (!holder) {
    d.log_->warn("OnLunEmpty({}): {} is not a snapshot target of this provider", device_name, target.ToString());
    return ObjectNotFoundError(absl::StrCat("OnLunEmpty: ", target.ToString(),
                                            " is not a snapshot target of this provider"));
  }
  if (auto s = holder->ReleaseTarget(target); !s.ok()) {
    d.log_->error("OnLunEmpty({}): releasing {} failed: {}", device_name, target.ToString(), s.ToString());
    return s;
  }
  d.log_->info("set={} OnLunEmpty({}): released target {}", holder->id().ToString(), device_name,
               target.ToString());
  std::lock_guard<std::mutex> lock(d.mu_);
  d.PruneLocked();
  return absl::OkStatus();
}

absl::StatusOr<SetProgress> SnapshotProvider::GetProgress(const SnapshotSetId& set_id) const {
  auto set = impl_->Find("GetProgress", set_id);
  if (!set.ok()) return set.status();
  return (*set)->Progress();
}

std::vector<SetProgress> SnapshotProvider::ListSets() const {
  std::vector<SetProgress> out;
  if (!impl_->init_.ok()) return out;
  for (const auto& set : impl_->SetsNewestFirst()) out.push_back(set->Progress());
  return out;
}

std::vector<TargetId> SnapshotProvider::PendingReleases() const {
  if (!impl_->init_.ok()) return {};
  return impl_->ledger_->Snapshot();
}

int SnapshotProvider::RetryPendingReleases() { return impl_->RetryPendingReleases(); }

}  // namespace hwsnap
