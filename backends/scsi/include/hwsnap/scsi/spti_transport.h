// hwsnap/scsi/spti_transport.h — SCSI commands through Windows SCSI pass-through.
//
// The Windows arm of OpenScsiTransport for \\.\PhysicalDriveN (built in the
// MinGW cross-build: HWSNAP_HAVE_SPTI): IOCTL_SCSI_PASS_THROUGH_DIRECT, the
// path Windows' own disk tools use to send INQUIRY and VPD requests. The
// request layout and result decoding are pure functions (src/spti_request.h)
// tested on Linux and under Wine.
#ifndef HWSNAP_SCSI_SPTI_TRANSPORT_H_
#define HWSNAP_SCSI_SPTI_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

// Opens `device_path` ("\\.\PhysicalDriveN") for read and write, sharing
// read and write with others (needs administrator rights on Windows).
// Address() is `device_path`; bus_type() is what the storage stack reports
// (IOCTL_STORAGE_QUERY_PROPERTY: SCSI, SAS, iSCSI, Fibre Channel, ...), or
// kScsi when it does not say.
// Errors: kBackendFailure (cannot open; the message carries Windows' text).
absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenSptiTransport(const std::string& device_path);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SPTI_TRANSPORT_H_
