// ReadLunInfo (hwsnap/scsi/lun_reader.h) over FakeScsiDevice: the command
// sequence, re-reads at full length, fall-backs, and the classified errors.
#include "hwsnap/scsi/lun_reader.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_scsi_device.h"
#include "fixture_loader.h"
#include "hwsnap/scsi/cdb.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::FakeScsiDevice;
using testing::FixedSense;

class LunReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(dev_.LoadFixtureDirectory("tgt/lun1").ok()); }

  // The CDBs received, decoded to "INQUIRY EVPD page 0x83 alloc 252" style.
  std::vector<std::string> Sequence() const {
    std::vector<std::string> out;
    for (const ScsiCommand& c : dev_.commands()) {
      absl::StatusOr<CdbInfo> info = ParseCdb(c.cdb);
      out.push_back(info.ok() ? info->ToString() : "?");
    }
    return out;
  }

  FakeScsiDevice dev_{"iscsi://127.0.0.1:3260/iqn.2026-12.invalid.hwsnap:t/1", BusType::kIscsi};
};

TEST_F(LunReaderTest, TgtLun1) {
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_, absl::Seconds(3));
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->address, "iscsi://127.0.0.1:3260/iqn.2026-12.invalid.hwsnap:t/1");
  EXPECT_EQ(info->identity.bus_type, BusType::kIscsi);
  EXPECT_EQ(info->identity.vendor_id, "IET");
  EXPECT_EQ(info->identity.serial_number, "beaf11");
  EXPECT_EQ(info->identity.designators.size(), 3u);
  EXPECT_EQ(info->block_count, 32768u);
  EXPECT_EQ(info->block_length, 512u);
  EXPECT_EQ(info->capacity_bytes(), 16u << 20);
  EXPECT_FALSE(info->thin_provisioned);
  EXPECT_THAT(info->vpd_pages, ElementsAre(0x00, 0x80, 0x83, 0xB0, 0xB1, 0xB2));
  EXPECT_FALSE(info->extended_copy_lid1);
  EXPECT_THAT(Sequence(), ElementsAre("INQUIRY alloc 96", "INQUIRY EVPD page 0x00 alloc 252",
                                      "INQUIRY EVPD page 0x80 alloc 252", "INQUIRY EVPD page 0x83 alloc 252",
                                      "READ CAPACITY(16) length 32"));
  for (const ScsiCommand& c : dev_.commands()) EXPECT_EQ(c.timeout, absl::Seconds(3));
}

TEST_F(LunReaderTest, ThinLun) {
  FakeScsiDevice thin;
  ASSERT_TRUE(thin.LoadFixtureDirectory("tgt/lun2-readonly-thin").ok());
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(thin);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->thin_provisioned);
  EXPECT_EQ(info->identity.serial_number, "hwsnap-snap-0001");
}

TEST_F(LunReaderTest, RereadsLongInquiryAndPages) {
  std::vector<std::uint8_t> inquiry(200, ' ');
  inquiry[0] = 0;
  inquiry[2] = 6;
  inquiry[3] = 2;
  inquiry[4] = 195;
  dev_.SetStandardInquiry(inquiry);
  std::vector<std::uint8_t> serial = {0x00, 0x80, 0x01, 0x2C};  // 300-byte serial
  serial.resize(304, 'Z');
  dev_.SetVpdPage(0x80, serial);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->identity.serial_number, std::string(256, 'Z'));  // core limit
  EXPECT_THAT(Sequence(), ElementsAre("INQUIRY alloc 96", "INQUIRY alloc 200", "INQUIRY EVPD page 0x00 alloc 252",
                                      "INQUIRY EVPD page 0x80 alloc 252", "INQUIRY EVPD page 0x80 alloc 304",
                                      "INQUIRY EVPD page 0x83 alloc 252", "READ CAPACITY(16) length 32"));
}

