// Scenario "out-of-order": every step of a set tried too early and twice.
// Each wrong call must be refused with a legal result and must not change
// the set, which then completes in the right order.
#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {

void RunOutOfOrder(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B"), context.luns.Unique("C")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{2, 0});
  std::vector<Volume> late;
  late.emplace_back("V3", pool, std::vector<int>{1});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  const LONG snapshots = static_cast<LONG>(volumes.size());
  const Expect refused = Expect::Failure();

  vss.Name(volumes[0].snapshot, volumes[0].label);
  vss.BeginPrepareSnapshot(set, volumes[0].snapshot, kContext, LunArg::Of(volumes[0].luns), volumes[0].devices.data(),
                           Expect::Ok());
  // Preparing: nothing after EndPrepare may run yet, no target exists yet.
  vss.PreCommitSnapshots(set, refused);
  vss.CommitSnapshots(set, refused);
  vss.PostCommitSnapshots(set, snapshots, refused);
  vss.PreFinalCommitSnapshots(set, refused);
  vss.PostFinalCommitSnapshots(set, refused);
  VdsLunArray destinations = VdsLunArray::Empty(volumes[0].luns.size());
  vss.GetTargetLuns(LunArg::Of(volumes[0].luns), volumes[0].devices.data(), destinations.data(), refused);
  // Still preparing: another volume is fine.
  vss.Name(volumes[1].snapshot, volumes[1].label);
  vss.BeginPrepareSnapshot(set, volumes[1].snapshot, kContext, LunArg::Of(volumes[1].luns), volumes[1].devices.data(),
                           Expect::Ok());

  vss.EndPrepareSnapshots(set, Expect::Ok());
  vss.EndPrepareSnapshots(set, refused);  // twice
  vss.Name(late[0].snapshot, late[0].label);
  vss.BeginPrepareSnapshot(set, late[0].snapshot, kContext, LunArg::Of(late[0].luns), late[0].devices.data(),
                           refused);  // a volume after EndPrepare
  vss.CommitSnapshots(set, refused);   // before PreCommit
  vss.PostCommitSnapshots(set, snapshots, refused);

  vss.PreCommitSnapshots(set, Expect::Ok());
  vss.PreCommitSnapshots(set, refused);  // twice
  vss.PostCommitSnapshots(set, snapshots, refused);  // before Commit
  vss.PreFinalCommitSnapshots(set, refused);

  vss.CommitSnapshots(set, Expect::Ok());
  vss.CommitSnapshots(set, refused);  // twice
  vss.PreFinalCommitSnapshots(set, refused);  // before PostCommit
  vss.EndPrepareSnapshots(set, refused);  // long past

  vss.PostCommitSnapshots(set, snapshots, Expect::Ok());
  vss.PostCommitSnapshots(set, snapshots, refused);  // twice
  vss.PostFinalCommitSnapshots(set, refused);  // before PreFinalCommit

  vss.PreFinalCommitSnapshots(set, Expect::Ok());
  vss.PreFinalCommitSnapshots(set, refused);  // twice
  vss.PostFinalCommitSnapshots(set, Expect::Ok());
  vss.PostFinalCommitSnapshots(set, refused);  // twice
  vss.CommitSnapshots(set, refused);  // after completion
  // VSS never aborts a completed set; if it did, the snapshots must survive
  // (the import below checks them), whatever legal result it gets.
  vss.AbortSnapshots(set, Expect::AnyLegal());

  ImportAndRelease(context, volumes);
}

}  // namespace vss_driver
}  // namespace hwsnap
