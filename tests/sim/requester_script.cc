// The simulated requester's call sequence (see requester_script.h).
#include "requester_script.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace hwsnap::sim {

using windows::VssMethod;

const char* CallKindName(CallKind kind) {
  switch (kind) {
    case CallKind::kAreLunsSupported: return "AreLunsSupported";
    case CallKind::kBeginPrepare: return "BeginPrepareSnapshot";
    case CallKind::kEndPrepare: return "EndPrepareSnapshots";
    case CallKind::kPreCommit: return "PreCommitSnapshots";
    case CallKind::kCommit: return "CommitSnapshots";
    case CallKind::kPostCommit: return "PostCommitSnapshots";
    case CallKind::kPreFinalCommit: return "PreFinalCommitSnapshots";
    case CallKind::kPostFinalCommit: return "PostFinalCommitSnapshots";
    case CallKind::kAbort: return "AbortSnapshots";
    case CallKind::kGetTargetLuns: return "GetTargetLuns";
    case CallKind::kLocateLuns: return "LocateLuns";
    case CallKind::kOnLunEmpty: return "OnLunEmpty";
  }
  return "?";
}

VssMethod MethodOf(CallKind kind) {
  switch (kind) {
    case CallKind::kAreLunsSupported: return VssMethod::kAreLunsSupported;
    case CallKind::kBeginPrepare: return VssMethod::kBeginPrepareSnapshot;
    case CallKind::kEndPrepare: return VssMethod::kEndPrepareSnapshots;
    case CallKind::kPreCommit: return VssMethod::kPreCommitSnapshots;
    case CallKind::kCommit: return VssMethod::kCommitSnapshots;
    case CallKind::kPostCommit: return VssMethod::kPostCommitSnapshots;
    case CallKind::kPreFinalCommit: return VssMethod::kPreFinalCommitSnapshots;
    case CallKind::kPostFinalCommit: return VssMethod::kPostFinalCommitSnapshots;
    case CallKind::kAbort: return VssMethod::kAbortSnapshots;
    case CallKind::kGetTargetLuns: return VssMethod::kGetTargetLuns;
    case CallKind::kLocateLuns: return VssMethod::kLocateLuns;
    case CallKind::kOnLunEmpty: return VssMethod::kOnLunEmpty;
  }
  return VssMethod::kAbortSnapshots;
}

bool IsSetStep(CallKind kind) {
  return kind == CallKind::kBeginPrepare || kind == CallKind::kEndPrepare || kind == CallKind::kPreCommit ||
         kind == CallKind::kCommit || kind == CallKind::kPostCommit || kind == CallKind::kPreFinalCommit ||
         kind == CallKind::kPostFinalCommit;
}

std::string VssCall::ToString() const {
  std::string out = absl::StrCat(CallKindName(kind), "(", set < 0 ? std::string("set?") : absl::StrCat("set", set));
  if (!luns.empty()) absl::StrAppend(&out, " luns=", absl::StrJoin(luns, ","));
  if (kind == CallKind::kPostCommit) absl::StrAppend(&out, " count=", snapshot_count);
  if (kind == CallKind::kOnLunEmpty || kind == CallKind::kLocateLuns) {
    absl::StrAppend(&out, target < 0 ? std::string(" source-lun") : absl::StrCat(" target=", target));
  }
  absl::StrAppend(&out, chaos ? " chaos)" : ")");
  return out;
}

