// ScsiBackend: the Backend contract's state machine around an ArrayControl,
// with identities read from the LUNs themselves. See scsi_backend.h.
#include "hwsnap/scsi/scsi_backend.h"

#include <algorithm>
#include <initializer_list>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hwsnap/logging.h"
#include "hwsnap/scsi/lun_reader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

spdlog::logger& Log() {
  static const auto* const logger = new std::shared_ptr<spdlog::logger>(GetLogger("backend.scsi"));
  return **logger;
}

// Failures from a strategy or transport keep their domain code when the
// Backend method may return it (backend.h lists the codes per method);
// anything else — unclassified, or a code the method may not return, such
// as "not found" from a LUN read inside IdentifyLun — becomes kBackendFailure
// with the original text. Out of memory always passes.
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

const char* StateName(int state) {
  switch (state) {
    case 0: return "prepared";
    case 1: return "committed";
    case 2: return "exposed";
    default: return "unknown";
  }
}

}  // namespace

ScsiBackend::ScsiBackend(ScsiBackendOptions options, std::shared_ptr<ArrayControl> control)
    : options_(std::move(options)), control_(std::move(control)), open_(options_.open_transport) {
  if (!open_) {
    TransportOptions transport = options_.transport;
    open_ = [transport](absl::string_view address) { return OpenScsiTransport(address, transport); };
  }
  for (const std::string& address : options_.source_addresses) {
    if (!address.empty()) sources_.push_back(address);
  }
}

BackendCapabilities ScsiBackend::Capabilities() const {
  BackendCapabilities caps;
  caps.max_parallel_prepares = options_.max_parallel_prepares;
  caps.max_commit_group = 0;
  caps.cancel_bound = options_.cancel_bound;
  return caps;
}

absl::Status ScsiBackend::AddSource(std::string address) {
  if (address.empty()) return InvalidArgumentError("scsi: empty source LUN address");
  std::lock_guard<std::mutex> lock(mu_);
  if (std::find(sources_.begin(), sources_.end(), address) == sources_.end()) {
    sources_.push_back(std::move(address));
  }
  return absl::OkStatus();
}

absl::StatusOr<ScsiLunInfo> ScsiBackend::ReadInfo(const std::string& address) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> transport = open_(address);
  if (!transport.ok()) return Classified(transport.status(), absl::StrCat("open ", address));
  if (*transport == nullptr) return BackendFailureError(absl::StrCat("open ", address, ": no transport"));
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(**transport, options_.command_timeout);
  if (!info.ok()) return Classified(info.status(), absl::StrCat("read identity of ", address));
  return info;
}

absl::StatusOr<ScsiLunInfo> ScsiBackend::SourceInfo(const std::string& address) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = source_info_.find(address);
    if (it != source_info_.end()) return it->second;
  }
  absl::StatusOr<ScsiLunInfo> info = ReadInfo(address);
  if (!info.ok()) return info.status();
  if (!info->identity.HasUniqueDesignator()) {
    Log().warn("source LUN {} ({}) reports no unique page-0x83 designator; it cannot be snapshotted",
               address, info->identity.ToString());
  }
  std::lock_guard<std::mutex> lock(mu_);
  // A LUN's identity does not change: the first reading stays (equal answers).
  return source_info_.emplace(address, *std::move(info)).first->second;
}

absl::StatusOr<std::vector<ScsiLunInfo>> ScsiBackend::SourceLuns() {
  std::vector<std::string> addresses;
  {
    std::lock_guard<std::mutex> lock(mu_);
    addresses = sources_;
  }
  std::vector<ScsiLunInfo> infos;
  for (const std::string& address : addresses) {
    absl::StatusOr<ScsiLunInfo> info = SourceInfo(address);
    if (!info.ok()) return info.status();
    infos.push_back(*std::move(info));
  }
  return infos;
}

