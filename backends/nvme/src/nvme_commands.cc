// Command builders and DescribeNvmeCommand, see hwsnap/nvme/nvme_commands.h.
// Field layouts (NVMe Base 2.0 unless noted; libnvme 1.3's ioctl.h/types.h
// agree where they cover a field):
//   Identify (06h)               CDW10 bits 7:0 CNS, 31:16 CNTID; CDW11 bits
//                                31:24 CSI (0 = NVM), 15:0 CNS specific id.
//   Namespace Management (0Dh)   CDW10 bits 3:0 SEL (0h create, 1h delete);
//                                CDW11 bits 31:24 CSI. Create sends the host
//                                specified fields in an Identify Namespace
//                                layout: NSZE 7:0, NCAP 15:8, FLBAS 26, NMIC 30.
//   Namespace Attachment (15h)   CDW10 bits 3:0 SEL (0h attach, 1h detach);
//                                data: a Controller List (NUMID 1:0, ids).
//   Read/Write/Write Zeroes      CDW10 SLBA 31:0, CDW11 SLBA 63:32, CDW12
//   (02h/01h/08h, NVM cmd set)   bits 15:0 NLB (0-based).
//   Copy (19h, NVM cmd set)      CDW10/11 SDLBA, CDW12 bits 7:0 NR (0-based),
//                                bits 11:8 Descriptor Format; data: NR+1
//                                32-byte Source Range entries. Format 0h:
//                                SLBA bytes 15:8, NLB (0-based) 17:16.
//                                Format 2h (NVM Command Set 1.1, TP4130):
//                                SNSID bytes 3:0, SLBA 15:8, NLB 17:16.
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/status.h"
#include "src/le_view.h"

