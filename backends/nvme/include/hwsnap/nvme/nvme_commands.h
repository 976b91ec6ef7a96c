// hwsnap/nvme/nvme_commands.h — builders for the commands the backend sends.
//
// One place encodes opcodes and CDW fields (NVMe Base 2.0 / NVM Command Set
// 1.0): every caller (reader, strategies, tests, the fixture capture) builds
// commands here, and DescribeNvmeCommand names any command for logs.
#ifndef HWSNAP_NVME_NVME_COMMANDS_H_
#define HWSNAP_NVME_NVME_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "hwsnap/nvme/nvme_command.h"

namespace hwsnap::nvme {

// Admin opcodes.
inline constexpr std::uint8_t kOpIdentify = 0x06;
inline constexpr std::uint8_t kOpNamespaceManagement = 0x0d;
inline constexpr std::uint8_t kOpNamespaceAttachment = 0x15;
// NVM command set opcodes.
inline constexpr std::uint8_t kOpWrite = 0x01;
inline constexpr std::uint8_t kOpRead = 0x02;
inline constexpr std::uint8_t kOpWriteZeroes = 0x08;
inline constexpr std::uint8_t kOpCopy = 0x19;

// Identify CNS values.
inline constexpr std::uint8_t kCnsNamespace = 0x00;
inline constexpr std::uint8_t kCnsController = 0x01;
inline constexpr std::uint8_t kCnsActiveNamespaceList = 0x02;
inline constexpr std::uint8_t kCnsNamespaceIdDescriptors = 0x03;
inline constexpr std::uint8_t kCnsAllocatedNamespaceList = 0x10;
inline constexpr std::uint8_t kCnsAllocatedNamespace = 0x11;
inline constexpr std::uint8_t kCnsNamespaceAttachedControllers = 0x12;
inline constexpr std::uint8_t kCnsSubsystemControllers = 0x13;

// Identify (4096 bytes in). `nsid` and `cntid` as the CNS requires.
NvmeCommand BuildIdentify(std::uint8_t cns, std::uint32_t nsid = 0, std::uint16_t cntid = 0);
// Namespace Management, Create (SEL 0h): NSZE/NCAP blocks, FLBAS, NMIC
// (data: a 4096-byte host buffer laid out as Identify Namespace). The new
// NSID comes back in completion DW0.
NvmeCommand BuildNamespaceCreate(std::uint64_t nsze, std::uint64_t ncap, std::uint8_t flbas,
                                 std::uint8_t nmic);
// Namespace Management, Delete (SEL 1h). NSID FFFFFFFFh (delete every
// namespace) is never sent: it becomes NSID 0, which the controller refuses.
NvmeCommand BuildNamespaceDelete(std::uint32_t nsid);
// Namespace Attachment, attach (SEL 0h) or detach (SEL 1h) `nsid` to/from
// `controllers` (data: a controller list). kInvalidArgument for an empty
// list, more than 2047 ids or nsid 0/0xffffffff.
absl::StatusOr<NvmeCommand> BuildNamespaceAttachment(std::uint32_t nsid, bool attach,
                                                     absl::Span<const std::uint16_t> controllers);
// Read/Write `blocks` (1..65536) logical blocks at `slba` of `nsid`; Write
// carries `data` (blocks * block size bytes), Read expects `in_bytes`.
// kInvalidArgument for NSID 0/FFFFFFFFh, `blocks` outside 1..65536, a range
// wrapping past LBA 2^64-1, or data/in_bytes that is not a whole number of blocks.
absl::StatusOr<NvmeCommand> BuildRead(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks,
                                      std::uint32_t in_bytes);
absl::StatusOr<NvmeCommand> BuildWrite(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks,
                                       std::vector<std::uint8_t> data);
absl::StatusOr<NvmeCommand> BuildWriteZeroes(std::uint32_t nsid, std::uint64_t slba, std::uint32_t blocks);

// One source range of a Copy command.
struct CopySourceRange {
  std::uint32_t source_nsid = 0;   // format 2h/3h only (0 = format 0h, same namespace)
  std::uint64_t slba = 0;
  std::uint32_t blocks = 0;        // 1..65536
};
// Copy (NVM command set): the ranges to `sdlba` of `nsid`. All ranges with
// source_nsid 0 → descriptor format 0h (Simple Copy within `nsid`); all
// non-zero → format 2h (cross-namespace). Mixed, empty, more than 256 ranges
// or a zero-length range → kInvalidArgument.
absl::StatusOr<NvmeCommand> BuildCopy(std::uint32_t nsid, std::uint64_t sdlba,
                                      absl::Span<const CopySourceRange> ranges);

// "Identify CNS 01h", "Namespace Attachment (attach) nsid 3", ... for logs.
std::string DescribeNvmeCommand(const NvmeCommand& command);

}  // namespace hwsnap::nvme

#endif  // HWSNAP_NVME_NVME_COMMANDS_H_
