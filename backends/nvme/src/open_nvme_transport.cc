// OpenNvmeTransport (hwsnap/nvme/nvme_transport.h): parses the address and
// hands it to the transport built for its kind. Which transports exist is
// decided by the build (backends/nvme/transports.cmake defines
// HWSNAP_HAVE_NVME_IOCTL and HWSNAP_HAVE_STORAGE_PROTOCOL); this is the only
// file that looks at those definitions.
#include <memory>
#include <utility>

#include "absl/strings/str_cat.h"
#include "hwsnap/nvme/nvme_address.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

#if defined(HWSNAP_HAVE_NVME_IOCTL)
#include "hwsnap/nvme/nvme_ioctl_transport.h"
#endif
#if defined(HWSNAP_HAVE_STORAGE_PROTOCOL)
#include "hwsnap/nvme/storage_protocol_transport.h"
#endif

namespace hwsnap::nvme {
namespace {

absl::Status Missing(const NvmeAddress& address, absl::string_view what) {
  return NotSupportedError(absl::StrCat("cannot open ", address.device_path, ": ", what));
}

}  // namespace

absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenNvmeTransport(absl::string_view text) {
  absl::StatusOr<NvmeAddress> address = ParseNvmeAddress(text);
  if (!address.ok()) return address.status();
  switch (address->kind) {
    case NvmeAddressKind::kLinuxController:
    case NvmeAddressKind::kLinuxNamespaceBlock:
    case NvmeAddressKind::kLinuxNamespaceGeneric:
#if defined(HWSNAP_HAVE_NVME_IOCTL)
      return OpenNvmeIoctlTransport(*address);
#else
      return Missing(*address, "NVMe passthrough ioctls for /dev devices exist only in Linux builds");
#endif
    case NvmeAddressKind::kWindowsPhysicalDrive:
#if defined(HWSNAP_HAVE_STORAGE_PROTOCOL)
      return OpenStorageProtocolTransport(address->device_path);
#else
      return Missing(*address,
                     "NVMe storage protocol commands to PhysicalDrive devices exist only in Windows builds");
#endif
    default:
      return InvalidArgumentError("unknown NVMe address kind");
  }
}

}  // namespace hwsnap::nvme
