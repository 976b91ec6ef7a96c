// hwsnap/scsi/identity_builder.h — a LUN's identity as Windows reports it.
//
// VSS hands hwsnap a VDS_LUN_INFORMATION per LUN, built by Windows from the
// same pages hwsnap reads: device type, modifier and CmdQue from standard
// INQUIRY, vendor/product/revision from INQUIRY bytes 8-35, the serial number
// from VPD 0x80 and the designator list from VPD 0x83. BuildLunIdentity
// produces the hwsnap::LunIdentity with the same content, so identities
// read over SCSI and identities received from VSS compare equal.
//
// String conventions (decided here, for every SCSI identity in hwsnap):
//  * vendor_id, product_id, product_revision: the INQUIRY field cut at the
//    first NUL, trailing spaces removed ("IET     " -> "IET"). Windows'
//    port drivers hand these fields to STORAGE_DEVICE_DESCRIPTOR (from which
//    VDS_LUN_INFORMATION's m_szVendorId/... are filled) as NUL-terminated
//    strings; Microsoft's STORAGE_DEVICE_DESCRIPTOR and VDS_LUN_INFORMATION
//    pages (learn.microsoft.com, ns-winioctl-storage_device_descriptor,
//    ns-vdslun-vds_lun_information) say only "null-terminated ASCII string",
//    and ReactOS' scsiport (drivers/storage/port/scsiport/ioctl.c,
//    PdoHandleQueryProperty/GetFieldLength), which re-implements that
//    interface, trims trailing spaces. Leading spaces are kept.
//  * serial_number: the VPD 0x80 PRODUCT SERIAL NUMBER cut at the first NUL,
//    leading and trailing spaces removed (tgt sends 32 spaces + "beaf11";
//    SPC-4 7.8.18 allows right-aligned, space-padded serials). Empty when the
//    LUN has no page 0x80.
//  * Bytes outside printable ASCII (0x20-0x7e) that remain become '?' (core
//    validation accepts printable ASCII only; Windows would pass them on).
//  * designators: every page-0x83 designator, in page order, with code set,
//    association, type and the designator bytes unchanged (SCSI name strings
//    keep their NUL padding). Designators hwsnap's model cannot carry are
//    left out and listed in `dropped`: reserved association 3, code set 0
//    or 4-15, type 9-15 (e.g. the SPC-5 UUID type 0xA), an empty designator,
//    and any past the 64th (the core's limit). A serial over 256 bytes is cut.
//
//   absl::StatusOr<BuiltIdentity> id = BuildLunIdentity({inquiry, &serial, &device_ids, BusType::kIscsi});
//   hwsnap::LunIdentity lun = id->identity;   // passes ValidateLunIdentity
#ifndef HWSNAP_SCSI_IDENTITY_BUILDER_H_
#define HWSNAP_SCSI_IDENTITY_BUILDER_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/scsi/inquiry.h"
#include "hwsnap/scsi/vpd.h"

namespace hwsnap::scsi {

struct IdentityPages {
  StandardInquiry inquiry;
  const UnitSerialNumberPage* serial = nullptr;          // null: no page 0x80
  const DeviceIdentificationPage* device_ids = nullptr;  // null: no page 0x83
  BusType bus_type = BusType::kUnknown;
};

struct BuiltIdentity {
  LunIdentity identity;
  // Why a designator was left out ("designator 3: association 3 is reserved").
  std::vector<std::string> dropped;
};

// Errors (kBackendFailure): the result fails ValidateLunIdentity (cannot
// happen for pages that passed the parsers; kept as a guard).
absl::StatusOr<BuiltIdentity> BuildLunIdentity(const IdentityPages& pages);

// INQUIRY text field as Windows shows it (see file comment): cut at NUL,
// trailing spaces removed, non-printables replaced. For the Windows adapter
// to normalise VDS_LUN_INFORMATION strings the same way.
std::string NormalizeInquiryText(absl::string_view field);
// VPD 0x80 serial as Windows shows it: cut at NUL, both ends trimmed of spaces.
std::string NormalizeSerialNumber(absl::string_view serial);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_IDENTITY_BUILDER_H_
