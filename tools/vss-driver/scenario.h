// scenario.h — what a scenario is, and the table of all of them.
//
// This file exists so that main.cc, --list and the CTest registration agree
// on one table: each scenario has a name (the command-line argument and the
// CTest name vss_driver.<name>), a one-line summary, the DLL environment it
// needs (empty: any backend, including an installed provider's real one;
// otherwise the HWSNAP_* variables the tests set), and a function that drives
// the provider through a ScenarioContext. Scenario functions record every
// call on the timeline; they never return a verdict themselves.
#ifndef HWSNAP_TOOLS_VSS_DRIVER_SCENARIO_H_
#define HWSNAP_TOOLS_VSS_DRIVER_SCENARIO_H_

#include <string>
#include <vector>

#include "lun_fixture.h"
#include "timeline.h"
#include "vss_calls.h"

namespace hwsnap {
namespace vss_driver {

struct ScenarioContext {
  std::string name;  // the scenario's name (for AbandonRun)
  VssCalls& vss;
  Timeline& timeline;
  LunFactory& luns;
};

struct Scenario {
  const char* name;
  const char* summary;
  // What the provider must be configured with, e.g.
  // "HWSNAP_BACKEND=mock HWSNAP_MOCK_FAULT=prepare:hang"; "" for any backend.
  // Scenarios with "" create no snapshot: they are safe against an installed
  // provider on a server where no snapshot is being created.
  const char* needs;
  void (*run)(ScenarioContext& context);
};

// Every scenario, in --list order (scenario_table.cc).
const std::vector<Scenario>& AllScenarios();
// The scenario called `name`, or nullptr.
const Scenario* FindScenario(const std::string& name);

// --- The scenarios (one file per group) ---------------------------------------
// scenario_success.cc
void RunSuccess(ScenarioContext& context);
// scenario_abort.cc
void RunAbortWhileEndPrepareWaits(ScenarioContext& context);
void RunImplicitAbort(ScenarioContext& context);
// scenario_capacity.cc
void RunCapacityFault(ScenarioContext& context);
// scenario_unknown_set.cc
void RunUnknownSet(ScenarioContext& context);
void RunUnknownSetWhileCreating(ScenarioContext& context);
// scenario_out_of_order.cc
void RunOutOfOrder(ScenarioContext& context);
// scenario_malformed.cc
void RunMalformedInput(ScenarioContext& context);
void RunMalformedInputOnly(ScenarioContext& context);
// scenario_unsupported.cc
void RunUnsupportedLun(ScenarioContext& context);
void RunExInterface(ScenarioContext& context);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_SCENARIO_H_
