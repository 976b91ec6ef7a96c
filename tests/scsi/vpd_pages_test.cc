// VPD header handling and pages 0x00, 0x80, 0xB0, 0xB2 (hwsnap/scsi/vpd.h).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_bytes.h"
#include "fixture_loader.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::FixtureBytes;

TEST(VpdSupportedPagesTest, Tgt) {
  absl::StatusOr<SupportedVpdPages> p = ParseVpdSupportedPages(FixtureBytes("tgt/lun1/vpd00.hex"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_THAT(p->pages, ElementsAre(0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2));
  EXPECT_TRUE(p->Has(0x83));
  EXPECT_FALSE(p->Has(0x8F));
}

TEST(VpdSupportedPagesTest, ControllerLunKeepsDeviceType) {
  absl::StatusOr<SupportedVpdPages> p = ParseVpdSupportedPages(FixtureBytes("tgt/lun0-controller/vpd00.hex"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->peripheral_device_type, 0x0C);
}

TEST(VpdHeaderTest, WrongPageCode) {
  absl::StatusOr<SupportedVpdPages> p = ParseVpdSupportedPages(FixtureBytes("tgt/lun1/vpd80.hex"));
  EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("VPD 0x00: page code field is 0x80"));
}

TEST(VpdHeaderTest, TruncatedPageSaysHowLongToReread) {
  std::vector<std::uint8_t> page = FixtureBytes("tgt/lun1/vpd83.hex");
  page.resize(40);
  absl::StatusOr<DeviceIdentificationPage> p = ParseVpdDeviceIdentification(page);
  EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(p.status().message()),
              HasSubstr("VPD 0x83: page length 72 but only 36 bytes follow the header"));
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("re-read with allocation length 76"));
  absl::StatusOr<std::uint32_t> full = VpdFullLength(page);
  ASSERT_TRUE(full.ok());
  EXPECT_EQ(*full, 76u);
}

TEST(VpdHeaderTest, ShortHeader) {
  const std::vector<std::uint8_t> page = {0x00, 0x80, 0x00};
  EXPECT_FALSE(ParseVpdUnitSerialNumber(page).ok());
  EXPECT_FALSE(VpdFullLength(page).ok());
}

TEST(VpdHeaderTest, ExtraBytesAfterPageAreIgnored) {
  const std::vector<std::uint8_t> page = {0x00, 0x80, 0x00, 0x02, 'a', 'b', 'c', 'd'};
  absl::StatusOr<UnitSerialNumberPage> p = ParseVpdUnitSerialNumber(page);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->serial, "ab");
}

TEST(VpdUnitSerialTest, TgtSerialIsKeptPadded) {
  absl::StatusOr<UnitSerialNumberPage> p = ParseVpdUnitSerialNumber(FixtureBytes("tgt/lun1/vpd80.hex"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->serial, std::string(30, ' ') + "beaf11");
  p = ParseVpdUnitSerialNumber(FixtureBytes("tgt/lun2-readonly-thin/vpd80.hex"));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->serial, std::string(20, ' ') + "hwsnap-snap-0001");
}

TEST(VpdUnitSerialTest, EmptySerial) {
  const std::vector<std::uint8_t> page = {0x00, 0x80, 0x00, 0x00};
  absl::StatusOr<UnitSerialNumberPage> p = ParseVpdUnitSerialNumber(page);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->serial, "");
}

TEST(VpdBlockLimitsTest, TgtThinLun) {
  absl::StatusOr<BlockLimitsPage> p = ParseVpdBlockLimits(FixtureBytes("tgt/lun2-readonly-thin/vpdb0.hex"));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->max_compare_and_write_length, 0x80);  // tgt's COMPARE AND WRITE limit field
  EXPECT_EQ(p->max_unmap_lba_count, 0xFFFFFFFFu);
  EXPECT_EQ(p->max_unmap_block_descriptor_count, 0xFFFFFFFFu);
  EXPECT_EQ(p->max_transfer_length, 0u);
}

