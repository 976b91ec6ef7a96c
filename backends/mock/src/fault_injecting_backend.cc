// Scripted faults over any backend (see hwsnap/mock/fault_injecting_backend.h).
#include "hwsnap/mock/fault_injecting_backend.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "hwsnap/logging.h"

namespace hwsnap {
namespace {

struct OpName {
  BackendOp op;
  absl::string_view name;
};
constexpr OpName kOps[] = {
    {BackendOp::kIdentify, "identify"}, {BackendOp::kPrepare, "prepare"},
    {BackendOp::kCommit, "commit"},     {BackendOp::kDescribe, "describe"},
    {BackendOp::kExpose, "expose"},     {BackendOp::kRelease, "release"},
};

struct KindName {
  FaultKind kind;
  absl::string_view name;
};
constexpr KindName kKinds[] = {
    {FaultKind::kError, "error"},
    {FaultKind::kHang, "hang"},
    {FaultKind::kIgnoreCancel, "ignore-cancel"},
    {FaultKind::kLatency, "latency"},
};

absl::StatusOr<absl::Duration> ParseFaultDuration(absl::string_view spec, absl::string_view text) {
  absl::Duration d;
  if (!absl::ParseDuration(text, &d) || d < absl::ZeroDuration()) {
    return InvalidArgumentError(absl::StrCat("fault '", spec, "': '", text,
                                             "' is not a duration (e.g. 250ms, 2s)"));
  }
  return d;
}

}  // namespace

absl::string_view BackendOpName(BackendOp op) {
  for (const OpName& entry : kOps) {
    if (entry.op == op) return entry.name;
  }
  return "unknown";
}

std::optional<BackendOp> ParseBackendOp(absl::string_view name) {
  for (const OpName& entry : kOps) {
    if (entry.name == name) return entry.op;
  }
  return std::nullopt;
}

absl::string_view FaultKindName(FaultKind kind) {
  for (const KindName& entry : kKinds) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

std::string FaultRule::ToString() const {
  std::string out = absl::StrCat(BackendOpName(op), ":", lun ? lun->ToString() : "*", ":", FaultKindName(kind));
  if (kind == FaultKind::kError) absl::StrAppend(&out, ":", ErrorCodeName(code));
  if (kind != FaultKind::kError) absl::StrAppend(&out, ":", absl::FormatDuration(duration));
  if (times >= 0) absl::StrAppend(&out, ":x", times);
  return out;
}

absl::StatusOr<FaultRule> ParseFaultRule(absl::string_view text, absl::Span<const LunIdentity> luns) {
  std::vector<absl::string_view> parts = absl::StrSplit(text, ':');
  auto bad = [&](absl::string_view why) {
    return InvalidArgumentError(absl::StrCat("fault '", text, "': ", why,
                                             " (expected OP:LUN:KIND[:ARG][:xN])"));
  };
  if (parts.size() < 3) return bad("too few fields");
  FaultRule rule;
  // A trailing xN limits the firings.
  if (parts.size() > 3 && !parts.back().empty() && parts.back()[0] == 'x') {
    int times = 0;
    if (!absl::SimpleAtoi(parts.back().substr(1), &times) || times < 1) {
      return bad(absl::StrCat("'", parts.back(), "' is not a firing count like x1"));
    }
    rule.times = times;
    parts.pop_back();
  }
  auto op = ParseBackendOp(parts[0]);
  if (!op) return bad(absl::StrCat("unknown operation '", parts[0], "'"));
  rule.op = *op;
  if (parts[1] != "*") {
    int index = -1;
    if (!absl::SimpleAtoi(parts[1], &index) || index < 0 || static_cast<size_t>(index) >= luns.size()) {
      return bad(absl::StrCat("LUN '", parts[1], "' is neither * nor an index below ", luns.size()));
    }
    rule.lun = luns[static_cast<size_t>(index)];
  }
  const absl::string_view kind = parts[2];
  const bool has_arg = parts.size() == 4;
  if (parts.size() > 4) return bad("too many fields");
  if (kind == "error") {
    rule.kind = FaultKind::kError;
    if (!has_arg) return bad("error needs a code, e.g. error:insufficient-storage");
    auto code = ParseErrorCode(parts[3]);
    if (!code || *code == ErrorCode::kOk) return bad(absl::StrCat("unknown error code '", parts[3], "'"));
    rule.code = *code;
  } else if (kind == "hang") {
    rule.kind = FaultKind::kHang;
    if (has_arg) {
      auto d = ParseFaultDuration(text, parts[3]);
      if (!d.ok()) return d.status();
      rule.duration = *d;
    }
  } else if (kind == "ignore-cancel" || kind == "latency") {
    rule.kind = kind == "latency" ? FaultKind::kLatency : FaultKind::kIgnoreCancel;
    if (!has_arg) return bad(absl::StrCat(kind, " needs a duration, e.g. ", kind, ":500ms"));
    auto d = ParseFaultDuration(text, parts[3]);
    if (!d.ok()) return d.status();
    rule.duration = *d;
  } else {
    return bad(absl::StrCat("unknown fault kind '", kind, "' (error, hang, ignore-cancel, latency)"));
  }
  return rule;
}

FaultInjectingBackend::FaultInjectingBackend(std::shared_ptr<Backend> inner)
    : ForwardingBackend(std::move(inner)) {}

void FaultInjectingBackend::AddRule(FaultRule rule) {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.push_back(std::move(rule));
}

void FaultInjectingBackend::ClearRules() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
}

int FaultInjectingBackend::fired() const {
  std::lock_guard<std::mutex> lock(mu_);
  return fired_;
}

std::optional<FaultRule> FaultInjectingBackend::Match(BackendOp op, absl::Span<const LunIdentity* const> luns) {
  std::lock_guard<std::mutex> lock(mu_);
  for (FaultRule& rule : rules_) {
    if (rule.op != op || rule.times == 0) continue;
    bool hit = !rule.lun.has_value();
    for (const LunIdentity* lun : luns) {
      if (hit) break;
      hit = lun != nullptr && lun->SameLunAs(*rule.lun);
    }
    if (!hit) continue;
    if (rule.times > 0) --rule.times;
    ++fired_;
    GetLogger("backend.faults")->info("injecting fault {}", rule.ToString());
    return rule;
  }
  return std::nullopt;
}

std::optional<FaultRule> FaultInjectingBackend::MatchTarget(BackendOp op, const TargetId& target) {
  std::optional<LunIdentity> source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = source_of_.find(target);
    if (it != source_of_.end()) source = it->second;
  }
  const LunIdentity* lun = source ? &*source : nullptr;
  return Match(op, absl::MakeConstSpan(&lun, 1));
}

