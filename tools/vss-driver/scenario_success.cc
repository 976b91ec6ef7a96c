// Scenario "success": the full VSS sequence over three volumes that share LUNs.
//
// V1 = {A, B}, V2 = {B, C}, V3 = {C, A}: every LUN backs two volumes, so the
// provider must prepare each LUN once, hand back one target per source in
// every GetTargetLuns, and release each target once.
#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {

void RunSuccess(ScenarioContext& context) {
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B"), context.luns.Unique("C")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{1, 2});
  volumes.emplace_back("V3", pool, std::vector<int>{2, 0});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  context.vss.Name(set, "S1");
  CompleteSet(context, set, volumes);
}

}  // namespace vss_driver
}  // namespace hwsnap
