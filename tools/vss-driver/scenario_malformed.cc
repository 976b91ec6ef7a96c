// Scenarios "malformed-input" and "malformed-input-only": what VSS should
// never send. Every call must answer E_INVALIDARG (never crash, never a
// different code), write FALSE to a support flag it was given, and leave
// nothing behind: with a set in creation ("malformed-input"), none of it —
// not even a malformed BeginPrepareSnapshot carrying a new set id — may
// disturb that set, which completes afterwards.
#include <objbase.h>

#include <climits>
#include <cstdint>
#include <cstring>
#include <functional>

#include "scenario.h"
#include "snapshot_sequence.h"

namespace hwsnap {
namespace vss_driver {
namespace {

using Undo = std::function<void()>;

// Sets `field` to `value`; the returned function puts the old value back.
template <typename T, typename V>
Undo Set(T& field, V value) {
  const T old = field;
  field = static_cast<T>(value);
  return [&field, old] { field = old; };
}

// Stores `value` in an enum field even where it names no enumerator (which a
// plain cast may not do); the returned function puts the old value back.
template <typename E>
Undo SetRaw(E& field, std::uint32_t value) {
  static_assert(sizeof(E) == sizeof(value), "VDS enums are 32-bit");
  const E old = field;
  std::memcpy(&field, &value, sizeof(value));
  return [&field, old] { field = old; };
}

// One way a VDS_LUN_INFORMATION can be broken.
struct Defect {
  const char* name;
  std::function<Undo(VDS_LUN_INFORMATION&)> apply;
};

// Replaces m_szVendorId with a CoTaskMem block of `bytes` copied from `text`
// (no NUL added); the undo frees it and restores the original.
Undo ReplaceVendor(VDS_LUN_INFORMATION& lun, const std::string& text, std::size_t bytes) {
  auto* block = static_cast<char*>(CoTaskMemAlloc(bytes));
  if (block == nullptr) return [] {};
  std::memset(block, 'A', bytes);
  std::memcpy(block, text.data(), text.size() < bytes ? text.size() : bytes);
  char* const old = lun.m_szVendorId;
  lun.m_szVendorId = block;
  return [&lun, old, block] {
    lun.m_szVendorId = old;
    CoTaskMemFree(block);
  };
}

// The fixture LUN has identifiers [NAA, vendor-specific] and one interconnect.
std::vector<Defect> Defects() {
  return {
      {"m_version=0", [](VDS_LUN_INFORMATION& l) { return Set(l.m_version, 0); }},
      {"m_version=2", [](VDS_LUN_INFORMATION& l) { return Set(l.m_version, 2); }},
      {"identifier array null, count 2",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_deviceIdDescriptor.m_rgIdentifiers, nullptr); }},
      {"identifier count 0xFFFFFFFF (-1)",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_deviceIdDescriptor.m_cIdentifiers, 0xFFFFFFFFu); }},
      {"identifier bytes null, length 16",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_deviceIdDescriptor.m_rgIdentifiers[0].m_rgbIdentifier, nullptr); }},
      {"NAA identifier of 5 bytes",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_deviceIdDescriptor.m_rgIdentifiers[0].m_cbIdentifier, 5); }},
      {"identifier length 65536",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_deviceIdDescriptor.m_rgIdentifiers[0].m_cbIdentifier, 65536); }},
      {"identifier code set 7",
       [](VDS_LUN_INFORMATION& l) { return SetRaw(l.m_deviceIdDescriptor.m_rgIdentifiers[0].m_CodeSet, 7); }},
      {"identifier type 42",
       [](VDS_LUN_INFORMATION& l) { return SetRaw(l.m_deviceIdDescriptor.m_rgIdentifiers[0].m_Type, 42); }},
      {"bus type 0x55", [](VDS_LUN_INFORMATION& l) { return SetRaw(l.m_BusType, 0x55); }},
      {"vendor id without NUL in 8192 bytes",
       [](VDS_LUN_INFORMATION& l) { return ReplaceVendor(l, "", 8192); }},
      {"vendor id with a control character",
       [](VDS_LUN_INFORMATION& l) { return ReplaceVendor(l, std::string("BAD\x07", 5), 5); }},
      {"interconnect array null, count 1",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_rgInterconnects, nullptr); }},
      {"interconnect count 0xFFFFFFFF (-1)", [](VDS_LUN_INFORMATION& l) { return Set(l.m_cInterconnects, 0xFFFFFFFFu); }},
      {"interconnect address null, length 4",
       [](VDS_LUN_INFORMATION& l) { return Set(l.m_rgInterconnects[0].m_pbAddress, nullptr); }},
      {"interconnect address type 9",
       [](VDS_LUN_INFORMATION& l) { return SetRaw(l.m_rgInterconnects[0].m_addressType, 9); }},
  };
}

