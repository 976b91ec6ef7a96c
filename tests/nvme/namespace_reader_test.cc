// Tests of ReadNamespaceInfo and ReadActiveNamespaces
// (hwsnap/nvme/namespace_reader.h) over a small in-test fake NvmeTransport
// that answers Identify from hand-built or captured bytes: the command
// sequence, a controller without CNS 03h, inactive namespaces, status and
// transport errors passing through, malformed data, and lists longer than
// one page.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <utility>

#include "fixture_loader.h"
#include "hwsnap/nvme/namespace_reader.h"
#include "hwsnap/nvme/nvme_commands.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ByteVector;

// Answers Identify by (CNS, NSID); anything else completes with Invalid
// Opcode. `transport_error` fails every command before it reaches the "device".
class FakeIdentifyTransport : public NvmeTransport {
 public:
  std::string Address() const override { return "fake:nvme0"; }
  std::uint32_t nsid() const override { return 0; }
  absl::StatusOr<NvmeCompletion> Execute(const NvmeCommand& command) override {
    commands.push_back(command);
    if (!transport_error.ok()) return transport_error;
    NvmeCompletion completion;
    if (command.queue != NvmeQueue::kAdmin || command.opcode != kOpIdentify) {
      completion.status.raw = 0x0001;
      return completion;
    }
    const auto key = std::make_pair(static_cast<std::uint8_t>(command.cdw10 & 0xff), command.nsid);
    if (auto it = statuses.find(key); it != statuses.end()) {
      completion.status.raw = it->second;
      return completion;
    }
    if (auto it = answers.find(key); it != answers.end()) {
      completion.data_in = it->second;
      return completion;
    }
    completion.status.raw = 0x000b;  // Invalid Namespace or Format
    return completion;
  }
  absl::Status Rescan() override { return absl::OkStatus(); }

  std::map<std::pair<std::uint8_t, std::uint32_t>, ByteVector> answers;
  std::map<std::pair<std::uint8_t, std::uint32_t>, std::uint16_t> statuses;
  absl::Status transport_error = absl::OkStatus();
  std::vector<NvmeCommand> commands;
};

const ByteVector kUuid = {0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
                          0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00};

FakeIdentifyTransport TwoNamespaceController() {
  FakeIdentifyTransport t;
  t.answers[{kCnsController, 0}] = testing::ControllerBytes(testing::ControllerSpec());
  testing::NamespaceSpec ns;
  ns.eui64 = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56, 0x78, 0x9a};
  t.answers[{kCnsNamespace, 1}] = testing::NamespaceBytes(ns);
  t.answers[{kCnsNamespaceIdDescriptors, 1}] = testing::DescriptorBytes({{3, kUuid}, {4, {0}}});
  t.answers[{kCnsNamespace, 2}] = ByteVector(4096, 0);  // inactive
  return t;
}

TEST(NamespaceReaderTest, ReadsControllerNamespaceAndDescriptors) {
  FakeIdentifyTransport t = TwoNamespaceController();
  ReadNamespaceOptions options;
  options.timeout = absl::Seconds(3);
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->address, "fake:nvme0");
  EXPECT_EQ(info->nsid, 1u);
  EXPECT_EQ(info->controller.serial_number, "HWSNAP-NVME-01");
  EXPECT_EQ(info->block_count(), 0x20000u);
  EXPECT_EQ(info->block_bytes(), 512u);
  EXPECT_EQ(info->capacity_bytes(), 0x20000u * 512);
  ASSERT_EQ(info->descriptors.size(), 2u);
  // EUI-64 from Identify Namespace, UUID from the descriptor list.
  ASSERT_EQ(info->identity.designators.size(), 2u);
  EXPECT_EQ(info->identity.designators[0].type, DesignatorType::kEui64);
  EXPECT_EQ(info->identity.designators[1].type, DesignatorType::kScsiNameString);
  EXPECT_TRUE(ValidateLunIdentity(info->identity).ok());
  ASSERT_EQ(t.commands.size(), 3u);
  EXPECT_EQ(t.commands[0].cdw10, 0x01u);
  EXPECT_EQ(t.commands[1].cdw10, 0x00u);
  EXPECT_EQ(t.commands[1].nsid, 1u);
  EXPECT_EQ(t.commands[2].cdw10, 0x03u);
  for (const NvmeCommand& c : t.commands) EXPECT_EQ(c.timeout, absl::Seconds(3));
}

