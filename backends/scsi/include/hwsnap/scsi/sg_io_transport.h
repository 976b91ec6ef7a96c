// hwsnap/scsi/sg_io_transport.h — SCSI commands through Linux SG_IO.
//
// The Linux arm of OpenScsiTransport for /dev/sgN and /dev/sdX (built on
// Linux: HWSNAP_HAVE_SG_IO). Real SCSI devices (scsi_debug, QEMU scsi-hd,
// LIO/tcm_loop, a kernel iSCSI or FC session) exist only in the test VM; this
// host has none, so what SG_IO reports is decoded by a pure function,
// DecodeSgIoOutcome, that tests drive with the numbers the kernel would give.
#ifndef HWSNAP_SCSI_SG_IO_TRANSPORT_H_
#define HWSNAP_SCSI_SG_IO_TRANSPORT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "hwsnap/scsi/scsi_transport.h"

namespace hwsnap::scsi {

// Opens `path` read-write and non-blocking and checks that it speaks SG_IO
// (SG_GET_VERSION_NUM, sg driver 3.x or later). Address() is `path`;
// bus_type() is BusType::kScsi.
// Errors: kBackendFailure (cannot open — the message carries errno's text —
// or not a SCSI generic/disk device).
absl::StatusOr<std::unique_ptr<ScsiTransport>> OpenSgIoTransport(const std::string& path);

// What one ioctl(SG_IO) reported, as plain numbers (fields of sg_io_hdr_t).
struct SgIoOutcome {
  int ioctl_errno = 0;               // errno when ioctl() failed, else 0
  std::uint8_t status = 0;           // SCSI status byte
  std::uint16_t host_status = 0;     // DID_* (transport / HBA)
  std::uint16_t driver_status = 0;   // DRIVER_* (low nibble), suggestions (high nibble)
  std::int32_t resid = 0;            // bytes of the data-in buffer not transferred
  std::vector<std::uint8_t> data_in; // the whole data-in buffer offered
  std::vector<std::uint8_t> sense;   // the sense bytes written (sb_len_wr)
};

// Turns an SG_IO outcome into the transport's answer: a ScsiResult for every
// command the device completed (any SCSI status, sense included; data_in cut
// to what was transferred), else a Status.
// Errors: kDeadlineExceeded (DID_TIME_OUT or DRIVER_TIMEOUT: the kernel
// aborted the command), kBackendFailure (ioctl errno, any other host or
// driver error, named in the message). `what` prefixes messages.
absl::StatusOr<ScsiResult> DecodeSgIoOutcome(SgIoOutcome outcome, absl::string_view what);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_SG_IO_TRANSPORT_H_
