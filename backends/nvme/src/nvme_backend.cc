// NvmeBackend: the Backend contract's state machine around a NamespaceControl,
// with identities read from the namespaces themselves. See nvme_backend.h.
#include "hwsnap/nvme/nvme_backend.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hwsnap/logging.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

spdlog::logger& Log() {
  static const auto* const logger = new std::shared_ptr<spdlog::logger>(GetLogger("backend.nvme"));
  return **logger;
}

// Failures from a strategy or transport keep their domain code when the
// Backend method may return it (backend.h lists the codes per method);
// anything else — unclassified, or a code the method may not return, such as
// "not found" for an inactive namespace inside IdentifyLun — becomes
// kBackendFailure with the original text. Out of memory always passes.
absl::Status Classified(absl::Status status, absl::string_view context,
                        std::initializer_list<ErrorCode> allowed = {ErrorCode::kBackendFailure}) {
  if (status.ok()) return status;
  const ErrorCode code = GetErrorCode(status);
  if (HasErrorCode(status) &&
      (code == ErrorCode::kOutOfMemory || std::find(allowed.begin(), allowed.end(), code) != allowed.end())) {
    return status;
  }
  return BackendFailureError(absl::StrCat(context, ": ", status.message()));
}

bool ValidNsid(std::uint32_t nsid) { return nsid != 0 && nsid != 0xffffffffu; }

}  // namespace

NvmeBackend::NvmeBackend(NvmeBackendOptions options, std::shared_ptr<NamespaceControl> control)
    : options_(std::move(options)), control_(std::move(control)), open_(options_.open_transport) {
  if (!open_) open_ = [](absl::string_view address) { return OpenNvmeTransport(address); };
  for (std::uint32_t nsid : options_.source_nsids) {
    if (ValidNsid(nsid) && std::find(sources_.begin(), sources_.end(), nsid) == sources_.end()) {
      sources_.push_back(nsid);
    }
  }
}

BackendCapabilities NvmeBackend::Capabilities() const {
  BackendCapabilities caps;
  caps.max_parallel_prepares = options_.max_parallel_prepares;
  caps.max_commit_group = 0;
  caps.cancel_bound = options_.cancel_bound > absl::ZeroDuration() ? options_.cancel_bound : absl::Milliseconds(250);
  return caps;
}

absl::Status NvmeBackend::AddSource(std::uint32_t nsid) {
  if (!ValidNsid(nsid)) return InvalidArgumentError(absl::StrCat("nvme: invalid source namespace id ", nsid));
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(sources_.begin(), sources_.end(), nsid) == sources_.end()) sources_.push_back(nsid);
  return absl::OkStatus();
}

absl::StatusOr<NvmeNamespaceInfo> NvmeBackend::ReadInfo(std::uint32_t nsid) {
  const std::string where = absl::StrCat(options_.controller, " namespace ", nsid);
  absl::StatusOr<std::unique_ptr<NvmeTransport>> transport = open_(options_.controller);
  if (!transport.ok()) return Classified(transport.status(), absl::StrCat("nvme: open ", options_.controller));
  if (*transport == nullptr) {
    return BackendFailureError(absl::StrCat("nvme: open ", options_.controller, ": no transport"));
  }
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(**transport, nsid, options_.read);
  if (!info.ok()) return Classified(info.status(), absl::StrCat("nvme: read identity of ", where));
  return info;
}

absl::StatusOr<NvmeNamespaceInfo> NvmeBackend::SourceInfo(std::uint32_t nsid) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = source_info_.find(nsid);
    if (it != source_info_.end()) return it->second;
  }
  absl::StatusOr<NvmeNamespaceInfo> info = ReadInfo(nsid);
  if (!info.ok()) return info.status();
  if (!info->identity.HasUniqueDesignator()) {
    Log().warn("source namespace {} of {} ({}) reports no EUI-64, NGUID or UUID; it cannot be snapshotted", nsid,
               options_.controller, info->identity.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A namespace's identity does not change: the first reading stays.
  return source_info_.emplace(nsid, *std::move(info)).first->second;
}

absl::StatusOr<std::vector<NvmeNamespaceInfo>> NvmeBackend::SourceNamespaces() {
  std::vector<std::uint32_t> nsids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nsids = sources_;
  }
  std::vector<NvmeNamespaceInfo> infos;
  for (std::uint32_t nsid : nsids) {
    absl::StatusOr<NvmeNamespaceInfo> info = SourceInfo(nsid);
    if (!info.ok()) return info.status();
    infos.push_back(*std::move(info));
  }
  return infos;
}

