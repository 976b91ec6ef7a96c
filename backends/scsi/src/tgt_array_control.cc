// tgt_array_control.cc — the tgt point-in-time strategy (see tgt_array_control.h).
#include "hwsnap/scsi/tgt_array_control.h"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <random>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "hwsnap/logging.h"
#include "hwsnap/scsi/tgt_daemon.h"
#include "hwsnap/status.h"
#include "posix_error.h"
#include "tgt_snapshot_file.h"

namespace hwsnap::scsi {

namespace {

using internal::PosixError;

constexpr int kSnapshotLun = 1;

std::shared_ptr<spdlog::logger> Log() { return GetLogger("scsi.tgt"); }

// "iscsi://127.0.0.1:3300/iqn.x:y/1" -> host "127.0.0.1", port, iqn, lun.
struct IscsiAddress {
  std::string host;
  int port = 3260;
  std::string iqn;
  int lun = -1;
};

bool ParseIscsiAddress(absl::string_view address, IscsiAddress& out) {
  if (!absl::ConsumePrefix(&address, "iscsi://")) return false;
  size_t slash = address.find('/');
  if (slash == absl::string_view::npos) return false;
  absl::string_view host_port = address.substr(0, slash);
  absl::string_view rest = address.substr(slash + 1);
  size_t colon = host_port.rfind(':');
  if (colon != absl::string_view::npos) {
    if (!absl::SimpleAtoi(host_port.substr(colon + 1), &out.port)) return false;
    host_port = host_port.substr(0, colon);
  }
  out.host = std::string(host_port);
  size_t last = rest.rfind('/');
  if (last == absl::string_view::npos) return false;
  out.iqn = std::string(rest.substr(0, last));
  return !out.host.empty() && !out.iqn.empty() && absl::SimpleAtoi(rest.substr(last + 1), &out.lun);
}

// 19 hex digits: milliseconds since the epoch (11) + 32 random bits (8).
std::string UniqueSuffix() {
  static thread_local std::mt19937 engine{std::random_device{}()};
  const auto ms = static_cast<unsigned long long>(absl::ToUnixMillis(absl::Now()));
  return absl::StrFormat("%011x%08x", ms & 0xFFFFFFFFFFFull, static_cast<std::uint32_t>(engine()));
}

bool ValidUnique(absl::string_view unique) {
  return !unique.empty() && unique.size() <= 40 &&
         std::all_of(unique.begin(), unique.end(), [](char c) {
           return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
                  (c >= 'a' && c <= 'z') || c == '-';
         });
}

bool LooksLikeInitiatorName(absl::string_view acl) {
  return absl::StartsWith(acl, "iqn.") || absl::StartsWith(acl, "eui.") || absl::StartsWith(acl, "naa.");
}

bool IsGone(const absl::Status& s) { return GetErrorCode(s) == ErrorCode::kObjectNotFound; }
bool IsAlreadyThere(const absl::Status& s) { return GetErrorCode(s) == ErrorCode::kBadState; }

}  // namespace

TgtArrayControlOptions TgtArrayControlOptionsFor(const TgtDaemon& daemon) {
  TgtArrayControlOptions options;
  options.control_id = daemon.control_id();
  options.portal = daemon.portal();
  options.work_dir = daemon.work_dir() / "snapshots";
  return options;
}

absl::StatusOr<std::unique_ptr<TgtArrayControl>> TgtArrayControl::Create(TgtArrayControlOptions options) {
  if (options.control_id <= 0) return InvalidArgumentError("TgtArrayControl: no tgtd control id");
  if (!absl::StartsWith(options.portal, "127.0.0.1:")) {
    return InvalidArgumentError(absl::StrCat("TgtArrayControl: portal \"", options.portal,
                                             "\" is not 127.0.0.1:PORT"));
  }
  if (options.snapshot_iqn_prefix.empty() || options.control_initiator_name.empty()) {
    return InvalidArgumentError("TgtArrayControl: the IQN prefix and the control initiator name are required");
  }
  if (options.host_initiator_name.empty() && options.host_initiator_address.empty()) {
    return InvalidArgumentError("TgtArrayControl: set the host initiator name or address Expose unmasks to");
  }
  if (options.work_dir.empty()) return InvalidArgumentError("TgtArrayControl: no work dir");
  std::error_code ec;
  std::filesystem::create_directories(options.work_dir, ec);
  if (ec) {
    return BackendFailureError(absl::StrCat("TgtArrayControl: work dir ", options.work_dir.string(),
                                            ": ", ec.message()));
  }
  return std::unique_ptr<TgtArrayControl>(new TgtArrayControl(std::move(options)));
}

TgtArrayControl::TgtArrayControl(TgtArrayControlOptions options)
    : options_(std::move(options)),
      snapshot_prefix_(absl::StrCat(options_.snapshot_iqn_prefix, ":snap-")),
      admin_(options_.control_id, options_.command_timeout) {}

void TgtArrayControl::Hook(absl::string_view step) const {
  if (options_.test_hook) options_.test_hook(step);
}

bool TgtArrayControl::IsOurTargetName(absl::string_view target) const {
  return absl::StartsWith(target, snapshot_prefix_) &&
         ValidUnique(target.substr(snapshot_prefix_.size()));
}

std::filesystem::path TgtArrayControl::SnapshotFile(const std::string& target) const {
  std::string unique = IsOurTargetName(target) ? target.substr(snapshot_prefix_.size()) : "invalid";
  return options_.work_dir / absl::StrCat("snap-", unique, ".img");
}

absl::StatusOr<TgtArrayControl::SourceLun> TgtArrayControl::ResolveSource(const ScsiLunInfo& source,
                                                                           std::string* why) const {
  auto refuse = [why](std::string reason) -> absl::Status {
    *why = reason;
    return NotSupportedError(reason);
  };
  IscsiAddress address;
  if (!ParseIscsiAddress(source.address, address)) {
    return refuse(absl::StrCat("\"", source.address, "\" is not an iSCSI address of a tgt LUN"));
  }
  if (address.host != "127.0.0.1" || absl::StrCat(address.host, ":", address.port) != options_.portal) {
    return refuse(absl::StrCat("LUN ", source.address, " is not served by the tgt portal ",
                               options_.portal, " this strategy controls"));
  }
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) {
    *why = absl::StrCat("cannot list the tgt targets: ", targets.status().message());
    return targets.status();
  }
  const TgtTarget* target = FindTargetByName(*targets, address.iqn);
  if (target == nullptr) return refuse(absl::StrCat("tgt has no target ", address.iqn));
  const TgtLun* lun = target->FindLun(address.lun);
  if (lun == nullptr || address.lun == 0) {
    return refuse(absl::StrCat("target ", address.iqn, " has no disk LUN ", address.lun));
  }
  if (lun->backing_store_type != "rdwr") {
    return refuse(absl::StrCat("LUN ", source.address, " uses backing store type \"",
                               lun->backing_store_type, "\"; only rdwr files can be copied"));
  }
  struct stat st {};
  if (::stat(lun->backing_store_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return refuse(absl::StrCat("LUN ", source.address, " is not backed by a regular file (",
                               lun->backing_store_path, ")"));
  }
  return SourceLun{lun->backing_store_path, static_cast<std::uint64_t>(st.st_size)};
}

std::string TgtArrayControl::WhyCannotSnapshot(const ScsiLunInfo& source) const {
  std::string why;
  absl::StatusOr<SourceLun> resolved = ResolveSource(source, &why);
  if (resolved.ok()) return "";
  return why.empty() ? std::string(resolved.status().message()) : why;
}

absl::StatusOr<int> TgtArrayControl::Reserve(std::uint64_t size_bytes) {
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) return Annotate(targets.status(), "reserve a snapshot target");

