// The SCSI -> hwsnap taxonomy mapping (SenseToStatus, CheckScsiResult) and
// the asc text table: every row of the table in hwsnap/scsi/sense.h.
#include <cstdio>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fake_scsi_device.h"
#include "fixture_loader.h"
#include "hwsnap/scsi/asc_text.h"
#include "hwsnap/scsi/sense.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::HasSubstr;
using testing::DescriptorSense;
using testing::FixedSense;

absl::Status Check(SenseKey key, std::uint8_t asc, std::uint8_t ascq) {
  ScsiResult r;
  r.status = kStatusCheckCondition;
  r.sense = FixedSense(key, asc, ascq);
  return CheckScsiResult(r, "WRITE(16)");
}

struct Row {
  SenseKey key;
  std::uint8_t asc, ascq;
  ErrorCode expected;
  const char* text;
};

TEST(SenseStatusTest, MappingTable) {
  const Row rows[] = {
      {SenseKey::kNoSense, 0x00, 0x00, ErrorCode::kOk, ""},
      {SenseKey::kRecoveredError, 0x17, 0x01, ErrorCode::kOk, ""},
      {SenseKey::kCompleted, 0x00, 0x00, ErrorCode::kOk, ""},
      {SenseKey::kNotReady, 0x04, 0x01, ErrorCode::kBackendFailure, "LUN not ready: "},
      {SenseKey::kNotReady, 0x04, 0x0B, ErrorCode::kBackendFailure, "target port in standby state"},
      {SenseKey::kNotReady, 0x3A, 0x00, ErrorCode::kBackendFailure, "medium not present"},
      {SenseKey::kNotReady, 0x04, 0x14, ErrorCode::kBackendFailure, "space allocation in progress"},
      {SenseKey::kIllegalRequest, 0x20, 0x00, ErrorCode::kNotSupported, "invalid command operation code"},
      {SenseKey::kIllegalRequest, 0x24, 0x00, ErrorCode::kNotSupported, "invalid field in cdb"},
      {SenseKey::kIllegalRequest, 0x26, 0x00, ErrorCode::kNotSupported, "invalid field in parameter list"},
      {SenseKey::kIllegalRequest, 0x26, 0x08, ErrorCode::kNotSupported, "too many segment descriptors"},
      {SenseKey::kIllegalRequest, 0x25, 0x00, ErrorCode::kObjectNotFound, "logical unit not supported"},
      {SenseKey::kIllegalRequest, 0x55, 0x03, ErrorCode::kInsufficientStorage, "insufficient resources"},
      {SenseKey::kIllegalRequest, 0x55, 0x0C, ErrorCode::kInsufficientStorage, "create rod"},
      {SenseKey::kDataProtect, 0x27, 0x07, ErrorCode::kInsufficientStorage, "space allocation failed write protect"},
      {SenseKey::kDataProtect, 0x27, 0x00, ErrorCode::kBackendFailure, "write protected"},
      {SenseKey::kCopyAborted, 0x0D, 0x02, ErrorCode::kBackendFailure, "copy target device not reachable"},
      {SenseKey::kCopyAborted, 0x55, 0x03, ErrorCode::kInsufficientStorage, "insufficient resources"},
      {SenseKey::kUnitAttention, 0x29, 0x00, ErrorCode::kBackendFailure, "power on, reset"},
      {SenseKey::kUnitAttention, 0x38, 0x07, ErrorCode::kBackendFailure, "thin provisioning soft threshold"},
      {SenseKey::kAbortedCommand, 0x47, 0x00, ErrorCode::kBackendFailure, "retry"},
      {SenseKey::kMediumError, 0x11, 0x00, ErrorCode::kBackendFailure, "unrecovered read error"},
      {SenseKey::kHardwareError, 0x44, 0x00, ErrorCode::kBackendFailure, "internal target failure"},
      {SenseKey::kMiscompare, 0x1D, 0x00, ErrorCode::kBackendFailure, "miscompare"},
      {SenseKey::kVolumeOverflow, 0x00, 0x00, ErrorCode::kBackendFailure, "VOLUME OVERFLOW"},
  };
  for (const Row& row : rows) {
    absl::Status s = Check(row.key, row.asc, row.ascq);
    EXPECT_EQ(GetErrorCode(s), row.expected) << SenseKeyName(row.key) << " " << s;
    if (row.expected == ErrorCode::kOk) continue;
    EXPECT_TRUE(HasErrorCode(s)) << s;
    const std::string m(s.message());
    EXPECT_THAT(m, HasSubstr(row.text));
    EXPECT_THAT(m, HasSubstr("WRITE(16): "));
    EXPECT_THAT(m, HasSubstr(std::string(SenseKeyName(row.key))));
    char hex[32];
    std::snprintf(hex, sizeof hex, "asc/ascq 0x%02x/0x%02x", row.asc, row.ascq);
    EXPECT_THAT(m, HasSubstr(hex));
  }
}

