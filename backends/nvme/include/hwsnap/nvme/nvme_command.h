// hwsnap/nvme/nvme_command.h — one NVMe command and its completion, as data.
//
// The NVMe backend speaks NVMe (Identify, Namespace Management/Attachment,
// Read/Write, Copy) and nothing else; a transport (hwsnap/nvme/nvme_transport.h)
// carries these structs to a controller. They mirror a submission queue entry
// minus what the host driver fills in (command id, PRP/SGL pointers, the data
// length comes from the buffer): opcode, NSID, CDW2/3 and CDW10..15. Pure data:
// builders live in hwsnap/nvme/nvme_commands.h, the status mapping in
// hwsnap/nvme/nvme_status.h.
#ifndef HWSNAP_NVME_NVME_COMMAND_H_
#define HWSNAP_NVME_NVME_COMMAND_H_

#include <cstdint>
#include <vector>

#include "absl/time/time.h"

namespace hwsnap::nvme {

enum class NvmeQueue { kAdmin, kIo };
enum class NvmeDataDirection { kNone, kFromDevice, kToDevice };

struct NvmeCommand {
  NvmeQueue queue = NvmeQueue::kAdmin;
  std::uint8_t opcode = 0;
  std::uint32_t nsid = 0;
  std::uint32_t cdw2 = 0, cdw3 = 0;
  std::uint32_t cdw10 = 0, cdw11 = 0, cdw12 = 0, cdw13 = 0, cdw14 = 0, cdw15 = 0;
  NvmeDataDirection direction = NvmeDataDirection::kNone;
  std::vector<std::uint8_t> data_out;   // kToDevice: the bytes sent
  std::uint32_t data_in_length = 0;     // kFromDevice: the buffer offered
  absl::Duration timeout = absl::Seconds(10);
};

// The 15-bit Status Field of a completion queue entry (DW3 bits 31:17, i.e.
// without the phase tag), exactly as Linux's passthrough ioctls return it:
//   bits 7:0 SC, 10:8 SCT, 12:11 CRD, 13 More, 14 DNR.
struct NvmeStatusField {
  std::uint16_t raw = 0;
  std::uint8_t sc() const { return static_cast<std::uint8_t>(raw & 0xff); }
  std::uint8_t sct() const { return static_cast<std::uint8_t>((raw >> 8) & 0x7); }
  bool dnr() const { return (raw >> 14) & 1; }
  bool more() const { return (raw >> 13) & 1; }
  bool ok() const { return (raw & 0x7ff) == 0; }  // SCT 0, SC 0
};

// A completed command (the controller answered; it may have answered with an
// error status, which hwsnap/nvme/nvme_status.h classifies).
struct NvmeCompletion {
  NvmeStatusField status;
  std::uint32_t result = 0;              // completion DW0 (command specific)
  std::vector<std::uint8_t> data_in;     // kFromDevice: the bytes returned
};

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_COMMAND_H_