absl::StatusOr<std::optional<NvmeNamespaceInfo>> NvmeBackend::FindSource(const LunIdentity& lun) {
  std::vector<std::uint32_t> nsids;
  {
    std::lock_guard<std::mutex> lock(mu_);
    nsids = sources_;
  }
  absl::Status unreadable;
  for (std::uint32_t nsid : nsids) {
    absl::StatusOr<NvmeNamespaceInfo> info = SourceInfo(nsid);
    if (!info.ok()) {
      if (unreadable.ok()) unreadable = info.status();
      continue;
    }
    if (info->identity.SameLunAs(lun)) return std::optional<NvmeNamespaceInfo>(*std::move(info));
  }
  // Not among the namespaces we could read; one we could not read might have
  // been this one, so the answer is "storage unreachable", not "foreign".
  if (!unreadable.ok()) return unreadable;
  return std::optional<NvmeNamespaceInfo>();
}

absl::StatusOr<std::optional<LunIdentity>> NvmeBackend::FindTarget(const LunIdentity& lun) {
  std::vector<TargetId> undescribed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, record] : targets_) {
      if (record.state == TargetState::kPrepared) continue;
      if (record.described.has_value()) {
        if (record.described->SameLunAs(lun)) return std::optional<LunIdentity>(*record.described);
      } else {
        undescribed.push_back(id);
      }
    }
  }
  // Committed but never described: read what the storage reports for them.
  for (const TargetId& id : undescribed) {
    absl::StatusOr<LunIdentity> described = DescribeTarget(id);
    if (!described.ok()) {
      if (GetErrorCode(described.status()) == ErrorCode::kObjectNotFound) continue;  // released meanwhile
      return Classified(described.status(), absl::StrCat("nvme: describe target '", id, "'"));
    }
    if (described->SameLunAs(lun)) return std::optional<LunIdentity>(*described);
  }
  return std::optional<LunIdentity>();
}

absl::StatusOr<LunSupport> NvmeBackend::IdentifyLun(const LunIdentity& lun) {
  if (absl::Status valid = ValidateLunIdentity(lun); !valid.ok()) {
    Log().warn("identify: malformed LUN description refused: {}", valid.message());
    return InvalidArgumentError(absl::StrCat("nvme: malformed LUN description: ", valid.message()));
  }
  LunSupport support;
  support.identity = lun;
  if (!lun.HasUniqueDesignator()) {
    support.reason =
        "the disk reports no unique identifier (EUI-64, NGUID, UUID, NAA or SCSI name string), so its "
        "snapshot could not be matched on import";
    return support;
  }
  absl::StatusOr<std::optional<NvmeNamespaceInfo>> found = FindSource(lun);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    // A snapshot namespace this backend made (VSS asks about it on import).
    absl::StatusOr<std::optional<LunIdentity>> target = FindTarget(lun);
    if (!target.ok()) return target.status();
    if (target->has_value()) {
      support.identity = **target;
      support.supported = true;
      return support;
    }
    support.reason = absl::StrCat("not one of the namespaces this NVMe backend (", control_->Name(), " on ",
                                  options_.controller, ") manages: ", lun.ToString());
    return support;
  }
  const NvmeNamespaceInfo& info = **found;
  support.identity = info.identity;
  support.reason = control_->WhyCannotSnapshot(info);
  support.supported = support.reason.empty();
  return support;
}

