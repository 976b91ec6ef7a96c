// Tests of the Windows NVMe request layouts (src/storage_protocol_request.h):
// which route a command takes, the exact bytes of the IOCTL_STORAGE_QUERY_PROPERTY
// and IOCTL_STORAGE_PROTOCOL_COMMAND buffers (offsets, lengths, flags,
// timeouts, the 64-byte submission entry) and how completed buffers decode.
// Runs on Linux and, in the Windows build, under Wine (where the .cc also
// checks the constants against winioctl.h/nvme.h at compile time).
#include "src/storage_protocol_request.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "hwsnap/status.h"

namespace hwsnap::nvme {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using Field = StorageProtocolCommandField;
using Specific = ProtocolSpecificDataField;

NvmeCommand Identify(std::uint8_t cns, std::uint32_t nsid, std::uint32_t length = 4096) {
  NvmeCommand command;
  command.opcode = 0x06;
  command.nsid = nsid;
  command.cdw10 = cns;
  command.direction = NvmeDataDirection::kFromDevice;
  command.data_in_length = length;
  return command;
}

NvmeCommand Attach(std::uint32_t nsid) {
  NvmeCommand command;
  command.opcode = 0x15;
  command.nsid = nsid;
  command.cdw10 = 0;  // SEL 0h: attach
  command.direction = NvmeDataDirection::kToDevice;
  command.data_out = std::vector<std::uint8_t>(4096, 0);
  command.data_out[0] = 1;  // one controller
  command.data_out[2] = 0x41;
  command.timeout = absl::Milliseconds(2500);
  return command;
}

std::uint32_t At(const std::vector<std::uint8_t>& b, std::size_t offset) { return LoadLe32(b, offset); }

TEST(StorageProtocolLayoutTest, DocumentedConstants) {
  EXPECT_EQ(kStorageProtocolCommandHeaderBytes, 80u);
  EXPECT_EQ(kStorageProtocolCommandSize, 84u);
  EXPECT_EQ(kStorageProtocolNvmeCommandOffset, 80u);
  EXPECT_EQ(kStorageProtocolErrorInfoOffset, 144u);
  EXPECT_EQ(kStorageProtocolDataOffset, 208u);
  EXPECT_EQ(Field::kFixedProtocolReturnData, 64u);
  EXPECT_EQ(kStorageProtocolFlagAdapterRequest, 0x80000000u);
}

TEST(ChooseStorageProtocolRouteTest, OnlyPlainIdentifyControllerOrNamespaceIsAQuery) {
  EXPECT_EQ(ChooseStorageProtocolRoute(Identify(0x01, 0)), StorageProtocolRoute::kIdentifyQuery);
  EXPECT_EQ(ChooseStorageProtocolRoute(Identify(0x00, 3)), StorageProtocolRoute::kIdentifyQuery);
  EXPECT_EQ(ChooseStorageProtocolRoute(Identify(0x00, 3, 512)), StorageProtocolRoute::kIdentifyQuery);
  // CNS values the query does not document, a CNTID, a CSI: protocol command.
  for (std::uint8_t cns : {0x02, 0x03, 0x10, 0x11, 0x12, 0x13}) {
    EXPECT_EQ(ChooseStorageProtocolRoute(Identify(cns, 0)), StorageProtocolRoute::kProtocolCommand)
        << int{cns};
  }
  NvmeCommand with_cntid = Identify(0x01, 0);
  with_cntid.cdw10 |= 5u << 16;
  EXPECT_EQ(ChooseStorageProtocolRoute(with_cntid), StorageProtocolRoute::kProtocolCommand);
  NvmeCommand with_csi = Identify(0x00, 1);
  with_csi.cdw11 = 2u << 24;
  EXPECT_EQ(ChooseStorageProtocolRoute(with_csi), StorageProtocolRoute::kProtocolCommand);
  EXPECT_EQ(ChooseStorageProtocolRoute(Identify(0x01, 0, 8192)), StorageProtocolRoute::kProtocolCommand);
  EXPECT_EQ(ChooseStorageProtocolRoute(Attach(2)), StorageProtocolRoute::kProtocolCommand);
}

TEST(BuildIdentifyQueryTest, ControllerIsAnAdapterProperty) {
  absl::StatusOr<std::vector<std::uint8_t>> b = BuildIdentifyQuery(Identify(0x01, 0));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 8u + 40u + 4096u);
  EXPECT_EQ(At(*b, 0), kStorageAdapterProtocolSpecificProperty);
  EXPECT_EQ(At(*b, 4), kPropertyStandardQuery);
  EXPECT_EQ(At(*b, 8 + Specific::kProtocolType), kProtocolTypeNvme);
  EXPECT_EQ(At(*b, 8 + Specific::kDataType), kNvmeDataTypeIdentify);
  EXPECT_EQ(At(*b, 8 + Specific::kRequestValue), 1u);
  EXPECT_EQ(At(*b, 8 + Specific::kRequestSubValue), 0u);
  EXPECT_EQ(At(*b, 8 + Specific::kProtocolDataOffset), 40u);
  EXPECT_EQ(At(*b, 8 + Specific::kProtocolDataLength), 4096u);
  EXPECT_EQ(At(*b, 8 + Specific::kFixedProtocolReturnData), 0u);
}