  std::lock_guard<std::mutex> lock(mutex_);
  // Usage: our targets tgt holds (also orphans of earlier runs) plus slots
  // and provisions in flight that tgt does not list yet.
  int used_targets = pending_targets_;
  std::uint64_t used_bytes = pending_bytes_;
  std::set<std::string> counted;
  for (const TgtTarget& t : *targets) {
    if (!IsOurTargetName(t.name)) continue;
    counted.insert(t.name);
    ++used_targets;
    auto slot = slots_.find(t.name);
    if (slot != slots_.end()) {
      used_bytes += slot->second.size_bytes;
    } else {
      std::error_code ec;
      std::uintmax_t size = std::filesystem::file_size(SnapshotFile(t.name), ec);
      if (!ec) used_bytes += size;
    }
  }
  for (const auto& [name, slot] : slots_) {
    if (counted.count(name) == 0) {
      ++used_targets;
      used_bytes += slot.size_bytes;
    }
  }
  if (options_.max_targets > 0 && used_targets >= options_.max_targets) {
    return InsufficientStorageError(absl::StrCat("tgt already holds ", used_targets,
                                                 " snapshot targets (limit ", options_.max_targets, ")"));
  }
  if (options_.space_limit_bytes > 0 && used_bytes + size_bytes > options_.space_limit_bytes) {
    return InsufficientStorageError(absl::StrCat("a ", size_bytes, "-byte snapshot would exceed the space limit (",
                                                 used_bytes, " of ", options_.space_limit_bytes, " bytes used)"));
  }
  struct statvfs fs {};
  if (::statvfs(options_.work_dir.c_str(), &fs) != 0) {
    return PosixError(absl::StrCat("statvfs ", options_.work_dir.string()), errno);
  }
  const std::uint64_t free_bytes = static_cast<std::uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (free_bytes < size_bytes + pending_bytes_) {
    return InsufficientStorageError(absl::StrCat("only ", free_bytes, " bytes free in ", options_.work_dir.string(),
                                                 " for a ", size_bytes, "-byte snapshot"));
  }
  int tid = 1;
  for (const TgtTarget& t : *targets) tid = std::max(tid, t.tid + 1);
  if (!reserved_tids_.empty()) tid = std::max(tid, *reserved_tids_.rbegin() + 1);
  for (const auto& [name, slot] : slots_) tid = std::max(tid, slot.tid + 1);
  // Never hand out a tid again: tgt derives a LUN's NAA-3 designator from
  // tid and LUN number alone, so a reused tid would give a new snapshot the
  // identity of a released one.
  tid = std::max(tid, last_tid_ + 1);
  last_tid_ = tid;
  reserved_tids_.insert(tid);
  ++pending_targets_;
  pending_bytes_ += size_bytes;
  return tid;
}