absl::StatusOr<std::optional<ScsiLunInfo>> ScsiBackend::FindSource(const LunIdentity& lun) {
  std::vector<std::string> addresses;
  {
    std::lock_guard<std::mutex> lock(mu_);
    addresses = sources_;
  }
  absl::Status unreadable;
  for (const std::string& address : addresses) {
    absl::StatusOr<ScsiLunInfo> info = SourceInfo(address);
    if (!info.ok()) {
      if (unreadable.ok()) unreadable = info.status();
      continue;
    }
    if (info->identity.SameLunAs(lun)) return std::optional<ScsiLunInfo>(*std::move(info));
  }
  // Not among the LUNs we could read; if one could not be read it might have
  // been this one, so the answer is "storage unreachable", not "foreign".
  if (!unreadable.ok()) return unreadable;
  return std::optional<ScsiLunInfo>();
}

absl::StatusOr<std::optional<LunIdentity>> ScsiBackend::FindTarget(const LunIdentity& lun) {
  std::vector<TargetId> committed;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [id, record] : targets_) {
      if (record.state == TargetState::kPrepared) continue;
      if (record.described.has_value()) {
        if (record.described->SameLunAs(lun)) return std::optional<LunIdentity>(*record.described);
      } else {
        committed.push_back(id);
      }
    }
  }
  // Committed but never described: read what the storage reports for them.
  for (const TargetId& id : committed) {
    absl::StatusOr<LunIdentity> described = DescribeTarget(id);
    if (!described.ok()) {
      if (GetErrorCode(described.status()) == ErrorCode::kObjectNotFound) continue;  // released meanwhile
      return described.status();
    }
    if (described->SameLunAs(lun)) return std::optional<LunIdentity>(*described);
  }
  return std::optional<LunIdentity>();
}

absl::StatusOr<LunSupport> ScsiBackend::IdentifyLun(const LunIdentity& lun) {
  if (absl::Status valid = ValidateLunIdentity(lun); !valid.ok()) {
    Log().warn("identify: malformed LUN description refused: {}", valid.message());
    return InvalidArgumentError(absl::StrCat("scsi: malformed LUN description: ", valid.message()));
  }
  LunSupport support;
  support.identity = lun;
  if (!lun.HasUniqueDesignator()) {
    support.reason =
        "the LUN reports no unique page-0x83 designator (NAA, EUI-64, T10 vendor id or SCSI name "
        "string), so its snapshot could not be matched on import";
    return support;
  }
  absl::StatusOr<std::optional<ScsiLunInfo>> found = FindSource(lun);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    // A snapshot LUN this backend made (VSS asks about it on import).
    absl::StatusOr<std::optional<LunIdentity>> target = FindTarget(lun);
    if (!target.ok()) return target.status();
    if (target->has_value()) {
      support.identity = **target;
      support.supported = true;
      return support;
    }
    support.reason = absl::StrCat("not one of the LUNs this SCSI backend (", control_->Name(),
                                  ") manages: ", lun.ToString());
    return support;
  }
  const ScsiLunInfo& info = **found;
  support.identity = info.identity;
  support.reason = control_->WhyCannotSnapshot(info);
  support.supported = support.reason.empty();
  return support;
}

