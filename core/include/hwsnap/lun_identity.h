// hwsnap/lun_identity.h — what identifies a LUN, as Windows sees it.
//
// Mirrors the fields of Windows' VDS_LUN_INFORMATION so that the Windows
// adapter converts field by field and backends describe LUNs in the same
// terms: SCSI bus type, INQUIRY strings, the page 0x80 serial number and the
// page 0x83 designator list (code set, association, type, bytes), plus the
// interconnects a LUN is reached through.
//
// "Same LUN" (LunIdentity::SameLunAs) follows how VSS matches LUNs on import:
// two identities denote the same LUN when they share a *unique* designator —
// association 0 (the logical unit itself) and type T10 vendor id (1), EUI-64
// (2), NAA (3) or SCSI name string (8), with equal code set and bytes. Bus
// type and disk signature are ignored, as VSS ignores them. LUNs without any
// unique designator cannot be matched reliably; hwsnap refuses to snapshot
// them (see HasUniqueDesignator).
#ifndef HWSNAP_LUN_IDENTITY_H_
#define HWSNAP_LUN_IDENTITY_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"

namespace hwsnap {

// VDS_STORAGE_BUS_TYPE values (vdslun.h).
enum class BusType : std::uint32_t {
  kUnknown = 0x0, kScsi = 0x1, kAtapi = 0x2, kAta = 0x3, k1394 = 0x4, kSsa = 0x5,
  kFibre = 0x6, kUsb = 0x7, kRaid = 0x8, kIscsi = 0x9, kSas = 0xA, kSata = 0xB,
  kSd = 0xC, kMmc = 0xD, kVirtual = 0xE, kFileBackedVirtual = 0xF, kSpaces = 0x10,
  kNvme = 0x11, kScm = 0x12, kUfs = 0x13,
};

// VDS_STORAGE_IDENTIFIER_CODE_SET (= SPC code set field).
enum class CodeSet : std::uint8_t { kReserved = 0, kBinary = 1, kAscii = 2, kUtf8 = 3 };

// VDS_STORAGE_IDENTIFIER_TYPE (= SPC designator type field).
enum class DesignatorType : std::uint8_t {
  kVendorSpecific = 0, kT10VendorId = 1, kEui64 = 2, kNaa = 3, kPortRelative = 4,
  kTargetPortGroup = 5, kLogicalUnitGroup = 6, kMd5LogicalUnitId = 7, kScsiNameString = 8,
};

// SPC association field: which object the designator names.
enum class Association : std::uint8_t { kLogicalUnit = 0, kTargetPort = 1, kTargetDevice = 2 };

// One page-0x83-style designator.
struct Designator {
  CodeSet code_set = CodeSet::kBinary;
  Association association = Association::kLogicalUnit;
  DesignatorType type = DesignatorType::kVendorSpecific;
  std::vector<std::uint8_t> bytes;

  // Association 0 and a type Windows accepts as a unique LUN id (1, 2, 3, 8).
  bool IsUniqueLunDesignator() const;
  // "naa:600144f0c0ffee01..." style text for logs and JSON.
  std::string ToString() const;

  friend bool operator==(const Designator& a, const Designator& b) {
    return a.code_set == b.code_set && a.association == b.association && a.type == b.type &&
           a.bytes == b.bytes;
  }
  friend bool operator!=(const Designator& a, const Designator& b) { return !(a == b); }
};

// VDS_INTERCONNECT_ADDRESS_TYPE.
enum class InterconnectAddressType : std::uint32_t {
  kUnknown = 0, kFcfs = 1, kFcph = 2, kFcph3 = 3, kMac = 4, kScsi = 5,
};

// VDS_INTERCONNECT: how the host reaches the LUN (port and address bytes).
struct Interconnect {
  InterconnectAddressType address_type = InterconnectAddressType::kUnknown;
  std::vector<std::uint8_t> port;
  std::vector<std::uint8_t> address;

  friend bool operator==(const Interconnect& a, const Interconnect& b) {
    return a.address_type == b.address_type && a.port == b.port && a.address == b.address;
  }
};

// Everything VDS_LUN_INFORMATION carries about one LUN.
struct LunIdentity {
  std::uint8_t device_type = 0;           // SCSI peripheral device type (0 = disk)
  std::uint8_t device_type_modifier = 0;
  bool command_queueing = false;
  BusType bus_type = BusType::kUnknown;
  std::string vendor_id;                  // INQUIRY vendor identification
  std::string product_id;                 // INQUIRY product identification
  std::string product_revision;           // INQUIRY product revision level
  std::string serial_number;              // VPD page 0x80
  std::vector<Designator> designators;    // VPD page 0x83 (all associations)
  std::vector<Interconnect> interconnects;

  // True when the LUN carries at least one unique designator (see file comment).
  bool HasUniqueDesignator() const;
  // The same LUN as `other` (a shared unique designator).
  bool SameLunAs(const LunIdentity& other) const;
  // The preferred unique designator for display and keys: NAA, then EUI-64,
  // then SCSI name string, then T10 vendor id; nullptr when there is none.
  const Designator* PrimaryDesignator() const;
  // Short text for logs: "IET VIRTUAL-DISK sn=beaf11 naa:6001..." .
  std::string ToString() const;

  friend bool operator==(const LunIdentity& a, const LunIdentity& b);
  friend bool operator!=(const LunIdentity& a, const LunIdentity& b) { return !(a == b); }
};

// Checks the structure of a LUN description received from outside (VSS, a
// backend, a file): printable strings without NULs within sane lengths, known
// code sets, associations and types, designator lengths consistent with their
// type (NAA 8 or 16 bytes, EUI-64 8/12/16, ...). Invalid-argument otherwise,
// with a message naming the offending field. It does not require a unique
// designator: a well-formed LUN without one is merely unsupported.
absl::Status ValidateLunIdentity(const LunIdentity& lun);

}  // namespace hwsnap

#endif  // HWSNAP_LUN_IDENTITY_H_
