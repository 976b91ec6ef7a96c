// hwsnapctl/simulate.h — drives one complete VSS hardware-provider sequence.
//
// This is the engine of `hwsnapctl simulate`, kept out of main.cc so tests run
// it in-process. It plays VSS: it creates a backend from a small name table,
// wraps it in a SnapshotProvider and makes every call VSS makes for one
// snapshot set, in order — AreLunsSupported, FillInLunInfo, BeginPrepare per
// volume, EndPrepare, the commit steps, GetTargetLuns, LocateLuns,
// FillInLunInfo on the new LUNs, OnLunEmpty — timing each call. On the first
// failure (or after the step named by `abort_after`, or from a second thread
// `abort_delay` into EndPrepare) it calls AbortSnapshots as VSS would and
// stops. Then it audits the array: no snapshot target may be left behind.
//
//   hwsnap::tools::SimulationOptions options;
//   options.luns = 64;
//   options.abort_after = "end-prepare";
//   absl::StatusOr<hwsnap::tools::SimulationReport> report =
//       hwsnap::tools::RunSimulation(options, std::cout);
//   if (!report.ok()) ...                  // invalid options: kInvalidArgument
//   return report->ExitCode();             // 0 ended as requested, 1 leak/unexpected
//
// Threading: RunSimulation is self-contained (its own backend and provider);
// several may run at once. The progress and abort threads it starts are
// joined before it returns.
#ifndef HWSNAP_TOOLS_HWSNAPCTL_SIMULATE_H_
#define HWSNAP_TOOLS_HWSNAPCTL_SIMULATE_H_

#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/backend.h"
#include "hwsnap/backend_registry.h"
#include "hwsnap/ids.h"

namespace hwsnap::tools {

// The steps of the sequence, in the order VSS makes them. AbortSnapshots is
// a step too, so that it appears in the timeline like the others.
enum class Step {
  kAreLunsSupported,
  kFillInLunInfo,
  kBeginPrepare,
  kEndPrepare,
  kPreCommit,
  kCommit,
  kPostCommit,
  kPreFinalCommit,
  kPostFinalCommit,
  kGetTargetLuns,
  kLocateLuns,
  kFillInTargetLunInfo,
  kOnLunEmpty,
  kAbort,
};

// "end-prepare", "fill-in-target-lun-info", ... (the --abort-after spelling).
absl::string_view StepName(Step step);
// "EndPrepareSnapshots", "FillInLunInfo", ... (the provider method called).
absl::string_view StepMethod(Step step);
// The steps --abort-after accepts, in sequence order.
const std::vector<Step>& AbortableSteps();
// Parses an --abort-after value; kInvalidArgument listing the valid names.
absl::StatusOr<Step> ParseAbortableStep(absl::string_view name);
// The steps --stop-after accepts (the abortable ones, get-target-luns,
// locate-luns), and its parser.
const std::vector<Step>& StoppableSteps();
absl::StatusOr<Step> ParseStoppableStep(absl::string_view name);

// Names of the backends RunSimulation can create from `registry` (null: the
// backends built into this tree, i.e. "mock").
std::vector<std::string> KnownBackends(const BackendRegistry* registry = nullptr);
// `registry`, or the built-in registry when it is null.
const BackendRegistry& BackendRegistryOrBuiltIn(const BackendRegistry* registry);

struct SimulationOptions {
  // Where `backend` is looked up; null means the built-in backends. A vendor's
  // tool passes its own registry (see hwsnap/backend_registry.h).
  const BackendRegistry* registry = nullptr;
  std::string backend = "mock";
  std::map<std::string, std::string> backend_options;  // --backend-option=KEY=VALUE
  int luns = 4;                        // 1..1024
  int snapshots = 0;                   // volumes; 0 = min(luns, 8); at most luns
  absl::Duration prepare_latency = absl::ZeroDuration();
  absl::Duration commit_latency = absl::ZeroDuration();
  std::optional<int> capacity;         // mock target capacity; nullopt = the mock's default
  std::string abort_after;             // empty = run to the end; else an AbortableSteps() name
  std::optional<absl::Duration> abort_delay;  // abort from another thread this long into EndPrepare
  std::vector<std::string> faults;     // FaultInjectingBackend text rules over the LUN list
  bool json = false;                   // one JSON document instead of the human timeline
  absl::Duration progress_interval = absl::Milliseconds(500);  // EndPrepare progress lines
  // The provider's durable catalog (ProviderOptions::catalog_path); empty:
  // in memory. With a durable backend (mock state-dir=...) a later run, or
  // `hwsnapctl catalog ...`, sees what this one left.
  std::string catalog_path;
  // Stop right after this step returns OK, leaving the set as it is — no
  // abort, no cleanup, as if the process died there (StoppableSteps()).
  // `on_stop` is then called (hwsnapctl: flush and exit at once, so that not
  // even the provider's destructor runs); if it returns, the run ends with
  // outcome "stopped" and the audit expects the set's targets to remain.
  std::string stop_after;
  std::function<void(Step)> on_stop;
  // Skip OnLunEmpty: the completed set and its targets stay (with a catalog,
  // for a later run, `catalog list` or `catalog reclaim`).
  bool keep = false;
};

// One provider call as the simulation made it.
struct CallRecord {
  Step step = Step::kAreLunsSupported;
  std::string detail;                  // "snap={...} luns=8", "\\.\PhysicalDrive3", ...
  absl::Duration start;                // offset from the start of the run
  absl::Duration duration;
  absl::Status status;                 // the provider's result (or a check the simulation made)
  std::string note;                    // what an OK result said ("supported", "64 targets")
  bool from_abort_thread = false;      // made by the --abort-delay thread
};

struct SimulationReport {
  enum class Outcome { kCompleted, kAborted, kFailed, kStopped };

