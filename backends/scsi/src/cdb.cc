// CDB builders and ParseCdb (see hwsnap/scsi/cdb.h). Field layouts: SPC-4
// (INQUIRY 6.6, REPORT LUNS 6.33, TEST UNIT READY 6.37, RECEIVE COPY RESULTS
// 6.27) and SBC-3 (READ CAPACITY 5.15/5.16, READ/WRITE 5.11ff).
#include "hwsnap/scsi/cdb.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "hwsnap/status.h"
#include "src/byte_view.h"

namespace hwsnap::scsi {
namespace {

using internal::Be16;
using internal::Be32;
using internal::Be64;
using internal::PutBe16;
using internal::PutBe32;

// CDB length implied by the opcode's group code (SPC-4 4.2.5.1); 0 = variable/vendor.
std::size_t GroupLength(std::uint8_t opcode) {
  switch (opcode >> 5) {
    case 0: return 6;
    case 1: case 2: return 10;
    case 4: return 16;
    case 5: return 12;
    default: return 0;
  }
}

const char* OpcodeName(std::uint8_t opcode) {
  switch (opcode) {
    case 0x00: return "TEST UNIT READY";
    case 0x03: return "REQUEST SENSE";
    case 0x08: return "READ(6)";
    case 0x0A: return "WRITE(6)";
    case 0x12: return "INQUIRY";
    case 0x15: return "MODE SELECT(6)";
    case 0x1A: return "MODE SENSE(6)";
    case 0x1B: return "START STOP UNIT";
    case 0x25: return "READ CAPACITY(10)";
    case 0x28: return "READ(10)";
    case 0x2A: return "WRITE(10)";
    case 0x35: return "SYNCHRONIZE CACHE(10)";
    case 0x42: return "UNMAP";
    case 0x4D: return "LOG SENSE";
    case 0x55: return "MODE SELECT(10)";
    case 0x5A: return "MODE SENSE(10)";
    case 0x5E: return "PERSISTENT RESERVE IN";
    case 0x5F: return "PERSISTENT RESERVE OUT";
    case 0x83: return "EXTENDED COPY";
    case 0x84: return "RECEIVE COPY RESULTS";
    case 0x88: return "READ(16)";
    case 0x89: return "COMPARE AND WRITE";
    case 0x8A: return "WRITE(16)";
    case 0x91: return "SYNCHRONIZE CACHE(16)";
    case 0x93: return "WRITE SAME(16)";
    case 0x9E: return "SERVICE ACTION IN(16)";
    case 0xA0: return "REPORT LUNS";
    case 0xA3: return "MAINTENANCE IN";
    case 0xA8: return "READ(12)";
    case 0xAA: return "WRITE(12)";
    default: return nullptr;
  }
}

std::vector<std::uint8_t> Zeros(std::size_t n, std::uint8_t opcode) {
  std::vector<std::uint8_t> cdb(n, 0);
  cdb[0] = opcode;
  return cdb;
}

}  // namespace

std::vector<std::uint8_t> BuildInquiry(std::uint16_t allocation_length) {
  std::vector<std::uint8_t> cdb = Zeros(6, kOpInquiry);
  PutBe16(&cdb[3], allocation_length);
  return cdb;
}

std::vector<std::uint8_t> BuildInquiryVpd(std::uint8_t page_code, std::uint16_t allocation_length) {
  std::vector<std::uint8_t> cdb = BuildInquiry(allocation_length);
  cdb[1] = 0x01;
  cdb[2] = page_code;
  return cdb;
}

std::vector<std::uint8_t> BuildReadCapacity16(std::uint32_t allocation_length) {
  std::vector<std::uint8_t> cdb = Zeros(16, kOpServiceActionIn16);
  cdb[1] = kSaReadCapacity16;
  PutBe32(&cdb[10], allocation_length);
  return cdb;
}

std::vector<std::uint8_t> BuildReadCapacity10() { return Zeros(10, kOpReadCapacity10); }

std::vector<std::uint8_t> BuildReportLuns(std::uint32_t allocation_length, std::uint8_t select_report) {
  std::vector<std::uint8_t> cdb = Zeros(12, kOpReportLuns);
  cdb[2] = select_report;
  PutBe32(&cdb[6], allocation_length);
  return cdb;
}

std::vector<std::uint8_t> BuildTestUnitReady() { return Zeros(6, kOpTestUnitReady); }

namespace {
std::vector<std::uint8_t> BuildReadWrite16(std::uint8_t opcode, std::uint64_t lba, std::uint32_t blocks) {
  std::vector<std::uint8_t> cdb = Zeros(16, opcode);
  PutBe32(&cdb[2], static_cast<std::uint32_t>(lba >> 32));
  PutBe32(&cdb[6], static_cast<std::uint32_t>(lba));
  PutBe32(&cdb[10], blocks);
  return cdb;
}
}  // namespace

std::vector<std::uint8_t> BuildRead16(std::uint64_t lba, std::uint32_t blocks) {
  return BuildReadWrite16(kOpRead16, lba, blocks);
}

std::vector<std::uint8_t> BuildWrite16(std::uint64_t lba, std::uint32_t blocks) {
  return BuildReadWrite16(kOpWrite16, lba, blocks);
}

std::vector<std::uint8_t> BuildExtendedCopyLid1(std::uint32_t parameter_list_length) {
  std::vector<std::uint8_t> cdb = Zeros(16, kOpExtendedCopy);
  cdb[1] = kSaExtendedCopyLid1;
  PutBe32(&cdb[10], parameter_list_length);
  return cdb;
}

std::vector<std::uint8_t> BuildReceiveCopyResults(std::uint8_t service_action, std::uint8_t list_id,
                                                  std::uint32_t allocation_length) {
  std::vector<std::uint8_t> cdb = Zeros(16, kOpReceiveCopyResults);
  cdb[1] = static_cast<std::uint8_t>(service_action & 0x1F);
  cdb[2] = list_id;
  PutBe32(&cdb[10], allocation_length);
  return cdb;
}

absl::StatusOr<CdbInfo> ParseCdb(absl::Span<const std::uint8_t> cdb) {
  if (cdb.empty()) return InvalidArgumentError("CDB: empty");
  CdbInfo info;
  info.opcode = cdb[0];
  const std::size_t needed = GroupLength(info.opcode);
  if (cdb.size() < needed) {
    return InvalidArgumentError(absl::StrFormat("CDB: opcode 0x%02x needs %d bytes, got %d", info.opcode,
                                                needed, cdb.size()));
  }
  const char* name = OpcodeName(info.opcode);
  info.name = name != nullptr ? name : absl::StrFormat("opcode 0x%02x", info.opcode);
  switch (info.opcode) {
    case kOpInquiry:
      info.evpd = (cdb[1] & 0x01) != 0;
      info.page_code = cdb[2];
      info.allocation_length = Be16(cdb, 3);
      break;
    case kOpRequestSense:
      info.allocation_length = cdb[4];
      break;
    case 0x08: case 0x0A:  // READ(6)/WRITE(6)
      info.lba = ((cdb[1] & 0x1Fu) << 16) | Be16(cdb, 2);
      info.transfer_length = cdb[4] == 0 ? 256 : cdb[4];
      break;
    case kOpRead10: case kOpWrite10:
      info.lba = Be32(cdb, 2);
      info.transfer_length = Be16(cdb, 7);
      break;
    case 0xA8: case 0xAA:  // READ(12)/WRITE(12)
      info.lba = Be32(cdb, 2);
      info.transfer_length = Be32(cdb, 6);
      break;
    case kOpRead16: case kOpWrite16:
      info.lba = Be64(cdb, 2);
      info.transfer_length = Be32(cdb, 10);
      break;
    case kOpServiceActionIn16:
      info.service_action = static_cast<std::uint8_t>(cdb[1] & 0x1F);
      info.lba = Be64(cdb, 2);
      info.allocation_length = Be32(cdb, 10);
      if (*info.service_action == kSaReadCapacity16) info.name = "READ CAPACITY(16)";
      break;
    case kOpReportLuns:
      info.select_report = cdb[2];
      info.allocation_length = Be32(cdb, 6);
      break;
    case kOpExtendedCopy:
      info.service_action = static_cast<std::uint8_t>(cdb[1] & 0x1F);
      info.allocation_length = Be32(cdb, 10);
      info.name = *info.service_action == kSaExtendedCopyLid1 ? "EXTENDED COPY(LID1)" : "EXTENDED COPY(LID4)";
      break;
    case kOpReceiveCopyResults:
      info.service_action = static_cast<std::uint8_t>(cdb[1] & 0x1F);
      info.list_id = cdb[2];
      info.allocation_length = Be32(cdb, 10);
      break;
    case 0xA3:  // MAINTENANCE IN (REPORT SUPPORTED OPERATION CODES ...)
      info.service_action = static_cast<std::uint8_t>(cdb[1] & 0x1F);
      info.allocation_length = Be32(cdb, 6);
      break;
    default:
      break;
  }
  return info;
}

std::string CdbInfo::ToString() const {
  std::string out = name;
  if (opcode == kOpInquiry) {
    if (evpd) absl::StrAppendFormat(&out, " EVPD page 0x%02x", page_code);
    absl::StrAppend(&out, " alloc ", allocation_length);
  } else if (transfer_length != 0) {
    absl::StrAppend(&out, " lba ", lba, " blocks ", transfer_length);
  } else if (allocation_length != 0) {
    absl::StrAppend(&out, " length ", allocation_length);
  }
  if (service_action && opcode != kOpServiceActionIn16 && opcode != kOpExtendedCopy) {
    absl::StrAppendFormat(&out, " sa 0x%02x", *service_action);
  }
  return out;
}

}  // namespace hwsnap::scsi
