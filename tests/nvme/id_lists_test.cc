// Tests of ParseNamespaceList and ParseControllerList (hwsnap/nvme/identify.h):
// every captured list fixture and hand-built lists — the end marker, full
// lists, NSIDs that do not increase, the broadcast NSID, counts beyond the
// data or the maximum.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ByteVector;
using testing::ControllerListBytes;
using testing::NamespaceListBytes;

TEST(NamespaceListTest, ParsesUntilTheFirstZero) {
  ByteVector bytes = NamespaceListBytes({1, 2, 7, 0x10000});
  bytes[4 * 5] = 9;  // after the end marker: ignored
  absl::StatusOr<std::vector<std::uint32_t>> list = ParseNamespaceList(bytes);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre(1u, 2u, 7u, 0x10000u));
}

TEST(NamespaceListTest, EmptyAndFullLists) {
  absl::StatusOr<std::vector<std::uint32_t>> list = ParseNamespaceList(ByteVector(4096, 0));
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  EXPECT_TRUE(ParseNamespaceList({}).ok());
  std::vector<std::uint32_t> nsids;
  for (std::uint32_t i = 1; i <= 1024; ++i) nsids.push_back(i * 3);
  list = ParseNamespaceList(NamespaceListBytes(nsids));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(*list, nsids);
  // Bytes past 1024 entries are not part of the list.
  ByteVector longer = NamespaceListBytes(nsids);
  longer.resize(4100, 0xff);
  list = ParseNamespaceList(longer);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 1024u);
}

TEST(NamespaceListTest, RefusesNsidsNotIncreasing) {
  absl::StatusOr<std::vector<std::uint32_t>> list = ParseNamespaceList(NamespaceListBytes({1, 5, 5}));
  ASSERT_FALSE(list.ok());
  EXPECT_EQ(GetErrorCode(list.status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(list.status().message(), HasSubstr("does not increase"));
  EXPECT_FALSE(ParseNamespaceList(NamespaceListBytes({4, 3})).ok());
}

TEST(NamespaceListTest, RefusesBroadcastNsidAndOddSizes) {
  EXPECT_THAT(ParseNamespaceList(NamespaceListBytes({1, 0xffffffff})).status().message(), HasSubstr("broadcast"));
  ByteVector odd = NamespaceListBytes({1});
  odd.resize(4095);
  EXPECT_THAT(ParseNamespaceList(odd).status().message(), HasSubstr("multiple of 4"));
}

TEST(ControllerListTest, ParsesCountAndIds) {
  absl::StatusOr<std::vector<std::uint16_t>> list = ParseControllerList(ControllerListBytes({0, 1, 0x4142}));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_THAT(*list, ElementsAre(0, 1, 0x4142));
  list = ParseControllerList(ControllerListBytes({}));
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  std::vector<std::uint16_t> max(2047);
  for (std::size_t i = 0; i < max.size(); ++i) max[i] = static_cast<std::uint16_t>(i + 1);
  list = ParseControllerList(ControllerListBytes(max));
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(*list, max);
}

TEST(ControllerListTest, Refusals) {
  EXPECT_EQ(GetErrorCode(ParseControllerList(ByteVector{0x01}).status()), ErrorCode::kInvalidArgument);
  ByteVector too_many(4096, 0);
  too_many[0] = 0x00;
  too_many[1] = 0x08;  // 2048
  EXPECT_THAT(ParseControllerList(too_many).status().message(), HasSubstr("at most 2047"));
  ByteVector short_data = {0x03, 0x00, 0x01, 0x00, 0x02, 0x00};  // 3 ids announced, 2 present
  EXPECT_THAT(ParseControllerList(short_data).status().message(), HasSubstr("needs 8 bytes"));
}

TEST(IdListsTest, EveryCapturedFixtureParses) {
  for (const char* suffix : {"active-ns-list.bin", "allocated-ns-list.bin"}) {
    for (const std::string& path : testing::ListNvmeFixtures(suffix)) {
      absl::StatusOr<ByteVector> bytes = testing::LoadNvmeFixture(path);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      absl::StatusOr<std::vector<std::uint32_t>> list = ParseNamespaceList(*bytes);
      ASSERT_TRUE(list.ok()) << path << ": " << list.status();
    }
  }
  for (const char* suffix : {"attached-ctrls.bin", "subsys-ctrls.bin"}) {
    for (const std::string& path : testing::ListNvmeFixtures(suffix)) {
      absl::StatusOr<ByteVector> bytes = testing::LoadNvmeFixture(path);
      ASSERT_TRUE(bytes.ok()) << bytes.status();
      absl::StatusOr<std::vector<std::uint16_t>> list = ParseControllerList(*bytes);
      ASSERT_TRUE(list.ok()) << path << ": " << list.status();
    }
  }
}

// Exact values of the QEMU 7.2 capture: namespaces 1-5 attached, 1-33
// allocated, one controller (CNTLID 0).
TEST(IdListsTest, QemuCapture) {
  auto load = [](const char* name) { return testing::LoadNvmeFixture(std::string("vm/qemu-nvme/") + name); };
  absl::StatusOr<ByteVector> active = load("active-ns-list.bin");
  if (!active.ok()) GTEST_SKIP() << active.status();
  EXPECT_THAT(*ParseNamespaceList(*active), ElementsAre(1u, 2u, 3u, 4u, 5u));
  std::vector<std::uint32_t> allocated;
  for (std::uint32_t i = 1; i <= 33; ++i) allocated.push_back(i);
  EXPECT_EQ(*ParseNamespaceList(*load("allocated-ns-list.bin")), allocated);
  EXPECT_THAT(*ParseControllerList(*load("ns-1.attached-ctrls.bin")), ElementsAre(0));
  EXPECT_TRUE(ParseControllerList(*load("ns-6.attached-ctrls.bin"))->empty());
  EXPECT_THAT(*ParseControllerList(*load("subsys-ctrls.bin")), ElementsAre(0));
}

}  // namespace
}  // namespace hwsnap::nvme
