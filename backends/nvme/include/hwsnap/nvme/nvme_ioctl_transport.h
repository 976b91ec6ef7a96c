// hwsnap/nvme/nvme_ioctl_transport.h — NVMe commands through Linux passthrough ioctls.
//
// The Linux arm of OpenNvmeTransport (built on Linux: HWSNAP_HAVE_NVME_IOCTL):
// NVME_IOCTL_ADMIN64_CMD / NVME_IOCTL_IO64_CMD (kernel 5.5+), NVME_IOCTL_ID and
// NVME_IOCTL_RESCAN. Which device each command uses:
//
//   admin commands  the controller's character device /dev/nvmeK — for a
//                   namespace address, the controller sysfs names for it (for
//                   a multipath head: a live controller of its subsystem). Any
//                   NSID: the kernel does not check the NSID of admin commands
//                   (Identify CNS 01h nsid 0, CNS 00h nsid X, Namespace
//                   Attachment nsid X all work). When sysfs cannot name the
//                   controller, through the namespace's own device, which the
//                   kernel forwards to its controller's admin queue unchanged.
//   I/O commands    the block device of the namespace command.nsid names: the
//                   address's own device when it is that namespace, else the
//                   /sys/block/nvmeXnY with that `nsid` on the same controller
//                   or subsystem (subsysnqn), opened once and kept; the kernel
//                   refuses an I/O command whose NSID differs from the
//                   device's, and I/O on /dev/nvmeK. When none exists yet, one
//                   NVME_IOCTL_RESCAN and up to `appear_timeout` of polling for
//                   the device; then kObjectNotFound. A kept device that
//                   vanished (detach) or was replaced is dropped and looked up again.
//   Rescan()        NVME_IOCTL_RESCAN on the controller's device (asynchronous
//                   in the kernel: devices appear or vanish shortly after).
//
// Devices are opened O_RDWR (write commands need a writable descriptor on
// recent kernels; passthrough needs CAP_SYS_ADMIN). This host has no NVMe
// devices: the ioctls run in the QEMU test VM; what one ioctl reported is
// decoded by a pure function, DecodeNvmeIoctlOutcome, tested here.
#ifndef HWSNAP_NVME_NVME_IOCTL_TRANSPORT_H_
#define HWSNAP_NVME_NVME_IOCTL_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/nvme/nvme_address.h"
#include "hwsnap/nvme/nvme_transport.h"

namespace hwsnap::nvme {

struct NvmeIoctlOptions {
  std::string sysfs_root = "/sys";   // tests: a fake tree
  std::string dev_root = "/dev";
  // How long an I/O command to a namespace without a device waits for it to
  // appear after a rescan, and how often it looks.
  absl::Duration appear_timeout = absl::Seconds(2);
  absl::Duration poll_interval = absl::Milliseconds(50);
};

// Opens `address` (a Linux kind) read-write. Address() is address.device_path;
// nsid() is the kernel's NVME_IOCTL_ID for a namespace device, 0 for a controller.
// Errors: kInvalidArgument (a Windows address), kBackendFailure (cannot open —
// the message carries errno's text —, not a character/block device, not an
// NVMe namespace).
absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenNvmeIoctlTransport(
    const NvmeAddress& address, const NvmeIoctlOptions& options = {});

// What one passthrough ioctl reported, as plain numbers.
struct NvmeIoctlOutcome {
  int ret = 0;                 // ioctl()'s return: -1 failed (see ioctl_errno), 0 success,
                               // > 0 the completion's 15-bit Status Field
  int ioctl_errno = 0;         // errno when ret < 0
  std::uint64_t result = 0;    // nvme_passthru_cmd64.result (completion DW0 in the low half)
  absl::Duration elapsed;      // how long the ioctl took
  absl::Duration timeout;      // the command's timeout
  std::vector<std::uint8_t> data_in;  // the data-in buffer (kFromDevice)
};

// Turns an outcome into the transport's answer: an NvmeCompletion for every
// command the controller completed (any status), else a Status.
// Errors: kDeadlineExceeded (ETIMEDOUT; EINTR, or the host's "Command Aborted
// By Host" status 371h, once the timeout had passed — the kernel aborted the
// command), kNotSupported (ENOTTY/EOPNOTSUPP: the device or kernel lacks the
// ioctl), kBackendFailure (any other errno, named in the message).
absl::StatusOr<NvmeCompletion> DecodeNvmeIoctlOutcome(NvmeIoctlOutcome outcome, absl::string_view what);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_IOCTL_TRANSPORT_H_
