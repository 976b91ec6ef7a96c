// Scenarios "unsupported-lun" and "ex-interface": answers that must stay
// legal when the provider has nothing to offer. Neither creates anything,
// so both are safe against an installed provider with a real backend.
#include <cstring>

#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {

void RunUnsupportedLun(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  const LunSpec anonymous = context.luns.WithoutUniqueDesignator("N");
  const LunSpec named = context.luns.Unique("A");
  VdsLunArray alone({anonymous});
  VdsLunArray mixed({named, anonymous});
  DeviceNames devices(std::vector<int>{1, 2});

  // No unique 0x83 identifier: Windows could never match the snapshot on
  // import, so the answer is "no" (S_OK + FALSE), never an error.
  WINBOOL supported = TRUE;
  vss.AreLunsSupported(LunArg::Of(alone), kContext, devices.data(), &supported, Expect::Ok());
  t.Check(supported == FALSE, "a LUN without a unique identifier is not supported");
  // All or nothing: one such LUN makes the whole volume unsupported.
  vss.AreLunsSupported(LunArg::Of(mixed), kContext, devices.data(), &supported, Expect::Ok());
  t.Check(supported == FALSE, "a volume with one such LUN is not supported");

  // VSS would not ask, but a prepare of it must be refused and create nothing.
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  vss.BeginPrepareSnapshot(set, NewGuid(), kContext, LunArg::Of(alone), devices.data(), Expect::Failure());
  vss.EndPrepareSnapshots(set, Expect::Failure());

  // Import of a disk that is none of ours: S_OK + FALSE, description untouched.
  VdsLunArray seen({anonymous});
  const VDS_LUN_INFORMATION before = seen[0];
  vss.FillInLunInfo(devices.at(0), seen.data(), "N", &supported, Expect::Ok());
  t.Check(supported == FALSE, "FillInLunInfo does not claim the LUN");
  t.Check(std::memcmp(&before, &seen[0], sizeof(before)) == 0, "FillInLunInfo left VSS's description untouched");
}

void RunExInterface(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  ULONGLONG mask = 0;
  vss.GetProviderCapabilities(&mask, Expect::AnyLegal());
  vss.GetProviderCapabilities(nullptr, Expect::AnyLegal());
  VdsLunArray luns({context.luns.Unique("A")});
  VdsLunArray others({context.luns.Unique("B")});
  vss.OnReuseLuns(luns.data(), others.data(), 1, Expect::AnyLegal());
  vss.ResyncLuns(luns.data(), others.data(), 1, Expect::AnyLegal());
  vss.OnLunStateChange(luns.data(), others.data(), 0, 0x100, "no LUNs", Expect::AnyLegal());
  for (DWORD flags : {0x100ul, 0x200ul, 0x400ul, 0x800ul}) {
    vss.OnLunStateChange(luns.data(), others.data(), 1, flags, "A<-B", Expect::AnyLegal());
  }
  vss.OnUnload(false, Expect::AnyLegal());
}

}  // namespace vss_driver
}  // namespace hwsnap
