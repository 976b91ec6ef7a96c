// The platform-neutral VSS hardware provider (see hwsnap/provider.h): input
// validation, the registry of sets, implicit aborts, and serving completed
// sets. Each set's own protocol lives in snapshot_set.cc.
#include "hwsnap/provider.h"

#include <algorithm>
#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <utility>

#include <spdlog/logger.h>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "backend_call.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"
#include "release_ledger.h"
#include "resync_operation.h"
#include "set_journal.h"
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

// Targets with a ResyncLuns running; shared with the resync tasks so they can
// end after the provider is gone.
struct ResyncRegistry {
  std::mutex mu;
  std::set<TargetId> busy;
  std::vector<std::weak_ptr<ResyncOperation>> operations;
};

bool IsGone(const absl::Status& s) { return s.ok() || GetErrorCode(s) == ErrorCode::kObjectNotFound; }

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
    std::shared_ptr<Catalog> catalog;
    if (!options_.catalog_path.empty()) {
      CatalogOptions catalog_options = options_.catalog;
      catalog_options.path = options_.catalog_path;
      absl::StatusOr<std::unique_ptr<Catalog>> opened = Catalog::Open(catalog_options);
      if (!opened.ok()) {
        init_ = Annotate(opened.status(), absl::StrCat("opening the catalog ", options_.catalog_path));
        log_->error("provider not usable: {}", init_.ToString());
        return;
      }
      catalog = std::move(*opened);
    }
    journal_ = std::make_shared<SetJournal>(std::move(catalog));
    caps_ = backend_->Capabilities();
    pool_ = std::make_shared<WorkerPool>(WorkerPool::Options{
        options_.max_worker_threads, absl::Seconds(30), options_.abort_drain_timeout});
    prepare_limit_ = std::make_shared<ConcurrencyLimit>(caps_.max_parallel_prepares);
    ledger_ = std::make_shared<ReleaseLedger>();
    resyncs_ = std::make_shared<ResyncRegistry>();
    if (journal_->durable()) Recover();
    log_->info("provider ready: backend '{}', max {} parallel prepares, commit groups of {}{}",
               backend_->Name(), caps_.max_parallel_prepares, caps_.max_commit_group,
               journal_->durable() ? absl::StrCat(", catalog ", journal_->catalog()->path()) : ", no catalog");
  }

  SetEnvironment Env() const {
    return SetEnvironment{backend_, pool_, prepare_limit_, ledger_, options_, caps_, journal_};
  }

  // Takes over what an earlier process recorded (see RecoveryReport).
  void Recover();
  // Releases alive target `t` of a set that will not be served; true if gone.
  bool ReleaseRecorded(const CatalogTarget& t, absl::string_view why);

  ~Impl() {
    if (!init_.ok()) return;
    {
      std::lock_guard<std::mutex> lock(resyncs_->mu);
      for (const auto& weak : resyncs_->operations) {
        if (auto op = weak.lock()) op->Cancel();
      }
    }
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
  std::shared_ptr<SetJournal> journal_;
  std::shared_ptr<ResyncRegistry> resyncs_;
  RecoveryReport recovery_;
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

  // The set `id`, or nullptr.
  std::shared_ptr<SnapshotSet> SetById(const SnapshotSetId& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = sets_.find(id);
    return it == sets_.end() ? nullptr : it->second.set;
  }

  // With a catalog, the set its index names as holding target LUN `target`
  // (O(log n) in the number of targets); nullptr without a catalog or when
  // the index knows none. Callers confirm on the set and fall back to a scan.
  std::shared_ptr<SnapshotSet> IndexedHolderOf(const LunIdentity& target) const {
    if (!journal_->durable()) return nullptr;
    std::optional<CatalogTarget> t = journal_->catalog()->FindTargetByIdentity(target);
    return t ? SetById(t->set_id) : nullptr;
  }

  // The completed set holding target LUN `target`, or nullptr.
  std::shared_ptr<SnapshotSet> HolderOf(const LunIdentity& target) const {
    if (auto set = IndexedHolderOf(target); set && set->HoldsTarget(target)) return set;
    for (const auto& set : SetsNewestFirst()) {
      if (set->HoldsTarget(target)) return set;
    }
    return nullptr;
  }

  // The completed set holding target LUN `target` and what it knows of it.
  std::optional<std::pair<std::shared_ptr<SnapshotSet>, ServedTarget>> FindServed(const LunIdentity& target) const {
    if (auto set = IndexedHolderOf(target)) {
      if (auto served = set->FindServedTarget(target)) return std::make_pair(set, std::move(*served));
    }
    for (const auto& set : SetsNewestFirst()) {
      if (auto served = set->FindServedTarget(target)) return std::make_pair(set, std::move(*served));
    }
    return std::nullopt;
  }

  // The identity of the snapshot target of `source` in the newest set that
  // holds a described one. With a catalog: the set in creation, then the
  // catalog's index (O(log n)); the scan over every set otherwise (and for
  // a miss, which is an error path).
  std::optional<LunIdentity> TargetIdentityForSource(const LunIdentity& source) const {
    if (journal_->durable()) {
      std::shared_ptr<SnapshotSet> current;
      {
        std::lock_guard<std::mutex> lock(mu_);
        current = in_creation_;
      }
      if (current) {
        if (auto found = current->TargetIdentityFor(source)) return found;
      }
      if (auto t = journal_->catalog()->FindLatestTargetForSource(source)) {
        if (auto set = SetById(t->set_id)) {
          if (auto found = set->TargetIdentityFor(source)) return found;
        }
      }
    }
    for (const auto& set : SetsNewestFirst()) {
      if (auto found = set->TargetIdentityFor(source)) return found;
    }
    return std::nullopt;
  }

  // Records a release the provider made outside a set (ledger retries,
  // recovery, reclaim of unknown targets) and forgets its set once dead.
  void RecordReleased(const TargetId& target) {
    if (!journal_->durable()) return;
    std::optional<CatalogTarget> known = journal_->catalog()->FindTarget(target);
    if (!known || !known->alive()) return;
    if (auto s = journal_->TargetReleased(target); !s.ok()) {
      log_->warn("recording the release of target {}: {}", target, s.ToString());
      return;
    }
    if (auto s = journal_->ForgetIfDead(known->set_id); !s.ok()) {
      log_->warn("set={} forgetting in the catalog: {}", known->set_id.ToString(), s.ToString());
    }
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
        RecordReleased(target);
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
  if (support.ok() && support->supported) {
    lun = support->identity;
    return true;
  }
  // A snapshot target of a served set (maybe restored from the catalog) the
  // backend does not identify by itself: answer with the recorded identity,
  // which is what GetTargetLuns reported and VSS matches against.
  if (support.ok() || GetErrorCode(support.status()) == ErrorCode::kObjectNotFound) {
    if (auto served = impl_->FindServed(lun)) {
      lun = served->second.identity;
      return true;
    }
  }
  if (!support.ok()) return support.status();
  return false;
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
    // Durable before anything is started for the set.
    if (absl::Status recorded = d.journal_->SetCreated(set_id, context); !recorded.ok()) {
      return reject(Annotate(recorded, "recording the new set in the catalog"));
    }
    set = std::make_shared<SnapshotSet>(set_id, context, d.Env());
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
      {
        std::lock_guard<std::mutex> lock(d.mu_);
        d.sets_.erase(set_id);
        if (d.in_creation_ == set) d.in_creation_ = nullptr;
      }
      absl::Status undone = d.journal_->SetStateChanged(set_id, SetState::kAborted);
      if (undone.ok()) undone = d.journal_->ForgetIfDead(set_id);
      if (!undone.ok()) d.log_->warn("set={} forgetting the refused set in the catalog: {}", set_id.ToString(),
                                     undone.ToString());
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
  std::vector<LunIdentity> targets;
  targets.reserve(sources.size());
  for (size_t i = 0; i < sources.size(); ++i) {
    std::optional<LunIdentity> found = d.TargetIdentityForSource(sources[i]);
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

absl::Status SnapshotProvider::Usable() const { return impl_->init_; }

// --- recovery -----------------------------------------------------------------

bool SnapshotProvider::Impl::ReleaseRecorded(const CatalogTarget& t, absl::string_view why) {
  // A backend that keeps its targets in memory does not know an earlier
  // process's target: hand it back first, so the release reaches the storage
  // (kObjectNotFound: the storage no longer has it; a refusal of the record
  // — e.g. committed on the storage but not yet recorded so — leaves the
  // release to try anyway).
  RestoredTarget restored{t.target_id, t.source, t.identity.has_value(), t.identity, t.exposed};
  const absl::Status adopted = GuardedCall("RestoreTarget", [&] { return backend_->RestoreTarget(restored); });
  const absl::Status s = GetErrorCode(adopted) == ErrorCode::kObjectNotFound
                             ? adopted
                             : GuardedCall("ReleaseTarget", [&] { return backend_->ReleaseTarget(t.target_id); });
  if (!IsGone(s)) {
    ledger_->Add(t.target_id);
    recovery_.problems.push_back(absl::StrCat("target ", t.target_id, " of set ", t.set_id.ToString(), " (",
                                              why, ") could not be released: ", s.message(),
                                              "; kept for a retry"));
    return false;
  }
  if (auto recorded = journal_->TargetReleased(t.target_id); !recorded.ok()) {
    log_->warn("recording the release of target {}: {}", t.target_id, recorded.ToString());
  }
  ++recovery_.targets_released;
  return true;
}

void SnapshotProvider::Impl::Recover() {
  Catalog& catalog = *journal_->catalog();
  RecoveryReport& r = recovery_;
  r.load = catalog.load_report();
  if (r.load.torn_tail_bytes > 0) {
    log_->warn("catalog {}: an incomplete last record ({} bytes, never acknowledged) was cut off; kept in {}",
               r.load.path, r.load.torn_tail_bytes, r.load.torn_tail_copy);
  }
  absl::flat_hash_set<TargetId> known;
  bool crashed_mid_prepare = false;
  std::vector<CatalogSet> records = catalog.Sets();
  for (CatalogSet& record : records) {
    for (const CatalogTarget& t : record.targets) {
      if (!t.target_id.empty()) known.insert(t.target_id);
    }
    const std::string tag = absl::StrCat("set=", record.id.ToString());
    if (record.state == SetState::kCompleted) {
      bool released_some = false;
      for (const CatalogTarget& t : record.targets) {
        if (!t.alive()) continue;
        RestoredTarget restored{t.target_id, t.source, t.identity.has_value(), t.identity, t.exposed};
        const absl::Status s = GuardedCall("RestoreTarget", [&] { return backend_->RestoreTarget(restored); });
        if (s.ok()) {
          ++r.targets_restored;
        } else if (GetErrorCode(s) == ErrorCode::kObjectNotFound) {
          // The storage no longer has it: the last process released it (an
          // OnLunEmpty or reclaim ended between the backend's delete and the
          // record). Record what already happened rather than serve a LUN
          // that is gone.
          if (auto recorded = journal_->TargetReleased(t.target_id); !recorded.ok()) {
            r.problems.push_back(absl::StrCat("target ", t.target_id, " of ", tag,
                                              " is gone from the storage, but recording that failed: ",
                                              recorded.message()));
          } else {
            ++r.targets_released;
            released_some = true;
            log_->info("{}: target {} was already released on the storage; recorded", tag, t.target_id);
          }
        } else {
          // Kept and still served from the record: the storage may well
          // still hold it (kNotSupported: the backend keeps no state of its
          // own); Reclaim or the backend's own tools remove it otherwise.
          ++r.targets_unrestorable;
          r.problems.push_back(absl::StrCat("target ", t.target_id, " of ", tag, " (source ", t.source.ToString(),
                                            ") could not be handed back to the backend: ", s.message()));
        }
      }
      // Re-read if targets were found gone above (now recorded released).
      const SnapshotSetId id = record.id;
      std::optional<CatalogSet> current = released_some ? catalog.FindSet(id) : std::nullopt;
      auto set = SnapshotSet::Restore(current ? std::move(*current) : std::move(record), Env());
      if (set->LiveTargets() == 0) {
        (void)journal_->ForgetIfDead(id);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      sets_[id] = Entry{set, next_seq_++};
      ++r.sets_served;
      continue;
    }
    if (!IsFinal(record.state)) {
      // In creation when the process ended: VSS has given up on it.
      ++r.sets_rolled_back;
      log_->warn("{} was {} when the last process ended; rolling it back", tag, SetStateName(record.state));
    }
    for (const CatalogTarget& t : record.targets) {
      if (t.state == CatalogTarget::State::kPreparing) crashed_mid_prepare = true;
      if (t.alive()) ReleaseRecorded(t, IsFinal(record.state) ? "left by a rolled-back set" : "set rolled back");
    }
    if (!IsFinal(record.state)) {
      if (auto s = journal_->SetStateChanged(record.id, SetState::kAborted); !s.ok()) {
        r.problems.push_back(absl::StrCat(tag, ": recording the rollback failed: ", s.message()));
      }
    }
    if (auto s = journal_->ForgetIfDead(record.id); !s.ok()) log_->warn("{} forgetting: {}", tag, s.ToString());
  }
  if (crashed_mid_prepare) {
    // A PrepareTarget was running when the process ended: the storage may
    // hold a target no record names.
    absl::StatusOr<std::vector<TargetId>> listed = GuardedCall("ListTargets", [&] { return backend_->ListTargets(); });
    if (!listed.ok()) {
      r.problems.push_back(absl::StrCat("a prepare was interrupted by the end of the last process, and the backend "
                                        "cannot list its targets (", listed.status().message(),
                                        "): a target it made may be left; use the backend's own tools"));
    } else {
      for (const TargetId& id : *listed) {
        if (known.count(id)) continue;
        const absl::Status s = GuardedCall("ReleaseTarget", [&] { return backend_->ReleaseTarget(id); });
        if (IsGone(s)) {
          ++r.unknown_targets_released;
        } else {
          ledger_->Add(id);
          r.problems.push_back(absl::StrCat("unrecorded target ", id, " could not be released: ", s.message()));
        }
      }
    }
  }
  for (const std::string& problem : r.problems) log_->warn("recovery: {}", problem);
  log_->info("catalog {}: {} record(s), {} set(s) served again, {} rolled back ({} target(s) released), "
             "{} target(s) restored, {} not restorable, {} unrecorded target(s) released, {} problem(s)",
             r.load.path, r.load.records, r.sets_served, r.sets_rolled_back, r.targets_released,
             r.targets_restored, r.targets_unrestorable, r.unknown_targets_released, r.problems.size());
}

const RecoveryReport& SnapshotProvider::recovery() const { return impl_->recovery_; }

// --- IVssHardwareSnapshotProviderEx ---------------------------------------------

absl::Status SnapshotProvider::OnLunStateChange(absl::Span<const LunIdentity> snapshot_luns,
                                                absl::Span<const LunIdentity> original_luns, std::uint32_t flags) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  auto reject = [&](absl::Status s) {
    d.log_->warn("OnLunStateChange: {}", s.message());
    return s;
  };
  if (snapshot_luns.empty()) return reject(InvalidArgumentError("no LUNs given"));
  if (snapshot_luns.size() != original_luns.size()) {
    return reject(InvalidArgumentError(absl::StrCat(snapshot_luns.size(), " snapshot LUN(s) but ",
                                                    original_luns.size(), " original LUN(s)")));
  }
  if (flags == 0 || (flags & ~kLunStateChangeFlagsMask) != 0) {
    return reject(InvalidArgumentError(absl::StrCat("flags 0x", absl::Hex(flags),
                                                    ": expected a non-empty combination of 0x",
                                                    absl::Hex(kLunStateChangeFlagsMask))));
  }
  if (auto s = ValidateLuns("OnLunStateChange (snapshot LUNs)", snapshot_luns); !s.ok()) return reject(s);
  if (auto s = ValidateLuns("OnLunStateChange (original LUNs)", original_luns); !s.ok()) return reject(s);
  std::vector<std::pair<std::shared_ptr<SnapshotSet>, ServedTarget>> found;
  for (size_t i = 0; i < snapshot_luns.size(); ++i) {
    auto served = d.FindServed(snapshot_luns[i]);
    if (!served) {
      return reject(ObjectNotFoundError(absl::StrCat("LUN ", i, " (", snapshot_luns[i].ToString(),
                                                     ") is not a snapshot target of this provider")));
    }
    if (!served->second.source.SameLunAs(original_luns[i])) {
      return reject(InvalidArgumentError(absl::StrCat("LUN ", i, ": ", original_luns[i].ToString(),
                                                      " is not the source of snapshot LUN ",
                                                      snapshot_luns[i].ToString(), " (",
                                                      served->second.source.ToString(), ")")));
    }
    found.push_back(std::move(*served));
  }
  const std::uint32_t recorded = flags & ~static_cast<std::uint32_t>(kTargetMasked);
  for (auto& [set, target] : found) {
    if (flags & kTargetMasked) {
      if (auto s = set->MaskTarget(target.id); !s.ok()) {
        d.log_->error("OnLunStateChange: masking target {}: {}", target.id, s.ToString());
        return s;
      }
    }
    if (recorded != 0) {
      if (auto s = set->RecordTargetFlags(target.id, recorded, 0); !s.ok()) {
        d.log_->error("OnLunStateChange: target {}: {}", target.id, s.ToString());
        return s;
      }
    }
    d.log_->info("set={} OnLunStateChange target {} flags 0x{:x}", target.set_id.ToString(), target.id, flags);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<AsyncOperation>> SnapshotProvider::ResyncLuns(
    absl::Span<const LunIdentity> snapshot_luns, absl::Span<const LunIdentity> destination_luns) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  auto reject = [&](absl::Status s) {
    d.log_->warn("ResyncLuns: {}", s.message());
    return s;
  };
  if (snapshot_luns.empty()) return reject(InvalidArgumentError("no LUNs given"));
  if (snapshot_luns.size() != destination_luns.size()) {
    return reject(InvalidArgumentError(absl::StrCat(snapshot_luns.size(), " snapshot LUN(s) but ",
                                                    destination_luns.size(), " destination LUN(s)")));
  }
  if (auto s = ValidateLuns("ResyncLuns (snapshot LUNs)", snapshot_luns); !s.ok()) return reject(s);
  if (auto s = ValidateLuns("ResyncLuns (destination LUNs)", destination_luns); !s.ok()) return reject(s);
  struct Pair {
    std::shared_ptr<SnapshotSet> set;
    ServedTarget target;
    LunIdentity destination;
  };
  std::vector<Pair> pairs;
  for (size_t i = 0; i < snapshot_luns.size(); ++i) {
    auto served = d.FindServed(snapshot_luns[i]);
    if (!served) {
      return reject(ObjectNotFoundError(absl::StrCat("LUN ", i, " (", snapshot_luns[i].ToString(),
                                                     ") is not a committed snapshot target of this provider")));
    }
    for (size_t j = 0; j < i; ++j) {
      if (pairs[j].target.id == served->second.id || destination_luns[j].SameLunAs(destination_luns[i])) {
        return reject(InvalidArgumentError(absl::StrCat("pairs ", j, " and ", i, " name the same LUN")));
      }
    }
    absl::StatusOr<LunSupport> support =
        GuardedCall("IdentifyLun", [&] { return d.backend_->IdentifyLun(destination_luns[i]); });
    if (!support.ok()) return reject(Annotate(support.status(), absl::StrCat("destination LUN ", i)));
    if (!support->supported) {
      return reject(NotSupportedError(absl::StrCat("destination LUN ", i, " (", destination_luns[i].ToString(),
                                                   ") cannot be resynchronised by this storage: ", support->reason)));
    }
    pairs.push_back(Pair{served->first, std::move(served->second), support->identity});
  }
  auto op = std::make_shared<ResyncOperation>(pairs.size());
  {
    std::lock_guard<std::mutex> lock(d.resyncs_->mu);
    for (const Pair& pair : pairs) {
      if (d.resyncs_->busy.count(pair.target.id)) {
        return reject(BadStateError(absl::StrCat("snapshot target ", pair.target.id, " (",
                                                 pair.target.identity.ToString(), ") is already being resynchronised")));
      }
    }
    for (const Pair& pair : pairs) d.resyncs_->busy.insert(pair.target.id);
    auto& ops = d.resyncs_->operations;
    ops.erase(std::remove_if(ops.begin(), ops.end(), [](const auto& w) { return w.expired(); }), ops.end());
    ops.push_back(op);
  }
  auto pool = d.pool_;
  auto backend = d.backend_;
  auto registry = d.resyncs_;
  auto log = d.log_;
  pool->Submit([op, pairs, backend, registry, log] {
    absl::Status result;
    for (size_t i = 0; i < pairs.size() && result.ok(); ++i) {
      const Pair& pair = pairs[i];
      if (op->cancelled()) {
        result = op->token().status();
        break;
      }
      if (auto s = pair.set->RecordTargetFlags(pair.target.id, kTargetPreRecovery, kTargetPostRecovery); !s.ok()) {
        result = s;
        break;
      }
      const CancelToken token = op->token();
      const absl::Status s = pair.set->CallOnTarget(pair.target.id, [&](const TargetId& id) {
        return GuardedCall("ResyncTarget", [&] {
          return backend->ResyncTarget(id, pair.destination, token, [op, i](double fraction) {
            op->SetPairProgress(i, fraction);
            op->NoteStarted();
          });
        });
      });
      if (i == 0) op->NoteFirstResult(s);
      if (!s.ok()) {
        if (GetErrorCode(s) == ErrorCode::kNotSupported) {
          // Nothing happened on the storage: take the mark back.
          (void)pair.set->RecordTargetFlags(pair.target.id, 0, kTargetPreRecovery);
        }
        result = Annotate(s, absl::StrCat("resync of target ", pair.target.id, " onto ",
                                          pair.destination.ToString()));
        break;
      }
      op->SetPairProgress(i, 1.0);
      if (auto r = pair.set->RecordTargetFlags(pair.target.id, kTargetPostRecovery, kTargetPreRecovery); !r.ok()) {
        result = r;
      }
      log->info("set={} resynchronised target {} onto {}", pair.target.set_id.ToString(), pair.target.id,
                pair.destination.ToString());
    }
    {
      std::lock_guard<std::mutex> lock(registry->mu);
      for (const Pair& pair : pairs) registry->busy.erase(pair.target.id);
    }
    if (!result.ok()) log->warn("ResyncLuns: {}", result.ToString());
    op->Finish(result);
  });
  // A backend without resync says so on its first call, at once: report it
  // here, as the header promises, rather than through the operation.
  const absl::Duration probe = std::max(d.caps_.cancel_bound, absl::Milliseconds(250));
  std::optional<absl::Status> first = op->WaitFirstResult(probe);
  if (first && GetErrorCode(*first) == ErrorCode::kNotSupported) {
    op->Wait(absl::InfiniteDuration());  // ends right after the first call
    return reject(*first);
  }
  d.log_->info("ResyncLuns: started for {} LUN(s)", pairs.size());
  return std::shared_ptr<AsyncOperation>(op);
}

// --- reclaim ---------------------------------------------------------------------

absl::StatusOr<ReclaimReport> SnapshotProvider::Reclaim(const ReclaimOptions& options) {
  Impl& d = *impl_;
  if (!d.init_.ok()) return d.init_;
  if (options.older_than < absl::ZeroDuration()) return InvalidArgumentError("Reclaim: older_than is negative");
  ReclaimReport report;
  const absl::Time now = absl::Now();
  struct Known {
    std::shared_ptr<SnapshotSet> set;
    ReclaimCandidate candidate;
  };
  std::vector<Known> known;
  std::set<TargetId> in_memory;
  bool creating = false;
  for (const auto& set : d.SetsNewestFirst()) {
    const SetState state = set->state();
    if (!IsFinal(state)) creating = true;
    for (const ServedTarget& t : set->ServedTargets()) {
      in_memory.insert(t.id);
      if (options.older_than > absl::ZeroDuration() && now - t.updated < options.older_than) continue;
      ReclaimCandidate c;
      c.target = t.id;
      c.set_id = t.set_id;
      c.source = t.source;
      c.since = t.updated;
      c.reason = t.updated == absl::InfinitePast()
                     ? "OnLunEmpty never came"
                     : absl::StrCat("not released since ", absl::FormatTime(t.updated, absl::UTCTimeZone()));
      known.push_back(Known{set, std::move(c)});
    }
  }
  std::vector<ReclaimCandidate> unknown;
  if (options.include_unknown) {
    if (!d.journal_->durable()) {
      report.notes.push_back("no catalog: targets made by earlier processes cannot be told apart; not listed");
    } else if (creating) {
      report.notes.push_back("a set is in creation: targets unknown to the catalog were not considered "
                             "(one may be that set's, not yet recorded)");
    } else {
      absl::StatusOr<std::vector<TargetId>> listed =
          GuardedCall("ListTargets", [&] { return d.backend_->ListTargets(); });
      if (!listed.ok()) {
        report.notes.push_back(absl::StrCat("the backend cannot list its targets: ", listed.status().message()));
      } else {
        for (const TargetId& id : *listed) {
          if (in_memory.count(id) || d.journal_->catalog()->FindTarget(id)) continue;
          ReclaimCandidate c;
          c.target = id;
          c.reason = "unknown to the catalog";
          unknown.push_back(std::move(c));
        }
      }
    }
  }
  for (const Known& k : known) report.candidates.push_back(k.candidate);
  for (const ReclaimCandidate& c : unknown) report.candidates.push_back(c);
  if (options.dry_run) {
    d.log_->info("Reclaim (dry run): {} candidate(s)", report.candidates.size());
    return report;
  }
  for (const Known& k : known) {
    const absl::Status s = k.set->ReleaseTargetById(k.candidate.target);
    if (!IsGone(s)) {
      ReclaimCandidate failed = k.candidate;
      failed.reason = absl::StrCat(failed.reason, "; release failed: ", s.message());
      report.failed.push_back(std::move(failed));
    }
  }
  for (const ReclaimCandidate& c : unknown) {
    const absl::Status s = GuardedCall("ReleaseTarget", [&] { return d.backend_->ReleaseTarget(c.target); });
    if (!IsGone(s)) {
      ReclaimCandidate failed = c;
      failed.reason = absl::StrCat(failed.reason, "; release failed: ", s.message());
      report.failed.push_back(std::move(failed));
    }
  }
  {
    std::lock_guard<std::mutex> lock(d.mu_);
    d.PruneLocked();
  }
  d.log_->info("Reclaim: released {} of {} candidate target(s)", report.candidates.size() - report.failed.size(),
               report.candidates.size());
  for (const ReclaimCandidate& f : report.failed) d.log_->warn("Reclaim: target {}: {}", f.target, f.reason);
  return report;
}

}  // namespace hwsnap