// Sends every malformed call. `set` (may be null) is a set in creation that
// must survive all of it.
void SendMalformedInput(ScenarioContext& context, const GUID* set) {
  VssCalls& vss = context.vss;
  Timeline& t = context.timeline;
  const Expect invalid = Expect::Exactly(windows::kE_INVALIDARG);
  const LunSpec spec_a = context.luns.Unique("M1");
  const LunSpec spec_b = context.luns.Unique("M2");
  VdsLunArray good({spec_a, spec_b});
  DeviceNames devices(std::vector<int>{11, 12});
  WINBOOL supported = FALSE;
  auto check_false = [&](const char* method) {
    t.Check(supported == FALSE, std::string(method) + " wrote FALSE to *pbIsSupported");
  };

  // Counts and pointers.
  t.Note("AreLunsSupported: null out-pointer, bad counts, null arrays");
  vss.AreLunsSupported(LunArg::Of(good), kContext, devices.data(), nullptr, invalid);
  for (LONG count : {0L, -1L, static_cast<LONG>(LONG_MIN), static_cast<LONG>(0x7FFFFFFF)}) {
    vss.AreLunsSupported(LunArg::Raw(count, good.data(), "M1,M2"), kContext, devices.data(), &supported, invalid);
    check_false("AreLunsSupported");
  }
  vss.AreLunsSupported(LunArg::Raw(2, nullptr, ""), kContext, devices.data(), &supported, invalid);
  check_false("AreLunsSupported");
  vss.AreLunsSupported(LunArg::Of(good), kContext, nullptr, &supported, invalid);
  check_false("AreLunsSupported");

  t.Note("BeginPrepareSnapshot: nil ids, bad counts, null arrays, a LUN twice in one call");
  const GUID snapshot = NewGuid();
  vss.BeginPrepareSnapshot(GUID_NULL, snapshot, kContext, LunArg::Of(good), devices.data(), invalid);
  vss.BeginPrepareSnapshot(NewGuid(), GUID_NULL, kContext, LunArg::Of(good), devices.data(), invalid);
  for (LONG count : {0L, -1L, static_cast<LONG>(0x7FFFFFFF)}) {
    vss.BeginPrepareSnapshot(NewGuid(), snapshot, kContext, LunArg::Raw(count, good.data(), "M1,M2"),
                             devices.data(), invalid);
  }
  vss.BeginPrepareSnapshot(NewGuid(), snapshot, kContext, LunArg::Raw(2, nullptr, ""), devices.data(), invalid);
  vss.BeginPrepareSnapshot(NewGuid(), snapshot, kContext, LunArg::Of(good), nullptr, invalid);
  VdsLunArray twice({spec_a, spec_a});
  vss.BeginPrepareSnapshot(NewGuid(), snapshot, kContext, LunArg::Of(twice), devices.data(), invalid);
  if (set != nullptr) {
    vss.BeginPrepareSnapshot(*set, snapshot, kContext, LunArg::Raw(0, good.data(), "M1,M2"), devices.data(),
                             invalid);
    vss.BeginPrepareSnapshot(*set, snapshot, kContext, LunArg::Of(twice), devices.data(), invalid);
  }

  t.Note("GetTargetLuns, LocateLuns, FillInLunInfo, OnLunEmpty: null pointers and bad counts");
  VdsLunArray destinations = VdsLunArray::Empty(good.size());
  vss.GetTargetLuns(LunArg::Of(good), devices.data(), nullptr, invalid);
  vss.GetTargetLuns(LunArg::Raw(2, nullptr, ""), devices.data(), destinations.data(), invalid);
  vss.GetTargetLuns(LunArg::Raw(0, good.data(), "M1,M2"), devices.data(), destinations.data(), invalid);
  vss.GetTargetLuns(LunArg::Raw(-1, good.data(), "M1,M2"), devices.data(), destinations.data(), invalid);
  vss.GetTargetLuns(LunArg::Of(good), nullptr, destinations.data(), invalid);
  for (LONG count : {0L, -1L, static_cast<LONG>(0x7FFFFFFF)}) {
    vss.LocateLuns(LunArg::Raw(count, good.data(), "M1,M2"), invalid);
  }
  vss.LocateLuns(LunArg::Raw(1, nullptr, ""), invalid);
  vss.FillInLunInfo(devices.at(0), nullptr, "", &supported, invalid);
  check_false("FillInLunInfo");
  vss.FillInLunInfo(devices.at(0), &good[0], "M1", nullptr, invalid);
  vss.OnLunEmpty(devices.at(0), nullptr, "", invalid);
  vss.OnLunStateChange(nullptr, good.data(), 1, 0x100, "", invalid);
  vss.OnLunStateChange(good.data(), nullptr, 1, 0x100, "", invalid);
  vss.OnLunStateChange(good.data(), good.data(), 0xFFFFFFFFu, 0x100, "", invalid);

  // Broken LUN descriptions, one defect at a time.
  for (const Defect& defect : Defects()) {
    t.Note(std::string("LUN description with ") + defect.name);
    VdsLunArray lun({spec_a});
    Undo undo = defect.apply(lun[0]);
    const LunArg arg = LunArg::Raw(1, lun.data(), defect.name);
    vss.AreLunsSupported(arg, kContext, devices.data(), &supported, invalid);
    check_false("AreLunsSupported");
    vss.BeginPrepareSnapshot(NewGuid(), NewGuid(), kContext, arg, devices.data(), invalid);
    if (set != nullptr) vss.BeginPrepareSnapshot(*set, NewGuid(), kContext, arg, devices.data(), invalid);
    vss.FillInLunInfo(devices.at(0), lun.data(), defect.name, &supported, invalid);
    check_false("FillInLunInfo");
    VdsLunArray one_destination = VdsLunArray::Empty(1);
    vss.GetTargetLuns(arg, devices.data(), one_destination.data(), invalid);
    vss.LocateLuns(arg, invalid);
    vss.OnLunEmpty(devices.at(0), lun.data(), defect.name, invalid);
    undo();
  }
  t.Check(destinations[0].m_szVendorId == nullptr && destinations[1].m_szVendorId == nullptr,
          "no destination was filled by a refused GetTargetLuns");
}

}  // namespace