absl::StatusOr<TargetId> ScsiBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  if (cancel.IsCancelled()) return cancel.status();
  if (absl::Status valid = ValidateLunIdentity(source); !valid.ok()) {
    return InvalidArgumentError(absl::StrCat("scsi: malformed LUN description: ", valid.message()));
  }
  absl::StatusOr<std::optional<ScsiLunInfo>> found = FindSource(source);
  if (!found.ok()) return found.status();
  if (!found->has_value()) {
    return NotSupportedError(absl::StrCat("scsi: not a LUN this backend manages: ", source.ToString()));
  }
  const ScsiLunInfo& info = **found;
  if (std::string why = control_->WhyCannotSnapshot(info); !why.empty()) {
    return NotSupportedError(absl::StrCat("scsi: ", info.address, ": ", why));
  }
  const absl::Time start = absl::Now();
  absl::StatusOr<std::string> target = control_->Provision(info, cancel);
  if (!target.ok()) {
    absl::Status status =
        Classified(target.status(), absl::StrCat(control_->Name(), ": provision"),
                   {ErrorCode::kInsufficientStorage, ErrorCode::kNotSupported, ErrorCode::kVeto,
                    ErrorCode::kCancelled, ErrorCode::kBackendFailure});
    Log().info("prepare {}: {}", info.address, status.ToString());
    return status;
  }
  if (target->empty()) {
    return BackendFailureError(absl::StrCat(control_->Name(), ": provision returned an empty target name"));
  }
  if (cancel.IsCancelled()) {
    // Cancelled while the strategy finished: nothing may stay behind.
    if (absl::Status undone = control_->Delete(*target); !undone.ok()) {
      Log().error("prepare {}: cancelled, and deleting target {} failed: {}", info.address, *target,
                  undone.ToString());
    }
    return cancel.status();
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!targets_.emplace(*target, TargetRecord{info, TargetState::kPrepared, std::nullopt}).second) {
      return BackendFailureError(
          absl::StrCat(control_->Name(), ": provision returned a target name already in use: ", *target));
    }
    released_.erase(*target);
  }
  Log().info("prepared target {} for {} in {}", *target, info.address, absl::FormatDuration(absl::Now() - start));
  return *target;
}

absl::StatusOr<ScsiBackend::TargetRecord> ScsiBackend::Record(const TargetId& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  if (it == targets_.end()) {
    return ObjectNotFoundError(absl::StrCat("scsi: no target '", target, "'",
                                            released_.count(target) ? " (released)" : ""));
  }
  return it->second;
}

absl::Status ScsiBackend::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  if (targets.empty()) return InvalidArgumentError("scsi: commit of an empty group");
  std::vector<std::string> names;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const TargetId& target : targets) {
      auto it = targets_.find(target);
      if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("scsi: commit: no target '", target, "'"));
      if (it->second.state != TargetState::kPrepared) {
        return BadStateError(absl::StrCat("scsi: commit: target '", target, "' is already ",
                                          StateName(static_cast<int>(it->second.state))));
      }
      if (it->second.restored) {
        return BadStateError(absl::StrCat("scsi: commit: target '", target,
                                          "' was prepared before a restart; it can only be released"));
      }
      if (std::find(names.begin(), names.end(), target) != names.end()) {
        return InvalidArgumentError(absl::StrCat("scsi: commit: target '", target, "' listed twice"));
      }
      names.push_back(target);
    }
  }
  if (absl::Now() >= deadline) {
    return DeadlineExceededError("scsi: commit window already over; nothing committed");
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

absl::StatusOr<LunIdentity> ScsiBackend::DescribeTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("scsi: describe: target '", target, "' is not committed"));
  }
  if (record->described.has_value()) return *record->described;

  absl::StatusOr<std::string> address = control_->TargetAddress(target);
  if (!address.ok()) return Classified(address.status(), absl::StrCat(control_->Name(), ": target address"));
  absl::StatusOr<ScsiLunInfo> info = ReadInfo(*address);
  if (!info.ok()) return info.status();
  const LunIdentity& identity = info->identity;
  if (absl::Status valid = ValidateLunIdentity(identity); !valid.ok()) {
    return BackendFailureError(absl::StrCat("scsi: target '", target, "' at ", *address,
                                            " reports a malformed identity: ", valid.message()));
  }
  if (!identity.HasUniqueDesignator()) {
    return BackendFailureError(absl::StrCat("scsi: target '", target, "' at ", *address,
                                            " reports no unique page-0x83 designator"));
  }
  if (identity.SameLunAs(record->source.identity)) {
    return BackendFailureError(absl::StrCat("scsi: target '", target, "' at ", *address,
                                            " reports the identity of its source LUN ", record->source.address));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (std::string conflict = IdentityConflict(target, identity); !conflict.empty()) {
    return BackendFailureError(absl::StrCat("scsi: target '", target, "' at ", *address, " reports ", conflict));
  }
  auto it = targets_.find(target);
  if (it == targets_.end()) return ObjectNotFoundError(absl::StrCat("scsi: target '", target, "' released"));
  if (!it->second.described.has_value()) it->second.described = identity;
  Log().info("target {} described as {}", target, it->second.described->ToString());
  return *it->second.described;
}

