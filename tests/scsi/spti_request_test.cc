// Tests of the Windows SCSI pass-through request rules (src/spti_request.h):
// planning (direction, lengths, whole-second timeouts, refusals) and decoding
// (residual, sense bounds) run everywhere; the SCSI_PASS_THROUGH_DIRECT
// layout checks run in the Windows build (under Wine).
#include "src/spti_request.h"

#include <cstddef>
#include <cstring>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ScsiCommand Inquiry(std::uint32_t length) {
  ScsiCommand command;
  command.cdb = {0x12, 0x01, 0x83, 0x00, static_cast<std::uint8_t>(length), 0x00};
  command.direction = DataDirection::kFromDevice;
  command.data_in_length = length;
  return command;
}

TEST(PlanSptiRequestTest, DataInCommand) {
  ScsiCommand command = Inquiry(252);
  command.timeout = absl::Milliseconds(2500);
  absl::StatusOr<SptiRequest> r = PlanSptiRequest(command);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->cdb_length, 6);
  EXPECT_EQ(r->cdb[0], 0x12);
  EXPECT_EQ(r->cdb[2], 0x83);
  EXPECT_EQ(r->cdb[6], 0x00);
  EXPECT_EQ(r->data_in, kSptiDataIn);
  EXPECT_EQ(r->data_transfer_length, 252u);
  EXPECT_EQ(r->timeout_seconds, 3u);  // rounded up
  EXPECT_EQ(r->sense_info_length, kSptiSenseLength);
}

TEST(PlanSptiRequestTest, DataOutAndNoDataCommands) {
  ScsiCommand write;
  write.cdb = std::vector<std::uint8_t>(16, 0);
  write.cdb[0] = 0x8a;
  write.direction = DataDirection::kToDevice;
  write.data_out = std::vector<std::uint8_t>(512, 0xab);
  absl::StatusOr<SptiRequest> w = PlanSptiRequest(write);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(w->data_in, kSptiDataOut);
  EXPECT_EQ(w->data_transfer_length, 512u);
  EXPECT_EQ(w->cdb_length, 16);

  ScsiCommand tur;
  tur.cdb = {0, 0, 0, 0, 0, 0};
  absl::StatusOr<SptiRequest> t = PlanSptiRequest(tur);
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->data_in, kSptiDataUnspecified);
  EXPECT_EQ(t->data_transfer_length, 0u);
  EXPECT_EQ(t->timeout_seconds, 30u);  // ScsiCommand's default
}

TEST(PlanSptiRequestTest, TimeoutIsClampedToWindowsRange) {
  ScsiCommand command = Inquiry(36);
  command.timeout = absl::Milliseconds(1);
  EXPECT_EQ(PlanSptiRequest(command)->timeout_seconds, 1u);
  command.timeout = absl::Hours(100);
  EXPECT_EQ(PlanSptiRequest(command)->timeout_seconds, kSptiMaxTimeoutSeconds);
  command.timeout = absl::InfiniteDuration();
  EXPECT_EQ(PlanSptiRequest(command)->timeout_seconds, kSptiMaxTimeoutSeconds);
}

TEST(PlanSptiRequestTest, RefusesMalformedCommands) {
  ScsiCommand empty;
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(empty).status()), ErrorCode::kInvalidArgument);

  ScsiCommand long_cdb = Inquiry(36);
  long_cdb.cdb.resize(32);
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(long_cdb).status()), ErrorCode::kInvalidArgument);

  ScsiCommand no_length = Inquiry(36);
  no_length.data_in_length = 0;
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(no_length).status()), ErrorCode::kInvalidArgument);

  ScsiCommand no_data;
  no_data.cdb = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  no_data.direction = DataDirection::kToDevice;
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(no_data).status()), ErrorCode::kInvalidArgument);

  ScsiCommand stray_length;
  stray_length.cdb = {0, 0, 0, 0, 0, 0};
  stray_length.data_in_length = 8;
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(stray_length).status()), ErrorCode::kInvalidArgument);

  ScsiCommand zero_timeout = Inquiry(36);
  zero_timeout.timeout = absl::ZeroDuration();
  EXPECT_EQ(GetErrorCode(PlanSptiRequest(zero_timeout).status()), ErrorCode::kInvalidArgument);
}

