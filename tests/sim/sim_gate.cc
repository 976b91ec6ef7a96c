// Parking backend calls for the director (see sim_gate.h).
#include "sim_gate.h"

#include <algorithm>
#include <new>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace hwsnap::sim {
namespace {

const absl::Status& StatusOf(const absl::Status& s) { return s; }
template <typename T>
const absl::Status& StatusOf(const absl::StatusOr<T>& s) { return s.status(); }

}  // namespace

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kIdentify: return "identify";
    case OpKind::kPrepare: return "prepare";
    case OpKind::kCommit: return "commit";
    case OpKind::kDescribe: return "describe";
    case OpKind::kExpose: return "expose";
    case OpKind::kRelease: return "release";
  }
  return "?";
}

std::string OpView::Key() const {
  return absl::StrFormat("%d/%03d/%s", static_cast<int>(kind), lun + 1, target);
}

SimGate::SimGate(std::shared_ptr<Backend> inner, std::vector<LunIdentity> luns)
    : ForwardingBackend(std::move(inner)), luns_(std::move(luns)) {}

BackendCapabilities SimGate::Capabilities() const {
  BackendCapabilities caps = inner().Capabilities();
  // A prepare limit would make workers poll on a timer; the sim decides
  // parallelism itself.
  caps.max_parallel_prepares = 0;
  return caps;
}

int SimGate::LunIndex(const LunIdentity& lun) const {
  for (size_t i = 0; i < luns_.size(); ++i) {
    if (luns_[i].SameLunAs(lun)) return static_cast<int>(i);
  }
  return -1;
}

int SimGate::LunOfTarget(const TargetId& target) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = lun_of_target_.find(target);
  return it == lun_of_target_.end() ? -1 : it->second;
}

std::vector<OpView> SimGate::Pending() const {
  std::vector<OpView> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& op : pending_) {
      if (op->resolution) continue;  // resolved, being forwarded
      OpView view = op->view;
      view.cancelled = op->cancel && op->cancel->IsCancelled();
      out.push_back(std::move(view));
    }
  }
  std::stable_sort(out.begin(), out.end(), [](const OpView& a, const OpView& b) { return a.Key() < b.Key(); });
  return out;
}

void SimGate::Resolve(std::uint64_t gate_id, Resolution resolution) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& op : pending_) {
      if (op->view.gate_id == gate_id) op->resolution = resolution;
    }
  }
  cv_.notify_all();
}

std::vector<OpOutcome> SimGate::TakeFinished() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<OpOutcome> out;
  out.swap(finished_);
  return out;
}

std::uint64_t SimGate::activity() const {
  std::lock_guard<std::mutex> lock(mu_);
  return activity_;
}

std::pair<std::shared_ptr<SimGate::Op>, Resolution> SimGate::Park(OpKind kind, int lun, std::string target,
                                                                  const CancelToken* cancel) {
  auto op = std::make_shared<Op>();
  op->view.kind = kind;
  op->view.lun = lun;
  op->view.target = std::move(target);
  if (cancel != nullptr) op->cancel = *cancel;
  std::unique_lock<std::mutex> lock(mu_);
  op->view.gate_id = next_id_++;
  pending_.push_back(op);
  ++activity_;
  cv_.wait(lock, [&] { return op->resolution.has_value(); });
  return {op, *op->resolution};
}

void SimGate::Finish(const std::shared_ptr<Op>& op, const absl::Status& status, const TargetId& made) {
  // The outcome keeps its own copy of a failure rather than a second
  // reference to the caller's: absl::Status counts references inside the
  // (uninstrumented) Abseil library, so ThreadSanitizer would take the
  // director destroying its reference while the provider's thread still uses
  // the other for a race.
  const absl::Status own = status.ok() ? absl::OkStatus() : MakeError(GetErrorCode(status), std::string(status.message()));
  std::lock_guard<std::mutex> lock(mu_);
  pending_.erase(std::remove(pending_.begin(), pending_.end(), op), pending_.end());
  if (!made.empty()) lun_of_target_[made] = op->view.lun;
  finished_.push_back(OpOutcome{op->view.gate_id, op->view.kind, op->view.lun, op->view.target, own, made});
  ++activity_;
}

template <typename Result, typename Forward>
Result SimGate::Run(OpKind kind, int lun, std::string target, const CancelToken* cancel, Forward forward) {
  auto [op, resolution] = Park(kind, lun, std::move(target), cancel);
  switch (resolution.kind) {
    case Resolution::Kind::kForward: {
      Result result = forward();
      TargetId made;
      if constexpr (std::is_same_v<Result, absl::StatusOr<TargetId>>) {
        if (result.ok()) made = *result;
      }
      Finish(op, StatusOf(result), made);
      return result;
    }
    case Resolution::Kind::kThrowBadAlloc:
      Finish(op, OutOfMemoryError("sim: the backend threw std::bad_alloc"), {});
      throw std::bad_alloc();
    case Resolution::Kind::kFail:
    default: {
      absl::Status failure = MakeError(resolution.code, absl::StrCat("sim: injected ", ErrorCodeName(resolution.code)));
      Finish(op, failure, {});
      return Result(failure);
    }
  }
}

absl::StatusOr<LunSupport> SimGate::IdentifyLun(const LunIdentity& lun) {
  return Run<absl::StatusOr<LunSupport>>(OpKind::kIdentify, LunIndex(lun), "", nullptr,
                                         [&] { return inner().IdentifyLun(lun); });
}

absl::StatusOr<TargetId> SimGate::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  return Run<absl::StatusOr<TargetId>>(OpKind::kPrepare, LunIndex(source), "", &cancel,
                                       [&] { return inner().PrepareTarget(source, cancel); });
}

absl::Status SimGate::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  int lun = -1;
  for (const TargetId& t : targets) {
    const int l = LunOfTarget(t);
    if (l >= 0 && (lun < 0 || l < lun)) lun = l;
  }
  return Run<absl::Status>(OpKind::kCommit, lun, absl::StrJoin(targets, ","), nullptr,
                           [&] { return inner().CommitTargets(targets, deadline); });
}

absl::StatusOr<LunIdentity> SimGate::DescribeTarget(const TargetId& target) {
  return Run<absl::StatusOr<LunIdentity>>(OpKind::kDescribe, LunOfTarget(target), target, nullptr,
                                          [&] { return inner().DescribeTarget(target); });
}

absl::Status SimGate::ExposeTarget(const TargetId& target) {
  return Run<absl::Status>(OpKind::kExpose, LunOfTarget(target), target, nullptr,
                           [&] { return inner().ExposeTarget(target); });
}

absl::Status SimGate::ReleaseTarget(const TargetId& target) {
  return Run<absl::Status>(OpKind::kRelease, LunOfTarget(target), target, nullptr,
                           [&] { return inner().ReleaseTarget(target); });
}

}  // namespace hwsnap::sim
