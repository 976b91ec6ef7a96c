// FakeScsiDevice (tests/scsi/fake_scsi_device.h): answers like a LUN, cuts to
// the allocation length, injects failures as told. Other workers' tests rely
// on this behaviour.
#include "fake_scsi_device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/scsi/cdb.h"
#include "hwsnap/scsi/vpd.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi::testing {
namespace {

using ::testing::ElementsAre;

ScsiCommand DataIn(std::vector<std::uint8_t> cdb, std::uint32_t length) {
  ScsiCommand c;
  c.cdb = std::move(cdb);
  c.direction = DataDirection::kFromDevice;
  c.data_in_length = length;
  return c;
}

TEST(FakeScsiDeviceTest, ServesFixtureDirectory) {
  FakeScsiDevice dev("fake://tgt/1", BusType::kIscsi);
  ASSERT_TRUE(dev.LoadFixtureDirectory("tgt/lun1").ok());
  EXPECT_EQ(dev.Address(), "fake://tgt/1");
  EXPECT_EQ(dev.bus_type(), BusType::kIscsi);
  absl::StatusOr<ScsiResult> r = dev.Execute(DataIn(BuildInquiry(255), 255));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, kStatusGood);
  EXPECT_EQ(r->data_in.size(), 66u);
  r = dev.Execute(DataIn(BuildInquiry(36), 36));
  EXPECT_EQ(r->data_in.size(), 36u);  // cut to the allocation length
  r = dev.Execute(DataIn(BuildInquiryVpd(0x00, 255), 255));
  EXPECT_THAT(r->data_in, ElementsAre(0x00, 0x00, 0x00, 0x06, 0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2));
  r = dev.Execute(DataIn(BuildInquiryVpd(0x83, 8), 8));
  EXPECT_EQ(r->data_in.size(), 8u);
  r = dev.Execute(DataIn(BuildReadCapacity16(32), 32));
  EXPECT_EQ(r->data_in.size(), 32u);
  r = dev.Execute(DataIn(BuildReportLuns(4096), 4096));
  EXPECT_EQ(r->data_in.size(), 32u);
  ScsiCommand tur;
  tur.cdb = BuildTestUnitReady();
  r = dev.Execute(tur);
  EXPECT_EQ(r->status, kStatusGood);
  EXPECT_EQ(dev.CountCommands(kOpInquiry), 4);
  EXPECT_EQ(dev.commands().size(), 7u);
}

TEST(FakeScsiDeviceTest, MissingPagesAndCommandsAreIllegalRequests) {
  FakeScsiDevice dev;
  ASSERT_TRUE(dev.LoadFixtureDirectory("tgt/lun1").ok());
  absl::StatusOr<ScsiResult> r = dev.Execute(DataIn(BuildInquiryVpd(0x8F, 255), 255));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->status, kStatusCheckCondition);
  absl::StatusOr<SenseData> s = ParseSense(r->sense);
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->sense_key, SenseKey::kIllegalRequest);
  EXPECT_EQ(s->asc, 0x24);
  r = dev.Execute(DataIn(BuildExtendedCopyLid1(0), 0));
  EXPECT_FALSE(r.ok());  // data-in without a buffer is a malformed command
  ScsiCommand xcopy;
  xcopy.cdb = BuildExtendedCopyLid1(0);
  r = dev.Execute(xcopy);
  ASSERT_TRUE(r.ok());
  s = ParseSense(r->sense);
  EXPECT_EQ(s->asc, 0x20);
}

TEST(FakeScsiDeviceTest, InjectedFailures) {
  FakeScsiDevice dev;
  ASSERT_TRUE(dev.LoadFixtureDirectory("tgt/lun1").ok());
  dev.FailCommand(kOpInquiry, FixedSense(SenseKey::kNotReady, 0x04, 0x01), 1, 0x83);
  absl::StatusOr<ScsiResult> r = dev.Execute(DataIn(BuildInquiryVpd(0x80, 255), 255));
  EXPECT_EQ(r->status, kStatusGood);  // another page: unaffected
  r = dev.Execute(DataIn(BuildInquiryVpd(0x83, 255), 255));
  EXPECT_EQ(r->status, kStatusCheckCondition);
  r = dev.Execute(DataIn(BuildInquiryVpd(0x83, 255), 255));
  EXPECT_EQ(r->status, kStatusGood);  // only once

  dev.FailCommandWithStatus(kOpServiceActionIn16, kStatusBusy, 2);
  EXPECT_EQ(dev.Execute(DataIn(BuildReadCapacity16(32), 32))->status, kStatusBusy);
  EXPECT_EQ(dev.Execute(DataIn(BuildReadCapacity16(32), 32))->status, kStatusBusy);
  EXPECT_EQ(dev.Execute(DataIn(BuildReadCapacity16(32), 32))->status, kStatusGood);

  dev.FailCommandWithTransportError(kOpReportLuns, DeadlineExceededError("timed out"));
  EXPECT_EQ(GetErrorCode(dev.Execute(DataIn(BuildReportLuns(64), 64)).status()), ErrorCode::kDeadlineExceeded);
}

TEST(FakeScsiDeviceTest, UnitAttentionOnceSparingInquiry) {
  FakeScsiDevice dev;
  ASSERT_TRUE(dev.LoadFixtureDirectory("tgt/lun1").ok());
  dev.RaiseUnitAttention();
  EXPECT_EQ(dev.Execute(DataIn(BuildInquiry(96), 96))->status, kStatusGood);
  absl::StatusOr<ScsiResult> r = dev.Execute(DataIn(BuildReadCapacity16(32), 32));
  EXPECT_EQ(r->status, kStatusCheckCondition);
  EXPECT_EQ(ParseSense(r->sense)->sense_key, SenseKey::kUnitAttention);
  EXPECT_EQ(dev.Execute(DataIn(BuildReadCapacity16(32), 32))->status, kStatusGood);
}

TEST(FakeScsiDeviceTest, ExplicitPagesAndNoInquiry) {
  FakeScsiDevice dev;
  absl::StatusOr<ScsiResult> r = dev.Execute(DataIn(BuildInquiry(96), 96));
  EXPECT_EQ(ParseSense(r->sense)->asc, 0x25);
  dev.SetVpdPage(0x80, {0x00, 0x80, 0x00, 0x02, 'a', 'b'});
  dev.SetVpdPage(0x00, {0x00, 0x00, 0x00, 0x01, 0x00});  // explicit 0x00 wins
  r = dev.Execute(DataIn(BuildInquiryVpd(0x00, 255), 255));
  EXPECT_EQ(r->data_in.size(), 5u);
  dev.RemoveVpdPage(0x80);
  EXPECT_EQ(dev.Execute(DataIn(BuildInquiryVpd(0x80, 255), 255))->status, kStatusCheckCondition);
  EXPECT_FALSE(dev.LoadFixtureDirectory("no/such/dir").ok());
}

TEST(SenseBuildersTest, FixedAndDescriptor) {
  EXPECT_THAT(FixedSense(SenseKey::kDataProtect, 0x27, 0x07),
              ElementsAre(0x70, 0, 0x07, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x27, 0x07, 0, 0, 0, 0));
  EXPECT_THAT(DescriptorSense(SenseKey::kNotReady, 0x04, 0x02), ElementsAre(0x72, 0x02, 0x04, 0x02, 0, 0, 0, 0));
}

}  // namespace
}  // namespace hwsnap::scsi::testing
