// hwsnap/nvme/identity_mapping.h — how an NVMe namespace looks to VSS as a LUN.
//
// VSS matches LUNs by VDS_LUN_INFORMATION: bus type, INQUIRY-like strings,
// a serial number and a VPD 0x83-style designator list. Windows builds those
// for NVMe disks inside its NVMe driver (SCSI translation); Microsoft does not
// document the exact rules. So the mapping is one table a host can change
// (IdentityMapping) with hwsnap's default following the NVM Express SCSI
// Translation Reference 1.5 and what Windows shows for NVMe disks:
//
//   field              default source                   alternatives
//   bus type           NVMe (0x11)                      —
//   vendor id          "NVMe"                           controller PCI VID as hex
//   product id         MN (model number)                first 16 bytes of MN
//   revision           FR (firmware revision)           first 4 bytes of FR
//   serial number      controller SN                    translation form: NGUID as
//                                                       "xxxx_xxxx_..._xxxx." (else EUI-64)
//   designators (association 0, the logical unit), one row per namespace id:
//     EUI-64  (8 bytes)  → type EUI-64, 8 bytes          | SCSI name "eui.<16 hex>" | omitted
//     NGUID   (16 bytes) → type EUI-64, 16 bytes         | SCSI name "eui.<32 hex>" | omitted
//     UUID    (16 bytes) → SCSI name "uuid.<36 chars>"  | omitted
// Ids come from the Namespace Identification Descriptor list (CNS 03h), else
// from Identify Namespace (EUI64/NGUID fields). docs/nvme-backend.md explains
// each choice and how to change it (backend option identity=...).
#ifndef HWSNAP_NVME_IDENTITY_MAPPING_H_
#define HWSNAP_NVME_IDENTITY_MAPPING_H_

#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hwsnap/lun_identity.h"
#include "hwsnap/nvme/identify.h"

namespace hwsnap::nvme {

enum class DesignatorForm {
  kOmit,            // not reported
  kEui64Type,       // designator type EUI-64 (2), binary, the id's bytes (8 or 16)
  kScsiNameString,  // designator type SCSI name string (8), UTF-8 "eui.HEX" / "uuid.TEXT", NUL-padded to 4
};

enum class VendorSource { kNvmeLiteral, kPciVendorId };
enum class SerialSource { kControllerSerial, kTranslationNguidEui64 };

struct IdentityMapping {
  VendorSource vendor = VendorSource::kNvmeLiteral;
  bool truncate_product_to_16 = false;
  bool truncate_revision_to_4 = false;
  SerialSource serial = SerialSource::kControllerSerial;
  DesignatorForm eui64 = DesignatorForm::kEui64Type;
  DesignatorForm nguid = DesignatorForm::kEui64Type;
  DesignatorForm uuid = DesignatorForm::kScsiNameString;
};

// Parses the backend option form: comma-separated key:value pairs, e.g.
// "eui64:scsi-name,nguid:eui64,uuid:omit,serial:translation,vendor:pci-vid,
// product:16,revision:4". Unknown keys/values → kInvalidArgument naming them.
absl::StatusOr<IdentityMapping> ParseIdentityMapping(absl::string_view text);

// The LUN identity of namespace `nsid` (device type 0 disk, bus NVMe,
// command queueing true). `descriptors` may be empty (controllers before
// NVMe 1.3): ids then come from `ns`. Deterministic; never fails — a
// namespace without any id yields an identity without unique designators,
// which the backend refuses as unsupported.
LunIdentity BuildNamespaceIdentity(const IdentifyController& controller, const IdentifyNamespace& ns,
                                   const std::vector<NamespaceIdDescriptor>& descriptors,
                                   const IdentityMapping& mapping);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_IDENTITY_MAPPING_H_