absl::Status ScsiBackend::ExposeTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("scsi: expose: target '", target, "' is not committed"));
  }
  if (absl::Status s = control_->Expose(target); !s.ok()) {
    return Classified(s, absl::StrCat(control_->Name(), ": expose"));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto it = targets_.find(target);
  if (it != targets_.end()) it->second.state = TargetState::kExposed;
  return absl::OkStatus();
}

absl::Status ScsiBackend::ReleaseTarget(const TargetId& target) {
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
      return ObjectNotFoundError(absl::StrCat("scsi: release: no target '", target, "'"));
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

std::string ScsiBackend::IdentityConflict(const TargetId& target, const LunIdentity& identity) const {
  for (const auto& [address, source] : source_info_) {
    if (identity.SameLunAs(source.identity)) return absl::StrCat("the identity of source LUN ", address);
  }
  for (const auto& [id, other] : targets_) {
    if (id != target && other.described.has_value() && identity.SameLunAs(*other.described)) {
      return absl::StrCat("the identity of target '", id, "'");
    }
  }
  return "";
}

absl::Status ScsiBackend::RestoreTarget(const RestoredTarget& target) {
  const std::string what = absl::StrCat("scsi: restore of target '", target.id, "'");
  if (target.id.empty()) return InvalidArgumentError("scsi: restore: empty target id");
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
      return InvalidArgumentError(absl::StrCat(what, ": the recorded identity has no unique designator"));
    }
    if (target.identity->SameLunAs(target.source)) {
      return InvalidArgumentError(absl::StrCat(what, ": the recorded identity is its source LUN's"));
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
                                               StateName(static_cast<int>(held.state)), " and described otherwise"));
    }
  }
  if (target.identity.has_value()) {
    // Every source this backend manages, read (and cached) now; one that
    // cannot be read is skipped: a snapshot outlives its source, and
    // IdentifyLun matches sources before targets anyway.
    std::vector<std::string> addresses;
    {
      std::lock_guard<std::mutex> lock(mu_);
      addresses = sources_;
    }
    for (const std::string& address : addresses) {
      absl::StatusOr<ScsiLunInfo> info = SourceInfo(address);
      if (!info.ok()) {
        Log().warn("restore {}: source LUN {} unreadable, not compared: {}", target.id, address,
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
  for (const auto& [address, source] : source_info_) {
    if (source.identity.SameLunAs(target.source)) record.source.address = address;
  }
  targets_.insert_or_assign(target.id, std::move(record));
  Log().info("restored target {} ({})", target.id,
             StateName(static_cast<int>(targets_.at(target.id).state)));
  return absl::OkStatus();
}

absl::StatusOr<std::vector<TargetId>> ScsiBackend::ListTargets() {
  absl::StatusOr<std::vector<std::string>> listed = control_->ListTargets();
  if (!listed.ok()) {
    return Classified(listed.status(), absl::StrCat(control_->Name(), ": list targets"),
                      {ErrorCode::kNotSupported, ErrorCode::kBackendFailure});
  }
  return std::vector<TargetId>(listed->begin(), listed->end());
}

absl::Status ScsiBackend::MaskTarget(const TargetId& target) {
  absl::StatusOr<TargetRecord> record = Record(target);
  if (!record.ok()) return record.status();
  if (record->state == TargetState::kPrepared) {
    return BadStateError(absl::StrCat("scsi: mask: target '", target, "' is not committed"));
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

}  // namespace hwsnap::scsi
