// CDB builders and ParseCdb (hwsnap/scsi/cdb.h): exact bytes per SPC-4/SBC-3
// and the decoded fields of each.
#include "hwsnap/scsi/cdb.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;

TEST(CdbBuildTest, StandardInquiry) {
  EXPECT_THAT(BuildInquiry(96), ElementsAre(0x12, 0x00, 0x00, 0x00, 0x60, 0x00));
}

TEST(CdbBuildTest, InquiryVpdPage) {
  EXPECT_THAT(BuildInquiryVpd(0x83, 0x1000), ElementsAre(0x12, 0x01, 0x83, 0x10, 0x00, 0x00));
}

TEST(CdbBuildTest, ReadCapacity16) {
  EXPECT_THAT(BuildReadCapacity16(32),
              ElementsAre(0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x20, 0x00, 0x00));
}

TEST(CdbBuildTest, ReadCapacity10) {
  EXPECT_THAT(BuildReadCapacity10(), ElementsAre(0x25, 0, 0, 0, 0, 0, 0, 0, 0, 0));
}

TEST(CdbBuildTest, ReportLuns) {
  EXPECT_THAT(BuildReportLuns(0x01020304, 2), ElementsAre(0xA0, 0, 0x02, 0, 0, 0, 0x01, 0x02, 0x03, 0x04, 0, 0));
}

TEST(CdbBuildTest, TestUnitReady) { EXPECT_THAT(BuildTestUnitReady(), ElementsAre(0, 0, 0, 0, 0, 0)); }

TEST(CdbBuildTest, ReadWrite16CarryLbaAndBlockCountBigEndian) {
  EXPECT_THAT(BuildRead16(0x0102030405060708ull, 0x0a0b0c0d),
              ElementsAre(0x88, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0x0a, 0x0b, 0x0c, 0x0d, 0, 0));
  EXPECT_THAT(BuildWrite16(1, 8), ElementsAre(0x8a, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 8, 0, 0));
}

TEST(CdbBuildTest, ExtendedCopyLid1) {
  EXPECT_THAT(BuildExtendedCopyLid1(108),
              ElementsAre(0x83, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x6C, 0x00, 0x00));
}

TEST(CdbBuildTest, ReceiveCopyResults) {
  EXPECT_THAT(BuildReceiveCopyResults(kSaOperatingParameters, 7, 0x200),
              ElementsAre(0x84, 0x03, 0x07, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00));
}

TEST(ParseCdbTest, InquiryVpdRoundTrip) {
  absl::StatusOr<CdbInfo> info = ParseCdb(BuildInquiryVpd(0x8F, 512));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->opcode, kOpInquiry);
  EXPECT_EQ(info->name, "INQUIRY");
  EXPECT_TRUE(info->evpd);
  EXPECT_EQ(info->page_code, 0x8F);
  EXPECT_EQ(info->allocation_length, 512u);
  EXPECT_EQ(info->ToString(), "INQUIRY EVPD page 0x8f alloc 512");
}

TEST(ParseCdbTest, StandardInquiryHasNoEvpd) {
  absl::StatusOr<CdbInfo> info = ParseCdb(BuildInquiry(36));
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->evpd);
  EXPECT_EQ(info->allocation_length, 36u);
  EXPECT_EQ(info->ToString(), "INQUIRY alloc 36");
}

TEST(ParseCdbTest, ReadCapacity16NamedByServiceAction) {
  absl::StatusOr<CdbInfo> info = ParseCdb(BuildReadCapacity16(32));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "READ CAPACITY(16)");
  ASSERT_TRUE(info->service_action.has_value());
  EXPECT_EQ(*info->service_action, kSaReadCapacity16);
  EXPECT_EQ(info->allocation_length, 32u);
}

TEST(ParseCdbTest, OtherServiceActionInKeepsGenericName) {
  std::vector<std::uint8_t> cdb = BuildReadCapacity16(32);
  cdb[1] = 0x12;  // GET LBA STATUS
  absl::StatusOr<CdbInfo> info = ParseCdb(cdb);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "SERVICE ACTION IN(16)");
  EXPECT_EQ(*info->service_action, 0x12);
}

TEST(ParseCdbTest, ReportLunsFields) {
  absl::StatusOr<CdbInfo> info = ParseCdb(BuildReportLuns(4096, 0x02));
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "REPORT LUNS");
  EXPECT_EQ(info->select_report, 0x02);
  EXPECT_EQ(info->allocation_length, 4096u);
}

TEST(ParseCdbTest, ExtendedCopyLid1AndReceiveCopyResults) {
  absl::StatusOr<CdbInfo> xcopy = ParseCdb(BuildExtendedCopyLid1(108));
  ASSERT_TRUE(xcopy.ok());
  EXPECT_EQ(xcopy->name, "EXTENDED COPY(LID1)");
  EXPECT_EQ(xcopy->allocation_length, 108u);
  absl::StatusOr<CdbInfo> rcr = ParseCdb(BuildReceiveCopyResults(kSaCopyStatus, 9, 64));
  ASSERT_TRUE(rcr.ok());
  EXPECT_EQ(rcr->name, "RECEIVE COPY RESULTS");
  EXPECT_EQ(rcr->list_id, 9);
  EXPECT_EQ(*rcr->service_action, kSaCopyStatus);
}

TEST(ParseCdbTest, ReadWriteLbaAndLength) {
  const std::vector<std::uint8_t> write16 = {0x8A, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34, 0, 0, 0, 8, 0, 0};
  absl::StatusOr<CdbInfo> info = ParseCdb(write16);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "WRITE(16)");
  EXPECT_EQ(info->lba, 0x1234u);
  EXPECT_EQ(info->transfer_length, 8u);
  EXPECT_EQ(info->ToString(), "WRITE(16) lba 4660 blocks 8");
  const std::vector<std::uint8_t> read10 = {0x28, 0, 0, 0, 0x01, 0x00, 0, 0x00, 0x10, 0};
  info = ParseCdb(read10);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->lba, 256u);
  EXPECT_EQ(info->transfer_length, 16u);
  const std::vector<std::uint8_t> read6 = {0x08, 0x01, 0x02, 0x03, 0x00, 0};
  info = ParseCdb(read6);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->lba, 0x010203u);
  EXPECT_EQ(info->transfer_length, 256u);  // 0 means 256 in READ(6)
}

TEST(ParseCdbTest, UnknownOpcodeGetsGenericName) {
  const std::vector<std::uint8_t> cdb = {0xC5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  absl::StatusOr<CdbInfo> info = ParseCdb(cdb);
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(info->name, "opcode 0xc5");
}

TEST(ParseCdbTest, RejectsEmptyAndShortCdbs) {
  absl::StatusOr<CdbInfo> empty = ParseCdb({});
  EXPECT_EQ(GetErrorCode(empty.status()), ErrorCode::kInvalidArgument);
  const std::vector<std::uint8_t> short_rc16 = {0x9E, 0x10, 0, 0, 0, 0, 0, 0, 0, 0};
  absl::StatusOr<CdbInfo> rc = ParseCdb(short_rc16);
  EXPECT_EQ(GetErrorCode(rc.status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(std::string(rc.status().message()), ::testing::HasSubstr("opcode 0x9e needs 16 bytes, got 10"));
  const std::vector<std::uint8_t> short_inquiry = {0x12, 0x01, 0x83};
  EXPECT_FALSE(ParseCdb(short_inquiry).ok());
}

}  // namespace
}  // namespace hwsnap::scsi