absl::StatusOr<TargetId> NvmeBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  if (cancel.IsCancelled()) return cancel.status();
  if (absl::Status valid = ValidateLunIdentity(source); !valid.ok()) {
    return InvalidArgumentError(absl::StrCat("nvme: malformed LUN description: ", valid.message()));
  }
  absl::StatusOr<std::optional<NvmeNamespaceInfo>> found = FindSource(source);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return NotSupportedError(absl::StrCat("nvme: not a namespace this backend manages: ", source.ToString()));
  }
  const NvmeNamespaceInfo& info = **found;
  if (std::string why = control_->WhyCannotSnapshot(info); !why.empty()) {
    return NotSupportedError(absl::StrCat("nvme: ", options_.controller, " namespace ", info.nsid, ": ", why));
  }
  if (cancel.IsCancelled()) return cancel.status();
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> target = control_->Provision(info, cancel);
  if (!target.ok()) {
    absl::Status status =
        Classified(target.status(), absl::StrCat(control_->Name(), ": provision"),
                   {ErrorCode::kInsufficientStorage, ErrorCode::kNotSupported, ErrorCode::kVeto,
                    ErrorCode::kCancelled, ErrorCode::kBackendFailure});
    Log().info("prepare namespace {}: {}", info.nsid, status.ToString());
    return status;
  }
  if (target->empty()) {
    return BackendFailureError(absl::StrCat(control_->Name(), ": provision returned an empty target name"));
  }
  bool recorded = false;
  {
    // The token is checked together with recording the target: a
    // cancellation that lands from here on finds the target in the map and
    // the core releases it; one that landed before is rolled back below.
    std::lock_guard<std::mutex> lock(mu_);
    if (!cancel.IsCancelled()) {
      if (targets_.count(*target) > 0) {
        return BackendFailureError(
            absl::StrCat(control_->Name(), ": provision returned a target name already in use: ", *target));
      }
      targets_.emplace(*target, TargetRecord{info, TargetState::kPrepared, std::nullopt});
      released_.erase(*target);
      recorded = true;
    }
  }
  if (!recorded) {
    // Cancelled while the strategy finished: nothing may stay behind.
    if (absl::Status undone = control_->Delete(*target); !undone.ok()) {
      Log().error("prepare namespace {}: cancelled, and deleting target {} failed: {}", info.nsid, *target,
                  undone.ToString());
    }
    return cancel.status();
  }
  Log().info("prepared target {} for namespace {} in {}", *target, info.nsid,
             absl::FormatDuration(absl::Now() - start));
  return *target;
}

absl::StatusOr<NvmeBackend::TargetRecord> NvmeBackend::Record(const TargetId& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    return ObjectNotFoundError(
        absl::StrCat("nvme: no target '", target, "'", released_.count(target) ? " (released)" : ""));
  }
  return it->second;
}

absl::Status NvmeBackend::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  if (targets.empty()) return InvalidArgumentError("nvme: commit of an empty group");
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const TargetId& target : targets) {
      auto it = targets_.find(target);
      if (it == targets_.end()) {
        return ObjectNotFoundError(absl::StrCat("nvme: commit: no target '", target, "'",
                                                released_.count(target) ? " (released)" : ""));
      }
      if (it->second.state != TargetState::kPrepared) {
        return BadStateError(absl::StrCat("nvme: commit: target '", target, "' is already ",
                                          it->second.state == TargetState::kCommitted ? "committed" : "exposed"));
      }
      if (it->second.restored) {
        return BadStateError(absl::StrCat("nvme: commit: target '", target,
                                          "' was prepared before a restart; it can only be released"));
      }
      if (std::find(names.begin(), names.end(), target) != names.end()) {
        return InvalidArgumentError(absl::StrCat("nvme: commit: target '", target, "' listed twice"));
      }
      names.push_back(target);
    }
  }
  if (absl::Now() >= deadline) {
    return DeadlineExceededError("nvme: commit window already over; nothing committed");
  }
  if (absl::Status s = control_->TakePointInTime(names, deadline); !s.ok()) {
    return Classified(s, absl::StrCat(control_->Name(), ": point-in-time copy"),
                      {ErrorCode::kDeadlineExceeded, ErrorCode::kInsufficientStorage, ErrorCode::kBackendFailure});
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& name : names) {
    auto it = targets_.find(name);
    if (it != targets_.end()) it->second.state = TargetState::kCommitted;
  }
  return absl::OkStatus();
}

