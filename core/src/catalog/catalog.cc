// catalog.cc — Catalog (hwsnap/catalog.h): the journal file, its lock, torn
// tail recovery and compaction around the in-memory CatalogState.
#include "hwsnap/catalog.h"

#include <memory>
#include <mutex>
#include <type_traits>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "catalog/catalog_file.h"
#include "catalog/catalog_format.h"
#include "catalog/catalog_state.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap {

using catalog_internal::CatalogState;
using catalog_internal::JournalFile;
using catalog_internal::Record;
using catalog_internal::RecordType;

const char* CatalogTargetStateName(CatalogTarget::State state) {
  switch (state) {
    case CatalogTarget::State::kPreparing: return "preparing";
    case CatalogTarget::State::kPrepared: return "prepared";
    case CatalogTarget::State::kDescribed: return "described";
    case CatalogTarget::State::kReleased: return "released";
  }
  return "unknown";
}

int CatalogSet::LiveTargets() const {
  int n = 0;
  for (const CatalogTarget& t : targets) n += t.alive() ? 1 : 0;
  return n;
}

std::string Catalog::DefaultPath() { return catalog_internal::DefaultCatalogPath(); }

namespace {

class JournalCatalog final : public Catalog {
 public:
  explicit JournalCatalog(CatalogOptions options) : options_(std::move(options)) {}

  absl::Status Load();

  const CatalogLoadReport& load_report() const override { return report_; }
  const std::string& path() const override { return options_.path; }

  absl::Status RecordSetCreated(const SnapshotSetId& set, std::int32_t context, absl::Time when) override {
    Record r = Make(RecordType::kSetCreated);
    r.set = set;
    r.context = context;
    r.when = catalog_internal::StoredTime(when);
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r);
  }

