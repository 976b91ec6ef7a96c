// hwsnap/nvme/nvme_status.h — the one mapping from NVMe status to hwsnap's taxonomy.
//
// Every NVMe failure the backend sees passes through here, so VSS gets the
// same answer for the same device condition whichever command hit it:
//   Namespace Insufficient Capacity (SCT 1h, SC 15h), Capacity Exceeded
//   (SCT 0h, SC 81h), Namespace Identifier Unavailable (1h/16h), Insufficient
//   Capacity (1h/26h), Namespace Attachment Limit Exceeded (1h/27h)
//                                                          → kInsufficientStorage
//   Invalid Opcode (0h/01h), Invalid Field (0h/02h) on an optional command
//   the device lacks                                       → kNotSupported
//   Invalid Namespace or Format (0h/0Bh)                   → kObjectNotFound
//   Command Aborted by host / SQ deletion (0h/07h, 0h/08h) → kCancelled
//   everything else                                        → kBackendFailure
// The message always carries the command, SCT/SC in hex and their name.
// Values: NVMe Base Specification 2.0 status tables, equal to libnvme 1.3's
// enum nvme_status_field (checked by tests/nvme/libnvme_layout_test.cc).
#ifndef HWSNAP_NVME_NVME_STATUS_H_
#define HWSNAP_NVME_NVME_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hwsnap/nvme/nvme_command.h"

namespace hwsnap::nvme {

// "Invalid Field in Command (SCT 0h SC 02h, DNR)".
std::string NvmeStatusText(NvmeStatusField status);

// OkStatus for a successful completion; otherwise the hwsnap domain error
// for `status`, its message prefixed by `context` (e.g. "Identify CNS 01h on /dev/nvme0").
absl::Status NvmeStatusToStatus(NvmeStatusField status, absl::string_view context);

// Combines a transport result and its completion: the transport's error as
// is, else NvmeStatusToStatus(completion.status, context); the completion
// when both succeed.
absl::StatusOr<NvmeCompletion> CheckNvmeCompletion(absl::StatusOr<NvmeCompletion> result,
                                                   absl::string_view context);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_STATUS_H_
