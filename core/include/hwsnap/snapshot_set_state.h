// hwsnap/snapshot_set_state.h — the states of one snapshot set's life.
//
// The order VSS drives a set through (../docs/architecture.md has the diagram):
//
//   kPreparing --EndPrepare--> kPrepared --PreCommit--> kPreCommitted
//     --Commit--> kCommitted --PostCommit--> kPostCommitted
//     --PreFinalCommit--> kPreFinalCommitted --PostFinalCommit--> kCompleted
//
// From any state before kCompleted: AbortSnapshots -> kAborted; a failure ->
// kFailed (everything created for the set already released). kCompleted,
// kAborted and kFailed are final.
#ifndef HWSNAP_SNAPSHOT_SET_STATE_H_
#define HWSNAP_SNAPSHOT_SET_STATE_H_

#include "absl/strings/string_view.h"

namespace hwsnap {

enum class SetState {
  kPreparing,
  kPrepared,
  kPreCommitted,
  kCommitted,
  kPostCommitted,
  kPreFinalCommitted,
  kCompleted,
  kAborted,
  kFailed,
};

// "preparing", "pre-committed", ... (stable; used in logs and JSON).
absl::string_view SetStateName(SetState state);

// True for kCompleted, kAborted and kFailed.
bool IsFinal(SetState state);

}  // namespace hwsnap

#endif  // HWSNAP_SNAPSHOT_SET_STATE_H_