absl::StatusOr<LunIdentity> NvmeBackend::DescribeTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("nvme: describe: target '", target, "' is not committed"));
  }
  if (record->described.has_value()) return *record->described;

  absl::StatusOr<NvmeNamespaceInfo> info = control_->TargetInfo(target);
  if (!info.ok()) return Classified(info.status(), absl::StrCat(control_->Name(), ": target '", target, "'"));
  const LunIdentity& identity = info->identity;
  const std::string where = absl::StrCat("nvme: target '", target, "' (namespace ", info->nsid, ")");
  if (absl::Status valid = ValidateLunIdentity(identity); !valid.ok()) {
    return BackendFailureError(absl::StrCat(where, " reports a malformed identity: ", valid.message()));
  }
  if (!identity.HasUniqueDesignator()) {
    return BackendFailureError(absl::StrCat(where, " reports no EUI-64, NGUID or UUID"));
  }
  if (identity.SameLunAs(record->source.identity)) {
    return BackendFailureError(
        absl::StrCat(where, " reports the identity of its source namespace ", record->source.nsid));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (std::string conflict = IdentityConflict(target, identity); !conflict.empty()) {
    return BackendFailureError(absl::StrCat(where, " reports ", conflict));
  }
  auto it = targets_.find(target);
  if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("nvme: target '", target, "' released"));
  if (!it->second.described.has_value()) it->second.described = identity;
  Log().info("target {} described as {}", target, it->second.described->ToString());
  return *it->second.described;
}

absl::Status NvmeBackend::ExposeTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("nvme: expose: target '", target, "' is not committed"));
  }
  if (absl::Status s = control_->Expose(target); !s.ok()) {
    return Classified(s, absl::StrCat(control_->Name(), ": expose"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  if (it != targets_.end()) it->second.state = TargetState::kExposed;
  return absl::OkStatus();
}

absl::Status NvmeBackend::ReleaseTarget(const TargetId& target) {
  bool known = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_.count(target) > 0) return absl::OkStatus();
    known = targets_.count(target) > 0;
  }
  if (!known) {
    // Not made by this process — perhaps by a previous one that died (the
    // catalog remembers it): reclaim it when the storage still holds it.
    absl::StatusOr<std::vector<std::string>> present = control_->ListTargets();
    if (!present.ok()) return Classified(present.status(), absl::StrCat(control_->Name(), ": list targets"));
    if (std::find(present->begin(), present->end(), target) == present->end()) {
      return ObjectNotFoundError(absl::StrCat("nvme: release: no target '", target, "'"));
    }
    Log().warn("releasing target {} left behind by an earlier run", target);
  }
  if (absl::Status s = control_->Delete(target); !s.ok()) {
    absl::Status status = Classified(s, absl::StrCat(control_->Name(), ": delete"));
    Log().error("release of target {} failed: {}", target, status.ToString());
    return status;
  }
  std::lock_guard<std::mutex> lock(mu_);
  targets_.erase(target);
  released_.insert(target);
  Log().info("released target {}", target);
  return absl::OkStatus();
}

namespace {

const char* StateText(int state) {
  switch (state) {
    case 0: return "prepared";
    case 1: return "committed";
    case 2: return "exposed";
    default: return "unknown";
  }
}

}  // namespace

std::string NvmeBackend::IdentityConflict(const TargetId& target, const LunIdentity& identity) const {
  for (const auto& [nsid, source] : source_info_) {
    if (identity.SameLunAs(source.identity)) return absl::StrCat("the identity of source namespace ", nsid);
  }
  for (const auto& [id, other] : targets_) {
    if (id != target && other.described.has_value() && identity.SameLunAs(*other.described)) {
      return absl::StrCat("the identity of target '", id, "'");
    }
  }
  return "";
}