namespace hwsnap::nvme {
namespace {

constexpr std::uint32_t kBroadcastNsid = 0xffffffff;
constexpr std::uint32_t kMaxBlocksPerCommand = 65536;      // NLB is 16 bits, 0-based
constexpr std::size_t kMaxControllerIds = 2047;
constexpr std::size_t kMaxCopyRanges = 256;                 // NR is 8 bits, 0-based
constexpr std::size_t kCopyRangeBytes = 32;
constexpr std::uint8_t kCopyFormatSameNamespace = 0x0;
constexpr std::uint8_t kCopyFormatCrossNamespace = 0x2;
constexpr std::uint32_t kSelCreate = 0x0, kSelDelete = 0x1, kSelAttach = 0x0, kSelDetach = 0x1;

bool UsableNsid(std::uint32_t nsid) { return nsid != 0 && nsid != kBroadcastNsid; }

absl::Status CheckBlockRange(absl::string_view what, std::uint32_t nsid, std::uint64_t slba,
                             std::uint32_t blocks) {
  if (!UsableNsid(nsid)) {
    return InvalidArgumentError(absl::StrCat(what, ": NSID ", nsid, " does not name one namespace"));
  }
  if (blocks == 0 || blocks > kMaxBlocksPerCommand) {
    return InvalidArgumentError(absl::StrCat(what, ": ", blocks, " blocks, expected 1..", kMaxBlocksPerCommand));
  }
  if (slba > UINT64_MAX - (blocks - 1)) {
    return InvalidArgumentError(absl::StrCat(what, ": LBA range at ", slba, " wraps around"));
  }
  return absl::OkStatus();
}

NvmeCommand BlockCommand(std::uint8_t opcode, std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks) {
  NvmeCommand c;
  c.queue = NvmeQueue::kIo;
  c.opcode = opcode;
  c.nsid = nsid;
  c.cdw10 = static_cast<std::uint32_t>(slba);
  c.cdw11 = static_cast<std::uint32_t>(slba >> 32);
  c.cdw12 = (blocks - 1) & 0xffff;
  return c;
}

std::string Hex2(unsigned v) { return absl::StrFormat("%02Xh", v); }

}  // namespace

NvmeCommand BuildIdentify(std::uint8_t cns, std::uint32_t nsid, std::uint16_t cntid) {
  NvmeCommand c;
  c.queue = NvmeQueue::kAdmin;
  c.opcode = kOpIdentify;
  c.nsid = nsid;
  c.cdw10 = cns | (static_cast<std::uint32_t>(cntid) << 16);
  c.direction = NvmeDataDirection::kFromDevice;
  c.data_in_length = static_cast<std::uint32_t>(kIdentifyDataBytes);
  return c;
}

NvmeCommand BuildNamespaceCreate(std::uint64_t nsze, std::uint64_t ncap, std::uint8_t flbas, std::uint8_t nmic) {
  NvmeCommand c;
  c.queue = NvmeQueue::kAdmin;
  c.opcode = kOpNamespaceManagement;
  c.cdw10 = kSelCreate;
  c.direction = NvmeDataDirection::kToDevice;
  c.data_out.assign(kIdentifyDataBytes, 0);
  internal::PutLe64(&c.data_out[0], nsze);
  internal::PutLe64(&c.data_out[8], ncap);
  c.data_out[26] = flbas;
  c.data_out[30] = nmic;
  return c;
}

NvmeCommand BuildNamespaceDelete(std::uint32_t nsid) {
  NvmeCommand c;
  c.queue = NvmeQueue::kAdmin;
  c.opcode = kOpNamespaceManagement;
  // NSID FFFFFFFFh would delete every namespace of the subsystem: never
  // send it. NSID 0 is refused by the controller (Invalid Field/Namespace).
  c.nsid = nsid == kBroadcastNsid ? 0 : nsid;
  c.cdw10 = kSelDelete;
  return c;
}

absl::StatusOr<NvmeCommand> BuildNamespaceAttachment(std::uint32_t nsid, bool attach,
                                                     absl::Span<const std::uint16_t> controllers) {
  const char* what = attach ? "Namespace Attachment (attach)" : "Namespace Attachment (detach)";
  if (!UsableNsid(nsid)) {
    return InvalidArgumentError(absl::StrCat(what, ": NSID ", nsid, " does not name one namespace"));
  }
  if (controllers.empty() || controllers.size() > kMaxControllerIds) {
    return InvalidArgumentError(absl::StrCat(what, ": ", controllers.size(), " controller ids, expected 1..",
                                             kMaxControllerIds));
  }
  NvmeCommand c;
  c.queue = NvmeQueue::kAdmin;
  c.opcode = kOpNamespaceAttachment;
  c.nsid = nsid;
  c.cdw10 = attach ? kSelAttach : kSelDetach;
  c.direction = NvmeDataDirection::kToDevice;
  c.data_out.assign(kIdentifyDataBytes, 0);
  internal::PutLe16(&c.data_out[0], static_cast<std::uint16_t>(controllers.size()));
  for (std::size_t i = 0; i < controllers.size(); ++i) internal::PutLe16(&c.data_out[2 + 2 * i], controllers[i]);
  return c;
}

absl::StatusOr<NvmeCommand> BuildRead(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks,
                                      std::uint32_t in_bytes) {
  if (absl::Status s = CheckBlockRange("Read", nsid, slba, blocks); !s.ok()) return s;
  if (in_bytes == 0 || in_bytes % blocks != 0) {
    return InvalidArgumentError(absl::StrCat("Read: ", in_bytes, " bytes is not a whole number of ", blocks,
                                             " blocks"));
  }
  NvmeCommand c = BlockCommand(kOpRead, nsid, slba, blocks);
  c.direction = NvmeDataDirection::kFromDevice;
  c.data_in_length = in_bytes;
  return c;
}

absl::StatusOr<NvmeCommand> BuildWrite(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks,
                                       std::vector<std::uint8_t> data) {
  if (absl::Status s = CheckBlockRange("Write", nsid, slba, blocks); !s.ok()) return s;
  if (data.empty() || data.size() % blocks != 0) {
    return InvalidArgumentError(absl::StrCat("Write: ", data.size(), " bytes is not a whole number of ", blocks,
                                             " blocks"));
  }
  NvmeCommand c = BlockCommand(kOpWrite, nsid, slba, blocks);
  c.direction = NvmeDataDirection::kToDevice;
  c.data_out = std::move(data);
  return c;
}

absl::StatusOr<NvmeCommand> BuildWriteZeroes(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks) {
  if (absl::Status s = CheckBlockRange("Write Zeroes", nsid, slba, blocks); !s.ok()) return s;
  return BlockCommand(kOpWriteZeroes, nsid, slba, blocks);
}

absl::StatusOr<NvmeCommand> BuildCopy(std::uint32_t nsid, std::uint64_t sdlba,
                                      absl::Span<const CopySourceRange> ranges) {
  if (!UsableNsid(nsid)) {
    return InvalidArgumentError(absl::StrCat("Copy: NSID ", nsid, " does not name one namespace"));
  }
  if (ranges.empty() || ranges.size() > kMaxCopyRanges) {
    return InvalidArgumentError(absl::StrCat("Copy: ", ranges.size(), " source ranges, expected 1..",
                                             kMaxCopyRanges));
  }
  const bool cross_namespace = ranges[0].source_nsid != 0;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const CopySourceRange& r = ranges[i];
    if ((r.source_nsid != 0) != cross_namespace) {
      return InvalidArgumentError(absl::StrCat("Copy: range ", i, " mixes same-namespace (source NSID 0) and "
                                               "cross-namespace ranges"));
    }
    if (r.source_nsid == kBroadcastNsid) {
      return InvalidArgumentError(absl::StrCat("Copy: range ", i, " names the broadcast NSID"));
    }
    if (absl::Status s = CheckBlockRange(absl::StrCat("Copy range ", i), nsid, r.slba, r.blocks); !s.ok()) {
      return s;
    }
  }
  NvmeCommand c;
  c.queue = NvmeQueue::kIo;
  c.opcode = kOpCopy;
  c.nsid = nsid;
  c.cdw10 = static_cast<std::uint32_t>(sdlba);
  c.cdw11 = static_cast<std::uint32_t>(sdlba >> 32);
  const std::uint8_t format = cross_namespace ? kCopyFormatCrossNamespace : kCopyFormatSameNamespace;
  c.cdw12 = static_cast<std::uint32_t>(ranges.size() - 1) | (static_cast<std::uint32_t>(format) << 8);
  c.direction = NvmeDataDirection::kToDevice;
  c.data_out.assign(ranges.size() * kCopyRangeBytes, 0);
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    std::uint8_t* entry = &c.data_out[i * kCopyRangeBytes];
    if (cross_namespace) internal::PutLe32(entry, ranges[i].source_nsid);
    internal::PutLe64(entry + 8, ranges[i].slba);
    internal::PutLe16(entry + 16, static_cast<std::uint16_t>(ranges[i].blocks - 1));
  }
  return c;
}

