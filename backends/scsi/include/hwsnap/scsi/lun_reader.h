// hwsnap/scsi/lun_reader.h — reads a LUN's identity and capacity over a transport.
//
// The command sequence Windows' disk stack runs to describe a LUN — standard
// INQUIRY, VPD 0x00, 0x80, 0x83 (and 0x8F where listed), READ CAPACITY(16) —
// decoded with the pure parsers of this directory into a ScsiLunInfo whose
// identity equals what VDS_LUN_INFORMATION carries for the same LUN.
#ifndef HWSNAP_SCSI_LUN_READER_H_
#define HWSNAP_SCSI_LUN_READER_H_

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "hwsnap/scsi/lun_info.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

// Errors: whatever the transport reports; a CHECK CONDITION classified by its
// sense data (hwsnap/scsi/sense.h: not ready, illegal request, ...);
// kBackendFailure for malformed pages (the message names the page and field).
// A LUN without a unique designator is *not* an error here: the backend
// decides (it refuses such LUNs as unsupported).
absl::StatusOr<ScsiLunInfo> ReadLunInfo(ScsiTransport& transport,
                                        absl::Duration command_timeout = absl::Seconds(10));

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_LUN_READER_H_
