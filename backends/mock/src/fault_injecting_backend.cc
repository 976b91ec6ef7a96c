// Scripted faults over any backend (see hwsnap/mock/fault_injecting_backend.h).
// It exists so the provider's failure paths — errors, hangs, backends deaf to
// cancellation, slow calls — can be driven on purpose, per operation and per
// LUN, against the mock or a real backend, from tests and from hwsnapctl.
#include "hwsnap/mock/fault_injecting_backend.h"

#include <cctype>
#include <memory>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "hwsnap/logging.h"

#include <spdlog/logger.h>

namespace hwsnap {
namespace {

struct OpName {
  BackendOp op;
  absl::string_view name;
};
constexpr OpName kOpNames[] = {
    {BackendOp::kIdentify, "identify"}, {BackendOp::kPrepare, "prepare"},
    {BackendOp::kCommit, "commit"},     {BackendOp::kDescribe, "describe"},
    {BackendOp::kExpose, "expose"},     {BackendOp::kRelease, "release"},
};

struct KindName {
  FaultKind kind;
  absl::string_view name;
};
constexpr KindName kKindNames[] = {
    {FaultKind::kError, "error"},
    {FaultKind::kHang, "hang"},
    {FaultKind::kIgnoreCancel, "ignore-cancel"},
    {FaultKind::kLatency, "latency"},
};

// Never destroyed, like the log registry itself: a backend call that outlives
// main() (one that ignored cancellation) may still log during static destruction.
spdlog::logger& Log() {
  static const auto* const logger = new std::shared_ptr<spdlog::logger>(GetLogger("backend.faults"));
  return **logger;
}

bool AllDigits(absl::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

absl::string_view BackendOpName(BackendOp op) {
  for (const OpName& entry : kOpNames) {
    if (entry.op == op) return entry.name;
  }
  return "unknown";
}

std::optional<BackendOp> ParseBackendOp(absl::string_view name) {
  for (const OpName& entry : kOpNames) {
    if (entry.name == name) return entry.op;
  }
  return std::nullopt;
}

absl::string_view FaultKindName(FaultKind kind) {
  for (const KindName& entry : kKindNames) {
    if (entry.kind == kind) return entry.name;
  }
  return "unknown";
}

std::string FaultRule::ToString() const {
  std::string out = absl::StrCat(BackendOpName(op), ":", lun ? lun->ToString() : "*", ":", FaultKindName(kind), ":");
  if (kind == FaultKind::kError) {
    absl::StrAppend(&out, ErrorCodeName(code));
  } else {
    absl::StrAppend(&out, absl::FormatDuration(duration));
  }
  if (times >= 0) absl::StrAppend(&out, ":x", times);
  return out;
}

FaultRule MakeFaultRule(BackendOp op, FaultKind kind, std::optional<LunIdentity> lun, ErrorCode code,
                        absl::Duration duration, int times) {
  FaultRule rule;
  rule.op = op;
  rule.kind = kind;
  rule.lun = std::move(lun);
  rule.code = code;
  rule.duration = duration;
  rule.times = times;
  return rule;
}

absl::StatusOr<FaultRule> ParseFaultRule(absl::string_view text, absl::Span<const LunIdentity> luns) {
  auto bad = [text](absl::string_view why) {
    return InvalidArgumentError(
        absl::StrCat("fault '", text, "': ", why, " (expected OP:LUN:KIND[:ARG][:xN] or OP:KIND[:ARG])"));
  };
  std::vector<absl::string_view> fields = absl::StrSplit(text, ':');
  // Shorthand (HWSNAP_MOCK_FAULT): no LUN field means every LUN, and a bare
  // error code means error:CODE — "prepare:hang" is "prepare:*:hang",
  // "prepare:insufficient-storage" is "prepare:*:error:insufficient-storage".
  auto is_kind = [](absl::string_view f) {
    return f == "error" || f == "hang" || f == "ignore-cancel" || f == "latency";
  };
  auto is_code = [](absl::string_view f) {
    const std::optional<ErrorCode> code = ParseErrorCode(f);
    return code.has_value() && *code != ErrorCode::kOk;
  };
  if (fields.size() >= 2 && (is_kind(fields[1]) || is_code(fields[1]))) fields.insert(fields.begin() + 1, "*");
  if (fields.size() >= 3 && is_code(fields[2])) fields.insert(fields.begin() + 2, "error");
  if (fields.size() < 3) return bad("too few fields");

  FaultRule rule;
  // A trailing xN limits the rule to N firings. No op, code or duration
  // starts with 'x', so the field is unambiguous.
  if (fields.size() > 3 && !fields.back().empty() && fields.back().front() == 'x') {
    const absl::string_view count = fields.back().substr(1);
    int times = 0;
    if (!AllDigits(count) || !absl::SimpleAtoi(count, &times) || times < 1) {
      return bad(absl::StrCat("'", fields.back(), "' is not a firing count (x1, x2, ...)"));
    }
    rule.times = times;
    fields.pop_back();
  }
  if (fields.size() > 4) {
    return bad(absl::StrCat("unexpected field '", fields[4], "'"));
  }

  const std::optional<BackendOp> op = ParseBackendOp(fields[0]);
  if (!op) {
    return bad(absl::StrCat("unknown operation '", fields[0],
                            "' (identify, prepare, commit, describe, expose, release)"));
  }
  rule.op = *op;

  const absl::string_view lun = fields[1];
  if (lun != "*") {
    size_t index = 0;
    if (!AllDigits(lun) || !absl::SimpleAtoi(lun, &index)) {
      return bad(absl::StrCat("LUN '", lun, "' is neither * nor a LUN index"));
    }
    if (index >= luns.size()) {
      return bad(absl::StrCat("LUN index ", index, " is out of range (", luns.size(), " LUN(s): 0..",
                              luns.empty() ? 0 : luns.size() - 1, ")"));
    }
    rule.lun = luns[index];
  }

  const absl::string_view kind = fields[2];
  const std::optional<absl::string_view> arg =
      fields.size() == 4 ? std::optional<absl::string_view>(fields[3]) : std::nullopt;
  auto parse_duration = [&](absl::string_view value) -> absl::StatusOr<absl::Duration> {
    absl::Duration d;
    if (value.empty()) return bad(absl::StrCat(kind, " has an empty duration"));
    if (!absl::ParseDuration(value, &d)) {
      return bad(absl::StrCat("'", value, "' is not a duration (e.g. 250ms, 2s, 1m)"));
    }
    if (d < absl::ZeroDuration() || d == absl::InfiniteDuration()) {
      return bad(absl::StrCat("duration '", value, "' must be finite and not negative"));
    }
    return d;
  };

  if (kind == "error") {
    rule.kind = FaultKind::kError;
    if (!arg || arg->empty()) return bad("error needs a code, e.g. error:insufficient-storage");
    const std::optional<ErrorCode> code = ParseErrorCode(*arg);
    if (!code || *code == ErrorCode::kOk) {
      return bad(absl::StrCat("unknown error code '", *arg, "' (e.g. insufficient-storage, veto, backend-failure)"));
    }
    rule.code = *code;
  } else if (kind == "hang") {
    rule.kind = FaultKind::kHang;
    if (arg) {
      absl::StatusOr<absl::Duration> d = parse_duration(*arg);
      if (!d.ok()) return d.status();
      rule.duration = *d;
    }
  } else if (kind == "ignore-cancel" || kind == "latency") {
    rule.kind = kind == "latency" ? FaultKind::kLatency : FaultKind::kIgnoreCancel;
    if (!arg) return bad(absl::StrCat(kind, " needs a duration, e.g. ", kind, ":500ms"));
    absl::StatusOr<absl::Duration> d = parse_duration(*arg);
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
  std::optional<FaultRule> hit;
  int left = -1;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (FaultRule& rule : rules_) {
      if (rule.op != op || rule.times == 0) continue;
      bool matches = !rule.lun.has_value();
      for (size_t i = 0; !matches && i < luns.size(); ++i) {
        matches = luns[i] != nullptr && luns[i]->SameLunAs(*rule.lun);
      }
      if (!matches) continue;
      hit = rule;  // as written, so messages show the rule the user gave
      if (rule.times > 0) --rule.times;
      left = rule.times;
      ++fired_;
      break;
    }
  }
  // Logged outside the lock; the logger is asynchronous, so this is legal
  // inside the commit window too.
  if (hit) {
    if (left >= 0) {
      Log().info("injecting fault {} ({} firing(s) left)", hit->ToString(), left);
    } else {
      Log().info("injecting fault {}", hit->ToString());
    }
  }
  return hit;
}

std::optional<FaultRule> FaultInjectingBackend::MatchTarget(BackendOp op, const TargetId& target) {
  std::optional<LunIdentity> source;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = source_of_.find(target);
    if (it != source_of_.end()) source = it->second;
  }
  // A target this decorator did not see prepared matches only rules for any LUN.
  const LunIdentity* lun = source ? &*source : nullptr;
  return Match(op, absl::MakeConstSpan(&lun, 1));
}

absl::Status FaultInjectingBackend::Injected(const FaultRule& rule) const {
  const std::string what = absl::StrCat("injected fault: ", rule.ToString());
  if (rule.code == ErrorCode::kVeto) {
    return VetoError(what, "This failure was injected for testing; remove the fault rule (hwsnapctl --fault) "
                           "to let the operation proceed.");
  }
  return MakeError(rule.code, what);
}

absl::Status FaultInjectingBackend::Wait(const FaultRule& rule, const CancelToken* cancel, absl::Time deadline) {
  switch (rule.kind) {
    case FaultKind::kError:
      return Injected(rule);

    case FaultKind::kHang:
      if (rule.op == BackendOp::kPrepare && cancel != nullptr) {
        // A backend stuck until someone gives up on it.
        cancel->WaitUntil(absl::InfiniteFuture());
        return cancel->status();
      }
      if (rule.op == BackendOp::kCommit) {
        // Stuck past the commit window. Without a deadline there is nothing to
        // overrun; then hang for the rule's duration instead of forever.
        if (deadline == absl::InfiniteFuture()) {
          absl::SleepFor(rule.duration);
        } else {
          // absl::SleepFor rounds down to whole milliseconds on Windows:
          // sleep until the deadline has really passed.
          for (absl::Duration left = deadline - absl::Now(); left > absl::ZeroDuration();
               left = deadline - absl::Now()) {
            absl::SleepFor(absl::Ceil(left, absl::Milliseconds(1)));
          }
        }
        return DeadlineExceededError(absl::StrCat("injected hang ran past the commit deadline: ", rule.ToString()));
      }
      absl::SleepFor(rule.duration);
      return absl::OkStatus();

    case FaultKind::kIgnoreCancel:
      // Deaf to the token; the real token is still forwarded afterwards.
      absl::SleepFor(rule.duration);
      return absl::OkStatus();

    case FaultKind::kLatency:
      if (rule.op == BackendOp::kPrepare && cancel != nullptr) return cancel->SleepFor(rule.duration);
      absl::SleepFor(rule.duration);
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

absl::StatusOr<LunSupport> FaultInjectingBackend::IdentifyLun(const LunIdentity& lun) {
  const LunIdentity* luns[] = {&lun};
  if (std::optional<FaultRule> rule = Match(BackendOp::kIdentify, luns)) {
    if (absl::Status s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::IdentifyLun(lun);
}

absl::StatusOr<TargetId> FaultInjectingBackend::PrepareTarget(const LunIdentity& source, const CancelToken& cancel) {
  const LunIdentity* luns[] = {&source};
  if (std::optional<FaultRule> rule = Match(BackendOp::kPrepare, luns)) {
    if (absl::Status s = Wait(*rule, &cancel, absl::InfiniteFuture()); !s.ok()) return s;
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
    sources.reserve(targets.size());
    for (const TargetId& target : targets) {
      auto it = source_of_.find(target);
      if (it != source_of_.end()) sources.push_back(it->second);
    }
  }
  std::vector<const LunIdentity*> luns;
  luns.reserve(sources.size());
  for (const LunIdentity& lun : sources) luns.push_back(&lun);
  if (std::optional<FaultRule> rule = Match(BackendOp::kCommit, luns)) {
    if (absl::Status s = Wait(*rule, nullptr, deadline); !s.ok()) return s;
  }
  return ForwardingBackend::CommitTargets(targets, deadline);
}

absl::StatusOr<LunIdentity> FaultInjectingBackend::DescribeTarget(const TargetId& target) {
  if (std::optional<FaultRule> rule = MatchTarget(BackendOp::kDescribe, target)) {
    if (absl::Status s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::DescribeTarget(target);
}

absl::Status FaultInjectingBackend::ExposeTarget(const TargetId& target) {
  if (std::optional<FaultRule> rule = MatchTarget(BackendOp::kExpose, target)) {
    if (absl::Status s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  return ForwardingBackend::ExposeTarget(target);
}

absl::Status FaultInjectingBackend::ReleaseTarget(const TargetId& target) {
  if (std::optional<FaultRule> rule = MatchTarget(BackendOp::kRelease, target)) {
    if (absl::Status s = Wait(*rule, nullptr, absl::InfiniteFuture()); !s.ok()) return s;
  }
  // The mapping is kept after a successful release: releasing again is legal
  // (and idempotent), and a LUN-specific release rule must still match it.
  return ForwardingBackend::ReleaseTarget(target);
}

}  // namespace hwsnap
