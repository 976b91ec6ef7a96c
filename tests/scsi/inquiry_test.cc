// Standard INQUIRY parsing (hwsnap/scsi/inquiry.h) over tgt captures and
// hand-built edge cases.
#include "hwsnap/scsi/inquiry.h"

#include <gtest/gtest.h>

#include "fixture_bytes.h"
#include "fixture_loader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using testing::FixtureBytes;

TEST(InquiryTest, TgtDisk) {
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(FixtureBytes("tgt/lun1/inquiry.hex"));
  ASSERT_TRUE(inq.ok()) << inq.status();
  EXPECT_EQ(inq->peripheral_qualifier, 0);
  EXPECT_EQ(inq->peripheral_device_type, 0);
  EXPECT_FALSE(inq->removable);
  EXPECT_EQ(inq->device_type_modifier, 0);
  EXPECT_EQ(inq->version, 0x05);  // SPC-3
  EXPECT_TRUE(inq->hisup);
  EXPECT_EQ(inq->response_data_format, 2);
  EXPECT_EQ(inq->additional_length, 0x3D);
  EXPECT_EQ(inq->full_length(), 66u);
  EXPECT_FALSE(inq->third_party_copy);
  EXPECT_TRUE(inq->cmdque);
  EXPECT_EQ(inq->vendor_id, "IET     ");
  EXPECT_EQ(inq->product_id, "VIRTUAL-DISK    ");
  EXPECT_EQ(inq->product_revision, "0001");
}

TEST(InquiryTest, TgtControllerLun) {
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(FixtureBytes("tgt/lun0-controller/inquiry.hex"));
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->peripheral_device_type, 0x0C);  // storage array controller
  EXPECT_EQ(inq->product_id, "Controller      ");
}

TEST(InquiryTest, TgtAbsentLunHasQualifier3) {
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(FixtureBytes("tgt/lun7-absent/inquiry_absent_lun.hex"));
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->peripheral_qualifier, 3);
  EXPECT_EQ(inq->peripheral_device_type, 0x1F);
}

TEST(InquiryTest, FlagBits) {
  std::vector<std::uint8_t> d(36, 0x20);
  d[0] = 0x20 | 0x0E;  // qualifier 1, RBC device
  d[1] = 0x80 | 0x05;  // RMB, modifier 5
  d[2] = 0x06;
  d[3] = 0x20 | 0x10 | 0x02;
  d[4] = 31;
  d[5] = 0x80 | 0x40 | 0x30 | 0x08 | 0x01;
  d[6] = 0x40 | 0x10;
  d[7] = 0x02;
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(d);
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->peripheral_qualifier, 1);
  EXPECT_EQ(inq->peripheral_device_type, 0x0E);
  EXPECT_TRUE(inq->removable);
  EXPECT_EQ(inq->device_type_modifier, 5);
  EXPECT_TRUE(inq->normaca);
  EXPECT_TRUE(inq->hisup);
  EXPECT_TRUE(inq->sccs);
  EXPECT_TRUE(inq->acc);
  EXPECT_EQ(inq->tpgs, 3);
  EXPECT_TRUE(inq->third_party_copy);
  EXPECT_TRUE(inq->protect);
  EXPECT_TRUE(inq->encserv);
  EXPECT_TRUE(inq->multip);
  EXPECT_TRUE(inq->cmdque);
}

TEST(InquiryTest, ShortDataKeepsWhatArrived) {
  std::vector<std::uint8_t> d = {0x00, 0x00, 0x05, 0x02, 31, 0, 0, 0x02, 'A', 'B', 'C'};
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(d);
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->vendor_id, "ABC");
  EXPECT_EQ(inq->product_id, "");
  EXPECT_EQ(inq->full_length(), 36u);
}

TEST(InquiryTest, BytesPastAdditionalLengthAreIgnored) {
  std::vector<std::uint8_t> d(36, 'X');
  d[0] = 0;
  d[4] = 7;  // only 12 bytes are INQUIRY data
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(d);
  ASSERT_TRUE(inq.ok());
  EXPECT_EQ(inq->vendor_id, "XXXX");
  EXPECT_EQ(inq->product_id, "");
}

TEST(InquiryTest, RejectsFewerThanFiveBytes) {
  const std::vector<std::uint8_t> d = {0, 0, 5, 2};
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(d);
  EXPECT_EQ(GetErrorCode(inq.status()), ErrorCode::kBackendFailure);
  EXPECT_NE(inq.status().message().find("standard INQUIRY: 4 bytes"), absl::string_view::npos);
}

}  // namespace
}  // namespace hwsnap::scsi
