// Names of the set states (see hwsnap/snapshot_set_state.h).
#include "hwsnap/snapshot_set_state.h"
#include "absl/strings/string_view.h"

namespace hwsnap {

absl::string_view SetStateName(SetState state) {
  switch (state) {
    case SetState::kPreparing: return "preparing";
    case SetState::kPrepared: return "prepared";
    case SetState::kPreCommitted: return "pre-committed";
    case SetState::kCommitted: return "committed";
    case SetState::kPostCommitted: return "post-committed";
    case SetState::kPreFinalCommitted: return "pre-final-committed";
    case SetState::kCompleted: return "completed";
    case SetState::kAborted: return "aborted";
    case SetState::kFailed: return "failed";
  }
  return "unknown";
}

bool IsFinal(SetState state) {
  return state == SetState::kCompleted || state == SetState::kAborted || state == SetState::kFailed;
}

}  // namespace hwsnap