std::string DescribeNvmeCommand(const NvmeCommand& command) {
  const std::string nsid = command.nsid != 0 ? absl::StrCat(" nsid ", command.nsid) : std::string();
  if (command.queue == NvmeQueue::kAdmin) {
    switch (command.opcode) {
      case kOpIdentify: {
        std::string out = absl::StrCat("Identify CNS ", Hex2(command.cdw10 & 0xff), nsid);
        if (const std::uint32_t cntid = command.cdw10 >> 16; cntid != 0) absl::StrAppend(&out, " cntid ", cntid);
        return out;
      }
      case kOpNamespaceManagement:
        switch (command.cdw10 & 0xf) {
          case kSelCreate: return absl::StrCat("Namespace Management (create)", nsid);
          case kSelDelete: return absl::StrCat("Namespace Management (delete)", nsid);
          default: return absl::StrCat("Namespace Management (SEL ", Hex2(command.cdw10 & 0xf), ")", nsid);
        }
      case kOpNamespaceAttachment:
        switch (command.cdw10 & 0xf) {
          case kSelAttach: return absl::StrCat("Namespace Attachment (attach)", nsid);
          case kSelDetach: return absl::StrCat("Namespace Attachment (detach)", nsid);
          default: return absl::StrCat("Namespace Attachment (SEL ", Hex2(command.cdw10 & 0xf), ")", nsid);
        }
      default:
        return absl::StrCat("admin opcode ", Hex2(command.opcode), nsid);
    }
  }
  const std::uint64_t lba = (static_cast<std::uint64_t>(command.cdw11) << 32) | command.cdw10;
  const std::uint32_t nlb = (command.cdw12 & 0xffff) + 1;
  switch (command.opcode) {
    case kOpRead: return absl::StrCat("Read", nsid, " slba ", lba, " blocks ", nlb);
    case kOpWrite: return absl::StrCat("Write", nsid, " slba ", lba, " blocks ", nlb);
    case kOpWriteZeroes: return absl::StrCat("Write Zeroes", nsid, " slba ", lba, " blocks ", nlb);
    case kOpCopy:
      return absl::StrCat("Copy", nsid, " to slba ", lba, ", ", (command.cdw12 & 0xff) + 1,
                          " source ranges (format ", absl::StrFormat("%Xh", (command.cdw12 >> 8) & 0xf), ")");
    default:
      return absl::StrCat("I/O opcode ", Hex2(command.opcode), nsid);
  }
}

}  // namespace hwsnap::nvme
