// The platform-neutral half of the Windows SCSI pass-through transport
// (spti_transport_windows.cc): which SCSI_PASS_THROUGH_DIRECT fields a
// ScsiCommand becomes, and what a completed request means. Plain structs in,
// plain structs out, so the rules are unit-tested on Linux and under Wine
// without a disk.
#ifndef HWSNAP_SCSI_SRC_SPTI_REQUEST_H_
#define HWSNAP_SCSI_SRC_SPTI_REQUEST_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hwsnap/scsi/scsi_transport.h"

#if defined(_WIN32)
#include <windows.h>
#include <ntddscsi.h>
#endif

namespace hwsnap::scsi {

// SCSI_IOCTL_DATA_OUT / _IN / _UNSPECIFIED (ntddscsi.h).
inline constexpr std::uint8_t kSptiDataOut = 0;
inline constexpr std::uint8_t kSptiDataIn = 1;
inline constexpr std::uint8_t kSptiDataUnspecified = 2;
// SCSI_PASS_THROUGH_DIRECT carries CDBs of up to 16 bytes.
inline constexpr std::size_t kSptiMaxCdbLength = 16;
// The sense buffer placed after the request (fixed-format sense fits).
inline constexpr std::uint8_t kSptiSenseLength = 252;  // the most SPC sense data can be
// Windows' documented maximum TimeOutValue: 30 hours.
inline constexpr std::uint32_t kSptiMaxTimeoutSeconds = 108000;

// The SCSI_PASS_THROUGH_DIRECT fields a command decides.
struct SptiRequest {
  std::uint8_t cdb_length = 0;
  std::array<std::uint8_t, kSptiMaxCdbLength> cdb{};
  std::uint8_t data_in = kSptiDataUnspecified;  // a SCSI_IOCTL_DATA_* value
  std::uint32_t data_transfer_length = 0;
  std::uint32_t timeout_seconds = 1;           // whole seconds, rounded up, 1..108000
  std::uint8_t sense_info_length = kSptiSenseLength;
};

// Errors: kInvalidArgument (empty or >16-byte CDB, a data phase without a
// length or with the wrong buffer, non-positive timeout, data over 4 GiB).
absl::StatusOr<SptiRequest> PlanSptiRequest(const ScsiCommand& command);

// The fields DeviceIoControl wrote back into SCSI_PASS_THROUGH_DIRECT.
struct SptiCompletion {
  std::uint8_t scsi_status = 0;
  std::uint8_t sense_info_length = 0;       // sense bytes returned
  std::uint32_t data_transfer_length = 0;   // bytes actually transferred
};

// The ScsiResult of a request DeviceIoControl completed: the status byte,
// data-in cut to the bytes transferred (never beyond the buffer offered),
// sense cut to the bytes returned (never beyond the sense buffer).
ScsiResult DecodeSptiCompletion(const SptiRequest& request, const SptiCompletion& completion,
                                absl::Span<const std::uint8_t> data_buffer,
                                absl::Span<const std::uint8_t> sense_buffer);

#if defined(_WIN32)
// The one buffer IOCTL_SCSI_PASS_THROUGH_DIRECT takes in and gives back: the
// request, then the sense buffer its SenseInfoOffset points at (ULONG-aligned).
struct SptiDirectBuffer {
  SCSI_PASS_THROUGH_DIRECT request;
  ULONG alignment;
  UCHAR sense[kSptiSenseLength];
};

// Fills `buffer` (zeroing it first) for `request`, whose data phase uses `data`
// (nullptr without one; the caller keeps it alive and suitably aligned).
void BuildSptiDirect(const SptiRequest& request, void* data, SptiDirectBuffer* buffer);

// The fields of a completed `buffer` that DecodeSptiCompletion needs.
SptiCompletion ReadSptiCompletion(const SptiDirectBuffer& buffer);
#endif

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SRC_SPTI_REQUEST_H_
