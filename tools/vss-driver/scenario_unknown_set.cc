// Scenarios "unknown-set" and "unknown-set-while-creating": ids the provider
// never handed out.
#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {
namespace {

// Every set-taking method with `set`: each must refuse (AbortSnapshots may
// also accept: aborting nothing is harmless).
void CallEverySetMethod(VssCalls& vss, const GUID& set) {
  vss.EndPrepareSnapshots(set, Expect::Failure());
  vss.PreCommitSnapshots(set, Expect::Failure());
  vss.CommitSnapshots(set, Expect::Failure());
  vss.PostCommitSnapshots(set, 1, Expect::Failure());
  vss.PreFinalCommitSnapshots(set, Expect::Failure());
  vss.PostFinalCommitSnapshots(set, Expect::Failure());
  vss.AbortSnapshots(set, Expect::AnyLegal());
}

}  // namespace

void RunUnknownSet(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  const GUID unknown = NewGuid();
  vss.Name(unknown, "U1");
  CallEverySetMethod(vss, unknown);
  vss.Name(GUID_NULL, "NIL");
  CallEverySetMethod(vss, GUID_NULL);

  // LUN methods with LUNs that are no snapshot of this provider: refused,
  // and GetTargetLuns leaves the destinations empty.
  VdsLunArray strangers({context.luns.Unique("X"), context.luns.Unique("Y")});
  DeviceNames devices(std::vector<int>{1, 2});
  VdsLunArray destinations = VdsLunArray::Empty(strangers.size());
  vss.GetTargetLuns(LunArg::Of(strangers), devices.data(), destinations.data(), Expect::Failure());
  t.Check(destinations[0].m_szVendorId == nullptr && destinations[1].m_deviceIdDescriptor.m_rgIdentifiers == nullptr,
          "GetTargetLuns left the destinations empty");
  vss.LocateLuns(LunArg::Of(strangers), Expect::Failure());
  vss.OnLunEmpty(devices.at(0), &strangers[0], "X", Expect::Failure());
}

void RunUnknownSetWhileCreating(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{1});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  BeginPrepareAll(context, set, volumes);

  // Unknown ids must neither be served nor disturb S1 (an AbortSnapshots of
  // an unknown id must not abort the set in creation).
  const GUID unknown = NewGuid();
  vss.Name(unknown, "U1");
  CallEverySetMethod(vss, unknown);

  if (CommitSet(context, set, static_cast<LONG>(volumes.size()))) {
    // ... nor a completed one.
    CallEverySetMethod(vss, unknown);
    ImportAndRelease(context, volumes);
  }
}

}  // namespace vss_driver
}  // namespace hwsnap
