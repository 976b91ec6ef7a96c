// Tests of ParseIdentifyNamespace (hwsnap/nvme/identify.h): every captured
// ns-<N>.identify*.bin fixture, hand-built data with each field at a distinct
// value, FLBAS with the high index bits, inactive (all-zero) namespaces and
// the refusals: truncated data, NLBAF above 63, FLBAS beyond NLBAF, an
// unusable LBADS, inconsistent sizes.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_loader.h"
#include "hwsnap/nvme/identify.h"
#include "hwsnap/status.h"
#include "identify_data_builder.h"

namespace hwsnap::nvme {
namespace {

using ::testing::HasSubstr;
using testing::NamespaceBytes;
using testing::NamespaceSpec;

absl::Status ParseError(const std::vector<std::uint8_t>& bytes) {
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(bytes);
  return ns.ok() ? absl::OkStatus() : ns.status();
}

TEST(IdentifyNamespaceTest, ParsesEveryField) {
  NamespaceSpec spec;
  spec.nsze = 0x0102030405060708;
  spec.ncap = 0x0102030405060700;
  spec.nuse = 0x0000000000001000;
  spec.nsfeat = 0x01;
  spec.flbas = 0x04;
  spec.nmic = 0x01;
  spec.mssrl = 0x1234;
  spec.mcl = 0x00056789;
  spec.msrc = 0x0f;
  for (std::size_t i = 0; i < 16; ++i) spec.nguid[i] = static_cast<std::uint8_t>(0xa0 + i);
  for (std::size_t i = 0; i < 8; ++i) spec.eui64[i] = static_cast<std::uint8_t>(0x50 + i);
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(NamespaceBytes(spec));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->nsze, 0x0102030405060708u);
  EXPECT_EQ(ns->ncap, 0x0102030405060700u);
  EXPECT_EQ(ns->nuse, 0x1000u);
  EXPECT_EQ(ns->nsfeat, 0x01);
  EXPECT_EQ(ns->nlbaf, 7);
  EXPECT_EQ(ns->flbas, 0x04);
  EXPECT_EQ(ns->nmic, 0x01);
  EXPECT_EQ(ns->mssrl, 0x1234);
  EXPECT_EQ(ns->mcl, 0x56789u);
  EXPECT_EQ(ns->msrc, 0x0f);
  EXPECT_EQ(ns->nguid, spec.nguid);
  EXPECT_EQ(ns->eui64, spec.eui64);
  ASSERT_EQ(ns->lba_formats.size(), 8u);
  EXPECT_EQ(ns->lba_formats[4].lba_data_size_log2, 12);
  EXPECT_EQ(ns->format_index(), 4);
  EXPECT_EQ(ns->block_bytes(), 4096u);
  EXPECT_TRUE(ns->active());
  EXPECT_TRUE(ns->nguid_present());
  EXPECT_TRUE(ns->eui64_present());
}

TEST(IdentifyNamespaceTest, LbaFormatFieldsAndHighIndexBits) {
  NamespaceSpec spec;
  spec.lbads.assign(20, 9);
  spec.lbads[17] = 12;
  spec.flbas = static_cast<std::uint8_t>(0x01 | (0x1 << 5));  // index 0x11 = 17 (bits 6:5 are index bits 5:4)
  std::vector<std::uint8_t> bytes = NamespaceBytes(spec);
  bytes[128 + 4 * 17] = 0x08;      // MS = 8
  bytes[128 + 4 * 17 + 3] = 0x02;  // RP = 2
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(bytes);
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->format_index(), 17);
  EXPECT_EQ(ns->block_bytes(), 4096u);
  EXPECT_EQ(ns->lba_formats[17].metadata_size, 8);
  EXPECT_EQ(ns->lba_formats[17].relative_performance, 2);
  EXPECT_EQ(ns->lba_formats.size(), 20u);
}

TEST(IdentifyNamespaceTest, SixtyFourFormats) {
  NamespaceSpec spec;
  spec.lbads.assign(64, 9);
  spec.flbas = 0x6f;  // index 63
  spec.lbads[63] = 13;
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(NamespaceBytes(spec));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_EQ(ns->format_index(), 63);
  EXPECT_EQ(ns->block_bytes(), 8192u);
}

TEST(IdentifyNamespaceTest, AllZeroIsAnInactiveNamespace) {
  absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(std::vector<std::uint8_t>(4096, 0));
  ASSERT_TRUE(ns.ok()) << ns.status();
  EXPECT_FALSE(ns->active());
  EXPECT_EQ(ns->block_bytes(), 0u);
  EXPECT_FALSE(ns->nguid_present());
  EXPECT_FALSE(ns->eui64_present());
  EXPECT_EQ(ns->lba_formats.size(), 1u);
}

