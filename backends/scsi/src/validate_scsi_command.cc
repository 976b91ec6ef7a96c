// ValidateScsiCommand: the one check of a command's shape every transport
// (libiscsi, SG_IO, Windows pass-through) makes before sending it.
#include "absl/strings/str_cat.h"
#include "hwsnap/scsi/scsi_transport.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {

absl::Status ValidateScsiCommand(const ScsiCommand& command, const TransportLimits& limits) {
  if (command.cdb.empty()) return InvalidArgumentError("SCSI command has an empty CDB");
  if (command.cdb.size() > limits.max_cdb_bytes) {
    return InvalidArgumentError(absl::StrCat("CDB of ", command.cdb.size(), " bytes; ", limits.transport,
                                             " carries at most ", limits.max_cdb_bytes));
  }
  if (command.timeout <= absl::ZeroDuration()) {
    return InvalidArgumentError("SCSI command timeout must be positive");
  }
  switch (command.direction) {
    case DataDirection::kNone:
      if (!command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError("SCSI command without a data phase carries a data length");
      }
      return absl::OkStatus();
    case DataDirection::kFromDevice:
      if (command.data_in_length == 0 || !command.data_out.empty()) {
        return InvalidArgumentError("data-in command needs a data_in_length and no data-out");
      }
      if (command.data_in_length > limits.max_transfer_bytes) {
        return InvalidArgumentError(absl::StrCat("data-in buffer larger than ", limits.transport, " can carry"));
      }
      return absl::OkStatus();
    case DataDirection::kToDevice:
      if (command.data_out.empty() || command.data_in_length != 0) {
        return InvalidArgumentError("data-out command needs data-out bytes and no data_in_length");
      }
      if (command.data_out.size() > limits.max_transfer_bytes) {
        return InvalidArgumentError(absl::StrCat("data-out larger than ", limits.transport, " can carry"));
      }
      return absl::OkStatus();
  }
  return InvalidArgumentError("unknown SCSI data direction");
}

}  // namespace hwsnap::scsi