TEST_F(LunReaderTest, ReadsThirdPartyCopyWhen3pcAndListed) {
  absl::StatusOr<testing::Fixture> inq = testing::LoadFixture("tgt/lun1/inquiry.hex");
  ASSERT_TRUE(inq.ok());
  inq->bytes[5] |= 0x08;  // 3PC
  dev_.SetStandardInquiry(inq->bytes);
  dev_.SetVpdPage(0x8F, {0x00, 0x8F, 0x00, 0x08, 0x00, 0x01, 0x00, 0x04, 0x03, 0x83, 0x01, 0x00});
  dev_.SetVpdPage(0x00, {0x00, 0x00, 0x00, 0x07, 0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2});
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->extended_copy_lid1);
  EXPECT_THAT(Sequence(), ::testing::Contains("INQUIRY EVPD page 0x8f alloc 252"));
}

TEST_F(LunReaderTest, Lid1WithoutPage8fByOperatingParameters) {
  // LIO: 3PC set, no VPD 0x8F, RECEIVE COPY RESULTS (OPERATING PARAMETERS) answers.
  absl::StatusOr<testing::Fixture> inq = testing::LoadFixture("tgt/lun1/inquiry.hex");
  ASSERT_TRUE(inq.ok());
  inq->bytes[5] |= 0x08;
  dev_.SetStandardInquiry(inq->bytes);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->extended_copy_lid1);  // ILLEGAL REQUEST: no copy manager
  EXPECT_EQ(dev_.CountCommands(kOpReceiveCopyResults), 1);
  dev_.SetReceiveCopyOperatingParameters(std::vector<std::uint8_t>(44, 0));
  info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->extended_copy_lid1);
  EXPECT_THAT(Sequence(), ::testing::Contains("RECEIVE COPY RESULTS length 512 sa 0x03"));
}

// The LID1 probe is optional: a probe that fails for any reason (here NOT
// READY on an otherwise healthy LUN) means "no offload", not an unreadable LUN.
TEST_F(LunReaderTest, Lid1ProbeFailureMeansNoOffloadNotAnUnreadableLun) {
  absl::StatusOr<testing::Fixture> inq = testing::LoadFixture("tgt/lun1/inquiry.hex");
  ASSERT_TRUE(inq.ok());
  inq->bytes[5] |= 0x08;
  dev_.SetStandardInquiry(inq->bytes);
  dev_.FailCommand(kOpReceiveCopyResults, FixedSense(SenseKey::kNotReady, 0x04, 0x01));
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_FALSE(info->extended_copy_lid1);
  EXPECT_EQ(dev_.CountCommands(kOpReceiveCopyResults), 1);
  EXPECT_TRUE(info->identity.HasUniqueDesignator());
}

TEST_F(LunReaderTest, SkipsThirdPartyCopyWithout3pc) {
  dev_.SetVpdPage(0x8F, {0x00, 0x8F, 0x00, 0x08, 0x00, 0x01, 0x00, 0x04, 0x03, 0x83, 0x01, 0x00});
  dev_.SetVpdPage(0x00, {0x00, 0x00, 0x00, 0x07, 0x00, 0x80, 0x83, 0x8F, 0xB0, 0xB1, 0xB2});
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->extended_copy_lid1);
  EXPECT_THAT(Sequence(), ::testing::Not(::testing::Contains("INQUIRY EVPD page 0x8f alloc 252")));
  EXPECT_EQ(dev_.CountCommands(kOpReceiveCopyResults), 0);
}

TEST_F(LunReaderTest, FallsBackToReadCapacity10) {
  dev_.FailCommand(kOpServiceActionIn16, FixedSense(SenseKey::kIllegalRequest, 0x20, 0x00));
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->block_count, 32768u);
  EXPECT_EQ(dev_.CountCommands(kOpReadCapacity10), 1);
}

TEST_F(LunReaderTest, ReadCapacity10TooSmallForTheLun) {
  dev_.FailCommand(kOpServiceActionIn16, FixedSense(SenseKey::kIllegalRequest, 0x20, 0x00));
  dev_.SetReadCapacity10({0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 2, 0});
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
}