  Outcome outcome = Outcome::kCompleted;
  // kAborted: the step after which (or during which) the abort came;
  // kFailed: the step that failed; kStopped: the stop_after step.
  std::optional<Step> outcome_step;
  // kFailed: the failure (provider result, or a check of the simulation).
  absl::Status failure;
  // True when the abort came from the --abort-delay thread while EndPrepare waited.
  bool abort_raced_end_prepare = false;
  // For a raced abort: AbortSnapshots entry -> EndPrepareSnapshots return.
  std::optional<absl::Duration> end_prepare_return_after_abort;

  std::string backend;
  std::string catalog_path;            // empty: in memory
  SnapshotSetId set_id;
  int luns = 0;
  int snapshots = 0;
  std::vector<CallRecord> calls;       // in the order they started

  int targets_created = 0;             // PrepareTarget successes seen by the array
  int targets_released = 0;            // ReleaseTarget successes seen by the array
  int targets_leaked = 0;              // targets of this run still on the array after it (kept ones excluded)
  int targets_kept = 0;                // left on purpose (keep, stop_after)
  // With a catalog: what the provider recovered at construction.
  int recovered_sets_rolled_back = 0;
  int recovered_sets_served = 0;
  std::vector<TargetId> pending_releases;  // SnapshotProvider::PendingReleases()
  absl::Duration total;

  // Why the run did not end as requested (an unexpected failure or result,
  // a leak); empty when it did.
  std::vector<std::string> problems;

  bool as_requested() const { return problems.empty(); }
  // 0: ended as requested with nothing left behind; 1: otherwise.
  int ExitCode() const { return as_requested() ? 0 : 1; }
  // "completed" | "aborted" | "failed" | "stopped".
  absl::string_view OutcomeName() const;
};

// Runs the sequence described in the file comment, printing the human
// timeline and summary (or, with options.json, one JSON document) to `out`.
// Errors (nothing is run): kInvalidArgument for options out of range, an
// unknown backend, step or fault rule; the backend factory's own errors.
absl::StatusOr<SimulationReport> RunSimulation(const SimulationOptions& options, std::ostream& out);

// The JSON document RunSimulation prints with options.json (see README):
// {"calls":[{"step","method","detail","start_ms","duration_ms","code","message"}...],
//  "outcome","outcome_step","failure",set_id","luns","snapshots","targets_created",
//  "targets_released","targets_leaked","pending_releases","total_ms","problems"}.
std::string ReportToJson(const SimulationReport& report);

}  // namespace hwsnap::tools

#endif  // HWSNAP_TOOLS_HWSNAPCTL_SIMULATE_H_
