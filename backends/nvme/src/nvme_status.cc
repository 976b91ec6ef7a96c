// The one mapping from NVMe completion status to hwsnap's taxonomy (table in
// hwsnap/nvme/nvme_status.h). Status values from NVMe Base Specification 2.0
// (figures "Generic Command Status Values", "Command Specific Status Values",
// "Media and Data Integrity Errors", "Path Related Status") and the NVM
// Command Set Specification 1.0; each matches libnvme 1.3's enum
// nvme_status_field (nvme/types.h), which tests/nvme/libnvme_layout_test.cc checks.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/nvme/nvme_status.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

constexpr std::uint8_t kSctGeneric = 0x0, kSctCommandSpecific = 0x1, kSctMedia = 0x2, kSctPath = 0x3,
                       kSctVendor = 0x7;

// The name of a status, or nullptr. Command-specific values depend on the
// command; the ones named here are those of the commands hwsnap sends
// (Namespace Management/Attachment, Identify, Copy).
const char* StatusName(std::uint8_t sct, std::uint8_t sc) {
  switch (sct) {
    case kSctGeneric:
      switch (sc) {
        case 0x00: return "Successful Completion";
        case 0x01: return "Invalid Command Opcode";
        case 0x02: return "Invalid Field in Command";
        case 0x03: return "Command ID Conflict";
        case 0x04: return "Data Transfer Error";
        case 0x05: return "Commands Aborted due to Power Loss Notification";
        case 0x06: return "Internal Error";
        case 0x07: return "Command Abort Requested";
        case 0x08: return "Command Aborted due to SQ Deletion";
        case 0x09: return "Command Aborted due to Failed Fused Command";
        case 0x0a: return "Command Aborted due to Missing Fused Command";
        case 0x0b: return "Invalid Namespace or Format";
        case 0x0c: return "Command Sequence Error";
        case 0x15: return "Operation Denied";
        case 0x1d: return "Sanitize In Progress";
        case 0x20: return "Namespace is Write Protected";
        case 0x21: return "Command Interrupted";
        case 0x22: return "Transient Transport Error";
        case 0x23: return "Command Prohibited by Command and Feature Lockdown";
        case 0x24: return "Admin Command Media Not Ready";
        case 0x80: return "LBA Out of Range";
        case 0x81: return "Capacity Exceeded";
        case 0x82: return "Namespace Not Ready";
        case 0x83: return "Reservation Conflict";
        case 0x84: return "Format In Progress";
        default: return nullptr;
      }
    case kSctCommandSpecific:
      switch (sc) {
        case 0x0a: return "Invalid Format";
        case 0x15: return "Namespace Insufficient Capacity";
        case 0x16: return "Namespace Identifier Unavailable";
        case 0x18: return "Namespace Already Attached";
        case 0x19: return "Namespace Is Private";
        case 0x1a: return "Namespace Not Attached";
        case 0x1b: return "Thin Provisioning Not Supported";
        case 0x1c: return "Controller List Invalid";
        case 0x1f: return "Invalid Controller Identifier";
        case 0x24: return "ANA Group Identifier Invalid";
        case 0x25: return "ANA Attach Failed";
        case 0x26: return "Insufficient Capacity";
        case 0x27: return "Namespace Attachment Limit Exceeded";
        case 0x29: return "I/O Command Set Not Supported";
        case 0x2a: return "I/O Command Set Not Enabled";
        case 0x2c: return "Invalid I/O Command Set";
        case 0x80: return "Conflicting Attributes";
        case 0x81: return "Invalid Protection Information";
        case 0x82: return "Attempted Write to Read Only Range";
        case 0x83: return "Command Size Limit Exceeded";
        default: return nullptr;
      }
    case kSctMedia:
      switch (sc) {
        case 0x80: return "Write Fault";
        case 0x81: return "Unrecovered Read Error";
        case 0x82: return "End-to-end Guard Check Error";
        case 0x83: return "End-to-end Application Tag Check Error";
        case 0x84: return "End-to-end Reference Tag Check Error";
        case 0x85: return "Compare Failure";
        case 0x86: return "Access Denied";
        case 0x87: return "Deallocated or Unwritten Logical Block";
        default: return nullptr;
      }
    case kSctPath:
      switch (sc) {
        case 0x00: return "Internal Path Error";
        case 0x01: return "Asymmetric Access Persistent Loss";
        case 0x02: return "Asymmetric Access Inaccessible";
        case 0x03: return "Asymmetric Access Transition";
        case 0x60: return "Controller Pathing Error";
        case 0x70: return "Host Pathing Error";
        case 0x71: return "Command Aborted By Host";
        default: return nullptr;
      }
    case kSctVendor:
      return "Vendor Specific";
    default:
      return nullptr;
  }
}

}  // namespace

std::string NvmeStatusText(NvmeStatusField status) {
  const char* name = StatusName(status.sct(), status.sc());
  std::string out = absl::StrFormat("%s (SCT %Xh SC %02Xh", name != nullptr ? name : "Unknown Status",
                                    status.sct(), status.sc());
  if (status.dnr()) absl::StrAppend(&out, ", DNR");
  if (status.more()) absl::StrAppend(&out, ", More");
  absl::StrAppend(&out, ")");
  return out;
}

absl::Status NvmeStatusToStatus(NvmeStatusField status, absl::string_view context) {
  if (status.ok()) return absl::OkStatus();
  const std::string text =
      context.empty() ? NvmeStatusText(status) : absl::StrCat(context, ": ", NvmeStatusText(status));
  const std::uint8_t sct = status.sct();
  const std::uint8_t sc = status.sc();
  if (sct == kSctCommandSpecific) {
    switch (sc) {
      case 0x15:  // Namespace Insufficient Capacity
      case 0x16:  // Namespace Identifier Unavailable
      case 0x26:  // Insufficient Capacity (capacity management)
      case 0x27:  // Namespace Attachment Limit Exceeded
        return InsufficientStorageError(absl::StrCat("the NVM subsystem has no room for another namespace: ", text));
      default:
        break;
    }
  }
  if (sct == kSctGeneric) {
    switch (sc) {
      case 0x81:  // Capacity Exceeded
        return InsufficientStorageError(absl::StrCat("the namespace is out of capacity: ", text));
      case 0x01:  // Invalid Command Opcode
      case 0x02:  // Invalid Field in Command
        return NotSupportedError(absl::StrCat("the controller does not support this command: ", text));
      case 0x0b:  // Invalid Namespace or Format
        return ObjectNotFoundError(absl::StrCat("no such namespace: ", text));
      case 0x07:  // Command Abort Requested
      case 0x08:  // Command Aborted due to SQ Deletion
        return CancelledError(absl::StrCat("the command was aborted: ", text));
      default:
        break;
    }
  }
  return BackendFailureError(text);
}

absl::StatusOr<NvmeCompletion> CheckNvmeCompletion(absl::StatusOr<NvmeCompletion> result,
                                                   absl::string_view context) {
  if (!result.ok()) return result.status();
  if (absl::Status s = NvmeStatusToStatus(result->status, context); !s.ok()) return s;
  return result;
}

}  // namespace hwsnap::nvme