TEST(NamespaceReaderTest, MappingIsApplied) {
  FakeIdentifyTransport t = TwoNamespaceController();
  ReadNamespaceOptions options;
  options.mapping.uuid = DesignatorForm::kOmit;
  options.mapping.serial = SerialSource::kTranslationNguidEui64;
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->identity.designators.size(), 1u);
  EXPECT_EQ(info->identity.serial_number, "5254_0012_3456_789A.");
}

TEST(NamespaceReaderTest, ControllerWithoutDescriptorListIsReadWithoutIt) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.statuses[{kCnsNamespaceIdDescriptors, 1}] = 0x4002;  // Invalid Field in Command, DNR
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_TRUE(info->descriptors.empty());
  ASSERT_EQ(info->identity.designators.size(), 1u);  // EUI-64 from Identify Namespace
  EXPECT_EQ(info->identity.designators[0].type, DesignatorType::kEui64);
}

TEST(NamespaceReaderTest, OtherDescriptorListErrorsFail) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.statuses[{kCnsNamespaceIdDescriptors, 1}] = 0x0006;  // Internal Error
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(info.status().message(), HasSubstr("Identify CNS 03h nsid 1 on fake:nvme0"));
}

TEST(NamespaceReaderTest, InactiveNamespaceIsNotFound) {
  FakeIdentifyTransport t = TwoNamespaceController();
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 2);
  ASSERT_FALSE(info.ok());
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kObjectNotFound);
  EXPECT_THAT(info.status().message(), HasSubstr("namespace 2"));
  // A controller answering Invalid Namespace for it: also not found.
  info = ReadNamespaceInfo(t, 9);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kObjectNotFound);
}

TEST(NamespaceReaderTest, AllocatedNamespaceUsesCns11h) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.answers[{kCnsAllocatedNamespace, 5}] = testing::NamespaceBytes(testing::NamespaceSpec());
  // CNS 03h is for active NSIDs: a detached namespace answers Invalid Namespace.
  ReadNamespaceOptions options;
  options.allocated = true;
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 5, options);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(t.commands[1].cdw10, 0x11u);
  EXPECT_TRUE(info->descriptors.empty());
  // Without `allocated`, the same controller does not know NSID 5.
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(t, 5).status()), ErrorCode::kObjectNotFound);
}

TEST(NamespaceReaderTest, TransportErrorPassesThrough) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.transport_error = DeadlineExceededError("ioctl timed out");
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1);
  EXPECT_EQ(info.status(), t.transport_error);
  EXPECT_EQ(ReadActiveNamespaces(t, absl::Seconds(1)).status(), t.transport_error);
}

TEST(NamespaceReaderTest, ControllerStatusIsMapped) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.statuses[{kCnsController, 0}] = 0x0002;
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kNotSupported);
  EXPECT_THAT(info.status().message(), HasSubstr("Identify CNS 01h on fake:nvme0"));
}

TEST(NamespaceReaderTest, MalformedDataIsABackendFailure) {
  FakeIdentifyTransport t = TwoNamespaceController();
  t.answers[{kCnsController, 0}] = ByteVector(100, 0x20);
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(t, 1).status()), ErrorCode::kBackendFailure);
  t = TwoNamespaceController();
  ByteVector ns = testing::NamespaceBytes(testing::NamespaceSpec());
  ns[26] = 0x0f;  // FLBAS beyond NLBAF
  t.answers[{kCnsNamespace, 1}] = ns;
  absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, 1);
  EXPECT_EQ(GetErrorCode(info.status()), ErrorCode::kBackendFailure);
  EXPECT_THAT(info.status().message(), HasSubstr("FLBAS"));
  t = TwoNamespaceController();
  t.answers[{kCnsNamespaceIdDescriptors, 1}] = ByteVector{0x01, 0x10, 0, 0};
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(t, 1).status()), ErrorCode::kBackendFailure);
}

TEST(NamespaceReaderTest, RefusesNsidZeroAndBroadcast) {
  FakeIdentifyTransport t = TwoNamespaceController();
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(t, 0).status()), ErrorCode::kInvalidArgument);
  EXPECT_EQ(GetErrorCode(ReadNamespaceInfo(t, 0xffffffff).status()), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(t.commands.empty());
}