TEST(BuildIdentifyQueryTest, NamespaceIsADevicePropertyWithTheNsid) {
  absl::StatusOr<std::vector<std::uint8_t>> b = BuildIdentifyQuery(Identify(0x00, 7, 512));
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(At(*b, 0), kStorageDeviceProtocolSpecificProperty);
  EXPECT_EQ(At(*b, 8 + Specific::kRequestValue), 0u);
  EXPECT_EQ(At(*b, 8 + Specific::kRequestSubValue), 7u);
  EXPECT_EQ(At(*b, 8 + Specific::kProtocolDataLength), 4096u);  // always a whole page
}

TEST(BuildIdentifyQueryTest, RefusesOtherCommands) {
  EXPECT_EQ(GetErrorCode(BuildIdentifyQuery(Identify(0x02, 0)).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(BuildIdentifyQuery(Attach(1)).status()), ErrorCode::kInvalidArgument);
  NvmeCommand no_length = Identify(0x01, 0);
  no_length.data_in_length = 0;
  EXPECT_EQ(GetErrorCode(BuildIdentifyQuery(no_length).status()), ErrorCode::kInvalidArgument);
}

// The buffer StorNVMe leaves: a STORAGE_PROTOCOL_DATA_DESCRIPTOR, then data.
std::vector<std::uint8_t> IdentifyReply(std::uint32_t data_offset = 40, std::uint32_t data_length = 4096) {
  std::vector<std::uint8_t> b(8 + 40 + 4096, 0);
  StoreLe32(&b, 0, 48);
  StoreLe32(&b, 4, 48);
  StoreLe32(&b, 8 + Specific::kProtocolType, kProtocolTypeNvme);
  StoreLe32(&b, 8 + Specific::kDataType, kNvmeDataTypeIdentify);
  StoreLe32(&b, 8 + Specific::kProtocolDataOffset, data_offset);
  StoreLe32(&b, 8 + Specific::kProtocolDataLength, data_length);
  StoreLe32(&b, 8 + Specific::kFixedProtocolReturnData, 0x11);
  for (std::size_t i = 0; i < 4096 && 48 + i < b.size(); ++i) b[48 + i] = static_cast<std::uint8_t>(i);
  return b;
}

TEST(DecodeIdentifyQueryTest, ReturnsTheDataAskedFor) {
  const std::vector<std::uint8_t> reply = IdentifyReply();
  absl::StatusOr<NvmeCompletion> c =
      DecodeIdentifyQuery(Identify(0x01, 0), reply, static_cast<std::uint32_t>(reply.size()));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->status.ok());
  EXPECT_EQ(c->result, 0x11u);
  ASSERT_EQ(c->data_in.size(), 4096u);
  EXPECT_EQ(c->data_in[0], 0);
  EXPECT_EQ(c->data_in[255], 255);
  EXPECT_EQ(c->data_in[256], 0);

  c = DecodeIdentifyQuery(Identify(0x00, 1, 16), reply, static_cast<std::uint32_t>(reply.size()));
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->data_in.size(), 16u);
}

