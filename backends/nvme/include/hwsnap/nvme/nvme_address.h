// hwsnap/nvme/nvme_address.h — the text forms that name an NVMe controller or namespace.
//
// OpenNvmeTransport (hwsnap/nvme/nvme_transport.h) takes one string; this file
// turns it into a tagged struct on every platform, without touching the
// system, so a malformed address is refused before any device is opened:
//
//   /dev/nvmeN      kLinuxController        the controller's character device
//   /dev/nvmeNnM    kLinuxNamespaceBlock    a namespace's block device (no partitions)
//   /dev/ngNnM      kLinuxNamespaceGeneric  a namespace's generic character device
//   \\.\PhysicalDriveN  kWindowsPhysicalDrive
//
//   absl::StatusOr<NvmeAddress> a = ParseNvmeAddress("/dev/nvme0n1");
//   a->kind;         // NvmeAddressKind::kLinuxNamespaceBlock
//   a->device_name;  // "nvme0n1" (the name under /dev and /sys/block)
//
// The numbers in Linux names are instances, not NVMe identifiers: with native
// multipath /dev/nvme0n1 may be served by controller nvme1, and M need not be
// the NSID. The transport asks the kernel (NVME_IOCTL_ID) and sysfs instead.
#ifndef HWSNAP_NVME_NVME_ADDRESS_H_
#define HWSNAP_NVME_NVME_ADDRESS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::nvme {

enum class NvmeAddressKind {
  kLinuxController,
  kLinuxNamespaceBlock,
  kLinuxNamespaceGeneric,
  kWindowsPhysicalDrive,
};

struct NvmeAddress {
  NvmeAddressKind kind = NvmeAddressKind::kLinuxController;
  std::string device_path;   // "/dev/nvme0n1", "\\.\PhysicalDrive2" (canonical spelling)
  std::string device_name;   // Linux: the name under /dev ("nvme0n1"); Windows: empty
  std::uint32_t instance = 0;            // Linux: N; Windows: the drive number
  std::uint32_t namespace_instance = 0;  // Linux namespace devices: M; else 0
};

// Parses `text`. Errors: kInvalidArgument naming what is wrong (a partition,
// a hidden multipath path device "nvme0c1n1", leading zeros, unknown device).
absl::StatusOr<NvmeAddress> ParseNvmeAddress(absl::string_view text);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_ADDRESS_H_
