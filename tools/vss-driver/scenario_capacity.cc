// Scenario "capacity-fault": the array runs out of space while preparing.
#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {

void RunCapacityFault(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B"), context.luns.Unique("C")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{1, 2});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  // BeginPrepare only starts the work: the failure surfaces in EndPrepare.
  BeginPrepareAll(context, set, volumes);
  vss.EndPrepareSnapshots(set, Expect::Exactly(windows::kVSS_E_INSUFFICIENT_STORAGE));

  // The set failed as a whole: nothing goes on, VSS's abort is fine, and no
  // target is handed out (the destinations stay empty).
  vss.PreCommitSnapshots(set, Expect::Failure());
  vss.CommitSnapshots(set, Expect::Failure());
  vss.AbortSnapshots(set, Expect::Ok());
  VdsLunArray destinations = VdsLunArray::Empty(volumes[0].luns.size());
  vss.GetTargetLuns(LunArg::Of(volumes[0].luns), volumes[0].devices.data(), destinations.data(), Expect::Failure());
  bool untouched = true;
  for (std::size_t i = 0; i < destinations.size(); ++i) {
    untouched = untouched && destinations[i].m_szVendorId == nullptr &&
                destinations[i].m_deviceIdDescriptor.m_rgIdentifiers == nullptr;
  }
  t.Check(untouched, "GetTargetLuns left the destinations empty after failing");
}

}  // namespace vss_driver
}  // namespace hwsnap