TEST(DecodeIdentifyQueryTest, RefusesMalformedReplies) {
  std::vector<std::uint8_t> reply = IdentifyReply();
  EXPECT_EQ(GetErrorCode(DecodeIdentifyQuery(Identify(0x01, 0), reply, 20).status()),
            ErrorCode::kBackendFailure);
  std::vector<std::uint8_t> wrong_version = reply;
  StoreLe32(&wrong_version, 0, 1);
  EXPECT_EQ(GetErrorCode(DecodeIdentifyQuery(Identify(0x01, 0), wrong_version, 4144).status()),
            ErrorCode::kBackendFailure);
  // Data claimed beyond the bytes returned.
  absl::Status s = DecodeIdentifyQuery(Identify(0x01, 0), reply, 1000).status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("outside"));
  std::vector<std::uint8_t> inside = IdentifyReply(8, 4096);  // offset inside the header
  EXPECT_EQ(GetErrorCode(DecodeIdentifyQuery(Identify(0x01, 0), inside, 4144).status()),
            ErrorCode::kBackendFailure);
  std::vector<std::uint8_t> short_data = IdentifyReply(40, 512);
  s = DecodeIdentifyQuery(Identify(0x01, 0), short_data, 4144).status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("512"));
}

TEST(EncodeNvmeSubmissionEntryTest, PlacesEveryDword) {
  NvmeCommand command;
  command.opcode = 0x0d;
  command.nsid = 0x01020304;
  command.cdw2 = 0x22;
  command.cdw3 = 0x33;
  command.cdw10 = 0xa0a1a2a3;
  command.cdw11 = 0xb;
  command.cdw12 = 0xc;
  command.cdw13 = 0xd;
  command.cdw14 = 0xe;
  command.cdw15 = 0xf;
  const std::vector<std::uint8_t> e = EncodeNvmeSubmissionEntry(command);
  ASSERT_EQ(e.size(), 64u);
  EXPECT_THAT(std::vector<std::uint8_t>(e.begin(), e.begin() + 8), ElementsAre(0x0d, 0, 0, 0, 4, 3, 2, 1));
  EXPECT_EQ(At(e, 8), 0x22u);
  EXPECT_EQ(At(e, 12), 0x33u);
  for (std::size_t i = 16; i < 40; ++i) EXPECT_EQ(e[i], 0) << i;  // MPTR, PRPs: the driver's
  EXPECT_EQ(At(e, 40), 0xa0a1a2a3u);
  EXPECT_EQ(At(e, 44), 0xbu);
  EXPECT_EQ(At(e, 48), 0xcu);
  EXPECT_EQ(At(e, 52), 0xdu);
  EXPECT_EQ(At(e, 56), 0xeu);
  EXPECT_EQ(At(e, 60), 0xfu);
}