RequesterScript::RequesterScript(SimRandom& rng, int lun_count) {
  const int campaigns = 1 + rng.BelowInt(3);
  for (int c = 0; c < campaigns; ++c) {
    std::deque<VssCall> plan;
    // The set's LUNs: a non-empty subset, in index order.
    std::vector<int> luns;
    for (int l = 0; l < lun_count; ++l) {
      if (rng.Chance(2, 3)) luns.push_back(l);
    }
    if (luns.empty()) luns.push_back(rng.BelowInt(lun_count));
    // Volumes: 1..3, each a non-empty group of the set's LUNs; a LUN may
    // back two volumes.
    const int volumes = 1 + rng.BelowInt(std::min<int>(3, static_cast<int>(luns.size())));
    std::vector<std::vector<int>> groups(static_cast<size_t>(volumes));
    for (size_t i = 0; i < luns.size(); ++i) groups[i % groups.size()].push_back(luns[i]);
    if (volumes > 1 && rng.Chance(1, 4)) groups.back().push_back(groups.front().front());
    for (auto& g : groups) std::sort(g.begin(), g.end());

    if (rng.Chance(3, 4)) plan.push_back({CallKind::kAreLunsSupported, c, luns});
    for (const auto& g : groups) plan.push_back({CallKind::kBeginPrepare, c, g});
    if (rng.Chance(1, 12)) plan.push_back({CallKind::kEndPrepare, -1, {}, 0, -1, true});  // unknown set
    plan.push_back({CallKind::kEndPrepare, c});
    if (rng.Chance(1, 12)) plan.push_back({CallKind::kEndPrepare, c, {}, 0, -1, true});  // repeated
    plan.push_back({CallKind::kPreCommit, c});
    plan.push_back({CallKind::kCommit, c});
    if (rng.Chance(1, 12)) plan.push_back({CallKind::kPreCommit, c, {}, 0, -1, true});  // out of order
    plan.push_back({CallKind::kPostCommit, c, {}, volumes});
    plan.push_back({CallKind::kPreFinalCommit, c});
    plan.push_back({CallKind::kPostFinalCommit, c});
    plan.push_back({CallKind::kGetTargetLuns, c, luns});
    const int targets = static_cast<int>(luns.size());
    if (rng.Chance(1, 2)) plan.push_back({CallKind::kLocateLuns, c, {}, 0, rng.BelowInt(targets)});
    if (rng.Chance(1, 10)) plan.push_back({CallKind::kOnLunEmpty, c, {}, 0, -1, true});  // a source, not a target
    for (int t = 0; t < targets; ++t) {
      if (rng.Chance(1, 2)) plan.push_back({CallKind::kOnLunEmpty, c, {}, 0, t});
    }
    // Sometimes the next set starts while this one is still in creation:
    // cut the plan after a step before PostFinalCommit.
    if (c + 1 < campaigns && rng.Chance(1, 5)) {
      size_t keep = 1 + rng.Below(plan.size() - 1);
      while (keep > 1 && !IsSetStep(plan[keep - 1].kind)) --keep;
      plan.resize(keep);
    }
    plans_.push_back(std::move(plan));
  }
}

void RequesterScript::StartCampaign(int index) {
  current_ = index;
  queue_ = plans_[static_cast<size_t>(index)];
}

std::optional<VssCall> RequesterScript::Next() {
  while (queue_.empty()) {
    if (current_ + 1 >= static_cast<int>(plans_.size())) return std::nullopt;
    StartCampaign(current_ + 1);
  }
  VssCall call = queue_.front();
  queue_.pop_front();
  return call;
}

void RequesterScript::Report(const VssCall& call, ErrorCode code) {
  if (call.chaos || code == ErrorCode::kOk) return;
  if (IsSetStep(call.kind)) {
    // As VSS does: a failed step ends the set; abort it and move on.
    queue_.clear();
    queue_.push_back({CallKind::kAbort, call.set});
    return;
  }
  if (call.kind == CallKind::kAreLunsSupported) {
    // Not supported (or could not tell): VSS picks another provider.
    queue_.clear();
    return;
  }
  if (call.kind == CallKind::kGetTargetLuns) {
    // Nothing to import or release for this set.
    while (!queue_.empty() && queue_.front().set == call.set &&
           (queue_.front().kind == CallKind::kLocateLuns || queue_.front().kind == CallKind::kOnLunEmpty)) {
      queue_.pop_front();
    }
  }
}

}  // namespace hwsnap::sim
