// Tests of the SG_IO transport that need no SCSI device (this host has none;
// the test VM runs the real thing): the open path refuses what is not a SCSI
// device with errno's words, and DecodeSgIoOutcome maps every kind of SG_IO
// outcome — completed commands (sense included) to a ScsiResult, host and
// driver failures to a Status.
#include "hwsnap/scsi/sg_io_transport.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

TEST(SgIoTransportTest, MissingDeviceIsBackendFailureWithErrnoText) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenSgIoTransport("/dev/sg4095");
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("open /dev/sg4095"));
  EXPECT_THAT(t.status().message(), HasSubstr("No such file or directory"));
}

TEST(SgIoTransportTest, RegularFileIsRefusedAsNotAScsiDevice) {
  char path[] = "/tmp/hwsnap-sg-io-test-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenSgIoTransport(path);
  unlink(path);
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("is not a SCSI generic or SCSI disk device"));
  EXPECT_THAT(t.status().message(), HasSubstr("Inappropriate ioctl"));
}

TEST(SgIoTransportTest, CharacterDeviceThatIsNotScsiIsRefused) {
  absl::StatusOr<std::unique_ptr<ScsiTransport>> t = OpenSgIoTransport("/dev/null");
  EXPECT_EQ(GetErrorCode(t.status()), ErrorCode::kBackendFailure) << t.status();
  EXPECT_THAT(t.status().message(), HasSubstr("/dev/null is not a SCSI"));
}

TEST(DecodeSgIoOutcomeTest, GoodCommandKeepsOnlyTransferredBytes) {
  SgIoOutcome outcome;
  outcome.data_in = {1, 2, 3, 4, 5, 6, 7, 8};
  outcome.resid = 3;
  absl::StatusOr<ScsiResult> r = DecodeSgIoOutcome(outcome, "INQUIRY");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, kStatusGood);
  EXPECT_THAT(r->data_in, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(r->sense, IsEmpty());
}

TEST(DecodeSgIoOutcomeTest, ResidualOutOfRangeIsClamped) {
  SgIoOutcome negative;
  negative.data_in = {1, 2};
  negative.resid = -5;
  EXPECT_THAT(DecodeSgIoOutcome(negative, "x")->data_in, ElementsAre(1, 2));
  SgIoOutcome too_big;
  too_big.data_in = {1, 2};
  too_big.resid = 1000;
  EXPECT_THAT(DecodeSgIoOutcome(too_big, "x")->data_in, IsEmpty());
}

TEST(DecodeSgIoOutcomeTest, CheckConditionIsAResultWithSense) {
  SgIoOutcome outcome;
  outcome.status = kStatusCheckCondition;
  outcome.driver_status = 0x08;  // DRIVER_SENSE
  outcome.data_in = std::vector<std::uint8_t>(64, 0);
  outcome.resid = 64;
  // Fixed format, ILLEGAL REQUEST, INVALID COMMAND OPERATION CODE.
  outcome.sense = {0x70, 0, 0x05, 0, 0, 0, 0, 0x0a, 0, 0, 0, 0, 0x20, 0x00, 0, 0, 0, 0};
  absl::StatusOr<ScsiResult> r = DecodeSgIoOutcome(outcome, "EXTENDED COPY");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->status, kStatusCheckCondition);
  EXPECT_THAT(r->data_in, IsEmpty());
  ASSERT_EQ(r->sense.size(), 18u);
  EXPECT_EQ(r->sense[2], 0x05);
  EXPECT_EQ(r->sense[12], 0x20);
}

TEST(DecodeSgIoOutcomeTest, BusyAndReservationConflictAreResults) {
  for (std::uint8_t status : {kStatusBusy, kStatusReservationConflict, kStatusTaskSetFull}) {
    SgIoOutcome outcome;
    outcome.status = status;
    absl::StatusOr<ScsiResult> r = DecodeSgIoOutcome(outcome, "x");
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(r->status, status);
  }
}

TEST(DecodeSgIoOutcomeTest, TimeoutsAreDeadlineExceeded) {
  SgIoOutcome host_timeout;
  host_timeout.host_status = 0x03;  // DID_TIME_OUT
  EXPECT_EQ(GetErrorCode(DecodeSgIoOutcome(host_timeout, "READ").status()),
            ErrorCode::kDeadlineExceeded);
  SgIoOutcome driver_timeout;
  driver_timeout.driver_status = 0x06;  // DRIVER_TIMEOUT
  absl::Status s = DecodeSgIoOutcome(driver_timeout, "READ").status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kDeadlineExceeded);
  EXPECT_THAT(s.message(), HasSubstr("READ"));
}

TEST(DecodeSgIoOutcomeTest, HostAndDriverErrorsAreBackendFailuresNamingTheCode) {
  SgIoOutcome no_connect;
  no_connect.host_status = 0x01;
  absl::Status s = DecodeSgIoOutcome(no_connect, "INQUIRY to /dev/sg1").status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("DID_NO_CONNECT"));
  EXPECT_THAT(s.message(), HasSubstr("INQUIRY to /dev/sg1"));

  SgIoOutcome unknown_host;
  unknown_host.host_status = 0x77;
  EXPECT_EQ(GetErrorCode(DecodeSgIoOutcome(unknown_host, "x").status()), ErrorCode::kBackendFailure);

  SgIoOutcome driver_error;
  driver_error.driver_status = 0x04;  // DRIVER_ERROR
  s = DecodeSgIoOutcome(driver_error, "x").status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("driver status 0x04"));
}

TEST(DecodeSgIoOutcomeTest, IoctlErrnoIsBackendFailureWithErrnoText) {
  SgIoOutcome outcome;
  outcome.ioctl_errno = EINVAL;
  absl::Status s = DecodeSgIoOutcome(outcome, "INQUIRY").status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("ioctl(SG_IO)"));
  EXPECT_THAT(s.message(), HasSubstr("Invalid argument"));
}

}  // namespace
}  // namespace hwsnap::scsi