TEST(BuildStorageProtocolCommandTest, AdminCommandWithDataOut) {
  absl::StatusOr<std::vector<std::uint8_t>> b = BuildStorageProtocolCommand(Attach(2));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 208u + 4096u);
  EXPECT_EQ(At(*b, Field::kVersion), 1u);
  EXPECT_EQ(At(*b, Field::kLength), 84u);
  EXPECT_EQ(At(*b, Field::kProtocolType), kProtocolTypeNvme);
  EXPECT_EQ(At(*b, Field::kFlags), kStorageProtocolFlagAdapterRequest);
  EXPECT_EQ(At(*b, Field::kReturnStatus), 0u);
  EXPECT_EQ(At(*b, Field::kCommandLength), 64u);
  EXPECT_EQ(At(*b, Field::kErrorInfoLength), 64u);
  EXPECT_EQ(At(*b, Field::kErrorInfoOffset), 144u);
  EXPECT_EQ(At(*b, Field::kDataToDeviceTransferLength), 4096u);
  EXPECT_EQ(At(*b, Field::kDataToDeviceBufferOffset), 208u);
  EXPECT_EQ(At(*b, Field::kDataFromDeviceTransferLength), 0u);
  EXPECT_EQ(At(*b, Field::kDataFromDeviceBufferOffset), 0u);
  EXPECT_EQ(At(*b, Field::kTimeOutValue), 3u);  // 2.5 s rounded up
  EXPECT_EQ(At(*b, Field::kCommandSpecific), kStorageProtocolSpecificNvmeAdmin);
  EXPECT_EQ((*b)[80], 0x15);                    // the opcode, first byte of Command[]
  EXPECT_EQ(At(*b, 80 + 4), 2u);                // NSID
  EXPECT_EQ((*b)[208], 1);                      // the controller list
  EXPECT_EQ((*b)[210], 0x41);
}

TEST(BuildStorageProtocolCommandTest, AdminCommandWithDataIn) {
  absl::StatusOr<std::vector<std::uint8_t>> b = BuildStorageProtocolCommand(Identify(0x02, 0));
  ASSERT_TRUE(b.ok()) << b.status();
  ASSERT_EQ(b->size(), 208u + 4096u);
  EXPECT_EQ(At(*b, Field::kDataFromDeviceTransferLength), 4096u);
  EXPECT_EQ(At(*b, Field::kDataFromDeviceBufferOffset), 208u);
  EXPECT_EQ(At(*b, Field::kDataToDeviceTransferLength), 0u);
  EXPECT_EQ(At(*b, Field::kDataToDeviceBufferOffset), 0u);
  EXPECT_EQ(At(*b, Field::kTimeOutValue), 10u);  // NvmeCommand's default
  EXPECT_EQ(At(*b, 80 + 40), 0x02u);             // CDW10: CNS 02h
}

TEST(BuildStorageProtocolCommandTest, IoCommandIsADeviceRequest) {
  NvmeCommand write;
  write.queue = NvmeQueue::kIo;
  write.opcode = 0x01;
  write.nsid = 1;
  write.direction = NvmeDataDirection::kToDevice;
  write.data_out = std::vector<std::uint8_t>(512, 0xee);
  absl::StatusOr<std::vector<std::uint8_t>> b = BuildStorageProtocolCommand(write);
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(At(*b, Field::kFlags), 0u);
  EXPECT_EQ(At(*b, Field::kCommandSpecific), kStorageProtocolSpecificNvmeNvm);
}

TEST(BuildStorageProtocolCommandTest, TimeoutClampedToWindowsRange) {
  NvmeCommand command = Attach(1);
  command.timeout = absl::Milliseconds(1);
  EXPECT_EQ(At(*BuildStorageProtocolCommand(command), Field::kTimeOutValue), 1u);
  command.timeout = absl::Hours(100);
  EXPECT_EQ(At(*BuildStorageProtocolCommand(command), Field::kTimeOutValue), kStorageProtocolMaxTimeoutSeconds);
  command.timeout = absl::InfiniteDuration();
  EXPECT_EQ(At(*BuildStorageProtocolCommand(command), Field::kTimeOutValue), kStorageProtocolMaxTimeoutSeconds);
}

TEST(BuildStorageProtocolCommandTest, RefusesMalformedOrOversizedCommands) {
  NvmeCommand big = Attach(1);
  big.data_out.resize(kStorageProtocolMaxTransferBytes + 1);
  absl::Status s = BuildStorageProtocolCommand(big).status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("IOCTL_STORAGE_PROTOCOL_COMMAND"));
  NvmeCommand no_timeout = Attach(1);
  no_timeout.timeout = absl::ZeroDuration();
  EXPECT_EQ(GetErrorCode(BuildStorageProtocolCommand(no_timeout).status()), ErrorCode::kInvalidArgument);
}