absl::Status NvmeBackend::RestoreTarget(const RestoredTarget& target) {
  const std::string what = absl::StrCat("nvme: restore of target '", target.id, "'");
  if (target.id.empty()) return InvalidArgumentError("nvme: restore: empty target id");
  if (absl::Status valid = ValidateLunIdentity(target.source); !valid.ok()) {
    return InvalidArgumentError(absl::StrCat(what, ": malformed source identity: ", valid.message()));
  }
  if (target.exposed && !target.committed) {
    return InvalidArgumentError(absl::StrCat(what, ": recorded exposed but not committed"));
  }
  if (target.identity.has_value()) {
    if (!target.committed) {
      return InvalidArgumentError(absl::StrCat(what, ": an identity is recorded but the target is not committed"));
    }
    if (absl::Status valid = ValidateLunIdentity(*target.identity); !valid.ok()) {
      return InvalidArgumentError(absl::StrCat(what, ": malformed identity: ", valid.message()));
    }
    if (!target.identity->HasUniqueDesignator()) {
      return InvalidArgumentError(absl::StrCat(what, ": the recorded identity has no EUI-64, NGUID or UUID"));
    }
    if (target.identity->SameLunAs(target.source)) {
      return InvalidArgumentError(absl::StrCat(what, ": the recorded identity is its source namespace's"));
    }
  }
  std::lock_guard<std::mutex> restoring(restore_mu_);
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (released_.count(target.id) > 0) {
      return ObjectNotFoundError(absl::StrCat(what, ": released by this process"));
    }
    if (auto it = targets_.find(target.id); it != targets_.end()) {
      const TargetRecord& held = it->second;
      const bool same = (held.state != TargetState::kPrepared) == target.committed &&
                        (!target.identity.has_value() || !held.described.has_value() ||
                         target.identity->SameLunAs(*held.described));
      if (same) return absl::OkStatus();
      return InvalidArgumentError(absl::StrCat(what, ": this process holds it already, ",
                                               StateText(static_cast<int>(held.state)), " and described otherwise"));
    }
  }
  if (target.identity.has_value()) {
    // Every source namespace, read (and cached) now; one that cannot be read
    // is skipped: a snapshot outlives its source, and IdentifyLun matches
    // sources before targets anyway.
    std::vector<std::uint32_t> nsids;
    {
      std::lock_guard<std::mutex> lock(mu_);
      nsids = sources_;
    }
    for (std::uint32_t nsid : nsids) {
      absl::StatusOr<NvmeNamespaceInfo> info = SourceInfo(nsid);
      if (!info.ok()) {
        Log().warn("restore {}: source namespace {} unreadable, not compared: {}", target.id, nsid,
                   info.status().ToString());
      }
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (std::string conflict = IdentityConflict(target.id, *target.identity); !conflict.empty()) {
      return InvalidArgumentError(absl::StrCat(what, ": the recorded identity is ", conflict));
    }
  }
  if (absl::Status s = control_->Adopt(target); !s.ok()) {
    absl::Status status = Classified(s, absl::StrCat(control_->Name(), ": adopt '", target.id, "'"),
                                     {ErrorCode::kObjectNotFound, ErrorCode::kInvalidArgument,
                                      ErrorCode::kNotSupported, ErrorCode::kBackendFailure});
    Log().warn("restore of target {} failed: {}", target.id, status.ToString());
    return status;
  }
  TargetRecord record;
  record.source.identity = target.source;
  record.state = target.exposed    ? TargetState::kExposed
                 : target.committed ? TargetState::kCommitted
                                    : TargetState::kPrepared;
  record.described = target.identity;
  record.restored = true;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [nsid, source] : source_info_) {
    if (source.identity.SameLunAs(target.source)) record.source = source;
  }
  const char* state = StateText(static_cast<int>(record.state));
  targets_.insert_or_assign(target.id, std::move(record));
  Log().info("restored target {} ({})", target.id, state);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TargetId>> NvmeBackend::ListTargets() {
  absl::StatusOr<std::vector<std::string>> listed = control_->ListTargets();
  if (!listed.ok()) {
    return Classified(listed.status(), absl::StrCat(control_->Name(), ": list targets"),
                      {ErrorCode::kNotSupported, ErrorCode::kBackendFailure});
  }
  return std::vector<TargetId>(listed->begin(), listed->end());
}

absl::Status NvmeBackend::MaskTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("nvme: mask: target '", target, "' is not committed"));
  }
  if (absl::Status s = control_->Mask(target); !s.ok()) {
    return Classified(s, absl::StrCat(control_->Name(), ": mask"),
                      {ErrorCode::kNotSupported, ErrorCode::kObjectNotFound, ErrorCode::kBackendFailure});
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  if (it != targets_.end()) it->second.state = TargetState::kCommitted;
  return absl::OkStatus();
}

}  // namespace hwsnap::nvme
