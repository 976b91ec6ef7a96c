// requester_script.h — what the simulated VSS requester asks for, in order.
//
// A seed draws a few "campaigns", each one snapshot set's life as VSS drives
// it: AreLunsSupported, BeginPrepareSnapshot for each volume (a LUN may back
// several volumes), EndPrepare, PreCommit, Commit, PostCommit, PreFinal,
// PostFinal, then GetTargetLuns, LocateLuns and OnLunEmpty for some targets.
// The script reacts like VSS: after a failed step it aborts the set and goes
// on with the next campaign; sometimes the next set begins while the previous
// one is still in creation (the provider must abort the old one); a few
// "chaos" calls repeat a step or name an unknown set, where the provider must
// refuse without changing anything. AbortSnapshots from another thread is
// not scripted here: the director issues it at moments it draws.
//
//   RequesterScript script(rng, /*lun_count=*/3);
//   while (auto call = script.Next()) { ...run...; script.Report(*call, code); }
#ifndef HWSNAP_TESTS_SIM_REQUESTER_SCRIPT_H_
#define HWSNAP_TESTS_SIM_REQUESTER_SCRIPT_H_

#include <deque>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "hwsnap/status.h"
#include "hwsnap/windows/vss_results.h"
#include "sim_random.h"

namespace hwsnap::sim {

enum class CallKind {
  kAreLunsSupported,
  kBeginPrepare,
  kEndPrepare,
  kPreCommit,
  kCommit,
  kPostCommit,
  kPreFinalCommit,
  kPostFinalCommit,
  kAbort,
  kGetTargetLuns,
  kLocateLuns,
  kOnLunEmpty,
};
const char* CallKindName(CallKind kind);
windows::VssMethod MethodOf(CallKind kind);
// BeginPrepare .. PostFinalCommit: the steps that move a set forward.
bool IsSetStep(CallKind kind);

struct VssCall {
  VssCall() = default;
  VssCall(CallKind k, int s, std::vector<int> l = {}, int count = 0, int t = -1, bool c = false)
      : kind(k), set(s), luns(std::move(l)), snapshot_count(count), target(t), chaos(c) {}

  CallKind kind = CallKind::kAreLunsSupported;
  int set = -1;              // campaign index; -1 for an unknown set (chaos)
  std::vector<int> luns;     // source LUN indexes (AreLunsSupported, BeginPrepare, GetTargetLuns)
  int snapshot_count = 0;    // PostCommit
  int target = -1;           // OnLunEmpty / LocateLuns: index into the set's targets (-1: a source LUN, chaos)
  bool chaos = false;        // out of order or unknown: must be refused, nothing changes

  std::string ToString() const;
};

class RequesterScript {
 public:
  RequesterScript(SimRandom& rng, int lun_count);

  // The next call, or nullopt when the script is done.
  std::optional<VssCall> Next();
  // The result of the call Next() returned last.
  void Report(const VssCall& call, ErrorCode code);
  int campaigns() const { return static_cast<int>(plans_.size()); }

 private:
  void StartCampaign(int index);

  std::vector<std::deque<VssCall>> plans_;
  int current_ = -1;
  std::deque<VssCall> queue_;
};

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_REQUESTER_SCRIPT_H_
