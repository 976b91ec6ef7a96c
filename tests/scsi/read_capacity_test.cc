// READ CAPACITY(16)/(10) parsing (hwsnap/scsi/read_capacity.h).
#include "hwsnap/scsi/read_capacity.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_bytes.h"
#include "fixture_loader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using testing::FixtureBytes;

TEST(ReadCapacityTest, Tgt16MiBThick) {
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity16(FixtureBytes("tgt/lun1/readcap16.hex"));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->block_count, 32768u);  // 16 MiB / 512
  EXPECT_EQ(c->block_length, 512u);
  EXPECT_FALSE(c->lbpme);
  EXPECT_EQ(c->logical_blocks_per_physical_exponent, 3);  // tgt reports 4 KiB physical blocks
}

TEST(ReadCapacityTest, TgtThinSetsLbpme) {
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity16(FixtureBytes("tgt/lun2-readonly-thin/readcap16.hex"));
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->lbpme);
  EXPECT_TRUE(c->lbprz);
}

TEST(ReadCapacityTest, Tgt10) {
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity10(FixtureBytes("tgt/lun1/readcap10.hex"));
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->block_count, 32768u);
  EXPECT_EQ(c->block_length, 512u);
  EXPECT_FALSE(c->needs_read_capacity16);
}

TEST(ReadCapacityTest, Protection16Fields) {
  std::vector<std::uint8_t> d(32, 0);
  d[7] = 9;
  d[10] = 0x10;        // 4096
  d[12] = 0x05;        // P_TYPE 2, PROT_EN
  d[13] = 0x23;
  d[14] = 0x81;        // LBPME, lowest aligned high bits 1
  d[15] = 0x02;
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity16(d);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->block_count, 10u);
  EXPECT_EQ(c->block_length, 4096u);
  EXPECT_TRUE(c->protection_enabled);
  EXPECT_EQ(c->protection_type, 2);
  EXPECT_EQ(c->logical_blocks_per_physical_exponent, 3);
  EXPECT_TRUE(c->lbpme);
  EXPECT_FALSE(c->lbprz);
  EXPECT_EQ(c->lowest_aligned_lba, 0x102);
}

TEST(ReadCapacityTest, TwelveBytesAreEnough) {
  const std::vector<std::uint8_t> d = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0};
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity16(d);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->block_count, 1u);
}

TEST(ReadCapacityTest, Errors) {
  EXPECT_EQ(GetErrorCode(ParseReadCapacity16(std::vector<std::uint8_t>(11, 0)).status()),
            ErrorCode::kBackendFailure);
  EXPECT_EQ(GetErrorCode(ParseReadCapacity16(std::vector<std::uint8_t>(32, 0)).status()),
            ErrorCode::kBackendFailure);  // block length 0
  std::vector<std::uint8_t> overflow(32, 0xFF);
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity16(overflow);
  EXPECT_THAT(std::string(c.status().message()), ::testing::HasSubstr("overflows"));
  EXPECT_FALSE(ParseReadCapacity10(std::vector<std::uint8_t>(7, 0)).ok());
  EXPECT_FALSE(ParseReadCapacity10(std::vector<std::uint8_t>(8, 0)).ok());
}

TEST(ReadCapacityTest, Ten_TooLargeAsksFor16) {
  const std::vector<std::uint8_t> d = {0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 2, 0};
  absl::StatusOr<ReadCapacity> c = ParseReadCapacity10(d);
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE(c->needs_read_capacity16);
  EXPECT_EQ(c->block_count, 0x100000000u);
}

}  // namespace
}  // namespace hwsnap::scsi
