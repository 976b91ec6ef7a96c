// snapshot_sequence.h — the steps of a snapshot set, as VSS performs them.
//
// This file exists because several scenarios need a correct set around their
// twist (an abort, unknown ids, malformed calls): the volumes, the support
// query, the prepare/commit chain, and the import and release of the
// snapshot LUNs with their checks (new unique identities, one target per
// shared source LUN, FillInLunInfo agreeing with GetTargetLuns). Every call
// goes through VssCalls, so each one is judged and printed.
//
//   std::vector<LunSpec> pool = {luns.Unique("A"), luns.Unique("B")};
//   std::vector<Volume> volumes;
//   volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
//   volumes.emplace_back("V2", pool, std::vector<int>{1});          // B is shared
//   if (!RequireSupported(context, volumes)) return;
//   CompleteSet(context, set, volumes);
#ifndef HWSNAP_TOOLS_VSS_DRIVER_SNAPSHOT_SEQUENCE_H_
#define HWSNAP_TOOLS_VSS_DRIVER_SNAPSHOT_SEQUENCE_H_

#include <windows.h>

#include <string>
#include <vector>

#include "lun_fixture.h"
#include "scenario.h"

namespace hwsnap {
namespace vss_driver {

// One volume VSS adds to a set: some LUNs of a pool (several volumes may
// share a LUN) with their device names (PhysicalDrive<pool index + 1>, so a
// shared LUN has the same name in every volume), and its snapshot id.
struct Volume {
  Volume(std::string label, const std::vector<LunSpec>& pool, const std::vector<int>& indexes);

  std::string label;
  std::vector<LunSpec> specs;
  VdsLunArray luns;
  DeviceNames devices;
  GUID snapshot;
};

// The VSS context hwsnap is asked for: an ordinary backup snapshot.
inline constexpr LONG kContext = 0;  // VSS_CTX_BACKUP

// AreLunsSupported once per volume; each must be S_OK with TRUE. When the
// provider says FALSE the run fails with a hint (the scenario needs the
// mock backend). True when every volume is supported.
bool RequireSupported(ScenarioContext& context, std::vector<Volume>& volumes);

// BeginPrepareSnapshot for every volume into `set`, each expecting S_OK.
void BeginPrepareAll(ScenarioContext& context, const GUID& set, std::vector<Volume>& volumes);

// EndPrepare, PreCommit, Commit, PostCommit(`snapshots`), PreFinalCommit,
// PostFinalCommit, each expecting S_OK; stops at the first failure.
bool CommitSet(ScenarioContext& context, const GUID& set, LONG snapshots);

// After a completed set: GetTargetLuns for every volume (checks that each
// destination has a unique identifier, differs from its source, and that a
// shared source gets the same target in every volume), LocateLuns of the
// distinct targets, FillInLunInfo as the host sees each new disk (supported,
// same LUN, VSS's interconnects and disk signature left alone), and
// OnLunEmpty for each target. Then the first target is released once more
// (legal, whatever it says).
void ImportAndRelease(ScenarioContext& context, std::vector<Volume>& volumes);

// BeginPrepareAll + CommitSet + ImportAndRelease.
void CompleteSet(ScenarioContext& context, const GUID& set, std::vector<Volume>& volumes);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_SNAPSHOT_SEQUENCE_H_