absl::Status FaultInjectingBackend::Injected(const FaultRule& rule) const {
  const std::string what = absl::StrCat("injected fault: ", rule.ToString());
  if (rule.code == ErrorCode::kVeto) {
    return VetoError(what, "This failure was injected by a test; remove the --fault rule.");
  }
  return MakeError(rule.code, what);
}

absl::Status FaultInjectingBackend::Wait(const FaultRule& rule, const CancelToken* cancel, absl::Time deadline) {
  switch (rule.kind) {
    case FaultKind::kError:
      return Injected(rule);
    case FaultKind::kHang:
      if (cancel != nullptr) {
        cancel->WaitUntil(absl::InfiniteFuture());
        return cancel->status();
      }
      if (deadline != absl::InfiniteFuture()) {
        absl::SleepFor(deadline - absl::Now());
        return DeadlineExceededError(absl::StrCat("injected hang until the deadline: ", rule.ToString()));
      }
      absl::SleepFor(rule.duration);
      return absl::OkStatus();
    case FaultKind::kIgnoreCancel:
      absl::SleepFor(rule.duration);
      return absl::OkStatus();
    case FaultKind::kLatency:
      if (cancel != nullptr) return cancel->SleepFor(rule.duration);
      absl::SleepFor(rule.duration);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<LunSupport> FaultInjectingBackend::IdentifyLun(const LunIdentity& lun) {
  const LunIdentity* luns[] = {&lun};
  if (auto rule = Match(BackendOp::kIdentify, luns)) {
    if (auto s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::IdentifyLun(lun);
}

absl::StatusOr<TargetId> FaultInjectingBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  const LunIdentity* luns[] = {&source};
  if (auto rule = Match(BackendOp::kPrepare, luns)) {
    if (auto s = Wait(*rule, &cancel, absl::InfiniteFuture()); !s.ok()) return s;
  }
  absl::StatusOr<TargetId> target = ForwardingBackend::PrepareTarget(source, cancel);
  if (target.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    source_of_[*target] = source;
  }
  return target;
}

absl::Status FaultInjectingBackend::CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) {
  std::vector<LunIdentity> sources;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const TargetId& target : targets) {
      auto it = source_of_.find(target);
      if (it != source_of_.end()) sources.push_back(it->second);
    }
  }
  std::vector<const LunIdentity*> luns;
  for (const LunIdentity& lun : sources) luns.push_back(&lun);
  if (auto rule = Match(BackendOp::kCommit, luns)) {
    if (auto s = Wait(*rule, nullptr, deadline); !s.ok()) return s;
  }
  return ForwardingBackend::CommitTargets(targets, deadline);
}

absl::StatusOr<LunIdentity> FaultInjectingBackend::DescribeTarget(const TargetId& target) {
  if (auto rule = MatchTarget(BackendOp::kDescribe, target)) {
    if (auto s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::DescribeTarget(target);
}

absl::Status FaultInjectingBackend::ExposeTarget(const TargetId& target) {
  if (auto rule = MatchTarget(BackendOp::kExpose, target)) {
    if (auto s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::ExposeTarget(target);
}

absl::Status FaultInjectingBackend::ReleaseTarget(const TargetId& target) {
  if (auto rule = MatchTarget(BackendOp::kRelease, target)) {
    if (auto s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  absl::Status status = ForwardingBackend::ReleaseTarget(target);
  if (status.ok()) {
    std::lock_guard<std::mutex> lock(mu_);
    source_of_.erase(target);
  }
  return status;
}

}  // namespace hwsnap
