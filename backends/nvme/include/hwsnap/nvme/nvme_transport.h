// hwsnap/nvme/nvme_transport.h — NVMe commands to one controller, however they travel.
//
// How a command reaches the controller is a transport's job: Linux NVMe
// passthrough ioctls (NVME_IOCTL_ADMIN64_CMD / NVME_IOCTL_IO64_CMD on the
// controller's /dev/nvmeN or a namespace's block/char device), Windows
// IOCTL_STORAGE_QUERY_PROPERTY (Identify) and IOCTL_STORAGE_PROTOCOL_COMMAND
// on \\.\PhysicalDriveN. Tests use a fake controller.
//
// A transport reports *transport* failures as a Status (cannot open, ioctl
// failed, timed out, the platform cannot carry this command) and returns
// every completed command as an NvmeCompletion — including error statuses,
// which hwsnap/nvme/nvme_status.h classifies. It never throws.
#ifndef HWSNAP_NVME_NVME_TRANSPORT_H_
#define HWSNAP_NVME_NVME_TRANSPORT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hwsnap/nvme/nvme_command.h"

namespace hwsnap::nvme {

// What one transport can carry, for ValidateNvmeCommand.
struct NvmeTransportLimits {
  const char* transport = "";              // "NVMe ioctl", "storage protocol command" (messages)
  std::uint32_t max_transfer_bytes = 1u << 20;
};

// The checks every transport makes before sending `command`: a positive
// timeout, a data phase matching its direction (from-device: a length and no
// data-out; to-device: bytes and no length; none: neither) within
// max_transfer_bytes, an IO command with a non-zero NSID. kInvalidArgument otherwise.
absl::Status ValidateNvmeCommand(const NvmeCommand& command, const NvmeTransportLimits& limits);

class NvmeTransport {
 public:
  virtual ~NvmeTransport() = default;

  // Where commands go, for logs and messages ("/dev/nvme0n1", "\\.\PhysicalDrive2").
  virtual std::string Address() const = 0;
  // The namespace the address names (0 when the address names a controller).
  virtual std::uint32_t nsid() const = 0;
  // Sends one command (command.queue says admin or I/O) and waits for its
  // completion or timeout. An I/O command may name any namespace attached to
  // this controller (the transport routes it to that namespace's device,
  // rescanning once when the host has not seen it yet). Not thread-safe:
  // callers serialize commands on one transport.
  // Errors: kInvalidArgument (ValidateNvmeCommand), kDeadlineExceeded (timed
  // out), kNotSupported (this platform cannot carry the command, e.g. I/O to
  // another namespace through Windows' storage stack), kObjectNotFound (I/O
  // to a namespace the host has no device for), kBackendFailure (ioctl failed).
  virtual absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) = 0;
  // Asks the host to rescan the controller's namespaces after an attach or
  // detach, so block devices appear/disappear. Errors: kBackendFailure.
  virtual absl::Status Rescan() = 0;
};

// Opens a transport by address:
//   /dev/nvmeN, /dev/nvmeNnM, /dev/ngNnM   Linux passthrough ioctls
//   \\.\PhysicalDriveN                      Windows storage protocol commands
// Errors: kInvalidArgument (malformed address), kNotSupported (a transport
// not built into this binary), kBackendFailure (cannot open).
absl::StatusOr<std::unique_ptr<NvmeTransport>> OpenNvmeTransport(absl::string_view address);

// Opens a transport by address: OpenNvmeTransport in production, a fake
// controller in tests.
using NvmeTransportOpener =
    std::function<absl::StatusOr<std::unique_ptr<NvmeTransport>>(absl::string_view address)>;

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_TRANSPORT_H_
