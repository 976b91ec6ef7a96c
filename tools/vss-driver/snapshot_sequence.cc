// The steps of a snapshot set (see snapshot_sequence.h).
#include "snapshot_sequence.h"

#include <cstdint>
#include <cstring>
#include <map>
#include <utility>

namespace hwsnap {
namespace vss_driver {
namespace {

std::vector<LunSpec> Pick(const std::vector<LunSpec>& pool, const std::vector<int>& indexes) {
  std::vector<LunSpec> out;
  for (int i : indexes) out.push_back(pool[static_cast<std::size_t>(i)]);
  return out;
}

std::vector<int> DeviceNumbers(const std::vector<int>& indexes) {
  std::vector<int> out;
  for (int i : indexes) out.push_back(i + 1);
  return out;
}

std::string First(const std::vector<std::string>& texts) { return texts.empty() ? "(none)" : texts.front(); }

// Checks the destinations GetTargetLuns filled for `volume`, and records the
// target of each source label in `targets` (first seen wins).
void CheckDestinations(ScenarioContext& context, Volume& volume, VdsLunArray& destinations,
                       std::vector<std::pair<std::string, LunSpec>>* targets) {
  Timeline& t = context.timeline;
  for (std::size_t i = 0; i < destinations.size(); ++i) {
    const std::string& source = volume.specs[i].label;
    const VDS_LUN_INFORMATION& dest = destinations[i];
    const std::vector<std::string> ids = UniqueIdentifierTexts(dest);
    const std::string what = volume.label + ": target of " + source;
    t.Check(dest.m_version == VER_VDS_LUN_INFORMATION, what + " has m_version VER_VDS_LUN_INFORMATION");
    t.Check(!ids.empty(), what + " has a unique 0x83 identifier (" + First(ids) + ")");
    t.Check(!SameLun(dest, volume.luns[i]), what + " is a new LUN (shares no unique identifier with " + source + ")");
    t.Check(dest.m_szVendorId != nullptr && dest.m_szProductId != nullptr && dest.m_szSerialNumber != nullptr,
            what + " has its inquiry strings (" + DescribeLun(dest) + ")");
    bool seen = false;
    for (auto& [label, spec] : *targets) {
      if (label != source) continue;
      seen = true;
      VdsLunArray earlier({spec});
      t.Check(SameLun(dest, earlier[0]), what + " is the same target as in the earlier volume (shared LUN)");
    }
    if (!seen) targets->emplace_back(source, SpecOf(dest, "t" + source));
  }
}

}  // namespace

Volume::Volume(std::string label_in, const std::vector<LunSpec>& pool, const std::vector<int>& indexes)
    : label(std::move(label_in)),
      specs(Pick(pool, indexes)),
      luns(specs),
      devices(DeviceNumbers(indexes)),
      snapshot(NewGuid()) {}

bool RequireSupported(ScenarioContext& context, std::vector<Volume>& volumes) {
  bool all = true;
  for (Volume& volume : volumes) {
    if (!context.timeline.Check(volume.luns.ok(), volume.label + ": LUN descriptions built (CoTaskMemAlloc)")) {
      return false;
    }
    WINBOOL supported = FALSE;
    const HRESULT hr = context.vss.AreLunsSupported(LunArg::Of(volume.luns), kContext, volume.devices.data(),
                                                    &supported, Expect::Ok());
    if (hr == S_OK && supported != TRUE) {
      context.timeline.Fail(volume.label + ": the provider does not support LUNs " + volume.luns.label() +
                            " (each has a unique NAA identifier): this scenario needs the DLL's mock backend "
                            "(HWSNAP_BACKEND=mock)");
    }
    all = all && hr == S_OK && supported == TRUE;
  }
  return all;
}

void BeginPrepareAll(ScenarioContext& context, const GUID& set, std::vector<Volume>& volumes) {
  for (Volume& volume : volumes) {
    context.vss.Name(volume.snapshot, volume.label);
    context.vss.BeginPrepareSnapshot(set, volume.snapshot, kContext, LunArg::Of(volume.luns),
                                     volume.devices.data(), Expect::Ok());
  }
}

bool CommitSet(ScenarioContext& context, const GUID& set, LONG snapshots) {
  VssCalls& vss = context.vss;
  return vss.EndPrepareSnapshots(set, Expect::Ok()) == S_OK && vss.PreCommitSnapshots(set, Expect::Ok()) == S_OK &&
         vss.CommitSnapshots(set, Expect::Ok()) == S_OK &&
         vss.PostCommitSnapshots(set, snapshots, Expect::Ok()) == S_OK &&
         vss.PreFinalCommitSnapshots(set, Expect::Ok()) == S_OK &&
         vss.PostFinalCommitSnapshots(set, Expect::Ok()) == S_OK;
}

void ImportAndRelease(ScenarioContext& context, std::vector<Volume>& volumes) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  std::vector<std::pair<std::string, LunSpec>> targets;  // source label -> target
  for (Volume& volume : volumes) {
    VdsLunArray destinations = VdsLunArray::Empty(volume.luns.size());
    if (vss.GetTargetLuns(LunArg::Of(volume.luns), volume.devices.data(), destinations.data(), Expect::Ok()) !=
        S_OK) {
      return;
    }
    CheckDestinations(context, volume, destinations, &targets);
  }
  std::vector<LunSpec> distinct;
  for (auto& [source, spec] : targets) {
    for (const LunSpec& other : distinct) {
      VdsLunArray pair({spec, other});
      t.Check(!SameLun(pair[0], pair[1]), spec.label + " and " + other.label + " are different LUNs");
    }
    distinct.push_back(spec);
  }
  t.Note(std::to_string(distinct.size()) + " distinct snapshot LUNs for " + std::to_string(volumes.size()) +
         " volumes");