  absl::Status RecordSnapshotAdded(const SnapshotSetId& set, const SnapshotId& snapshot) override {
    Record r = Make(RecordType::kSnapshotAdded);
    r.set = set;
    r.snapshot = snapshot;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r);
  }

  absl::Status RecordPrepareStarted(const SnapshotSetId& set, const LunIdentity& source) override {
    if (absl::Status s = ValidateLunIdentity(source); !s.ok()) return Annotate(s, "source LUN");
    Record r = Make(RecordType::kPrepareStarted);
    r.set = set;
    r.identity = source;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r);
  }

  absl::Status RecordTargetPrepared(const SnapshotSetId& set, const LunIdentity& source,
                                    const TargetId& target) override {
    if (target.empty()) return InvalidArgumentError("the target id is empty");
    Record r = Make(RecordType::kTargetPrepared);
    r.set = set;
    r.target = target;
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = ResolveSlot(set, source, &r); !s.ok()) return s;
    return Commit(r);
  }

  absl::Status RecordPrepareEnded(const SnapshotSetId& set, const LunIdentity& source) override {
    Record r = Make(RecordType::kPrepareEnded);
    r.set = set;
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = ResolveSlot(set, source, &r); !s.ok()) return s;
    return Commit(r);
  }

  absl::Status RecordTargetDescribed(const TargetId& target, const LunIdentity& identity) override {
    if (target.empty()) return InvalidArgumentError("the target id is empty");
    if (absl::Status s = ValidateLunIdentity(identity); !s.ok()) return Annotate(s, "target identity");
    Record r = Make(RecordType::kTargetDescribed);
    r.target = target;
    r.identity = identity;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r);
  }

  absl::Status RecordSetState(const SnapshotSetId& set, SetState state) override {
    Record r = Make(RecordType::kSetState);
    r.set = set;
    r.state = static_cast<std::uint8_t>(state);
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = Writable(); !s.ok()) return s;
    if (const CatalogSet* found = state_.GetSet(set); found != nullptr && found->state == state) {
      return absl::OkStatus();  // already recorded
    }
    return Commit(r);
  }

  absl::Status RecordTargetExposed(const TargetId& target, bool exposed) override {
    Record r = Make(RecordType::kTargetExposed);
    r.target = target;
    r.exposed = exposed;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r, [&](const CatalogTarget& t) { return t.exposed == exposed; });
  }

  absl::Status RecordTargetFlags(const TargetId& target, std::uint32_t flags, std::uint32_t clear) override {
    Record r = Make(RecordType::kTargetFlags);
    r.target = target;
    r.flags = flags;
    r.clear = clear;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r, [&](const CatalogTarget& t) { return ((t.flags | flags) & ~clear) == t.flags; });
  }

  absl::Status RecordTargetReleased(const TargetId& target) override {
    Record r = Make(RecordType::kTargetReleased);
    r.target = target;
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = Writable(); !s.ok()) return s;
    if (const CatalogTarget* t = state_.GetTarget(target);
        t != nullptr && t->state == CatalogTarget::State::kReleased) {
      return absl::OkStatus();  // releasing is idempotent, like Backend::ReleaseTarget
    }
    return Commit(r);
  }

  absl::Status ForgetSet(const SnapshotSetId& set) override {
    Record r = Make(RecordType::kSetForgotten);
    r.set = set;
    std::lock_guard<std::mutex> lock(mu_);
    return Commit(r);
  }

  absl::Status Compact() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (absl::Status s = Writable(); !s.ok()) return s;
    return CompactLocked();
  }

  std::vector<CatalogSet> Sets() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return state_.Sets();
  }
  std::optional<CatalogSet> FindSet(const SnapshotSetId& set) const override {
    std::lock_guard<std::mutex> lock(mu_);
    const CatalogSet* found = state_.GetSet(set);
    if (found == nullptr) return std::nullopt;
    return *found;
  }
  std::optional<CatalogTarget> FindTargetByIdentity(const LunIdentity& identity) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return state_.FindTargetByIdentity(identity);
  }
  std::optional<CatalogTarget> FindLatestTargetForSource(const LunIdentity& source) const override {
    std::lock_guard<std::mutex> lock(mu_);
    return state_.FindLatestTargetForSource(source);
  }
  std::optional<CatalogTarget> FindTarget(const TargetId& target) const override {
    std::lock_guard<std::mutex> lock(mu_);
    const CatalogTarget* found = state_.GetTarget(target);
    if (found == nullptr) return std::nullopt;
    return *found;
  }
  std::vector<CatalogTarget> LiveTargets() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return state_.LiveTargets();
  }

 private:
  static Record Make(RecordType type) {
    Record r;
    r.type = type;
    r.when = catalog_internal::StoredTime(absl::Now());
    return r;
  }

  absl::Status Writable() const {
    if (options_.read_only) {
      return BadStateError(absl::StrCat("catalog ", options_.path, " is open read-only"));
    }
    return broken_;
  }

  // REQUIRES: mu_. Finds the slot of `source` in `set` for r.
  absl::Status ResolveSlot(const SnapshotSetId& set, const LunIdentity& source, Record* r) const {
    if (set.is_nil()) return InvalidArgumentError("the snapshot set id is nil");
    if (state_.GetSet(set) == nullptr) {
      return ObjectNotFoundError(absl::StrCat("snapshot set ", set.ToString(), " is not in the catalog"));
    }
    std::optional<std::uint32_t> slot = state_.FindSlot(set, source);
    if (!slot) {
      return ObjectNotFoundError(absl::StrCat("source LUN ", source.ToString(), " was never prepared in set ",
                                              set.ToString()));
    }
    r->slot = *slot;
    return absl::OkStatus();
  }

  // REQUIRES: mu_. Checks, appends (+fsync), applies; nothing changes on failure.
  template <typename Unchanged = std::nullptr_t>
  absl::Status Commit(Record& r, Unchanged unchanged = nullptr) {
    if (absl::Status s = Writable(); !s.ok()) return s;
    if (absl::Status s = state_.Check(r); !s.ok()) return s;
    if constexpr (!std::is_same_v<Unchanged, std::nullptr_t>) {
      if (unchanged(*state_.GetTarget(r.target))) return absl::OkStatus();
    }
    buffer_.clear();
    catalog_internal::AppendRecord(r, &buffer_);
    if (absl::Status s = AppendDurably(buffer_); !s.ok()) return s;
    state_.Apply(r, buffer_.size());
    MaybeCompact();
    return absl::OkStatus();
  }

  // REQUIRES: mu_. One write, then fsync; on failure the file is cut back.
  absl::Status AppendDurably(absl::string_view bytes) {
    absl::Status s = file_->Append(bytes);
    if (s.ok() && options_.sync) s = file_->Sync();
    if (s.ok()) {
      file_bytes_ += bytes.size();
      return s;
    }
    absl::Status undo = file_->Truncate(file_bytes_);
    if (undo.ok() && options_.sync) undo = file_->Sync();
    if (!undo.ok()) {
      broken_ = BackendFailureError(absl::StrCat("catalog ", options_.path, " could not be cut back after a failed write (",
                                                 undo.message(), "); reopen it"));
    }
    return Annotate(s, absl::StrCat("catalog ", options_.path));
  }

  // Compact when the journal is more than this many times its image size.
  static constexpr std::uint64_t kHistoryRatio = 2;

  // REQUIRES: mu_.
  void MaybeCompact() {
    if (options_.read_only || file_bytes_ <= options_.compact_min_bytes) return;
    // Either most of the journal is records of forgotten sets, or it is mostly
    // history that one SetImage per live set would replace (a long-running
    // provider's journal converges to images).
    const bool dead = static_cast<double>(state_.dead_bytes()) > options_.compact_dead_ratio * static_cast<double>(file_bytes_);
    const bool history = file_bytes_ > kHistoryRatio * state_.image_estimate();
    if (!dead && !history) return;
    if (absl::Status s = CompactLocked(); !s.ok()) {
      // The journal is intact (the rename is the commit point); try again later.
      GetLogger("catalog")->warn("compaction of {} failed: {}", options_.path, s.ToString());
    }
  }

  // REQUIRES: mu_. Live records -> "<path>.tmp", fsync, rename over, fsync dir.
  absl::Status CompactLocked() {
    const std::string bytes = state_.EncodeLive(kCatalogFormatVersion);
    const std::string tmp = options_.path + ".tmp";
    if (absl::Status s = catalog_internal::WriteWholeFile(tmp, bytes, options_.sync); !s.ok()) return s;
    file_.reset();  // Windows cannot rename over an open file
    absl::Status renamed = catalog_internal::RenameFileOver(tmp, options_.path);
    if (renamed.ok() && options_.sync) renamed = catalog_internal::SyncDirectory(dir_);
    auto reopened = catalog_internal::OpenJournalFile(options_.path, /*writable=*/true);
    if (!reopened.ok()) {
      broken_ = BackendFailureError(absl::StrCat("catalog ", options_.path, " could not be reopened after compaction (",
                                                 reopened.status().message(), "); reopen it"));
      return broken_;
    }
    file_ = std::move(*reopened);
    if (!renamed.ok()) return renamed;
    file_bytes_ = bytes.size();
    state_.ResetDeadBytes();
    state_.ResetImageEstimate(bytes.size());
    return absl::OkStatus();
  }

  const CatalogOptions options_;
  std::string dir_;
  std::unique_ptr<catalog_internal::FileLock> lock_;  // before file_: released last
  std::unique_ptr<JournalFile> file_;
  mutable std::mutex mu_;
  CatalogState state_;
  CatalogLoadReport report_;
  std::uint64_t file_bytes_ = 0;
  absl::Status broken_;
  std::string buffer_;
};

