// hwsnap/scsi/cdb.h — builds the CDBs hwsnap sends and decodes any CDB for logs.
//
// The builders produce exactly the bytes SPC-4/SBC-3 define for the commands
// the SCSI backend needs (identity, capacity, LUN inventory, EXTENDED COPY);
// ParseCdb decodes a CDB back into named fields, which the fake device of the
// tests dispatches on and log lines print. Pure functions, no I/O.
//
//   ScsiCommand cmd;
//   cmd.cdb = BuildInquiryVpd(0x83, 4096);          // 12 01 83 10 00 00
//   absl::StatusOr<CdbInfo> info = ParseCdb(cmd.cdb);
//   info->name == "INQUIRY", info->evpd, info->page_code == 0x83
#ifndef HWSNAP_SCSI_CDB_H_
#define HWSNAP_SCSI_CDB_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace hwsnap::scsi {

// Operation codes used by hwsnap (SPC-4 / SBC-3).
inline constexpr std::uint8_t kOpTestUnitReady = 0x00;
inline constexpr std::uint8_t kOpRequestSense = 0x03;
inline constexpr std::uint8_t kOpInquiry = 0x12;
inline constexpr std::uint8_t kOpReadCapacity10 = 0x25;
inline constexpr std::uint8_t kOpRead10 = 0x28;
inline constexpr std::uint8_t kOpWrite10 = 0x2A;
inline constexpr std::uint8_t kOpExtendedCopy = 0x83;        // service action 0x00: LID1
inline constexpr std::uint8_t kOpReceiveCopyResults = 0x84;  // service action 0x00..0x07
inline constexpr std::uint8_t kOpRead16 = 0x88;
inline constexpr std::uint8_t kOpWrite16 = 0x8A;
inline constexpr std::uint8_t kOpServiceActionIn16 = 0x9E;   // service action 0x10: READ CAPACITY(16)
inline constexpr std::uint8_t kOpReportLuns = 0xA0;
inline constexpr std::uint8_t kSaReadCapacity16 = 0x10;
inline constexpr std::uint8_t kSaExtendedCopyLid1 = 0x00;

// RECEIVE COPY RESULTS service actions (SPC-4).
inline constexpr std::uint8_t kSaCopyStatus = 0x00;
inline constexpr std::uint8_t kSaOperatingParameters = 0x03;
inline constexpr std::uint8_t kSaFailedSegmentDetails = 0x04;

// Standard INQUIRY (EVPD=0). `allocation_length` is what the initiator offers.
std::vector<std::uint8_t> BuildInquiry(std::uint16_t allocation_length);
// INQUIRY with EVPD=1 for VPD page `page_code`.
std::vector<std::uint8_t> BuildInquiryVpd(std::uint8_t page_code, std::uint16_t allocation_length);
// READ CAPACITY(16): SERVICE ACTION IN(16) 0x9E / 0x10, LBA 0, PMI 0.
std::vector<std::uint8_t> BuildReadCapacity16(std::uint32_t allocation_length = 32);
// READ CAPACITY(10): LBA 0, PMI 0.
std::vector<std::uint8_t> BuildReadCapacity10();
// REPORT LUNS with SELECT REPORT `select_report` (0: all addressable LUNs).
std::vector<std::uint8_t> BuildReportLuns(std::uint32_t allocation_length, std::uint8_t select_report = 0);
// TEST UNIT READY.
std::vector<std::uint8_t> BuildTestUnitReady();
// READ(16) / WRITE(16) of `blocks` logical blocks from `lba` (no protection, no FUA).
std::vector<std::uint8_t> BuildRead16(std::uint64_t lba, std::uint32_t blocks);
std::vector<std::uint8_t> BuildWrite16(std::uint64_t lba, std::uint32_t blocks);
// EXTENDED COPY (LID1): opcode 0x83, service action 0x00, the parameter list
// (BuildExtendedCopyLid1Parameters) goes in the data-out phase.
std::vector<std::uint8_t> BuildExtendedCopyLid1(std::uint32_t parameter_list_length);
// RECEIVE COPY RESULTS with `service_action` for `list_id` (LID1).
std::vector<std::uint8_t> BuildReceiveCopyResults(std::uint8_t service_action, std::uint8_t list_id,
                                                  std::uint32_t allocation_length);

// One LUN named in an EXTENDED COPY parameter list by its NAA designator
// (an identification CSCD descriptor, type 0xE4).
struct CopyLun {
  std::vector<std::uint8_t> naa;         // 8 or 16 bytes from VPD 0x83 (association 0, type 3)
  std::uint8_t peripheral_device_type = 0;  // 0: direct access block device
  std::uint32_t block_length = 512;      // disk block length, at most 24 bits
};

// One block-device-to-block-device segment (descriptor type 0x02).
struct CopySegment {
  std::uint64_t source_lba = 0;
  std::uint64_t destination_lba = 0;
  std::uint16_t block_count = 0;  // 1..65535
};

struct ExtendedCopyOptions {
  std::uint8_t list_id = 0;
  // true: LIST ID USAGE 00b (the target keeps the results for RECEIVE COPY
  // RESULTS); false: 11b (no list id, nothing is held; list_id must be 0).
  bool hold_results = false;
  std::uint8_t priority = 1;  // 0..7
};

// The EXTENDED COPY (LID1) parameter list: a 16-byte header, two 32-byte
// identification CSCD descriptors (0: source, 1: destination) and one 28-byte
// segment descriptor of type 0x02 per segment. Errors (kInvalidArgument): NAA
// not 8/16 bytes, block length over 24 bits, no segment or a zero block count,
// list_id set without hold_results, priority over 7.
absl::StatusOr<std::vector<std::uint8_t>> BuildExtendedCopyLid1Parameters(
    const CopyLun& source, const CopyLun& destination, absl::Span<const CopySegment> segments,
    const ExtendedCopyOptions& options = {});

// A CDB decoded for dispatch and logs.
struct CdbInfo {
  std::uint8_t opcode = 0;
  std::optional<std::uint8_t> service_action;  // for opcodes that carry one
  std::string name;                            // "INQUIRY", "READ CAPACITY(16)", "opcode 0xc5"
  bool evpd = false;                           // INQUIRY
  std::uint8_t page_code = 0;                  // INQUIRY
  std::uint32_t allocation_length = 0;         // data-in length offered, or parameter list length
  std::uint64_t lba = 0;                       // READ/WRITE
  std::uint32_t transfer_length = 0;           // READ/WRITE (blocks)
  std::uint8_t select_report = 0;              // REPORT LUNS
  std::uint8_t list_id = 0;                    // RECEIVE COPY RESULTS

  // "INQUIRY EVPD page 0x83 alloc 4096", "READ(16) lba 0 blocks 8" ...
  std::string ToString() const;
};

// Decodes `cdb`. Errors (kInvalidArgument): empty, or shorter than its
// opcode's group requires (6/10/12/16 bytes). Unknown opcodes decode with a
// generic name and no fields.
absl::StatusOr<CdbInfo> ParseCdb(absl::Span<const std::uint8_t> cdb);

}  // namespace hwsnap::scsi

#endif  // HWSNAP_SCSI_CDB_H_
