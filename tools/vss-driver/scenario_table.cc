// The scenario table (see scenario.h). Adding a scenario: write its function,
// add a row here and a vss_driver_scenario(...) line in CMakeLists.txt.
#include "scenario.h"

namespace hwsnap {
namespace vss_driver {

const std::vector<Scenario>& AllScenarios() {
  static const std::vector<Scenario> scenarios = {
      {"success",
       "3 volumes sharing LUNs: AreLunsSupported, BeginPrepare x3, EndPrepare .. PostFinalCommit, "
       "GetTargetLuns (new unique identities), LocateLuns, FillInLunInfo, OnLunEmpty",
       "HWSNAP_BACKEND=mock", &RunSuccess},
      {"abort-while-end-prepare-waits",
       "prepare hangs; EndPrepareSnapshots waits on a second thread; AbortSnapshots makes it return promptly",
       "HWSNAP_BACKEND=mock HWSNAP_MOCK_FAULT=prepare:hang", &RunAbortWhileEndPrepareWaits},
      {"implicit-abort",
       "BeginPrepareSnapshot with a new set id while the old set prepares: the old set is aborted "
       "(its EndPrepare fails legally), the new one completes",
       "HWSNAP_BACKEND=mock HWSNAP_MOCK_PREPARE_MS=500", &RunImplicitAbort},
      {"capacity-fault", "prepare runs out of storage: EndPrepareSnapshots returns VSS_E_INSUFFICIENT_STORAGE",
       "HWSNAP_BACKEND=mock HWSNAP_MOCK_FAULT=prepare:insufficient-storage", &RunCapacityFault},
      {"unknown-set",
       "every set-taking method with a set id the provider never saw, and LUN methods with LUNs it never made",
       "", &RunUnknownSet},
      {"unknown-set-while-creating",
       "unknown set ids (AbortSnapshots included) while a real set is in creation; that set still completes",
       "HWSNAP_BACKEND=mock", &RunUnknownSetWhileCreating},
      {"out-of-order",
       "Commit before EndPrepare, EndPrepare twice, PostCommit before Commit, ...: each refused legally, "
       "and the set then completes in the right order",
       "HWSNAP_BACKEND=mock", &RunOutOfOrder},
      {"malformed-input",
       "null pointers, zero/negative/absurd counts, null identifier arrays, wrong struct versions, bad enums "
       "-> E_INVALIDARG while a set is in creation; that set then completes",
       "HWSNAP_BACKEND=mock", &RunMalformedInput},
      {"malformed-input-only", "the malformed calls of malformed-input alone (creates nothing)", "",
       &RunMalformedInputOnly},
      {"unsupported-lun",
       "a LUN without a unique 0x83 identifier: AreLunsSupported S_OK + FALSE, BeginPrepare refused, "
       "FillInLunInfo S_OK + FALSE without touching the description",
       "", &RunUnsupportedLun},
      {"ex-interface",
       "IVssHardwareSnapshotProviderEx: reserved and unsupported methods answer legally", "",
       &RunExInterface},
  };
  return scenarios;
}

const Scenario* FindScenario(const std::string& name) {
  for (const Scenario& scenario : AllScenarios()) {
    if (name == scenario.name) return &scenario;
  }
  return nullptr;
}

}  // namespace vss_driver
}  // namespace hwsnap