absl::Status JournalCatalog::Load() {
  const absl::Time start = absl::Now();
  const std::string& path = options_.path;
  report_.path = path;
  dir_ = catalog_internal::DirectoryOf(path);
  if (!options_.read_only) {
    if (absl::Status s = catalog_internal::CreateDirectories(dir_); !s.ok()) return s;
  }
  auto lock = catalog_internal::LockFile(path + ".lock", options_.read_only);
  if (!lock.ok()) {
    if (GetErrorCode(lock.status()) == ErrorCode::kBadState) {
      return BadStateError(absl::StrCat("catalog ", path, " is in use by another process",
                                        options_.read_only ? " (it is open for writing)" : ""));
    }
    return lock.status();
  }
  lock_ = std::move(*lock);

  auto exists = catalog_internal::FileExists(path);
  if (!exists.ok()) return exists.status();
  if (!*exists) {
    if (options_.read_only) return ObjectNotFoundError(absl::StrCat("catalog ", path, " does not exist"));
    // Created whole under a temporary name: the journal never exists without its header.
    const std::string tmp = path + ".tmp";
    if (absl::Status s = catalog_internal::WriteWholeFile(tmp, catalog_internal::EncodeHeader(kCatalogFormatVersion),
                                                          options_.sync);
        !s.ok()) {
      return s;
    }
    if (absl::Status s = catalog_internal::RenameFileOver(tmp, path); !s.ok()) return s;
    if (options_.sync) {
      if (absl::Status s = catalog_internal::SyncDirectory(dir_); !s.ok()) return s;
    }
    report_.created = true;
  }

  auto file = catalog_internal::OpenJournalFile(path, !options_.read_only);
  if (!file.ok()) return file.status();
  file_ = std::move(*file);
  auto data = file_->ReadAll();
  if (!data.ok()) return data.status();

  catalog_internal::LoadResult loaded;
  if (absl::Status s = catalog_internal::LoadJournal(data->view(), path, &state_, &loaded); !s.ok()) return s;
  file_bytes_ = loaded.good_bytes;
  report_.records = loaded.records;
  if (loaded.torn_bytes > 0) {
    report_.torn_tail_bytes = loaded.torn_bytes;
    if (!options_.read_only) {
      // Keep the bytes (they were never acknowledged, but they are evidence).
      const std::string base = absl::StrCat(path, ".torn-", absl::ToUnixSeconds(absl::Now()));
      std::string copy = base;
      for (int i = 1;; ++i) {
        auto taken = catalog_internal::FileExists(copy);
        if (!taken.ok()) return taken.status();
        if (!*taken) break;
        copy = absl::StrCat(base, ".", i);
      }
      const absl::string_view tail = data->view().substr(loaded.good_bytes);
      if (absl::Status s = catalog_internal::WriteWholeFile(copy, tail, options_.sync); !s.ok()) return s;
      data->Release();  // may be a mapping of the bytes about to be cut
      if (absl::Status s = file_->Truncate(loaded.good_bytes); !s.ok()) return s;
      if (options_.sync) {
        if (absl::Status s = file_->Sync(); !s.ok()) return s;
        if (absl::Status s = catalog_internal::SyncDirectory(dir_); !s.ok()) return s;
      }
      report_.torn_tail_copy = copy;
      GetLogger("catalog")->warn("catalog {}: incomplete last record at offset {} ({} bytes, {}) moved to {}", path,
                                 loaded.good_bytes, loaded.torn_bytes, loaded.torn_reason, copy);
    }
  }
  data->Release();
  if (!options_.read_only) MaybeCompact();
  report_.file_bytes = file_bytes_;
  report_.sets = state_.set_count();
  report_.live_targets = state_.live_target_count();
  report_.load_time = absl::Now() - start;
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(const CatalogOptions& options) {
  if (options.path.empty()) return InvalidArgumentError("the catalog path is empty");
  auto catalog = std::make_unique<JournalCatalog>(options);
  if (absl::Status s = catalog->Load(); !s.ok()) return s;
  return std::unique_ptr<Catalog>(std::move(catalog));
}

absl::StatusOr<CatalogLoadReport> Catalog::Verify(const std::string& path) {
  if (path.empty()) return InvalidArgumentError("the catalog path is empty");
  const absl::Time start = absl::Now();
  auto data = catalog_internal::ReadWholeFile(path);
  if (!data.ok()) return data.status();
  CatalogState state;
  catalog_internal::LoadResult loaded;
  if (absl::Status s = catalog_internal::LoadJournal(data->view(), path, &state, &loaded); !s.ok()) return s;
  if (loaded.torn_bytes > 0) {
    return catalog_internal::CorruptionError(
        path, loaded.good_bytes,
        absl::StrCat("the last record is incomplete (", loaded.torn_bytes, " bytes, ", loaded.torn_reason,
                     "; a crash during an append leaves this, and the next writable Open moves those bytes to \"",
                     path, ".torn-<unix-seconds>\" and truncates the journal)"));
  }
  CatalogLoadReport report;
  report.path = path;
  report.records = loaded.records;
  report.file_bytes = data->size();
  report.sets = state.set_count();
  report.live_targets = state.live_target_count();
  report.load_time = absl::Now() - start;
  return report;
}

}  // namespace hwsnap