void RunMalformedInputOnly(ScenarioContext& context) {
  SendMalformedInput(context, nullptr);
}

void RunMalformedInput(ScenarioContext& context) {
  VssCalls& vss = context.vss;
  const std::vector<LunSpec> pool = {context.luns.Unique("A"), context.luns.Unique("B"), context.luns.Unique("C")};
  std::vector<Volume> volumes;
  volumes.emplace_back("V1", pool, std::vector<int>{0, 1});
  volumes.emplace_back("V2", pool, std::vector<int>{1, 2});
  if (!RequireSupported(context, volumes)) return;
  const GUID set = NewGuid();
  vss.Name(set, "S1");
  vss.Name(volumes[0].snapshot, volumes[0].label);
  vss.BeginPrepareSnapshot(set, volumes[0].snapshot, kContext, LunArg::Of(volumes[0].luns), volumes[0].devices.data(),
                           Expect::Ok());

  SendMalformedInput(context, &set);

  // S1 is untouched: it takes its second volume and completes.
  context.timeline.Note("S1 continues after the malformed calls");
  vss.Name(volumes[1].snapshot, volumes[1].label);
  vss.BeginPrepareSnapshot(set, volumes[1].snapshot, kContext, LunArg::Of(volumes[1].luns), volumes[1].devices.data(),
                           Expect::Ok());
  const Expect invalid = Expect::Exactly(windows::kE_INVALIDARG);
  if (vss.EndPrepareSnapshots(set, Expect::Ok()) != S_OK || vss.PreCommitSnapshots(set, Expect::Ok()) != S_OK ||
      vss.CommitSnapshots(set, Expect::Ok()) != S_OK) {
    return;
  }
  vss.PostCommitSnapshots(set, -1, invalid);  // a negative snapshot count
  if (vss.PostCommitSnapshots(set, static_cast<LONG>(volumes.size()), Expect::Ok()) != S_OK ||
      vss.PreFinalCommitSnapshots(set, Expect::Ok()) != S_OK ||
      vss.PostFinalCommitSnapshots(set, Expect::Ok()) != S_OK) {
    return;
  }
  ImportAndRelease(context, volumes);
}

}  // namespace vss_driver
}  // namespace hwsnap