TEST_F(LunReaderTest, AbsentLun) {
  absl::StatusOr<testing::Fixture> f = testing::LoadFixture("tgt/lun7-absent/inquiry_absent_lun.hex");
  ASSERT_TRUE(f.ok());
  dev_.SetStandardInquiry(f->bytes);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("no LUN at this address"));
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("iscsi://127.0.0.1:3260/"));
}

TEST_F(LunReaderTest, ControllerLunHasNoCapacity) {
  FakeScsiDevice controller;
  ASSERT_TRUE(controller.LoadFixtureDirectory("tgt/lun0-controller").ok());
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(controller);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->identity.device_type, 0x0C);
  EXPECT_EQ(info->block_count, 0u);
  EXPECT_EQ(controller.CountCommands(kOpServiceActionIn16), 0);
}

TEST_F(LunReaderTest, DeviceWithoutVpd) {
  dev_.FailCommand(kOpInquiry, FixedSense(SenseKey::kIllegalRequest, 0x24, 0x00), -1, 0x00);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->vpd_pages.empty());
  EXPECT_TRUE(info->identity.designators.empty());
  EXPECT_EQ(info->identity.serial_number, "");
}

TEST_F(LunReaderTest, RetriesUnitAttention) {
  dev_.RaiseUnitAttention();
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(dev_.CountCommands(kOpServiceActionIn16), 2);
}

TEST_F(LunReaderTest, PersistentUnitAttentionFails) {
  dev_.FailCommand(kOpServiceActionIn16, FixedSense(SenseKey::kUnitAttention, 0x2A, 0x09));
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("capacity data has changed"));
  EXPECT_EQ(dev_.CountCommands(kOpServiceActionIn16), 3);
}

TEST_F(LunReaderTest, ClassifiedFailures) {
  struct Case {
    std::uint8_t opcode;
    std::optional<std::uint8_t> page;
    std::vector<std::uint8_t> sense;
    ErrorCode expected;
    const char* text;
  };
  const Case cases[] = {
      {kOpInquiry, std::nullopt, FixedSense(SenseKey::kIllegalRequest, 0x25, 0x00), ErrorCode::kObjectNotFound,
       "logical unit not supported"},
      {kOpInquiry, std::uint8_t{0x83}, FixedSense(SenseKey::kNotReady, 0x04, 0x01), ErrorCode::kBackendFailure,
       "INQUIRY VPD 0x83: NOT READY"},
      {kOpServiceActionIn16, std::nullopt, FixedSense(SenseKey::kNotReady, 0x3A, 0x00), ErrorCode::kBackendFailure,
       "LUN not ready"},
  };
  for (const Case& c : cases) {
    FakeScsiDevice dev;
    ASSERT_TRUE(dev.LoadFixtureDirectory("tgt/lun1").ok());
    dev.FailCommand(c.opcode, c.sense, -1, c.page);
    absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev);
    EXPECT_EQ(GetErrorCode(info.status()), c.expected) << info.status();
    EXPECT_THAT(std::string(info.status().message()), HasSubstr(c.text));
  }
}

TEST_F(LunReaderTest, TransportErrorsPassThrough) {
  dev_.FailCommandWithTransportError(kOpInquiry, DeadlineExceededError("INQUIRY timed out after 10 s"));
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kDeadlineExceeded);
}

TEST_F(LunReaderTest, MalformedPageNamesPageAndField) {
  dev_.SetVpdPage(0x83, {0x00, 0x83, 0x00, 0x08, 0x01, 0x03, 0x00, 0x10, 0x60, 0x00, 0x00, 0x00});
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("VPD 0x83: designator 0 length 16 runs past page end"));
}

TEST_F(LunReaderTest, BusyIsABackendFailure) {
  dev_.FailCommandWithStatus(kOpInquiry, kStatusBusy);
  absl::StatusOr<ScsiLunInfo> info = ReadLunInfo(dev_);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(info.status().message()), HasSubstr("busy, retry"));
}

}  // namespace
}  // namespace hwsnap::scsi