void TgtArrayControl::Unreserve(int tid, std::uint64_t size_bytes) {
  std::lock_guard<std::mutex> lock(mutex_);
  reserved_tids_.erase(tid);
  --pending_targets_;
  pending_bytes_ -= size_bytes;
}

absl::StatusOr<std::string> TgtArrayControl::Provision(const ScsiLunInfo& source, const CancelToken& cancel) {
  if (cancel.IsCancelled()) return cancel.status();
  std::string why;
  absl::StatusOr<SourceLun> resolved = ResolveSource(source, &why);
  if (!resolved.ok()) return resolved.status();
  const SourceLun src = *resolved;

  absl::StatusOr<int> reserved = Reserve(src.size_bytes);
  if (!reserved.ok()) return reserved.status();
  int tid = *reserved;
  const std::string target = absl::StrCat(snapshot_prefix_, UniqueSuffix());
  const std::filesystem::path file = SnapshotFile(target);
  bool target_created = false;

  auto rollback = [&](absl::Status failure) -> absl::Status {
    if (target_created) {
      absl::Status s = admin_.DeleteTarget(tid, /*force=*/true);
      if (!s.ok() && !IsGone(s)) Log()->error("rollback of {}: {}", target, s.ToString());
    }
    std::error_code ec;
    std::filesystem::remove(file, ec);
    Unreserve(tid, src.size_bytes);
    Log()->info("provision for {} rolled back: {}", source.address, failure.ToString());
    return failure;
  };

  Hook("provision:reserved");
  if (cancel.IsCancelled()) return rollback(cancel.status());

  // Create the target; another client of this tgtd may have taken the tid.
  for (int tries = 0; !target_created; ++tries) {
    absl::Status s = admin_.NewTarget(tid, target);
    if (s.ok()) {
      target_created = true;
    } else if (IsAlreadyThere(s) && tries < 16) {
      std::lock_guard<std::mutex> lock(mutex_);
      reserved_tids_.erase(tid);
      tid = std::max(tid + 1, reserved_tids_.empty() ? 0 : *reserved_tids_.rbegin() + 1);
      reserved_tids_.insert(tid);
    } else {
      return rollback(s);
    }
  }
  if (absl::Status s = admin_.BindInitiatorName(tid, options_.control_initiator_name); !s.ok()) {
    return rollback(s);
  }
  Hook("provision:target-created");
  if (cancel.IsCancelled()) return rollback(cancel.status());

  absl::Status prealloc = internal::PreallocateSnapshotFile(
      file, src.size_bytes, options_.copy_chunk_bytes, cancel, [this] { Hook("provision:preallocating"); });
  if (!prealloc.ok()) return rollback(Annotate(prealloc, absl::StrCat("provision ", target)));
  Hook("provision:done");
  if (cancel.IsCancelled()) return rollback(cancel.status());

  {
    std::lock_guard<std::mutex> lock(mutex_);
    slots_[target] = Slot{tid, src.backing_path, file, src.size_bytes, false, false};
    reserved_tids_.erase(tid);
    --pending_targets_;
    pending_bytes_ -= src.size_bytes;
  }
  Log()->info("provisioned {} (tid {}) for {} ({} bytes)", target, tid, source.address, src.size_bytes);
  return target;
}