TEST(VpdBlockLimitsTest, AllFields) {
  std::vector<std::uint8_t> page(64, 0);
  page[1] = 0xB0;
  page[3] = 0x3C;
  page[4] = 0x01;
  page[5] = 0x10;
  page[7] = 0x08;                       // optimal granularity 8
  page[10] = 0x10;                      // max transfer 0x1000
  page[14] = 0x02;                      // optimal transfer 0x200
  page[19] = 0x40;                      // prefetch
  page[23] = 0x20;                      // max unmap lba count
  page[27] = 0x01;                      // max unmap descriptors
  page[31] = 0x08;                      // unmap granularity
  page[32] = 0x80;
  page[35] = 0x03;                      // UGAVALID, alignment 3
  page[43] = 0x55;                      // max write same
  absl::StatusOr<BlockLimitsPage> p = ParseVpdBlockLimits(page);
  ASSERT_TRUE(p.ok());
  EXPECT_TRUE(p->wsnz);
  EXPECT_EQ(p->max_compare_and_write_length, 0x10);
  EXPECT_EQ(p->optimal_transfer_length_granularity, 8);
  EXPECT_EQ(p->max_transfer_length, 0x1000u);
  EXPECT_EQ(p->optimal_transfer_length, 0x200u);
  EXPECT_EQ(p->max_prefetch_length, 0x40u);
  EXPECT_EQ(p->max_unmap_lba_count, 0x20u);
  EXPECT_EQ(p->max_unmap_block_descriptor_count, 1u);
  EXPECT_EQ(p->optimal_unmap_granularity, 8u);
  EXPECT_TRUE(p->unmap_granularity_alignment_valid);
  EXPECT_EQ(p->unmap_granularity_alignment, 3u);
  EXPECT_EQ(p->max_write_same_length, 0x55u);
}

TEST(VpdBlockLimitsTest, OldShortPageReadsZeroForMissingFields) {
  const std::vector<std::uint8_t> page = {0x00, 0xB0, 0x00, 0x08, 0, 0, 0, 4, 0, 0, 0x01, 0x00};
  absl::StatusOr<BlockLimitsPage> p = ParseVpdBlockLimits(page);
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->optimal_transfer_length_granularity, 4);
  EXPECT_EQ(p->max_transfer_length, 0x100u);
  EXPECT_EQ(p->optimal_transfer_length, 0u);
  EXPECT_EQ(p->max_write_same_length, 0u);
}

TEST(VpdProvisioningTest, TgtThickAndThin) {
  absl::StatusOr<LogicalBlockProvisioningPage> thick =
      ParseVpdLogicalBlockProvisioning(FixtureBytes("tgt/lun1/vpdb2.hex"));
  ASSERT_TRUE(thick.ok()) << thick.status();
  EXPECT_FALSE(thick->lbpu);
  EXPECT_EQ(thick->provisioning_type, 0);
  absl::StatusOr<LogicalBlockProvisioningPage> thin =
      ParseVpdLogicalBlockProvisioning(FixtureBytes("tgt/lun2-readonly-thin/vpdb2.hex"));
  ASSERT_TRUE(thin.ok());
  EXPECT_TRUE(thin->lbpu);
  EXPECT_TRUE(thin->lbpws);
  EXPECT_TRUE(thin->lbpws10);
  EXPECT_EQ(thin->lbprz, 1);
  EXPECT_EQ(thin->provisioning_type, 2);  // thin
}

TEST(VpdProvisioningTest, TooShort) {
  const std::vector<std::uint8_t> page = {0x00, 0xB2, 0x00, 0x02, 0, 0};
  absl::StatusOr<LogicalBlockProvisioningPage> p = ParseVpdLogicalBlockProvisioning(page);
  EXPECT_EQ(GetErrorCode(p.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(p.status().message()), HasSubstr("VPD 0xb2: page length 2"));
}

}  // namespace
}  // namespace hwsnap::scsi
