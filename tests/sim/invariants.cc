// The simulation's invariants (see invariants.h).
#include "invariants.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "hwsnap/windows/vss_results.h"

namespace hwsnap::sim {

using E = ErrorCode;

const std::set<ErrorCode>& ContractCodes(CallKind kind) {
  // From provider.h and backend.h: what each call may report. A catalog
  // write failure is kVeto/kBackendFailure for every call that records.
  static const std::map<CallKind, std::set<ErrorCode>> kCodes = {
      {CallKind::kAreLunsSupported, {E::kOk, E::kInvalidArgument, E::kOutOfMemory, E::kBackendFailure}},
      {CallKind::kBeginPrepare,
       {E::kOk, E::kBadState, E::kInvalidArgument, E::kNotSupported, E::kVeto, E::kBackendFailure}},
      {CallKind::kEndPrepare,
       {E::kOk, E::kInsufficientStorage, E::kNotSupported, E::kVeto, E::kCancelled, E::kBackendFailure,
        E::kOutOfMemory, E::kBadState, E::kObjectNotFound}},
      {CallKind::kPreCommit, {E::kOk, E::kBadState, E::kObjectNotFound, E::kVeto, E::kBackendFailure}},
      {CallKind::kCommit,
       {E::kOk, E::kDeadlineExceeded, E::kInsufficientStorage, E::kBackendFailure, E::kObjectNotFound,
        E::kBadState, E::kCancelled, E::kOutOfMemory}},
      {CallKind::kPostCommit,
       {E::kOk, E::kBackendFailure, E::kOutOfMemory, E::kObjectNotFound, E::kBadState, E::kCancelled,
        E::kVeto}},
      {CallKind::kPreFinalCommit, {E::kOk, E::kBadState, E::kObjectNotFound, E::kVeto, E::kBackendFailure}},
      {CallKind::kPostFinalCommit, {E::kOk, E::kBadState, E::kObjectNotFound, E::kVeto, E::kBackendFailure}},
      {CallKind::kAbort, {E::kOk, E::kBadState, E::kObjectNotFound}},
      {CallKind::kGetTargetLuns, {E::kOk, E::kObjectNotFound, E::kInvalidArgument}},
      {CallKind::kLocateLuns, {E::kOk, E::kObjectNotFound, E::kBackendFailure, E::kOutOfMemory, E::kBadState}},
      {CallKind::kOnLunEmpty, {E::kOk, E::kObjectNotFound, E::kBackendFailure, E::kOutOfMemory}},
  };
  return kCodes.at(kind);
}

std::string CheckResultContract(const VssCall& call, const absl::Status& status) {
  const windows::VssMethod method = MethodOf(call.kind);
  const std::uint32_t hr = windows::MapStatusToResult(method, status);
  if (!windows::IsLegalResult(method, hr)) {
    return absl::StrCat(call.ToString(), " returned ", windows::VssResultName(hr), ", not a legal result of ",
                        windows::VssMethodName(method));
  }
  const ErrorCode code = GetErrorCode(status);
  if (ContractCodes(call.kind).count(code) == 0) {
    return absl::StrCat(call.ToString(), " returned ", ErrorCodeName(code), " (", status.ToString(),
                        "), which its contract does not allow");
  }
  // Out of order or unknown-set calls must be refused.
  if (call.chaos && code == E::kOk) return absl::StrCat(call.ToString(), " was accepted; it must be refused");
  return {};
}

std::string CheckEndPrepare(const SetModel& set, const absl::Status& status, int pending_prepares,
                            bool time_advanced) {
  const ErrorCode code = GetErrorCode(status);
  if (code == E::kOk) {
    if (pending_prepares > 0) {
      return absl::StrCat("EndPrepareSnapshots returned OK while ", pending_prepares, " prepare(s) were still running");
    }
    if (set.abort_issued) return "EndPrepareSnapshots returned OK for a set being aborted";
    int ok = 0;
    for (const absl::Status& s : set.prepare_results) ok += s.ok() ? 1 : 0;
    if (ok != static_cast<int>(set.luns.size())) {
      return absl::StrCat("EndPrepareSnapshots returned OK with ", ok, " of ", set.luns.size(), " LUN(s) prepared");
    }
    return {};
  }
  if (code == E::kCancelled) {
    if (!set.abort_issued) return "EndPrepareSnapshots returned kCancelled but nobody aborted the set";
    return {};
  }
  if (code == E::kBadState || code == E::kObjectNotFound) return {};
  // A failure: the most actionable one its prepares returned.
  int best = -1;
  std::set<ErrorCode> failures;
  for (const absl::Status& s : set.prepare_results) {
    const ErrorCode c = GetErrorCode(s);
    if (c == E::kOk || c == E::kCancelled) continue;
    failures.insert(c);
    best = std::max(best, ActionabilityRank(c));
  }
  if (failures.count(code) == 0 || ActionabilityRank(code) != best) {
    std::vector<std::string> names;
    for (ErrorCode c : failures) names.emplace_back(ErrorCodeName(c));
    return absl::StrCat("EndPrepareSnapshots returned ", ErrorCodeName(code), "; its prepares failed with {",
                        absl::StrJoin(names, ","), "} (the most actionable must be reported)");
  }
  if (pending_prepares > 0 && !time_advanced) {
    return absl::StrCat("EndPrepareSnapshots failed while ", pending_prepares,
                        " prepare(s) were running and before the drain bound could pass");
  }
  return {};
}

std::string CheckProgress(const SetModel& model, const absl::StatusOr<SetProgress>& progress) {
  if (!progress.ok()) {
    // Completed sets whose targets are all released are forgotten.
    const bool all_released = model.state == SetState::kCompleted && model.released.size() == model.served.size() &&
                              !model.served.empty();
    if (GetErrorCode(progress.status()) == E::kObjectNotFound && all_released) return {};
    return absl::StrCat("GetProgress: ", progress.status().ToString(), " for a set in state ",
                        SetStateName(model.state));
  }
  if (progress->state != model.state) {
    return absl::StrCat("GetProgress says ", SetStateName(progress->state), ", the calls made say ",
                        SetStateName(model.state));
  }
  if (progress->snapshots != model.snapshots) {
    return absl::StrCat("GetProgress counts ", progress->snapshots, " snapshot(s), ", model.snapshots, " were accepted");
  }
  if (progress->luns != static_cast<int>(model.luns.size())) {
    return absl::StrCat("GetProgress counts ", progress->luns, " LUN(s), ", model.luns.size(), " were accepted");
  }
  if ((model.state == SetState::kAborted || model.state == SetState::kFailed) && progress->targets_alive != 0) {
    return absl::StrCat("a ", SetStateName(model.state), " set still holds ", progress->targets_alive,
                        " target(s) with no call running");
  }
  return {};
}

std::string CheckNothingLeft(const std::string& set_name, const SetModel& model,
                             const std::set<std::string>& array_live, const std::set<std::string>& pending_releases,
                             const std::set<std::string>& busy_targets) {
  if (model.state != SetState::kAborted && model.state != SetState::kFailed) return {};
  for (const std::string& t : model.targets_made) {
    if (array_live.count(t) == 0 || pending_releases.count(t) != 0 || busy_targets.count(t) != 0) continue;
    return absl::StrCat(set_name, " is ", SetStateName(model.state), " but its target ", t,
                        " is still on the array (not pending release, no call running on it)");
  }
  return {};
}

std::string CheckCatalogMatchesArray(const std::set<std::string>& array_live,
                                     const std::set<std::string>& catalog_alive) {
  std::vector<std::string> orphans, phantoms;
  for (const auto& t : array_live) {
    if (catalog_alive.count(t) == 0) orphans.push_back(t);
  }
  for (const auto& t : catalog_alive) {
    if (array_live.count(t) == 0) phantoms.push_back(t);
  }
  if (orphans.empty() && phantoms.empty()) return {};
  return absl::StrCat("array and catalog disagree: on the array only {", absl::StrJoin(orphans, ","),
                      "}, in the catalog only {", absl::StrJoin(phantoms, ","), "}");
}

}  // namespace hwsnap::sim
