// ValidateNvmeCommand: the one check of a command's shape every NVMe
// transport (Linux passthrough ioctls, Windows storage protocol commands,
// test fakes) makes before sending it.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {

absl::Status ValidateNvmeCommand(const NvmeCommand& command, const NvmeTransportLimits& limits) {
  const std::string what = absl::StrFormat("NVMe %s command 0x%02x",
                                           command.queue == NvmeQueue::kAdmin ? "admin" : "I/O",
                                           command.opcode);
  if (command.timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError(absl::StrCat(what, ": timeout must be positive"));
  }
  if (command.queue == NvmeQueue::kIo && command.nsid == 0) {
    return InvalidArgumentError(absl::StrCat(what, ": an I/O command needs a namespace (NSID 0)"));
  }
  switch (command.direction) {
    case NvmeDataDirection::kNone:
      if (!command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError(absl::StrCat(what, ": no data phase, yet carries a data length"));
      }
      return absl::OkStatus();
    case NvmeDataDirection::kFromDevice:
      if (command.data_in_length == 0 || !command.data_out.empty()) {
        return InvalidArgumentError(
            absl::StrCat(what, ": a data-in command needs a data_in_length and no data-out"));
      }
      if (command.data_in_length > limits.max_transfer_bytes) {
        return InvalidArgumentError(absl::StrCat(what, ": data-in buffer of ", command.data_in_length,
                                                 " bytes; ", limits.transport, " carries at most ",
                                                 limits.max_transfer_bytes));
      }
      return absl::OkStatus();
    case NvmeDataDirection::kToDevice:
      if (command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError(
            absl::StrCat(what, ": a data-out command needs data-out bytes and no data_in_length"));
      }
      if (command.data_out.size() > limits.max_transfer_bytes) {
        return InvalidArgumentError(absl::StrCat(what, ": data-out of ", command.data_out.size(),
                                                 " bytes; ", limits.transport, " carries at most ",
                                                 limits.max_transfer_bytes));
      }
      return absl::OkStatus();
  }
  return InvalidArgumentError(absl::StrCat(what, ": unknown data direction"));
}

}  // namespace hwsnap::nvme