absl::Status TgtArrayControl::TakePointInTime(absl::Span<const std::string> targets, absl::Time deadline) {
  std::vector<std::pair<std::string, Slot>> group;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const std::string& target : targets) {
      auto it = slots_.find(target);
      if (it == slots_.end()) {
        return ObjectNotFoundError(absl::StrCat("commit: ", target, " was not provisioned by this tgt strategy"));
      }
      if (it->second.committed) return BadStateError(absl::StrCat("commit: ", target, " is already committed"));
      if (it->second.adopted) {
        return BadStateError(absl::StrCat("commit: ", target,
                                          " was provisioned before a restart (its source is not known here)"));
      }
      group.emplace_back(target, it->second);
    }
  }
  // Phase 1: the copies (the point in time; the host holds writes now).
  for (const auto& [target, slot] : group) {
    bool reflinked = false;
    absl::Status s = internal::CopyPointInTime(slot.source_path, slot.file, options_.copy_chunk_bytes,
                                               deadline, &reflinked);
    if (!s.ok()) return Annotate(s, absl::StrCat("commit ", target));
    Log()->info("commit {}: {} {}", target, reflinked ? "reflinked" : "copied", slot.source_path);
  }
  Hook("commit:copied");
  // Phase 2: publish each copy as LUN 1 with its own identity, read-only.
  std::vector<int> added;
  absl::Status failure;
  for (const auto& [target, slot] : group) {
    if (absl::Now() >= deadline) {
      failure = DeadlineExceededError(absl::StrCat("commit ", target, ": the commit deadline passed"));
      break;
    }
    const std::string unique = target.substr(snapshot_prefix_.size());
    TgtLunParams params;
    params.scsi_sn = absl::StrCat("HWS", unique);
    params.scsi_id = absl::StrCat("hwsnap-", unique);
    params.readonly = true;
    // Each tgtadm call gets only what is left of the window, so a stalled
    // tgtd cannot hold the commit past its deadline.
    TgtAdmin bounded(options_.control_id, std::min(options_.command_timeout, deadline - absl::Now()));
    added.push_back(slot.tid);  // undo even a NewLun that timed out after tgtd applied it
    absl::Status s = bounded.NewLun(slot.tid, kSnapshotLun, slot.file.string());
    if (s.ok()) s = bounded.UpdateLunParams(slot.tid, kSnapshotLun, params);
    if (!s.ok()) {
      failure = Annotate(s, absl::StrCat("commit ", target));
      break;
    }
    Hook("commit:lun-added");
  }
  if (!failure.ok()) {
    for (int tid : added) {
      absl::Status s = admin_.DeleteLun(tid, kSnapshotLun);
      if (!s.ok() && !IsGone(s)) Log()->error("commit undo: tid {} LUN 1: {}", tid, s.ToString());
    }
    return failure;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (const auto& [target, slot] : group) {
    auto it = slots_.find(target);
    if (it != slots_.end()) it->second.committed = true;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> TgtArrayControl::TargetAddress(const std::string& target) {
  if (!IsOurTargetName(target)) {
    return BackendFailureError(absl::StrCat(target, " is not a snapshot target of this tgt strategy"));
  }
  return absl::StrCat("iscsi://", options_.portal, "/", target, "/", kSnapshotLun);
}

absl::StatusOr<int> TgtArrayControl::FindTid(const std::string& target) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(target);
    if (it != slots_.end()) return it->second.tid;
  }
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) return targets.status();
  const TgtTarget* t = FindTargetByName(*targets, target);
  if (t == nullptr) return ObjectNotFoundError(absl::StrCat("tgt has no target ", target));
  return t->tid;
}

