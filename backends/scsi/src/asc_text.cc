// The asc/ascq text table (see hwsnap/scsi/asc_text.h). Texts follow SPC-4
// Annex D, lower-cased; only codes block devices, copy offload and thin
// provisioning report are listed.
#include "hwsnap/scsi/asc_text.h"

#include "absl/strings/str_format.h"

namespace hwsnap::scsi {
namespace {

struct AscEntry {
  std::uint8_t asc;
  std::uint8_t ascq;
  const char* text;
};

constexpr AscEntry kTable[] = {
    {0x00, 0x00, "no additional sense information"},
    {0x00, 0x16, "operation in progress"},
    {0x00, 0x17, "cleaning requested"},
    {0x03, 0x00, "peripheral device write fault"},
    {0x04, 0x00, "logical unit not ready, cause not reportable"},
    {0x04, 0x01, "logical unit is in process of becoming ready"},
    {0x04, 0x02, "logical unit not ready, initializing command required"},
    {0x04, 0x03, "logical unit not ready, manual intervention required"},
    {0x04, 0x04, "logical unit not ready, format in progress"},
    {0x04, 0x05, "logical unit not ready, rebuild in progress"},
    {0x04, 0x06, "logical unit not ready, recalculation in progress"},
    {0x04, 0x07, "logical unit not ready, operation in progress"},
    {0x04, 0x08, "logical unit not ready, long write in progress"},
    {0x04, 0x09, "logical unit not ready, self-test in progress"},
    {0x04, 0x0A, "logical unit not accessible, asymmetric access state transition"},
    {0x04, 0x0B, "logical unit not accessible, target port in standby state"},
    {0x04, 0x0C, "logical unit not accessible, target port in unavailable state"},
    {0x04, 0x0D, "logical unit not ready, structure check required"},
    {0x04, 0x10, "logical unit not ready, auxiliary memory not accessible"},
    {0x04, 0x11, "logical unit not ready, notify (enable spinup) required"},
    {0x04, 0x12, "logical unit not ready, offline"},
    {0x04, 0x13, "logical unit not ready, sa creation in progress"},
    {0x04, 0x14, "logical unit not ready, space allocation in progress"},
    {0x04, 0x1A, "logical unit not ready, start stop unit command in progress"},
    {0x04, 0x1B, "logical unit not ready, sanitize in progress"},
    {0x04, 0x1C, "logical unit not ready, additional power use not yet granted"},
    {0x05, 0x00, "logical unit does not respond to selection"},
    {0x08, 0x00, "logical unit communication failure"},
    {0x08, 0x01, "logical unit communication time-out"},
    {0x0C, 0x00, "write error"},
    {0x0C, 0x02, "write error - auto reallocation failed"},
    {0x0C, 0x0D, "write error - not enough unsolicited data"},
    {0x0D, 0x00, "error detected by third party temporary initiator"},
    {0x0D, 0x01, "third party device failure"},
    {0x0D, 0x02, "copy target device not reachable"},
    {0x0D, 0x03, "incorrect copy target device type"},
    {0x0D, 0x04, "copy target device data underrun"},
    {0x0D, 0x05, "copy target device data overrun"},
    {0x11, 0x00, "unrecovered read error"},
    {0x1A, 0x00, "parameter list length error"},
    {0x1D, 0x00, "miscompare during verify operation"},
    {0x20, 0x00, "invalid command operation code"},
    {0x20, 0x02, "access denied - no access rights"},
    {0x21, 0x00, "logical block address out of range"},
    {0x24, 0x00, "invalid field in cdb"},
    {0x25, 0x00, "logical unit not supported"},
    {0x26, 0x00, "invalid field in parameter list"},
    {0x26, 0x01, "parameter not supported"},
    {0x26, 0x02, "parameter value invalid"},
    {0x26, 0x06, "too many target descriptors"},
    {0x26, 0x07, "unsupported target descriptor type code"},
    {0x26, 0x08, "too many segment descriptors"},
    {0x26, 0x09, "unsupported segment descriptor type code"},
    {0x26, 0x0A, "unexpected inexact segment"},
    {0x26, 0x0B, "inline data length exceeded"},
    {0x26, 0x0C, "invalid operation for copy source or destination"},
    {0x26, 0x0D, "copy segment granularity violation"},
    {0x27, 0x00, "write protected"},
    {0x27, 0x01, "hardware write protected"},
    {0x27, 0x02, "logical unit software write protected"},
    {0x27, 0x07, "space allocation failed write protect"},
    {0x28, 0x00, "not ready to ready change, medium may have changed"},
    {0x29, 0x00, "power on, reset, or bus device reset occurred"},
    {0x29, 0x01, "power on occurred"},
    {0x29, 0x02, "scsi bus reset occurred"},
    {0x29, 0x03, "bus device reset function occurred"},
    {0x29, 0x04, "device internal reset"},
    {0x29, 0x07, "i_t nexus loss occurred"},
    {0x2A, 0x00, "parameters changed"},
    {0x2A, 0x01, "mode parameters changed"},
    {0x2A, 0x03, "reservations preempted"},
    {0x2A, 0x04, "reservations released"},
    {0x2A, 0x05, "registrations preempted"},
    {0x2A, 0x06, "asymmetric access state changed"},
    {0x2A, 0x09, "capacity data has changed"},
    {0x2C, 0x00, "command sequence error"},
    {0x2F, 0x00, "commands cleared by another initiator"},
    {0x2F, 0x02, "commands cleared by device server"},
    {0x38, 0x07, "thin provisioning soft threshold reached"},
    {0x3A, 0x00, "medium not present"},
    {0x3E, 0x00, "logical unit has not self-configured yet"},
    {0x3E, 0x01, "logical unit failure"},
    {0x3E, 0x02, "timeout on logical unit"},
    {0x3F, 0x00, "target operating conditions have changed"},
    {0x3F, 0x01, "microcode has been changed"},
    {0x3F, 0x03, "inquiry data has changed"},
    {0x3F, 0x0E, "reported luns data has changed"},
    {0x44, 0x00, "internal target failure"},
    {0x47, 0x00, "scsi parity error"},
    {0x4B, 0x00, "data phase error"},
    {0x4E, 0x00, "overlapped commands attempted"},
    {0x55, 0x00, "system resource failure"},
    {0x55, 0x03, "insufficient resources"},
    {0x55, 0x04, "insufficient registration resources"},
    {0x55, 0x06, "auxiliary memory out of space"},
    {0x55, 0x07, "quota error"},
    {0x55, 0x0B, "insufficient power for operation"},
    {0x55, 0x0C, "insufficient resources to create rod"},
    {0x55, 0x0D, "insufficient resources to create rod token"},
    {0x5D, 0x00, "failure prediction threshold exceeded"},
};

}  // namespace

std::string AscText(std::uint8_t asc, std::uint8_t ascq) {
  for (const AscEntry& e : kTable) {
    if (e.asc == asc && e.ascq == ascq) return e.text;
  }
  if (asc >= 0x80) return absl::StrFormat("vendor specific asc 0x%02x/0x%02x", asc, ascq);
  if (ascq >= 0x80) {
    for (const AscEntry& e : kTable) {
      if (e.asc == asc && e.ascq == 0) {
        return absl::StrFormat("%s (vendor specific qualifier 0x%02x)", e.text, ascq);
      }
    }
  }
  return absl::StrFormat("asc 0x%02x/0x%02x (not in hwsnap's table)", asc, ascq);
}

bool IsCapacityExhausted(std::uint8_t asc, std::uint8_t ascq) {
  if (asc == 0x27 && ascq == 0x07) return true;  // space allocation failed write protect
  if (asc == 0x55) {
    return ascq == 0x03 ||  // insufficient resources
           ascq == 0x06 ||  // auxiliary memory out of space
           ascq == 0x0C ||  // insufficient resources to create rod
           ascq == 0x0D;    // insufficient resources to create rod token
  }
  return false;
}

}  // namespace hwsnap::scsi
