// hwsnap/scsi/sense.h — sense data, and the one place SCSI outcomes become Status.
//
// Every completed command passes through CheckScsiResult: GOOD is OK; CHECK
// CONDITION is decoded (fixed 0x70/0x71 or descriptor 0x72/0x73 sense, SPC-4
// 4.5) and mapped onto hwsnap's taxonomy by SenseToStatus; BUSY, TASK SET
// FULL, RESERVATION CONFLICT, ACA ACTIVE and TASK ABORTED are backend
// failures that say so. Native codes appear in the message only:
//
//   "INQUIRY VPD 0x8f: ILLEGAL REQUEST (sense key 0x5), asc/ascq 0x24/0x00
//    invalid field in CDB"
//
// Mapping (domain code in hwsnap/status.h):
//   NO SENSE, RECOVERED ERROR, COMPLETED ........... OK
//   any key with a capacity asc (asc_text.h:
//     IsCapacityExhausted: 0x27/0x07 space allocation failed write protect,
//     0x55/0x03 insufficient resources, 0x55/0x06 auxiliary memory out of
//     space, 0x55/0x0c-0x0d insufficient resources to create ROD (token)) .. kInsufficientStorage
//   NOT READY (0x04/xx becoming ready, ..., 0x3a medium not present) ...... kBackendFailure "LUN not ready: ..."
//   ILLEGAL REQUEST 0x25 logical unit not supported ........................ kObjectNotFound
//   ILLEGAL REQUEST otherwise (0x20 invalid opcode, 0x24, 0x26, ...) ....... kNotSupported
//   DATA PROTECT otherwise (0x27/0x00 write protected) ..................... kBackendFailure
//   COPY ABORTED, UNIT ATTENTION, ABORTED COMMAND, MEDIUM/HARDWARE ERROR,
//   anything else ........................................................... kBackendFailure
#ifndef HWSNAP_SCSI_SENSE_H_
#define HWSNAP_SCSI_SENSE_H_

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

// Sense keys (SPC-4 table 48).
enum class SenseKey : std::uint8_t {
  kNoSense = 0x0, kRecoveredError = 0x1, kNotReady = 0x2, kMediumError = 0x3,
  kHardwareError = 0x4, kIllegalRequest = 0x5, kUnitAttention = 0x6, kDataProtect = 0x7,
  kBlankCheck = 0x8, kVendorSpecific = 0x9, kCopyAborted = 0xA, kAbortedCommand = 0xB,
  kReserved = 0xC, kVolumeOverflow = 0xD, kMiscompare = 0xE, kCompleted = 0xF,
};

// "ILLEGAL REQUEST".
absl::string_view SenseKeyName(SenseKey key);

// One descriptor of descriptor-format sense (type and the bytes after its
// 2-byte header), kept for logs and callers that need more than the fields below.
struct SenseDescriptor {
  std::uint8_t type = 0;
  std::vector<std::uint8_t> data;
};

struct SenseData {
  std::uint8_t response_code = 0;  // 0x70/0x71 fixed, 0x72/0x73 descriptor
  bool descriptor_format = false;
  bool deferred = false;           // 0x71/0x73: about an earlier command
  SenseKey sense_key = SenseKey::kNoSense;
  std::uint8_t asc = 0;
  std::uint8_t ascq = 0;
  bool filemark = false, eom = false, ili = false;
  // INFORMATION (fixed: when VALID; descriptor: descriptor 0x00).
  std::optional<std::uint64_t> information;
  // COMMAND-SPECIFIC INFORMATION (fixed bytes 8-11; descriptor 0x01).
  std::optional<std::uint64_t> command_specific;
  // SENSE KEY SPECIFIC when SKSV is set (fixed bytes 15-17; descriptor 0x02);
  // byte 0 still carries SKSV in bit 7.
  std::optional<std::array<std::uint8_t, 3>> sense_key_specific;
  std::uint8_t fru = 0;
  std::vector<SenseDescriptor> descriptors;  // descriptor format only

  // ILLEGAL REQUEST field pointer (C/D bit, bit pointer, field pointer) as
  // text, e.g. "CDB byte 2", or empty.
  std::string FieldPointerText() const;
};

// Decodes sense bytes. Short fixed-format sense is tolerated (missing fields
// read 0). Errors (kBackendFailure): empty, an unknown response code, or a
// descriptor running past the sense data.
absl::StatusOr<SenseData> ParseSense(absl::Span<const std::uint8_t> sense);

// Maps decoded sense to a Status (table in the file comment); `what` names the
// command ("READ CAPACITY(16)"). The message always holds `what`, the sense
// key name and value, asc/ascq in hex and their text.
absl::Status SenseToStatus(const SenseData& sense, absl::string_view what);

// Maps a completed command (status byte + sense) to a Status. CHECK CONDITION
// with no or undecodable sense is kBackendFailure.
absl::Status CheckScsiResult(const ScsiResult& result, absl::string_view what);

// "CHECK CONDITION", "BUSY", ..., "status 0x??".
std::string ScsiStatusName(std::uint8_t status);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SENSE_H_
