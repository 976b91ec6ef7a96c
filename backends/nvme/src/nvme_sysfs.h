// nvme_sysfs.h — where Linux shows NVMe controllers and namespaces (sysfs).
//
// Private to backends/nvme/src (the Linux ioctl transport). The passthrough
// ioctls need the right device: admin commands and NVME_IOCTL_RESCAN the
// controller's /dev/nvmeK, I/O commands the block device of the namespace
// they name. Device names do not say which is which (with native multipath
// /dev/nvme0n1 is the subsystem's head, possibly served by controller nvme1,
// and its M is an instance, not the NSID), so this file reads sysfs:
//
//   /sys/class/nvme/nvmeK/                 a controller: subsysnqn, serial, cntlid, state
//   /sys/block/nvmeXnY/nsid                a namespace's NSID
//   /sys/block/nvmeXnY/device ->           the controller (no multipath) or the
//                                          nvme-subsystem directory (multipath head),
//                                          which has subsysnqn and links nvmeK -> controllers
//   /sys/class/nvme-generic/ngXnY/device   the same, for generic char devices
//   /sys/block/nvmeXcKnY                   hidden per-path devices (skipped)
//
// Every function takes the roots (NvmeHostPaths) so tests run on a fake tree
// in a temporary directory. Nothing here throws.
#ifndef HWSNAP_NVME_SRC_NVME_SYSFS_H_
#define HWSNAP_NVME_SRC_NVME_SYSFS_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace hwsnap::nvme::internal {

// The roots under which sysfs and device nodes are found.
struct NvmeHostPaths {
  std::string sysfs = "/sys";
  std::string dev = "/dev";

  // dev + "/" + name.
  std::string DevicePath(absl::string_view name) const;
};

// One controller, as /sys/class/nvme/<name> shows it.
struct SysfsController {
  std::string name;        // "nvme1" (its character device is /dev/nvme1)
  std::string subsysnqn;   // the NVM subsystem's NQN
  std::string serial;      // may be empty
  std::uint32_t cntlid = 0;
  std::string state;       // "live", "resetting", ... (may be empty)
};

// Reads controller `name` ("nvme0"). Errors: kObjectNotFound (no such
// controller in sysfs), kBackendFailure (unreadable attributes).
absl::StatusOr<SysfsController> ReadSysfsController(const NvmeHostPaths& paths,
                                                    absl::string_view name);

// The controller behind `device_name`: a controller ("nvme0") is itself; a
// namespace block device ("nvme0n1") or generic device ("ng0n1") gives the
// controller its `device` link names or, for a multipath head, a controller of
// that subsystem (a "live" one first, then the lowest-numbered).
// Errors: kObjectNotFound (not in sysfs, or a subsystem without controllers).
absl::StatusOr<SysfsController> FindControllerOf(const NvmeHostPaths& paths,
                                                 absl::string_view device_name);

// A namespace's block device, and which incarnation of it (the sysfs
// directory's inode: a disk removed and added again under the same name gets
// a new one).
struct SysfsNamespaceDevice {
  std::string name;            // "nvme0n2"; the node is paths.DevicePath(name)
  std::uint64_t sysfs_inode = 0;
};

// The block device of namespace `nsid` as seen through `controller`: a
// /sys/block/nvmeXnY whose `nsid` is `nsid` and whose `device` is that
// controller (preferred) or a subsystem/controller with the same subsysnqn
// (a multipath head, or the same namespace through a sibling controller).
// Errors: kObjectNotFound (the host has no block device for it).
absl::StatusOr<SysfsNamespaceDevice> FindNamespaceBlockDevice(const NvmeHostPaths& paths,
                                                              const SysfsController& controller,
                                                              std::uint32_t nsid);

// True while `device` still exists as the same incarnation and still shows `nsid`.
bool NamespaceDeviceStillPresent(const NvmeHostPaths& paths, const SysfsNamespaceDevice& device,
                                 std::uint32_t nsid);

}  // namespace hwsnap::nvme::internal

#endif  // HWSNAP_NVME_SRC_NVME_SYSFS_H_
