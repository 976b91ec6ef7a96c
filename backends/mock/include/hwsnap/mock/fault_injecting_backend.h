// hwsnap/mock/fault_injecting_backend.h — scripted faults on any backend.
//
// A decorator (ForwardingBackend) that makes chosen operations fail, hang,
// ignore cancellation or slow down, for chosen source LUNs. Because it wraps
// any Backend, the same fault scripts run against the mock, SCSI and NVMe
// backends.
//
//   auto faulty = std::make_shared<hwsnap::FaultInjectingBackend>(mock);
//   faulty->AddRule({.op = hwsnap::BackendOp::kPrepare, .lun = lun3,
//                    .kind = hwsnap::FaultKind::kError,
//                    .code = hwsnap::ErrorCode::kInsufficientStorage});
//
// Text form (hwsnapctl --fault): OP:LUN:KIND[:ARG]
//   OP    identify|prepare|commit|describe|expose|release
//   LUN   index into the LUN list given to ParseFaultRule, or * for any
//   KIND  error:CODE (a name from ErrorCodeName, e.g. insufficient-storage)
//         hang[:DURATION]    prepare: until cancelled; commit: until the deadline;
//                            others: DURATION (default 10s), then forward
//         ignore-cancel:DURATION   sleep DURATION deaf to cancellation, then forward
//         latency:DURATION   sleep DURATION (prepare: cancellable), then forward
//   A trailing "xN" limits the rule to N firings: prepare:*:error:backend-failure:x1
//   Shorthand: without LUN the rule covers every LUN, and a bare error code
//   stands for error:CODE — prepare:hang, prepare:insufficient-storage.
#ifndef HWSNAP_MOCK_FAULT_INJECTING_BACKEND_H_
#define HWSNAP_MOCK_FAULT_INJECTING_BACKEND_H_

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "absl/strings/string_view.h"
#include "hwsnap/backend.h"
#include "hwsnap/status.h"

namespace hwsnap {

enum class BackendOp { kIdentify, kPrepare, kCommit, kDescribe, kExpose, kRelease };
absl::string_view BackendOpName(BackendOp op);
std::optional<BackendOp> ParseBackendOp(absl::string_view name);

enum class FaultKind { kError, kHang, kIgnoreCancel, kLatency };
absl::string_view FaultKindName(FaultKind kind);

struct FaultRule {
  BackendOp op = BackendOp::kPrepare;
  // The source LUN the operation concerns (for commit: any target of the group
  // made from it); nullopt matches every LUN.
  std::optional<LunIdentity> lun;
  FaultKind kind = FaultKind::kError;
  ErrorCode code = ErrorCode::kBackendFailure;   // kError
  absl::Duration duration = absl::Seconds(10);   // kHang (non-cancellable ops), kIgnoreCancel, kLatency
  int times = -1;                                // firings left; -1 = unlimited

  std::string ToString() const;
};

// Builds a rule in one expression (for tests and tools that script faults).
FaultRule MakeFaultRule(BackendOp op, FaultKind kind, std::optional<LunIdentity> lun = std::nullopt,
                        ErrorCode code = ErrorCode::kBackendFailure,
                        absl::Duration duration = absl::Seconds(10), int times = -1);

// Parses the text form above; `luns` resolves LUN indexes.
absl::StatusOr<FaultRule> ParseFaultRule(absl::string_view text, absl::Span<const LunIdentity> luns);

class FaultInjectingBackend : public ForwardingBackend {
 public:
  explicit FaultInjectingBackend(std::shared_ptr<Backend> inner);

  void AddRule(FaultRule rule);
  void ClearRules();
  // How many faults have fired so far.
  int fired() const;

  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;

 private:
  // The first live rule for `op` matching any of `luns` (consumes one firing).
  std::optional<FaultRule> Match(BackendOp op, absl::Span<const LunIdentity* const> luns);
  std::optional<FaultRule> MatchTarget(BackendOp op, const TargetId& target);
  // Applies a non-error fault's waiting part; returns a status to return
  // instead of forwarding, or OK to forward.
  absl::Status Wait(const FaultRule& rule, const CancelToken* cancel, absl::Time deadline);
  absl::Status Injected(const FaultRule& rule) const;

  mutable std::mutex mu_;
  std::vector<FaultRule> rules_;
  std::map<TargetId, LunIdentity> source_of_;
  int fired_ = 0;
};

}  // namespace hwsnap

#endif  // HWSNAP_MOCK_FAULT_INJECTING_BACKEND_H_