TEST(SenseStatusTest, FullMessage) {
  absl::Status s = Check(SenseKey::kIllegalRequest, 0x24, 0x00);
  EXPECT_EQ(s.message(), "rejected by the LUN: WRITE(16): ILLEGAL REQUEST (sense key 0x5), asc/ascq 0x24/0x00 "
                         "invalid field in cdb");
}

TEST(SenseStatusTest, DescriptorSenseAndDeferred) {
  ScsiResult r;
  r.status = kStatusCheckCondition;
  r.sense = DescriptorSense(SenseKey::kDataProtect, 0x27, 0x07);
  EXPECT_EQ(GetErrorCode(CheckScsiResult(r, "WRITE(16)")), ErrorCode::kInsufficientStorage);
  r.sense[0] = 0x73;
  absl::Status s = CheckScsiResult(r, "WRITE(16)");
  EXPECT_THAT(std::string(s.message()), HasSubstr("deferred error"));
}

TEST(SenseStatusTest, FieldPointerInMessage) {
  ScsiResult r;
  r.status = kStatusCheckCondition;
  r.sense = FixedSense(SenseKey::kIllegalRequest, 0x24, 0x00);
  r.sense[15] = 0xC0;
  r.sense[17] = 0x02;
  EXPECT_THAT(std::string(CheckScsiResult(r, "INQUIRY").message()), HasSubstr("at CDB byte 2"));
}

TEST(SenseStatusTest, StatusBytes) {
  ScsiResult r;
  EXPECT_TRUE(CheckScsiResult(r, "TEST UNIT READY").ok());
  r.status = kStatusConditionMet;
  EXPECT_TRUE(CheckScsiResult(r, "PRE-FETCH").ok());
  const std::pair<std::uint8_t, const char*> failures[] = {
      {kStatusBusy, "busy, retry"},
      {kStatusTaskSetFull, "queue is full, retry"},
      {kStatusReservationConflict, "RESERVATION CONFLICT"},
      {kStatusAcaActive, "ACA ACTIVE"},
      {kStatusTaskAborted, "TASK ABORTED"},
      {0x22, "status 0x22"},
  };
  for (const auto& [status, text] : failures) {
    r.status = status;
    absl::Status s = CheckScsiResult(r, "READ(16)");
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure) << text;
    EXPECT_THAT(std::string(s.message()), HasSubstr(text));
    EXPECT_THAT(std::string(s.message()), HasSubstr("READ(16)"));
  }
}

TEST(SenseStatusTest, CheckConditionWithoutOrWithBadSense) {
  ScsiResult r;
  r.status = kStatusCheckCondition;
  EXPECT_EQ(GetErrorCode(CheckScsiResult(r, "INQUIRY")), ErrorCode::kBackendFailure);
  r.sense = {0x7F, 0x00};
  absl::Status s = CheckScsiResult(r, "INQUIRY");
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(std::string(s.message()), HasSubstr("undecodable sense"));
}

TEST(SenseStatusTest, TgtCapturedSense) {
  struct Case {
    const char* path;
    ErrorCode expected;
  };
  const Case cases[] = {
      {"tgt/lun2-readonly-thin/sense_write_readonly.hex", ErrorCode::kBackendFailure},
      {"tgt/lun1/sense_invalid_opcode.hex", ErrorCode::kNotSupported},
      {"tgt/lun1/sense_extended_copy.hex", ErrorCode::kNotSupported},
      {"tgt/lun1/sense_inquiry_unsupported_vpd.hex", ErrorCode::kNotSupported},
  };
  for (const Case& c : cases) {
    absl::StatusOr<testing::Fixture> f = testing::LoadFixture(c.path);
    ASSERT_TRUE(f.ok()) << f.status();
    ScsiResult r;
    r.status = kStatusCheckCondition;
    r.sense = f->bytes;
    EXPECT_EQ(GetErrorCode(CheckScsiResult(r, "cmd")), c.expected) << c.path;
  }
}

TEST(AscTextTest, KnownVendorAndUnknown) {
  EXPECT_EQ(AscText(0x04, 0x01), "logical unit is in process of becoming ready");
  EXPECT_EQ(AscText(0x80, 0x12), "vendor specific asc 0x80/0x12");
  EXPECT_EQ(AscText(0x04, 0x81), "logical unit not ready, cause not reportable (vendor specific qualifier 0x81)");
  EXPECT_EQ(AscText(0x7A, 0x01), "asc 0x7a/0x01 (not in hwsnap's table)");
}

TEST(AscTextTest, CapacityClassification) {
  EXPECT_TRUE(IsCapacityExhausted(0x27, 0x07));
  EXPECT_TRUE(IsCapacityExhausted(0x55, 0x03));
  EXPECT_TRUE(IsCapacityExhausted(0x55, 0x06));
  EXPECT_TRUE(IsCapacityExhausted(0x55, 0x0D));
  EXPECT_FALSE(IsCapacityExhausted(0x27, 0x00));
  EXPECT_FALSE(IsCapacityExhausted(0x55, 0x04));  // registration resources: not capacity
  EXPECT_FALSE(IsCapacityExhausted(0x38, 0x07));  // soft threshold: a warning
}

}  // namespace
}  // namespace hwsnap::scsi