absl::Status TgtArrayControl::Expose(const std::string& target) {
  absl::StatusOr<int> tid = FindTid(target);
  if (!tid.ok()) return Annotate(tid.status(), absl::StrCat("expose ", target));
  if (!options_.host_initiator_name.empty()) {
    absl::Status s = admin_.BindInitiatorName(*tid, options_.host_initiator_name);
    if (!s.ok() && !IsAlreadyThere(s)) return Annotate(s, absl::StrCat("expose ", target));
  }
  if (!options_.host_initiator_address.empty()) {
    absl::Status s = admin_.BindInitiatorAddress(*tid, options_.host_initiator_address);
    if (!s.ok() && !IsAlreadyThere(s)) return Annotate(s, absl::StrCat("expose ", target));
  }
  return absl::OkStatus();
}

absl::Status TgtArrayControl::Delete(const std::string& target) {
  if (!IsOurTargetName(target)) {
    return InvalidArgumentError(absl::StrCat("refusing to delete ", target,
                                             ": not a snapshot target of this tgt strategy"));
  }
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) return Annotate(targets.status(), absl::StrCat("delete ", target));
  if (const TgtTarget* t = FindTargetByName(*targets, target); t != nullptr) {
    // Unmask first so no new login races the deletion.
    for (const std::string& acl : t->acls) {
      absl::Status s = LooksLikeInitiatorName(acl) ? admin_.UnbindInitiatorName(t->tid, acl)
                                                   : admin_.UnbindInitiatorAddress(t->tid, acl);
      if (!s.ok() && !IsGone(s)) Log()->warn("delete {}: unbind {}: {}", target, acl, s.ToString());
    }
    if (t->FindLun(kSnapshotLun) != nullptr) {
      absl::Status s = admin_.DeleteLun(t->tid, kSnapshotLun);
      if (!s.ok() && !IsGone(s)) Log()->info("delete {}: LUN busy, forcing: {}", target, s.ToString());
    }
    absl::Status s = admin_.DeleteTarget(t->tid, /*force=*/true);
    if (!s.ok() && !IsGone(s)) return Annotate(s, absl::StrCat("delete ", target));
  }
  std::error_code ec;
  std::filesystem::remove(SnapshotFile(target), ec);
  if (ec) {
    return BackendFailureError(absl::StrCat("delete ", target, ": remove ", SnapshotFile(target).string(),
                                            ": ", ec.message()));
  }
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.erase(target);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> TgtArrayControl::ListTargets() {
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) return targets.status();
  std::vector<std::string> ours;
  for (const TgtTarget& t : *targets) {
    if (IsOurTargetName(t.name)) ours.push_back(t.name);
  }
  return ours;
}

absl::Status TgtArrayControl::Adopt(const RestoredTarget& recorded) {
  const std::string& target = recorded.id;
  if (!IsOurTargetName(target)) {
    return InvalidArgumentError(absl::StrCat("cannot adopt ", target, ": not a snapshot target of this tgt strategy"));
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (slots_.count(target) != 0) return absl::OkStatus();  // held already
  }
  absl::StatusOr<std::vector<TgtTarget>> targets = admin_.ShowTargets();
  if (!targets.ok()) return Annotate(targets.status(), absl::StrCat("adopt ", target));
  const TgtTarget* t = FindTargetByName(*targets, target);
  if (t == nullptr) return ObjectNotFoundError(absl::StrCat("adopt: tgt has no target ", target));
  const bool has_snapshot = t->FindLun(kSnapshotLun) != nullptr;
  if (recorded.committed && !has_snapshot) {
    return ObjectNotFoundError(absl::StrCat("adopt: tgt target ", target, " holds no snapshot LUN ", kSnapshotLun));
  }
  const std::filesystem::path file = SnapshotFile(target);
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  std::lock_guard<std::mutex> lock(mutex_);
  slots_.emplace(target, Slot{t->tid, "", file, ec ? 0 : static_cast<std::uint64_t>(size), has_snapshot, true});
  last_tid_ = std::max(last_tid_, t->tid);
  Log()->info("adopted {} (tid {}, {})", target, t->tid, has_snapshot ? "committed" : "provisioned");
  return absl::OkStatus();
}

}  // namespace hwsnap::scsi
