// invariants.h — what must hold after every step of a simulated run.
//
// Kept apart from the director so the rules read as a list: the per-method
// result contract (the HRESULT each VSS method returns must be one of its
// documented results — the Windows adapter's tables, shared as
// platform-neutral data — and the core's ErrorCode one the contract names for
// that method), and the checks on the provider's state against the model the
// director keeps. Each check returns an empty string when it holds, else a
// sentence saying what broke.
#ifndef HWSNAP_TESTS_SIM_INVARIANTS_H_
#define HWSNAP_TESTS_SIM_INVARIANTS_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "hwsnap/backend.h"
#include "hwsnap/provider.h"
#include "hwsnap/snapshot_set_state.h"
#include "hwsnap/status.h"
#include "requester_script.h"

namespace hwsnap::sim {

// The domain codes the provider's contract lets `kind` return.
const std::set<ErrorCode>& ContractCodes(CallKind kind);

// The call's result is a legal HRESULT for its VSS method and its ErrorCode
// is one the contract allows.
std::string CheckResultContract(const VssCall& call, const absl::Status& status);

// The director's model of one set, updated from call results.
struct SetModel {
  bool known = false;                // the provider accepted its first BeginPrepare
  SetState state = SetState::kPreparing;
  bool abort_issued = false;         // AbortSnapshots (explicit or implicit) was started on it
  int snapshots = 0;                 // BeginPrepare calls accepted
  std::set<int> luns;                // distinct source LUNs accepted
  std::vector<absl::Status> prepare_results;  // statuses its prepare ops returned, in order
  std::set<std::string> targets_made;         // target ids its prepares created
  std::vector<std::pair<int, LunIdentity>> served;  // (source LUN, target identity) from GetTargetLuns
  std::set<int> released;            // indexes into `served` released by OnLunEmpty
};

// EndPrepareSnapshots returned `status` while `pending_prepares` of the set's
// prepare ops were still parked: OK requires none pending and every LUN
// prepared; kCancelled requires an abort; any other failure must be the
// most actionable failure its prepares returned.
std::string CheckEndPrepare(const SetModel& set, const absl::Status& status, int pending_prepares,
                            bool time_advanced);

// GetProgress agrees with the model (call only when no call on the set runs).
std::string CheckProgress(const SetModel& model, const absl::StatusOr<SetProgress>& progress);

// A set that ended aborted or failed left nothing on the array: each live
// target it made is either kept for a retry (`pending_releases`) or still has
// a backend call parked (`busy_targets`), which releases it when it returns.
std::string CheckNothingLeft(const std::string& set_name, const SetModel& model,
                             const std::set<std::string>& array_live, const std::set<std::string>& pending_releases,
                             const std::set<std::string>& busy_targets);

// The array's live targets and the catalog's alive targets are the same.
std::string CheckCatalogMatchesArray(const std::set<std::string>& array_live,
                                     const std::set<std::string>& catalog_alive);

}  // namespace hwsnap::sim

#endif  // HWSNAP_TESTS_SIM_INVARIANTS_H_
