// hwsnap/scsi/read_capacity.h — decodes READ CAPACITY(16) and (10) data (SBC-3 5.15/5.16).
//
// How big a LUN is, in blocks of what size, and whether it is thin
// provisioned (LBPME). READ CAPACITY(10) is the fallback for devices that
// reject the 16-byte form; a (10) answer of 0xFFFFFFFF blocks means "ask (16)".
//
//   absl::StatusOr<ReadCapacity> cap = ParseReadCapacity16(result.data_in);
//   cap->block_count * cap->block_length  // bytes
#ifndef HWSNAP_SCSI_READ_CAPACITY_H_
#define HWSNAP_SCSI_READ_CAPACITY_H_

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::scsi {

struct ReadCapacity {
  std::uint64_t block_count = 0;   // RETURNED LOGICAL BLOCK ADDRESS + 1
  std::uint32_t block_length = 0;  // bytes
  // (16) only; false/0 for (10):
  bool protection_enabled = false;
  std::uint8_t protection_type = 0;
  std::uint8_t logical_blocks_per_physical_exponent = 0;
  bool lbpme = false;  // logical block provisioning management enabled (thin)
  bool lbprz = false;
  std::uint16_t lowest_aligned_lba = 0;
  // (10) only: the LUN is too large for (10) (returned LBA 0xFFFFFFFF).
  bool needs_read_capacity16 = false;
};

// Errors (kBackendFailure): fewer than 12 bytes, block length 0, or a
// returned LBA of 2^64-1 (the block count would overflow).
absl::StatusOr<ReadCapacity> ParseReadCapacity16(absl::Span<const std::uint8_t> data);
// Errors (kBackendFailure): fewer than 8 bytes, block length 0.
absl::StatusOr<ReadCapacity> ParseReadCapacity10(absl::Span<const std::uint8_t> data);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_READ_CAPACITY_H_
