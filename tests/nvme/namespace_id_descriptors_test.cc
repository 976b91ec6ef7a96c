// Tests of ParseNamespaceIdDescriptors (hwsnap/nvme/identify.h): every
// captured ns-<N>.descriptors.bin fixture and hand-built lists — each known
// type, unknown types kept, the end marker, wrong NIDL, descriptors running
// past the data.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;
using testing::ByteVector;
using testing::DescriptorBytes;

ByteVector Filled(std::size_t n, std::uint8_t first) {
  ByteVector v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(first + i);
  return v;
}

TEST(NamespaceIdDescriptorsTest, ParsesEachKnownType) {
  const ByteVector bytes =
      DescriptorBytes({{1, Filled(8, 0x10)}, {2, Filled(16, 0x20)}, {3, Filled(16, 0x40)}, {4, {0x00}}});
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(bytes);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 4u);
  EXPECT_EQ((*list)[0].type, 1);
  EXPECT_EQ((*list)[0].id, Filled(8, 0x10));
  EXPECT_EQ((*list)[1].type, 2);
  EXPECT_EQ((*list)[1].id, Filled(16, 0x20));
  EXPECT_EQ((*list)[2].type, 3);
  EXPECT_EQ((*list)[2].id, Filled(16, 0x40));
  EXPECT_EQ((*list)[3].type, 4);
  EXPECT_EQ((*list)[3].id, ByteVector{0x00});
}

TEST(NamespaceIdDescriptorsTest, KeepsUnknownTypesAndStopsAtNidtZero) {
  ByteVector bytes = DescriptorBytes({{0x7f, Filled(5, 1)}, {3, Filled(16, 0x40)}});
  // After the end marker (NIDT 0) nothing is read, even garbage.
  bytes[4 + 5 + 4 + 16 + 4] = 0xee;
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(bytes);
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].type, 0x7f);
  EXPECT_EQ((*list)[0].id.size(), 5u);
}

TEST(NamespaceIdDescriptorsTest, EmptyAndExactLists) {
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors({});
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  list = ParseNamespaceIdDescriptors(ByteVector(4096, 0));
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
  // A list filling the data exactly, without an end marker.
  ByteVector exact = DescriptorBytes({{1, Filled(8, 1)}});
  exact.resize(12);
  list = ParseNamespaceIdDescriptors(exact);
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 1u);
}

TEST(NamespaceIdDescriptorsTest, RefusesWrongLengthOfKnownType) {
  for (auto [type, length] : std::vector<std::pair<std::uint8_t, std::size_t>>{{1, 16}, {2, 8}, {3, 4}, {4, 2}}) {
    absl::StatusOr<std::vector<NamespaceIdDescriptor>> list =
        ParseNamespaceIdDescriptors(DescriptorBytes({{type, Filled(length, 1)}}));
    ASSERT_FALSE(list.ok()) << int{type};
    EXPECT_EQ(GetErrorCode(list.status()), ErrorCode::kInvalidArgument);
    EXPECT_THAT(list.status().message(), HasSubstr("NIDL"));
  }
}

TEST(NamespaceIdDescriptorsTest, RefusesDescriptorRunningPastTheData) {
  ByteVector bytes = DescriptorBytes({{3, Filled(16, 1)}});
  bytes.resize(4 + 10);
  absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(bytes);
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("runs past"));
  // A header cut short.
  list = ParseNamespaceIdDescriptors(ByteVector{0x01, 0x08});
  ASSERT_FALSE(list.ok());
  EXPECT_THAT(list.status().message(), HasSubstr("header"));
  // Unknown type with a length beyond the end.
  bytes = DescriptorBytes({{0x80, Filled(56, 1)}});
  bytes.resize(64);
  bytes[60] = 0x80;
  bytes[61] = 0xff;
  EXPECT_THAT(ParseNamespaceIdDescriptors(bytes).status().message(), HasSubstr("NIDL 255 runs past"));
}

TEST(NamespaceIdDescriptorsTest, EveryCapturedFixtureParses) {
  for (const std::string& path : testing::ListNvmeFixtures(".descriptors.bin")) {
    absl::StatusOr<ByteVector> bytes = testing::LoadNvmeFixture(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(*bytes);
    ASSERT_TRUE(list.ok()) << path << ": " << list.status();
    EXPECT_FALSE(list->empty()) << path;  // QEMU reports at least a UUID or CSI
  }
}

// Exact values of the QEMU 7.2 capture: UUID, EUI-64, CSI 0 (NVM), no NGUID.
TEST(NamespaceIdDescriptorsTest, QemuCapture) {
  for (std::uint8_t nsid : {1, 5}) {
    const std::string path = "vm/qemu-nvme/ns-" + std::to_string(nsid) + ".descriptors.bin";
    absl::StatusOr<ByteVector> bytes = testing::LoadNvmeFixture(path);
    if (!bytes.ok()) GTEST_SKIP() << bytes.status();
    absl::StatusOr<std::vector<NamespaceIdDescriptor>> list = ParseNamespaceIdDescriptors(*bytes);
    ASSERT_TRUE(list.ok()) << path << ": " << list.status();
    ASSERT_EQ(list->size(), 3u) << path;
    EXPECT_EQ((*list)[0].type, 3);
    EXPECT_EQ((*list)[0].id, (ByteVector{0x6e, 0x76, 0x6d, 0x65, 0x00, 0x00, 0x40, 0x00, 0x80, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x00, nsid}));
    EXPECT_EQ((*list)[1].type, 1);
    EXPECT_EQ((*list)[1].id, (ByteVector{0x00, 0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, nsid}));
    EXPECT_EQ((*list)[2].type, 4);
    EXPECT_EQ((*list)[2].id, ByteVector{0x00});
  }
}

}  // namespace
}  // namespace hwsnap::nvme
