// sim_gate.h — the backend decorator that hands every backend call to the
// simulation's director.
//
// Each call the provider makes (IdentifyLun, PrepareTarget, CommitTargets,
// DescribeTarget, ExposeTarget, ReleaseTarget) is parked as a pending op and
// the calling thread blocks until the director resolves it: forward it to
// the inner backend (the fault decorator over the mock array), fail it with
// a chosen ErrorCode, or throw std::bad_alloc (as a buggy backend could). So
// latency, hangs, ignored cancellation and completion order are all decided
// by the director, one op at a time, never by thread timing.
//
// Ops are described by what they concern (kind, source LUN index, target id),
// never by arrival order, so the director can order them stably.
//
//   auto gate = std::make_shared<SimGate>(faults, luns);
//   for (const OpView& op : gate->Pending()) ...   // sorted by Key()
//   gate->Resolve(op.gate_id, Resolution::Forward());
#ifndef HWSNAP_TESTS_SIM_SIM_GATE_H_
#define HWSNAP_TESTS_SIM_SIM_GATE_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "hwsnap/backend.h"
#include "hwsnap/status.h"

namespace hwsnap::sim {

enum class OpKind { kIdentify, kPrepare, kCommit, kDescribe, kExpose, kRelease };
const char* OpKindName(OpKind kind);

// How the director ends a pending op.
struct Resolution {
  enum class Kind { kForward, kFail, kThrowBadAlloc };
  Kind kind = Kind::kForward;
  ErrorCode code = ErrorCode::kBackendFailure;  // kFail

  static Resolution Forward() { return {}; }
  static Resolution Fail(ErrorCode code) { return {Kind::kFail, code}; }
  static Resolution ThrowBadAlloc() { return {Kind::kThrowBadAlloc, ErrorCode::kOutOfMemory}; }
};

// One pending op as the director sees it.
struct OpView {
  std::uint64_t gate_id = 0;  // handle for Resolve (arrival order: never a decision input)
  OpKind kind = OpKind::kIdentify;
  int lun = -1;               // source LUN index; commit: smallest of the group; -1 unknown
  std::string target;         // the target id (commit: the group's ids joined by ',')
  bool cancelled = false;     // prepare: its cancel token is tripped now

  // Stable order key: kind, LUN, target.
  std::string Key() const;
};

// A finished op: what the provider got back.
struct OpOutcome {
  std::uint64_t gate_id = 0;
  OpKind kind = OpKind::kIdentify;
  int lun = -1;
  std::string target;
  absl::Status status;
  TargetId made;  // prepare: the target created (forwarded and OK)
};

class SimGate : public ForwardingBackend {
 public:
  // `luns`: the array's source LUNs; their index names them in ops.
  SimGate(std::shared_ptr<Backend> inner, std::vector<LunIdentity> luns);

  std::vector<OpView> Pending() const;  // sorted by Key()
  void Resolve(std::uint64_t gate_id, Resolution resolution);
  // Ops finished since the last call, in the order they finished.
  std::vector<OpOutcome> TakeFinished();
  // Bumped on every arrival and every finish (for quiescence detection).
  std::uint64_t activity() const;
  // The source LUN index of a target made through the gate, or -1.
  int LunOfTarget(const TargetId& target) const;

  BackendCapabilities Capabilities() const override;
  absl::StatusOr<LunSupport> IdentifyLun(const LunIdentity& lun) override;
  absl::StatusOr<TargetId> PrepareTarget(const LunIdentity& source, const CancelToken& cancel) override;
  absl::Status CommitTargets(absl::Span<const TargetId> targets, absl::Time deadline) override;
  absl::StatusOr<LunIdentity> DescribeTarget(const TargetId& target) override;
  absl::Status ExposeTarget(const TargetId& target) override;
  absl::Status ReleaseTarget(const TargetId& target) override;

 private:
  struct Op {
    OpView view;
    std::optional<CancelToken> cancel;
    std::optional<Resolution> resolution;
  };

  int LunIndex(const LunIdentity& lun) const;
  // Parks an op and returns the director's resolution (blocking).
  std::pair<std::shared_ptr<Op>, Resolution> Park(OpKind kind, int lun, std::string target,
                                                   const CancelToken* cancel);
  void Finish(const std::shared_ptr<Op>& op, const absl::Status& status, const TargetId& made);
  template <typename Result, typename Forward>
  Result Run(OpKind kind, int lun, std::string target, const CancelToken* cancel, Forward forward);

  const std::vector<LunIdentity> luns_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::uint64_t next_id_ = 1;
  std::uint64_t activity_ = 0;
  std::vector<std::shared_ptr<Op>> pending_;
  std::vector<OpOutcome> finished_;
  std::map<TargetId, int> lun_of_target_;
};

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_SIM_GATE_H_
