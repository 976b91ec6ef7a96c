// hwsnap/nvme/storage_protocol_transport.h — NVMe commands through Windows' storage stack.
//
// The Windows arm of OpenNvmeTransport for \\.\PhysicalDriveN (built in the
// MinGW cross-build: HWSNAP_HAVE_STORAGE_PROTOCOL), over the in-box NVMe
// driver (StorNVMe):
//
//   Identify CNS 00h/01h   IOCTL_STORAGE_QUERY_PROPERTY (protocol-specific
//                          device/adapter property, NVMeDataTypeIdentify)
//   other admin commands   IOCTL_STORAGE_PROTOCOL_COMMAND as an adapter request;
//                          StorNVMe passes through what the controller's Commands
//                          Supported and Effects log lists, and refuses the rest
//                          (ERROR_INVALID_FUNCTION / STORAGE_PROTOCOL_STATUS_NOT_SUPPORTED
//                          → kNotSupported)
//   I/O commands           refused (kNotSupported): Windows routes I/O per disk
//                          (ReadFile/WriteFile on the PhysicalDrive), its NVMe
//                          pass-through of I/O commands is meant for
//                          vendor-specific ones, and no documented interface says
//                          which NSID a PhysicalDrive is, so a command could not
//                          be checked against it
//   Rescan()               nothing to do (OK): StorNVMe re-enumerates namespaces
//                          itself on the controller's Namespace Attribute Changed event
//
// nsid() is 0: Windows does not document how to learn a disk's NSID.
// Identify through the property query returns no NVMe status: a failure is a
// Windows error (kBackendFailure, or kNotSupported for ERROR_INVALID_FUNCTION /
// ERROR_NOT_SUPPORTED). The request layouts are pure functions
// (src/storage_protocol_request.h) tested on Linux and under Wine.
#ifndef HWSNAP_NVME_STORAGE_PROTOCOL_TRANSPORT_H_
#define HWSNAP_NVME_STORAGE_PROTOCOL_TRANSPORT_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme {

// Opens `device_path` ("\\.\PhysicalDriveN") for read and write, sharing both
// (needs administrator rights). Errors: kBackendFailure (cannot open; the
// message carries Windows' text).
absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenStorageProtocolTransport(
    const std::string& device_path);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_STORAGE_PROTOCOL_TRANSPORT_H_
