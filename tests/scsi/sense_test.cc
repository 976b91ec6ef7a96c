// Sense data decoding (hwsnap/scsi/sense.h): fixed and descriptor formats,
// current and deferred, information/command-specific/sense-key-specific.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::HasSubstr;

TEST(SenseTest, TgtWriteToReadonlyLun) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("tgt/lun2-readonly-thin/sense_write_readonly.hex");
  ASSERT_TRUE(f.ok()) << f.status();
  absl::StatusOr<SenseData> s = ParseSense(f->bytes);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->response_code, 0x70);
  EXPECT_FALSE(s->descriptor_format);
  EXPECT_FALSE(s->deferred);
  EXPECT_EQ(s->sense_key, SenseKey::kDataProtect);
  EXPECT_EQ(s->asc, 0x27);
  EXPECT_EQ(s->ascq, 0x00);
  EXPECT_FALSE(s->information.has_value());
  EXPECT_FALSE(s->sense_key_specific.has_value());
}

TEST(SenseTest, FixedWithAllFields) {
  std::vector<std::uint8_t> d = {0xF1, 0, 0x80 | 0x40 | 0x20 | 0x05, 0x00, 0x00, 0x12, 0x34, 10,
                                 0xAA, 0xBB, 0xCC, 0xDD, 0x24, 0x01, 0x07, 0xC8, 0x00, 0x02};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->deferred);
  EXPECT_TRUE(s->filemark);
  EXPECT_TRUE(s->eom);
  EXPECT_TRUE(s->ili);
  EXPECT_EQ(s->sense_key, SenseKey::kIllegalRequest);
  ASSERT_TRUE(s->information.has_value());
  EXPECT_EQ(*s->information, 0x1234u);
  ASSERT_TRUE(s->command_specific.has_value());
  EXPECT_EQ(*s->command_specific, 0xAABBCCDDu);
  EXPECT_EQ(s->asc, 0x24);
  EXPECT_EQ(s->ascq, 0x01);
  EXPECT_EQ(s->fru, 0x07);
  ASSERT_TRUE(s->sense_key_specific.has_value());
  EXPECT_EQ(s->FieldPointerText(), "CDB byte 2 bit 0");  // 0xC8: SKSV, C/D, BPV, bit 0
}

TEST(SenseTest, FieldPointerWithBit) {
  std::vector<std::uint8_t> d = {0x70, 0, 0x05, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x26, 0x00, 0, 0x80 | 0x08 | 0x03, 0x00,
                                 0x11};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->FieldPointerText(), "parameter list byte 17 bit 3");
}

TEST(SenseTest, ShortFixedSenseIsTolerated) {
  const std::vector<std::uint8_t> d = {0x70, 0x00, 0x02};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->sense_key, SenseKey::kNotReady);
  EXPECT_EQ(s->asc, 0);
}

TEST(SenseTest, FixedAdditionalLengthBoundsFields) {
  // Additional length 4: asc/ascq bytes beyond it are not sense data.
  std::vector<std::uint8_t> d = {0x70, 0, 0x06, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0x29, 0x00, 0, 0, 0, 0};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->asc, 0);
}

TEST(SenseTest, DescriptorFormatWithDescriptors) {
  const std::vector<std::uint8_t> d = {
      0x72, 0x0A, 0x0D, 0x02, 0, 0, 0, 38,
      0x00, 0x0A, 0x80, 0x00, 0, 0, 0, 0, 0, 0, 0x10, 0x00,        // information 0x1000
      0x01, 0x0A, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0x00, 0x05,        // command-specific 5
      0x02, 0x06, 0x00, 0x00, 0x80, 0x00, 0x07, 0x00,              // sense key specific
      0x03, 0x02, 0x00, 0x09,                                      // FRU 9
      0x80, 0x00};                                                 // vendor descriptor, empty
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(s->descriptor_format);
  EXPECT_EQ(s->sense_key, SenseKey::kCopyAborted);
  EXPECT_EQ(s->asc, 0x0D);
  EXPECT_EQ(s->ascq, 0x02);
  EXPECT_EQ(*s->information, 0x1000u);
  EXPECT_EQ(*s->command_specific, 5u);
  ASSERT_TRUE(s->sense_key_specific.has_value());
  EXPECT_EQ((*s->sense_key_specific)[0], 0x80);
  EXPECT_EQ((*s->sense_key_specific)[2], 0x07);
  EXPECT_EQ(s->fru, 9);
  ASSERT_EQ(s->descriptors.size(), 5u);
  EXPECT_EQ(s->descriptors[4].type, 0x80);
}

TEST(SenseTest, DeferredDescriptor) {
  const std::vector<std::uint8_t> d = {0x73, 0x04, 0x44, 0x00};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok());
  EXPECT_TRUE(s->deferred);
  EXPECT_EQ(s->sense_key, SenseKey::kHardwareError);
}

TEST(SenseTest, DescriptorRunningPastEnd) {
  const std::vector<std::uint8_t> d = {0x72, 0x05, 0x24, 0x00, 0, 0, 0, 6, 0x00, 0x0A, 0x80, 0, 0, 0};
  absl::StatusOr<SenseData> s = ParseSense(d);
  EXPECT_EQ(GetErrorCode(s.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr("sense: descriptor 0 (type 0x00) length 10 runs past sense end (14 bytes)"));
}

// Sense the initiator's buffer cut short (e.g. 32 bytes of a longer
// descriptor list) keeps its classification: key and ASC/ASCQ are read,
// whole descriptors kept, the cut one dropped.
TEST(SenseTest, DescriptorSenseCutByTheBufferKeepsKeyAndAsc) {
  // DATA PROTECT, SPACE ALLOCATION FAILED WRITE PROTECT (27/07); additional
  // length 40, but only 22 bytes arrived: one whole descriptor (type 0x01,
  // 10 bytes) and the first 2 bytes of the next.
  const std::vector<std::uint8_t> d = {0x72, 0x07, 0x27, 0x07, 0, 0, 0, 40,
                                       0x01, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5,
                                       0x02, 0x06};
  absl::StatusOr<SenseData> s = ParseSense(d);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->sense_key, SenseKey::kDataProtect);
  EXPECT_EQ(s->asc, 0x27);
  EXPECT_EQ(s->ascq, 0x07);
  ASSERT_EQ(s->descriptors.size(), 1u);
  ASSERT_TRUE(s->command_specific.has_value());
  EXPECT_EQ(*s->command_specific, 5u);
}

TEST(SenseTest, Errors) {
  EXPECT_FALSE(ParseSense({}).ok());
  const std::vector<std::uint8_t> vendor = {0x7F, 0, 0, 0};
  absl::StatusOr<SenseData> s = ParseSense(vendor);
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("unknown response code 0x7f"));
  const std::vector<std::uint8_t> short_desc = {0x72, 0x05};
  EXPECT_FALSE(ParseSense(short_desc).ok());
}

TEST(SenseTest, KeyNames) {
  EXPECT_EQ(SenseKeyName(SenseKey::kIllegalRequest), "ILLEGAL REQUEST");
  EXPECT_EQ(SenseKeyName(SenseKey::kCopyAborted), "COPY ABORTED");
  EXPECT_EQ(SenseKeyName(SenseKey::kCompleted), "COMPLETED");
}

}  // namespace
}  // namespace hwsnap::scsi
