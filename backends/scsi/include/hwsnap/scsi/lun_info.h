// hwsnap/scsi/lun_info.h — what the SCSI backend knows about one LUN.
//
// Read from the LUN itself (standard INQUIRY, VPD 0x00/0x80/0x83/0x8F, READ
// CAPACITY(16)) by ReadLunInfo (hwsnap/scsi/lun_reader.h); shared by the
// backend and its ArrayControl strategy, for source LUNs and targets alike.
#ifndef HWSNAP_SCSI_LUN_INFO_H_
#define HWSNAP_SCSI_LUN_INFO_H_

#include <cstdint>
#include <string>
#include <vector>

#include "hwsnap/lun_identity.h"

namespace hwsnap::scsi {

struct ScsiLunInfo {
  std::string address;              // transport address it was read through
  LunIdentity identity;             // as Windows would report it (VDS_LUN_INFORMATION)
  std::uint64_t block_count = 0;    // READ CAPACITY(16): returned last LBA + 1
  std::uint32_t block_length = 0;   // bytes per logical block
  bool thin_provisioned = false;    // READ CAPACITY(16) LBPME
  std::vector<std::uint8_t> vpd_pages;  // VPD page 0x00: pages the LUN supports
  // The LUN takes EXTENDED COPY (LID1): 3PC is set in INQUIRY and either VPD
  // 0x8F lists opcode 0x83/0x00, or — page 0x8F absent, as on LIO — RECEIVE
  // COPY RESULTS (OPERATING PARAMETERS) succeeds (how sg_xcopy decides).
  bool extended_copy_lid1 = false;

  std::uint64_t capacity_bytes() const { return block_count * block_length; }
};

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_LUN_INFO_H_