std::vector<std::uint8_t> Completed(const NvmeCommand& command, std::uint32_t status) {
  std::vector<std::uint8_t> b = *BuildStorageProtocolCommand(command);
  StoreLe32(&b, Field::kReturnStatus, status);
  return b;
}

TEST(DecodeStorageProtocolCommandTest, SuccessReturnsDw0AndTransferredData) {
  NvmeCommand list = Identify(0x02, 0);
  std::vector<std::uint8_t> b = Completed(list, kStorageProtocolStatusSuccess);
  StoreLe32(&b, Field::kFixedProtocolReturnData, 0x1234);
  StoreLe32(&b, Field::kDataFromDeviceTransferLength, 8);  // the driver moved 8 bytes
  b[208] = 1;
  b[212] = 2;
  absl::StatusOr<NvmeCompletion> c = DecodeStorageProtocolCommand(list, b);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->status.ok());
  EXPECT_EQ(c->result, 0x1234u);
  EXPECT_THAT(c->data_in, ElementsAre(1, 0, 0, 0, 2, 0, 0, 0));

  absl::StatusOr<NvmeCompletion> attach = DecodeStorageProtocolCommand(
      Attach(3), Completed(Attach(3), kStorageProtocolStatusSuccess));
  ASSERT_TRUE(attach.ok()) << attach.status();
  EXPECT_TRUE(attach->data_in.empty());
}

TEST(DecodeStorageProtocolCommandTest, ErrorCarriesTheControllersStatus) {
  std::vector<std::uint8_t> b = Completed(Attach(3), kStorageProtocolStatusError);
  // NVME_ERROR_INFO_LOG.Status: status field 0x4118 (DNR, SCT 1h, SC 18h) above the phase bit.
  const std::uint16_t word = static_cast<std::uint16_t>((0x4118 << 1) | 1);
  b[144 + 12] = static_cast<std::uint8_t>(word & 0xff);
  b[144 + 13] = static_cast<std::uint8_t>(word >> 8);
  absl::StatusOr<NvmeCompletion> c = DecodeStorageProtocolCommand(Attach(3), b);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_EQ(c->status.raw, 0x4118);
  EXPECT_EQ(c->status.sct(), 1);
  EXPECT_EQ(c->status.sc(), 0x18);
  EXPECT_TRUE(c->status.dnr());

  std::vector<std::uint8_t> bare = Completed(Attach(3), kStorageProtocolStatusError);
  StoreLe32(&bare, Field::kErrorCode, 0xc0000010);
  absl::Status s = DecodeStorageProtocolCommand(Attach(3), bare).status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure);
  EXPECT_THAT(s.message(), HasSubstr("0xc0000010"));
}

TEST(DecodeStorageProtocolCommandTest, OtherStatusesAreTransportFailures) {
  absl::Status s = DecodeStorageProtocolCommand(
                       Attach(1), Completed(Attach(1), kStorageProtocolStatusNotSupported)).status();
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kNotSupported);
  for (std::uint32_t status : {kStorageProtocolStatusPending, kStorageProtocolStatusInvalidRequest,
                               kStorageProtocolStatusNoDevice, kStorageProtocolStatusBusy,
                               kStorageProtocolStatusDataOverrun,
                               kStorageProtocolStatusInsufficientResources,
                               kStorageProtocolStatusThrottledRequest, 0x42u}) {
    s = DecodeStorageProtocolCommand(Attach(1), Completed(Attach(1), status)).status();
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kBackendFailure) << status;
    EXPECT_THAT(s.message(), HasSubstr("storage protocol command ended with")) << status;
  }
  EXPECT_EQ(GetErrorCode(DecodeStorageProtocolCommand(Attach(1), std::vector<std::uint8_t>(100)).status()),
            ErrorCode::kBackendFailure);
}

}  // namespace
}  // namespace hwsnap::nvme
