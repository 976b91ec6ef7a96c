// lun_fixture.h — the LUN descriptions hwsnap-vss-driver hands the provider.
//
// This file exists to build VDS_LUN_INFORMATION the way VSS does — every
// string, identifier array and buffer a separate CoTaskMemAlloc block — with
// code of the driver's own (not the adapter's LunIdentityToVds), so the
// provider's reader is checked against an independent writer, and to free
// whatever the provider hands back (GetTargetLuns, FillInLunInfo) the way VSS
// does: CoTaskMemFree on every block.
//
//   LunFactory factory;                       // a per-run random NAA prefix
//   LunSpec a = factory.Unique("A");          // NAA-6 designator, serial, ...
//   VdsLunArray luns({a, factory.Unique("B")});
//   hw->AreLunsSupported(luns.count(), 0, devices, luns.data(), &supported);
//   VdsLunArray targets = VdsLunArray::Empty(2);   // for GetTargetLuns to fill
//
// Everything here is plain data plus memory ownership; no provider calls.
#ifndef HWSNAP_TOOLS_VSS_DRIVER_LUN_FIXTURE_H_
#define HWSNAP_TOOLS_VSS_DRIVER_LUN_FIXTURE_H_

#include <windows.h>
// windows.h first: vdslun.h uses its types.
#include <vdslun.h>
#include <vss.h>

#include <cstdint>
#include <string>
#include <vector>

namespace hwsnap {
namespace vss_driver {

// One page-0x83 identifier (VDS has no association field: association 0).
struct IdentifierSpec {
  VDS_STORAGE_IDENTIFIER_CODE_SET code_set = VDSStorageIdCodeSetBinary;
  VDS_STORAGE_IDENTIFIER_TYPE type = VDSStorageIdTypeFCPHName;
  std::vector<std::uint8_t> bytes;
};

// One interconnect (how the host reaches the LUN).
struct InterconnectSpec {
  VDS_INTERCONNECT_ADDRESS_TYPE address_type = VDS_IA_SCSI;
  std::vector<std::uint8_t> port;
  std::vector<std::uint8_t> address;
};

// Everything the driver puts into one VDS_LUN_INFORMATION.
struct LunSpec {
  std::string label;  // short name for the timeline ("A", "B", ...)
  BYTE device_type = 0;  // disk
  VDS_STORAGE_BUS_TYPE bus_type = VDSBusTypeiScsi;
  std::string vendor_id = "HWSNAPDR";
  std::string product_id = "VSS-DRIVER-LUN";
  std::string product_revision = "0001";
  std::string serial_number;
  std::vector<IdentifierSpec> identifiers;
  std::vector<InterconnectSpec> interconnects;
};

// Makes LUN descriptions unique to this run: every NAA designator carries
// 8 random bytes drawn once per factory (CoCreateGuid), so LUNs of two runs
// (or of a real array) never collide.
class LunFactory {
 public:
  LunFactory();

  // A LUN with a unique NAA-6 (type 3, 16 bytes) designator, a vendor-specific
  // (type 0) one that must not count as unique, a page-0x80 serial and an
  // iSCSI-like interconnect. `label` names it in the timeline.
  LunSpec Unique(const std::string& label);
  // A well-formed LUN without any unique designator (only types 0 and 4):
  // Windows cannot match it on import, so no provider may support it.
  LunSpec WithoutUniqueDesignator(const std::string& label);

 private:
  std::uint8_t run_[8] = {};
  std::uint8_t next_ = 1;
};

// Fills `*out` (treated as empty) from `spec`, every block from CoTaskMemAlloc.
// False (and `*out` zeroed, nothing allocated) when an allocation fails.
bool BuildVdsLun(const LunSpec& spec, VDS_LUN_INFORMATION* out);

// Frees every block `info` owns with CoTaskMemFree and zeroes it (not the
// struct itself). Null members are skipped; counts bound the arrays.
void FreeVdsLun(VDS_LUN_INFORMATION* info);

// A contiguous array of VDS_LUN_INFORMATION the driver owns; what VSS passes
// as rgLunInformation / rgSourceLuns / rgDestinationLuns.
class VdsLunArray {
 public:
  VdsLunArray() = default;
  explicit VdsLunArray(const std::vector<LunSpec>& specs);
  // `count` zeroed entries (destinations for GetTargetLuns).
  static VdsLunArray Empty(std::size_t count);
  ~VdsLunArray();
  VdsLunArray(VdsLunArray&& other) noexcept;
  VdsLunArray& operator=(VdsLunArray&& other) noexcept;
  VdsLunArray(const VdsLunArray&) = delete;
  VdsLunArray& operator=(const VdsLunArray&) = delete;

  VDS_LUN_INFORMATION* data() { return infos_.data(); }
  LONG count() const { return static_cast<LONG>(infos_.size()); }
  std::size_t size() const { return infos_.size(); }
  VDS_LUN_INFORMATION& operator[](std::size_t i) { return infos_[i]; }
  const VDS_LUN_INFORMATION& operator[](std::size_t i) const { return infos_[i]; }
  // False when building one of the entries ran out of memory.
  bool ok() const { return ok_; }
  // Labels of the entries ("A,B"), "" for empty destinations.
  const std::string& label() const { return label_; }

 private:
  std::vector<VDS_LUN_INFORMATION> infos_;
  std::string label_;
  bool ok_ = true;
};

// The device names VSS passes beside the LUNs (rgDeviceNames): one
// "\\?\PhysicalDriveN" per LUN, owned here.
class DeviceNames {
 public:
  DeviceNames() = default;
  // One name per number: \\?\PhysicalDrive<n>.
  explicit DeviceNames(const std::vector<int>& numbers);
  DeviceNames(DeviceNames&&) = default;
  DeviceNames& operator=(DeviceNames&&) = default;
  VSS_PWSZ* data() { return pointers_.empty() ? nullptr : pointers_.data(); }
  VSS_PWSZ at(std::size_t i) { return pointers_[i]; }

 private:
  std::vector<std::wstring> names_;
  std::vector<VSS_PWSZ> pointers_;
};

// --- Reading what the provider returned -------------------------------------

// What `info` holds, as a spec (a deep copy through BuildVdsLun). Reads only
// within the counts; null strings and arrays become empty.
LunSpec SpecOf(const VDS_LUN_INFORMATION& info, const std::string& label);

// The unique identifiers (types 1, 2, 3, 8 with bytes) of `info`, each as
// "naa:600a0b...", in order. Reads only within the counts; null arrays skip.
std::vector<std::string> UniqueIdentifierTexts(const VDS_LUN_INFORMATION& info);
// True when `a` and `b` share a unique identifier (VSS's "same LUN").
bool SameLun(const VDS_LUN_INFORMATION& a, const VDS_LUN_INFORMATION& b);
// "HWSNAPDR VSS-DRIVER-LUN sn=... naa:60..." (first unique identifier) for notes.
std::string DescribeLun(const VDS_LUN_INFORMATION& info);

}  // namespace vss_driver
}  // namespace hwsnap

#endif  // HWSNAP_TOOLS_VSS_DRIVER_LUN_FIXTURE_H_
