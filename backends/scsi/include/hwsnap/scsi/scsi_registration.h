// hwsnap/scsi/scsi_registration.h — puts the SCSI backend into a BackendRegistry.
//
// Registered as "scsi". The options (parsed by ParseScsiOptions,
// hwsnap/scsi/scsi_options.h) name the source LUNs and the snapshot strategy:
//
//   # a tgt target this host controls (Linux)
//   luns=iscsi://127.0.0.1:3260/iqn.2026-12.invalid.acme:db/1  strategy=tgt
//   tgt-control-id=0  tgt-work-dir=/srv/snapshots  host-initiator=iqn.1991-05.com.microsoft:backup1
//
//   # EXTENDED COPY into pre-provisioned pool LUNs (any platform)
//   luns=/dev/sg1  strategy=xcopy  pool=/dev/sg2,/dev/sg3
//
//   # a private tgtd with request.luns file-backed LUNs (tests, demos; root)
//   tgt-sandbox=true
//
// The session's source_luns are the identities the LUNs report (as a host
// would see them); live_targets counts the strategy's snapshot targets.
#ifndef HWSNAP_SCSI_SCSI_REGISTRATION_H_
#define HWSNAP_SCSI_SCSI_REGISTRATION_H_

#include "absl/status/status.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap::scsi {

absl::Status RegisterScsiBackend(BackendRegistry& registry);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SCSI_REGISTRATION_H_
