// hwsnap/scsi/scsi_transport.h — one SCSI command to one LUN, however it travels.
//
// The SCSI backend speaks SCSI (INQUIRY, VPD pages, READ CAPACITY, EXTENDED
// COPY) and nothing else; how a command reaches the LUN is a transport's job:
// Linux SG_IO on /dev/sgN or /dev/sdX, Windows SCSI pass-through
// (IOCTL_SCSI_PASS_THROUGH_DIRECT) on \\.\PhysicalDriveN, or iSCSI straight
// from user space through libiscsi (no kernel initiator needed: tests and
// Linux hosts reach a tgt target on 127.0.0.1 this way).
//
// A transport reports *transport* failures as a Status (cannot open, link
// lost, timed out) and returns every completed command as a ScsiResult —
// including CHECK CONDITION with its sense bytes, which hwsnap/scsi/sense.h
// classifies. It never throws.
#ifndef HWSNAP_SCSI_SCSI_TRANSPORT_H_
#define HWSNAP_SCSI_SCSI_TRANSPORT_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "hwsnap/lun_identity.h"

namespace hwsnap::scsi {

// SCSI status byte values (SAM-5, table "Status codes").
inline constexpr std::uint8_t kStatusGood = 0x00;
inline constexpr std::uint8_t kStatusCheckCondition = 0x02;
inline constexpr std::uint8_t kStatusConditionMet = 0x04;
inline constexpr std::uint8_t kStatusBusy = 0x08;
inline constexpr std::uint8_t kStatusReservationConflict = 0x18;
inline constexpr std::uint8_t kStatusTaskSetFull = 0x28;
inline constexpr std::uint8_t kStatusAcaActive = 0x30;
inline constexpr std::uint8_t kStatusTaskAborted = 0x40;

enum class DataDirection { kNone, kFromDevice, kToDevice };

// One command: the CDB, the data phase and how long the device may take.
struct ScsiCommand {
  std::vector<std::uint8_t> cdb;
  DataDirection direction = DataDirection::kNone;
  std::vector<std::uint8_t> data_out;    // kToDevice: the parameter data
  std::uint32_t data_in_length = 0;      // kFromDevice: the buffer offered
  absl::Duration timeout = absl::Seconds(30);
};

// A completed command. `data_in` holds only the bytes the device returned
// (residual already subtracted); `sense` is empty unless the device sent it.
struct ScsiResult {
  std::uint8_t status = kStatusGood;
  std::vector<std::uint8_t> data_in;
  std::vector<std::uint8_t> sense;
};

// What one transport can carry, for ValidateScsiCommand.
struct TransportLimits {
  const char* transport = "";        // "libiscsi", "SG_IO", "SCSI pass-through" (for messages)
  std::size_t max_cdb_bytes = 16;
  std::uint64_t max_transfer_bytes = 0xffffffffu;
};

// The checks every transport makes before sending `command`: a CDB of 1 to
// max_cdb_bytes, a positive timeout, and a data phase that matches its
// direction (data-in: a length and no data-out; data-out: bytes and no
// length; none: neither) within max_transfer_bytes. kInvalidArgument otherwise.
absl::Status ValidateScsiCommand(const ScsiCommand& command, const TransportLimits& limits);

class ScsiTransport {
 public:
  virtual ~ScsiTransport() = default;

  // Where commands go, for logs and error messages
  // ("iscsi://127.0.0.1:3261/iqn.2026-12.invalid.hwsnap:src/1", "/dev/sg2").
  virtual std::string Address() const = 0;
  // The bus Windows would report for this LUN (kIscsi, kScsi, kSas, ...).
  virtual BusType bus_type() const = 0;
  // Sends `command` and waits for it to complete or time out. Not
  // thread-safe: callers serialize commands on one transport.
  // Errors: kDeadlineExceeded (timed out; the command was aborted),
  // kBackendFailure (link or ioctl failure), kInvalidArgument (malformed
  // command: empty CDB, a data phase without a length).
  virtual absl::StatusOr<ScsiResult> Execute(const ScsiCommand& command) = 0;
};

// How to open a transport.
struct TransportOptions {
  // iSCSI only: the initiator name to log in as (tgt ACLs bind to it).
  std::string initiator_name = "iqn.2026-12.invalid.hwsnap:initiator";
  // iSCSI only: how long login may take.
  absl::Duration connect_timeout = absl::Seconds(10);
};

// Opens a transport by address:
//   iscsi://HOST[:PORT]/TARGET-IQN/LUN   libiscsi (where built in)
//   /dev/sgN, /dev/sdX                    Linux SG_IO
//   \\.\PhysicalDriveN                    Windows SCSI pass-through
// Errors: kInvalidArgument (malformed address), kNotSupported (a kind of
// transport not built into this binary), kBackendFailure (cannot open/login).
absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenScsiTransport(
    absl::string_view address, const TransportOptions& options = {});

// Opens a transport to one LUN by address: OpenScsiTransport in production,
// a fake device in tests. Backends and strategies take one so tests can
// replace the storage without a target.
using TransportOpener =
    std::function<absl::StatusOr<std::unique_ptr<ScsiTransport>>(absl::string_view address)>;

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SCSI_TRANSPORT_H_