TEST(DecodeSptiCompletionTest, DataInIsCutToTransferredBytes) {
  SptiRequest request = *PlanSptiRequest(Inquiry(8));
  const std::vector<std::uint8_t> data = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<std::uint8_t> sense(kSptiSenseLength, 0);
  SptiCompletion completion;
  completion.data_transfer_length = 5;  // Windows writes back the bytes moved
  ScsiResult r = DecodeSptiCompletion(request, completion, data, sense);
  EXPECT_EQ(r.status, kStatusGood);
  EXPECT_THAT(r.data_in, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(r.sense, IsEmpty());
}

TEST(DecodeSptiCompletionTest, NeverReadsBeyondBuffers) {
  SptiRequest request = *PlanSptiRequest(Inquiry(4));
  const std::vector<std::uint8_t> data = {9, 8, 7, 6};
  const std::vector<std::uint8_t> sense = {0x70, 0, 0x05};
  SptiCompletion completion;
  completion.scsi_status = kStatusCheckCondition;
  completion.data_transfer_length = 0xffffffffu;
  completion.sense_info_length = 0xff;
  ScsiResult r = DecodeSptiCompletion(request, completion, data, sense);
  EXPECT_EQ(r.status, kStatusCheckCondition);
  EXPECT_THAT(r.data_in, ElementsAre(9, 8, 7, 6));
  EXPECT_THAT(r.sense, ElementsAre(0x70, 0, 0x05));
}

TEST(DecodeSptiCompletionTest, DataOutCommandReturnsNoData) {
  ScsiCommand write;
  write.cdb = {0x2a, 0, 0, 0, 0, 0, 0, 0, 1, 0};
  write.direction = DataDirection::kToDevice;
  write.data_out = {1, 2, 3};
  SptiRequest request = *PlanSptiRequest(write);
  const std::vector<std::uint8_t> data = {1, 2, 3};
  SptiCompletion completion;
  completion.data_transfer_length = 3;
  ScsiResult r = DecodeSptiCompletion(request, completion, data, {});
  EXPECT_THAT(r.data_in, IsEmpty());
}

#if defined(_WIN32)
TEST(SptiDirectBufferTest, ConstantsMatchWindowsHeaders) {
  EXPECT_EQ(kSptiDataOut, SCSI_IOCTL_DATA_OUT);
  EXPECT_EQ(kSptiDataIn, SCSI_IOCTL_DATA_IN);
  EXPECT_EQ(kSptiDataUnspecified, SCSI_IOCTL_DATA_UNSPECIFIED);
  EXPECT_EQ(sizeof(SCSI_PASS_THROUGH_DIRECT{}.Cdb), kSptiMaxCdbLength);
}

TEST(SptiDirectBufferTest, BuildFillsRequestAndPointsAtSense) {
  ScsiCommand command = Inquiry(96);
  command.timeout = absl::Seconds(7);
  SptiRequest request = *PlanSptiRequest(command);
  alignas(16) unsigned char data[96] = {};
  SptiDirectBuffer buffer;
  std::memset(&buffer, 0xcc, sizeof(buffer));
  BuildSptiDirect(request, data, &buffer);
  const SCSI_PASS_THROUGH_DIRECT& spt = buffer.request;
  EXPECT_EQ(spt.Length, sizeof(SCSI_PASS_THROUGH_DIRECT));
  EXPECT_EQ(spt.PathId, 0);
  EXPECT_EQ(spt.TargetId, 0);
  EXPECT_EQ(spt.Lun, 0);
  EXPECT_EQ(spt.CdbLength, 6);
  EXPECT_EQ(spt.Cdb[0], 0x12);
  EXPECT_EQ(spt.Cdb[6], 0);  // zeroed beyond the CDB
  EXPECT_EQ(spt.DataIn, SCSI_IOCTL_DATA_IN);
  EXPECT_EQ(spt.DataTransferLength, 96u);
  EXPECT_EQ(spt.DataBuffer, static_cast<void*>(data));
  EXPECT_EQ(spt.TimeOutValue, 7u);
  EXPECT_EQ(spt.SenseInfoLength, kSptiSenseLength);
  EXPECT_EQ(spt.SenseInfoOffset, offsetof(SptiDirectBuffer, sense));
  EXPECT_EQ(spt.SenseInfoOffset % sizeof(ULONG), 0u);
  EXPECT_GE(spt.SenseInfoOffset, sizeof(SCSI_PASS_THROUGH_DIRECT));
  EXPECT_EQ(buffer.sense[0], 0);
}

TEST(SptiDirectBufferTest, NoDataPhaseHasNoBuffer) {
  ScsiCommand tur;
  tur.cdb = {0, 0, 0, 0, 0, 0};
  SptiRequest request = *PlanSptiRequest(tur);
  unsigned char unused = 0;
  SptiDirectBuffer buffer;
  BuildSptiDirect(request, &unused, &buffer);
  EXPECT_EQ(buffer.request.DataBuffer, nullptr);
  EXPECT_EQ(buffer.request.DataIn, SCSI_IOCTL_DATA_UNSPECIFIED);
}

TEST(SptiDirectBufferTest, ReadCompletionTakesWhatWindowsWroteBack) {
  SptiDirectBuffer buffer;
  BuildSptiDirect(*PlanSptiRequest(Inquiry(64)), nullptr, &buffer);
  buffer.request.ScsiStatus = kStatusCheckCondition;
  buffer.request.SenseInfoLength = 18;
  buffer.request.DataTransferLength = 0;
  SptiCompletion completion = ReadSptiCompletion(buffer);
  EXPECT_EQ(completion.scsi_status, kStatusCheckCondition);
  EXPECT_EQ(completion.sense_info_length, 18);
  EXPECT_EQ(completion.data_transfer_length, 0u);
}
#endif

}  // namespace
}  // namespace hwsnap::scsi