TEST(IdentifyNamespaceTest, RefusesTruncatedData) {
  const std::vector<std::uint8_t> full = NamespaceBytes(NamespaceSpec());  // 8 formats: 160 bytes needed
  for (std::size_t size : {std::size_t{0}, std::size_t{26}, std::size_t{131}, std::size_t{159}}) {
    absl::Status s = ParseError(std::vector<std::uint8_t>(full.begin(), full.begin() + static_cast<long>(size)));
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument) << size;
    EXPECT_THAT(s.message(), HasSubstr("Identify Namespace")) << size;
  }
  EXPECT_TRUE(ParseError(std::vector<std::uint8_t>(full.begin(), full.begin() + 160)).ok());
}

TEST(IdentifyNamespaceTest, RefusesNlbafAbove63) {
  std::vector<std::uint8_t> bytes = NamespaceBytes(NamespaceSpec());
  bytes[25] = 64;
  absl::Status s = ParseError(bytes);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("NLBAF"));
}

TEST(IdentifyNamespaceTest, RefusesFlbasOutOfRange) {
  NamespaceSpec spec;
  spec.lbads = {9, 12};
  spec.flbas = 2;
  absl::Status s = ParseError(NamespaceBytes(spec));
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("FLBAS"));
  spec.flbas = 0x20;  // index 16 through the high bits
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("FLBAS"));
  // FLBAS bit 4 (metadata at the end of the LBA) is not an index bit.
  spec.flbas = 0x11;
  EXPECT_TRUE(ParseError(NamespaceBytes(spec)).ok());
}

TEST(IdentifyNamespaceTest, RefusesUnusableBlockSize) {
  NamespaceSpec spec;
  spec.lbads = {0};
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("LBADS"));
  spec.lbads = {8};
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("LBADS"));
  spec.lbads = {32};
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("LBADS"));
  // An unused format may hold anything.
  spec.lbads = {9, 0};
  EXPECT_TRUE(ParseError(NamespaceBytes(spec)).ok());
}

TEST(IdentifyNamespaceTest, RefusesInconsistentSizes) {
  NamespaceSpec spec;
  spec.ncap = spec.nsze + 1;
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("NCAP"));
  spec = NamespaceSpec();
  spec.nuse = spec.ncap + 1;
  EXPECT_THAT(ParseError(NamespaceBytes(spec)).message(), HasSubstr("NUSE"));
  spec = NamespaceSpec();
  spec.ncap = 10;  // thin provisioned: NUSE <= NCAP <= NSZE
  spec.nuse = 3;
  EXPECT_TRUE(ParseError(NamespaceBytes(spec)).ok());
}

TEST(IdentifyNamespaceTest, EveryCapturedFixtureParses) {
  std::vector<std::string> paths = testing::ListNvmeFixtures(".identify.bin");
  for (const std::string& p : testing::ListNvmeFixtures(".identify-allocated.bin")) paths.push_back(p);
  for (const std::string& path : paths) {
    absl::StatusOr<std::vector<std::uint8_t>> bytes = testing::LoadNvmeFixture(path);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(*bytes);
    ASSERT_TRUE(ns.ok()) << path << ": " << ns.status();
    if (ns->active()) {
      EXPECT_GE(ns->block_bytes(), 512u) << path;
      EXPECT_LE(ns->ncap, ns->nsze) << path;
    }
  }
}

// Exact values of the QEMU 7.2 capture (fixtures/README.md): 1 MiB
// namespaces of 512-byte blocks, shared, EUI-64 00c0ffee000000NN, no NGUID.
TEST(IdentifyNamespaceTest, QemuCapture) {
  for (const auto& [path, nsid] : std::vector<std::pair<std::string, std::uint8_t>>{
           {"vm/qemu-nvme/ns-1.identify.bin", 1},
           {"vm/qemu-nvme/ns-5.identify.bin", 5},
           {"vm/qemu-nvme/ns-6.identify-allocated.bin", 6}}) {
    absl::StatusOr<std::vector<std::uint8_t>> bytes = testing::LoadNvmeFixture(path);
    if (!bytes.ok()) GTEST_SKIP() << bytes.status();
    absl::StatusOr<IdentifyNamespace> ns = ParseIdentifyNamespace(*bytes);
    ASSERT_TRUE(ns.ok()) << path << ": " << ns.status();
    EXPECT_TRUE(ns->active()) << path;
    EXPECT_EQ(ns->nsze, 2048u) << path;
    EXPECT_EQ(ns->ncap, 2048u) << path;
    EXPECT_EQ(ns->block_bytes(), 512u) << path;
    EXPECT_EQ(ns->format_index(), 0) << path;
    EXPECT_EQ(ns->nmic, 1) << path;
    EXPECT_EQ(ns->mssrl, 128) << path;
    EXPECT_EQ(ns->mcl, 128u) << path;
    EXPECT_EQ(ns->msrc, 127) << path;
    EXPECT_EQ(ns->eui64, (std::array<std::uint8_t, 8>{0x00, 0xc0, 0xff, 0xee, 0x00, 0x00, 0x00, nsid})) << path;
    EXPECT_FALSE(ns->nguid_present()) << path;
  }
}

}  // namespace
}  // namespace hwsnap::nvme
