// SenseToStatus and CheckScsiResult: the one mapping from SCSI outcomes to
// hwsnap's taxonomy (table in hwsnap/scsi/sense.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/scsi/asc_text.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

// "ILLEGAL REQUEST (sense key 0x5), asc/ascq 0x24/0x00 invalid field in cdb"
std::string Describe(const SenseData& s, absl::string_view what) {
  std::string out = absl::StrFormat("%s: %s (sense key 0x%x), asc/ascq 0x%02x/0x%02x %s", what,
                                    SenseKeyName(s.sense_key), static_cast<unsigned>(s.sense_key), s.asc, s.ascq,
                                    AscText(s.asc, s.ascq));
  const std::string field = s.FieldPointerText();
  if (!field.empty()) absl::StrAppend(&out, " at ", field);
  if (s.deferred) absl::StrAppend(&out, " (deferred error of an earlier command)");
  return out;
}

}  // namespace

std::string ScsiStatusName(std::uint8_t status) {
  switch (status) {
    case kStatusGood: return "GOOD";
    case kStatusCheckCondition: return "CHECK CONDITION";
    case kStatusConditionMet: return "CONDITION MET";
    case kStatusBusy: return "BUSY";
    case kStatusReservationConflict: return "RESERVATION CONFLICT";
    case kStatusTaskSetFull: return "TASK SET FULL";
    case kStatusAcaActive: return "ACA ACTIVE";
    case kStatusTaskAborted: return "TASK ABORTED";
    default: return absl::StrFormat("status 0x%02x", status);
  }
}

absl::Status SenseToStatus(const SenseData& sense, absl::string_view what) {
  const std::string text = Describe(sense, what);
  if (IsCapacityExhausted(sense.asc, sense.ascq)) {
    return InsufficientStorageError(absl::StrCat("storage out of space or resources: ", text));
  }
  switch (sense.sense_key) {
    case SenseKey::kNoSense:
    case SenseKey::kRecoveredError:
    case SenseKey::kCompleted:
      return absl::OkStatus();
    case SenseKey::kNotReady:
      return BackendFailureError(absl::StrCat("LUN not ready: ", text));
    case SenseKey::kIllegalRequest:
      if (sense.asc == 0x25) return ObjectNotFoundError(absl::StrCat("no such LUN: ", text));
      return NotSupportedError(absl::StrCat("rejected by the LUN: ", text));
    case SenseKey::kDataProtect:
      return BackendFailureError(absl::StrCat("LUN is write protected: ", text));
    case SenseKey::kUnitAttention:
      return BackendFailureError(absl::StrCat("unit attention (LUN state changed; retry): ", text));
    case SenseKey::kAbortedCommand:
      return BackendFailureError(absl::StrCat("command aborted by the target (retry): ", text));
    case SenseKey::kCopyAborted:
      return BackendFailureError(absl::StrCat("copy aborted: ", text));
    case SenseKey::kMediumError:
    case SenseKey::kHardwareError:
      return BackendFailureError(absl::StrCat("storage hardware failure: ", text));
    default:
      return BackendFailureError(text);
  }
}

absl::Status CheckScsiResult(const ScsiResult& result, absl::string_view what) {
  switch (result.status) {
    case kStatusGood:
    case kStatusConditionMet:
      return absl::OkStatus();
    case kStatusCheckCondition: {
      if (result.sense.empty()) {
        return BackendFailureError(absl::StrCat(what, ": CHECK CONDITION without sense data"));
      }
      absl::StatusOr<SenseData> sense = ParseSense(result.sense);
      if (!sense.ok()) {
        return BackendFailureError(absl::StrCat(what, ": CHECK CONDITION with undecodable sense data: ",
                                                sense.status().message()));
      }
      return SenseToStatus(*sense, what);
    }
    case kStatusBusy:
      return BackendFailureError(absl::StrCat(what, ": BUSY (the LUN is busy, retry)"));
    case kStatusTaskSetFull:
      return BackendFailureError(absl::StrCat(what, ": TASK SET FULL (the LUN's queue is full, retry)"));
    case kStatusReservationConflict:
      return BackendFailureError(absl::StrCat(what, ": RESERVATION CONFLICT (another initiator holds a reservation)"));
    case kStatusAcaActive:
      return BackendFailureError(absl::StrCat(what, ": ACA ACTIVE (an auto contingent allegiance is pending, retry)"));
    case kStatusTaskAborted:
      return BackendFailureError(absl::StrCat(what, ": TASK ABORTED (aborted by the target, retry)"));
    default:
      return BackendFailureError(absl::StrCat(what, ": unexpected SCSI ", ScsiStatusName(result.status)));
  }
}

}  // namespace hwsnap::scsi
