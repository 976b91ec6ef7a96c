// hwsnap/nvme/nvme_registration.h — puts the NVMe backend into a BackendRegistry.
//
// Registered as "nvme". The options (parsed by ParseNvmeOptions,
// hwsnap/nvme/nvme_options.h) name the controller, the source namespaces and
// how snapshot namespaces are made:
//
//   # namespaces 1 and 2 of a controller that can create namespaces
//   controller=/dev/nvme0  namespaces=1,2
//
//   # a controller without Namespace Management: detached pool namespaces 10-13
//   controller=/dev/nvme1  namespaces=1-4  allocation=pool  pool=10-13  copy=host
//
// The session's source_luns are the identities the namespaces report (as a
// host would see them), read only when the host asks for LUNs (request.luns >
// 0); live_targets counts the strategy's snapshot targets.
#ifndef HWSNAP_NVME_NVME_REGISTRATION_H_
#define HWSNAP_NVME_NVME_REGISTRATION_H_

#include "absl/status/status.h"
#include "hwsnap/backend_registry.h"

namespace hwsnap::nvme {

// kInvalidArgument when "nvme" is registered already.
absl::Status RegisterNvmeBackend(BackendRegistry& registry);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_REGISTRATION_H_