TEST(ReadActiveNamespacesTest, OnePage) {
  FakeIdentifyTransport t;
  t.answers[{kCnsActiveNamespaceList, 0}] = testing::NamespaceListBytes({1, 3, 4});
  absl::StatusOr<std::vector<std::uint32_t>> list = ReadActiveNamespaces(t, absl::Seconds(2));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre(1u, 3u, 4u));
  ASSERT_EQ(t.commands.size(), 1u);
  EXPECT_EQ(t.commands[0].timeout, absl::Seconds(2));
}

TEST(ReadActiveNamespacesTest, FollowsFullPages) {
  FakeIdentifyTransport t;
  std::vector<std::uint32_t> first, second;
  for (std::uint32_t i = 1; i <= 1024; ++i) first.push_back(i);
  for (std::uint32_t i = 1025; i <= 2048; ++i) second.push_back(i);
  t.answers[{kCnsActiveNamespaceList, 0}] = testing::NamespaceListBytes(first);
  t.answers[{kCnsActiveNamespaceList, 1024}] = testing::NamespaceListBytes(second);
  t.answers[{kCnsActiveNamespaceList, 2048}] = testing::NamespaceListBytes({5000});
  absl::StatusOr<std::vector<std::uint32_t>> list = ReadActiveNamespaces(t, absl::Seconds(1));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 2049u);
  EXPECT_EQ(list->back(), 5000u);
  EXPECT_EQ(t.commands.size(), 3u);
}

TEST(ReadActiveNamespacesTest, RefusesAPageThatGoesBackwards) {
  FakeIdentifyTransport t;
  std::vector<std::uint32_t> first;
  for (std::uint32_t i = 1; i <= 1024; ++i) first.push_back(i);
  t.answers[{kCnsActiveNamespaceList, 0}] = testing::NamespaceListBytes(first);
  t.answers[{kCnsActiveNamespaceList, 1024}] = testing::NamespaceListBytes(first);  // the same page again
  absl::StatusOr<std::vector<std::uint32_t>> list = ReadActiveNamespaces(t, absl::Seconds(1));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(GetErrorCode(list.status()), ErrorCode::kBackendFailure);
}

// The captured QEMU controller, replayed: every ns-<N>.identify.bin next to
// an identify-ctrl.bin reads into an identity that passes ValidateLunIdentity.
TEST(NamespaceReaderTest, ReplaysCapturedFixtures) {
  for (const std::string& ctrl_path : testing::ListNvmeFixtures("identify-ctrl.bin")) {
    const std::string dir = ctrl_path.substr(0, ctrl_path.size() - std::string("identify-ctrl.bin").size());
    FakeIdentifyTransport t;
    t.answers[{kCnsController, 0}] = *testing::LoadNvmeFixture(ctrl_path);
    std::vector<std::uint32_t> nsids;
    for (const std::string& ns_path : testing::ListNvmeFixtures(".identify.bin")) {
      if (ns_path.rfind(dir, 0) != 0) continue;
      const std::string name = ns_path.substr(dir.size());  // ns-<N>.identify.bin
      if (name.rfind("ns-", 0) != 0) continue;
      const std::uint32_t nsid = static_cast<std::uint32_t>(std::stoul(name.substr(3)));
      t.answers[{kCnsNamespace, nsid}] = *testing::LoadNvmeFixture(ns_path);
      absl::StatusOr<ByteVector> d = testing::LoadNvmeFixture(dir + "ns-" + std::to_string(nsid) + ".descriptors.bin");
      if (d.ok()) t.answers[{kCnsNamespaceIdDescriptors, nsid}] = *d;
      nsids.push_back(nsid);
    }
    for (std::uint32_t nsid : nsids) {
      absl::StatusOr<NvmeNamespaceInfo> info = ReadNamespaceInfo(t, nsid);
      if (!info.ok() && GetErrorCode(info.status()) == ErrorCode::kObjectNotFound) continue;  // inactive capture
      ASSERT_TRUE(info.ok()) << ctrl_path << " nsid " << nsid << ": " << info.status();
      EXPECT_TRUE(ValidateLunIdentity(info->identity).ok()) << nsid;
      EXPECT_TRUE(info->identity.HasUniqueDesignator()) << nsid;
    }
  }
}

}  // namespace
}  // namespace hwsnap::nvme