  // Import: unmask them all, then VSS describes each new disk.
  VdsLunArray located(distinct);
  vss.LocateLuns(LunArg::Of(located), Expect::Ok());
  std::vector<int> numbers;
  for (std::size_t i = 0; i < distinct.size(); ++i) numbers.push_back(21 + static_cast<int>(i));
  DeviceNames new_disks(numbers);
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    LunSpec host_view = distinct[i];  // what the host reads from the new disk, and how it reaches it
    host_view.interconnects = {InterconnectSpec{VDS_IA_SCSI, {0, 0, 0, 4}, {0, 2, 0, static_cast<std::uint8_t>(i)}}};
    VdsLunArray seen({host_view});
    const GUID signature = NewGuid();
    seen[0].m_diskSignature = signature;
    VDS_INTERCONNECT* const interconnects = seen[0].m_rgInterconnects;
    const ULONG interconnect_count = seen[0].m_cInterconnects;
    WINBOOL supported = FALSE;
    if (vss.FillInLunInfo(new_disks.at(i), seen.data(), distinct[i].label, &supported, Expect::Ok()) != S_OK) {
      continue;
    }
    const std::string what = "FillInLunInfo(" + distinct[i].label + ")";
    t.Check(supported == TRUE, what + " recognises the snapshot LUN");
    t.Check(SameLun(seen[0], located[i]), what + " reports the identity GetTargetLuns gave");
    t.Check(seen[0].m_rgInterconnects == interconnects && seen[0].m_cInterconnects == interconnect_count,
            what + " leaves m_rgInterconnects alone");
    t.Check(IsEqualGUID(seen[0].m_diskSignature, signature) != 0, what + " leaves m_diskSignature alone");
  }

  // The requester is done: every snapshot LUN is released, once.
  for (std::size_t i = 0; i < distinct.size(); ++i) {
    vss.OnLunEmpty(new_disks.at(i), &located[i], distinct[i].label, Expect::Ok());
  }
  if (!distinct.empty()) vss.OnLunEmpty(new_disks.at(0), &located[0], distinct[0].label + " again", Expect::AnyLegal());
}

void CompleteSet(ScenarioContext& context, const GUID& set, std::vector<Volume>& volumes) {
  BeginPrepareAll(context, set, volumes);
  if (CommitSet(context, set, static_cast<LONG>(volumes.size()))) ImportAndRelease(context, volumes);
}

}  // namespace vss_driver
}  // namespace hwsnap
