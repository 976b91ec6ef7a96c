// Tests of ValidateNvmeCommand (hwsnap/nvme/nvme_transport.h): the shape
// checks every transport makes before a command leaves the host.
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/nvme/nvme_transport.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;

const NvmeTransportLimits kLimits{"test transport", 8192};

NvmeCommand IdentifyController() {
  NvmeCommand command;
  command.opcode = 0x06;
  command.cdw10 = 0x01;
  command.direction = NvmeDataDirection::kFromDevice;
  command.data_in_length = 4096;
  return command;
}

NvmeCommand Write(std::uint32_t nsid, std::size_t bytes) {
  NvmeCommand command;
  command.queue = NvmeQueue::kIo;
  command.opcode = 0x01;
  command.nsid = nsid;
  command.direction = NvmeDataDirection::kToDevice;
  command.data_out.assign(bytes, 0x5a);
  return command;
}

TEST(ValidateNvmeCommandTest, AcceptsWellFormedCommands) {
  EXPECT_TRUE(ValidateNvmeCommand(IdentifyController(), kLimits).ok());
  EXPECT_TRUE(ValidateNvmeCommand(Write(1, 8192), kLimits).ok());
  NvmeCommand no_data;
  no_data.opcode = 0x15;
  no_data.nsid = 3;
  EXPECT_TRUE(ValidateNvmeCommand(no_data, kLimits).ok());
}

TEST(ValidateNvmeCommandTest, RefusesNonPositiveTimeout) {
  NvmeCommand command = IdentifyController();
  command.timeout = absl::ZeroDuration();
  absl::Status s = ValidateNvmeCommand(command, kLimits);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("timeout"));
  command.timeout = -absl::Seconds(1);
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(command, kLimits)), ErrorCode::kInvalidArgument);
}

TEST(ValidateNvmeCommandTest, IoCommandNeedsNamespace) {
  absl::Status s = ValidateNvmeCommand(Write(0, 512), kLimits);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("NSID 0"));
  // Admin commands may name no namespace.
  NvmeCommand admin = IdentifyController();
  admin.nsid = 0;
  EXPECT_TRUE(ValidateNvmeCommand(admin, kLimits).ok());
}

TEST(ValidateNvmeCommandTest, DataPhaseMustMatchDirection) {
  NvmeCommand none;
  none.data_in_length = 16;
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(none, kLimits)), ErrorCode::kInvalidArgument);
  none.data_in_length = 0;
  none.data_out = {1};
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(none, kLimits)), ErrorCode::kInvalidArgument);

  NvmeCommand in = IdentifyController();
  in.data_in_length = 0;
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(in, kLimits)), ErrorCode::kInvalidArgument);
  in.data_in_length = 4096;
  in.data_out = {1};
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(in, kLimits)), ErrorCode::kInvalidArgument);

  NvmeCommand out = Write(1, 0);
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(out, kLimits)), ErrorCode::kInvalidArgument);
  out = Write(1, 512);
  out.data_in_length = 512;
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(out, kLimits)), ErrorCode::kInvalidArgument);
}

TEST(ValidateNvmeCommandTest, TransferLimitNamesTheTransport) {
  absl::Status s = ValidateNvmeCommand(Write(1, 8193), kLimits);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("test transport"));
  EXPECT_THAT(s.message(), HasSubstr("8192"));
  NvmeCommand in = IdentifyController();
  in.data_in_length = 8193;
  EXPECT_EQ(GetErrorCode(ValidateNvmeCommand(in, kLimits)), ErrorCode::kInvalidArgument);
  // The default limit is 1 MiB.
  EXPECT_TRUE(ValidateNvmeCommand(Write(1, 1u << 20), NvmeTransportLimits{}).ok());
  EXPECT_FALSE(ValidateNvmeCommand(Write(1, (1u << 20) + 1), NvmeTransportLimits{}).ok());
}

}  // namespace
}  // namespace hwsnap::nvme
