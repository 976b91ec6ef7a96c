// Tests of hwsnap/windows/vds_lun_checks.h: the VDS_LUN_INFORMATION input
// checks without Windows headers (the Windows adapter's
// vds_lun_conversion_test covers the copy from the real struct under Wine).
// Every malformed input is an invalid-argument error naming the field; the
// buffers here are exactly as long as their counts, so an over-read is an
// AddressSanitizer error in the asan preset.
#include "hwsnap/windows/vds_lun_checks.h"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/lun_identity.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A well-formed description over buffers the fixture owns; each test breaks
// exactly one thing in it.
class VdsLunChecksTest : public ::testing::Test {
 protected:
  VdsLunChecksTest() {
    ids_[0].code_set = static_cast<std::uint32_t>(CodeSet::kBinary);
    ids_[0].type = static_cast<std::uint32_t>(DesignatorType::kNaa);
    ids_[0].byte_count = static_cast<std::uint32_t>(naa_.size());
    ids_[0].bytes = naa_.data();
    ids_[1].code_set = static_cast<std::uint32_t>(CodeSet::kBinary);
    ids_[1].type = static_cast<std::uint32_t>(DesignatorType::kEui64);
    ids_[1].byte_count = static_cast<std::uint32_t>(eui_.size());
    ids_[1].bytes = eui_.data();
    ics_[0].address_type = static_cast<std::uint32_t>(InterconnectAddressType::kFcph);
    ics_[0].port_count = static_cast<std::uint32_t>(port_.size());
    ics_[0].port = port_.data();
    ics_[0].address_count = static_cast<std::uint32_t>(address_.size());
    ics_[0].address = address_.data();
    fields_.version = kVdsLunInformationVersion;
    fields_.device_type = 0;
    fields_.device_type_modifier = 3;
    fields_.command_queueing = true;
    fields_.bus_type = static_cast<std::uint32_t>(BusType::kFibre);
    fields_.vendor_id = "VENDOR  ";
    fields_.product_id = "PRODUCT         ";
    fields_.product_revision = "1.00";
    fields_.serial_number = "SER001";
    fields_.identifier_count = 2;
    fields_.identifiers = ids_;
    fields_.interconnect_count = 1;
    fields_.interconnects = ics_;
  }

  // Checking fields_ fails with invalid-argument and a message containing `text`.
  void ExpectInvalid(const std::string& text) {
    absl::StatusOr<LunIdentity> lun = LunIdentityFromVdsFields(fields_);
    ASSERT_FALSE(lun.ok());
    EXPECT_EQ(GetErrorCode(lun.status()), ErrorCode::kInvalidArgument) << lun.status();
    EXPECT_THAT(std::string(lun.status().message()), StartsWith("VDS_LUN_INFORMATION"));
    EXPECT_THAT(std::string(lun.status().message()), HasSubstr(text));
  }

  std::vector<std::uint8_t> naa_ = {0x50, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  std::vector<std::uint8_t> eui_ = {9, 8, 7, 6, 5, 4, 3, 2};
  std::vector<std::uint8_t> port_ = {0xaa, 0xbb};
  std::vector<std::uint8_t> address_ = {1, 2, 3};
  VdsIdentifierFields ids_[2] = {};
  VdsInterconnectFields ics_[1] = {};
  VdsLunFields fields_;
};

TEST_F(VdsLunChecksTest, ReadsEveryField) {
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVdsFields(fields_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_EQ(lun->device_type_modifier, 3);
  EXPECT_TRUE(lun->command_queueing);
  EXPECT_EQ(lun->bus_type, BusType::kFibre);
  EXPECT_EQ(lun->vendor_id, "VENDOR  ");
  EXPECT_EQ(lun->product_id, "PRODUCT         ");
  EXPECT_EQ(lun->product_revision, "1.00");
  EXPECT_EQ(lun->serial_number, "SER001");
  ASSERT_EQ(lun->designators.size(), 2u);
  EXPECT_EQ(lun->designators[0].type, DesignatorType::kNaa);
  EXPECT_EQ(lun->designators[0].association, Association::kLogicalUnit);
  EXPECT_EQ(lun->designators[0].bytes, naa_);
  EXPECT_EQ(lun->designators[1].type, DesignatorType::kEui64);
  ASSERT_EQ(lun->interconnects.size(), 1u);
  EXPECT_EQ(lun->interconnects[0].address_type, InterconnectAddressType::kFcph);
  EXPECT_THAT(lun->interconnects[0].port, ElementsAre(0xaa, 0xbb));
  EXPECT_THAT(lun->interconnects[0].address, ElementsAre(1, 2, 3));
}

TEST_F(VdsLunChecksTest, NullStringsAndEmptyListsAreAccepted) {
  fields_.vendor_id = nullptr;
  fields_.serial_number = nullptr;
  fields_.identifier_count = 0;
  fields_.identifiers = nullptr;
  fields_.interconnect_count = 0;
  fields_.interconnects = ics_;  // non-null behind a zero count: not read
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVdsFields(fields_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_EQ(lun->vendor_id, "");
  EXPECT_EQ(lun->serial_number, "");
  EXPECT_TRUE(lun->designators.empty());
  EXPECT_TRUE(lun->interconnects.empty());
}

TEST_F(VdsLunChecksTest, UnknownVersionIsInvalid) {
  for (std::uint32_t version : {0u, 2u, 0xFFFFFFFFu}) {
    fields_.version = version;
    ExpectInvalid("unknown m_version " + std::to_string(version));
  }
}

TEST_F(VdsLunChecksTest, BusTypesUpToUfsAreAcceptedAndBeyondInvalid) {
  fields_.bus_type = static_cast<std::uint32_t>(BusType::kUfs);
  EXPECT_TRUE(LunIdentityFromVdsFields(fields_).ok());
  fields_.bus_type = static_cast<std::uint32_t>(BusType::kUfs) + 1;
  ExpectInvalid("unknown bus type 20");
}

TEST_F(VdsLunChecksTest, OverLimitCountsAreInvalidBeforeTheArrayIsRead) {
  // The arrays hold 2 and 1 entries: a larger count must fail on the count.
  fields_.identifier_count = kMaxVdsIdentifiers + 1;
  ExpectInvalid("m_cIdentifiers is 65; at most 64 allowed");
  fields_.identifier_count = 0xFFFFFFFFu;
  ExpectInvalid("-1 as a signed LONG");
  fields_.identifier_count = 2;
  fields_.interconnect_count = 0xFFFFFFFEu;
  ExpectInvalid("m_cInterconnects is 4294967294 (-2 as a signed LONG)");
}

TEST_F(VdsLunChecksTest, NullArraysBehindCountsAreInvalid) {
  fields_.identifiers = nullptr;
  ExpectInvalid("m_rgIdentifiers is null but m_deviceIdDescriptor.m_cIdentifiers is 2");
  fields_.identifiers = ids_;
  fields_.interconnects = nullptr;
  ExpectInvalid("m_rgInterconnects is null but m_cInterconnects is 1");
}

TEST_F(VdsLunChecksTest, UnterminatedStringIsInvalidAndNotReadBeyondTheBound) {
  // Exactly kMaxVdsStringBytes + 1 readable bytes without a NUL.
  auto unterminated = std::make_unique<char[]>(kMaxVdsStringBytes + 1);
  std::fill_n(unterminated.get(), kMaxVdsStringBytes + 1, 'A');
  fields_.product_revision = unterminated.get();
  ExpectInvalid("m_szProductRevision is not NUL-terminated within 4096 bytes");
}

TEST_F(VdsLunChecksTest, StringContentIsLeftToValidateLunIdentity) {
  fields_.vendor_id = "\x01";
  ExpectInvalid("vendor id");
}

TEST_F(VdsLunChecksTest, UnknownEnumValuesAreInvalidBeforeNarrowing) {
  ids_[1].code_set = 0x101;  // must not pass as code set 1
  ExpectInvalid("identifier 1: unknown code set 257");
  ids_[1].code_set = static_cast<std::uint32_t>(CodeSet::kBinary);
  ids_[0].type = 0x103;
  ExpectInvalid("identifier 0: unknown identifier type 259");
  ids_[0].type = static_cast<std::uint32_t>(DesignatorType::kNaa);
  ics_[0].address_type = static_cast<std::uint32_t>(InterconnectAddressType::kScsi) + 1;
  ExpectInvalid("interconnect 0: unknown address type 6");
}

TEST_F(VdsLunChecksTest, OverlongOrNullBuffersAreInvalidWithoutBeingRead) {
  ids_[0].byte_count = kMaxVdsIdentifierBytes + 1;
  ExpectInvalid("identifier 0 bytes length is 256");
  ids_[0].byte_count = 8;
  ids_[0].bytes = nullptr;
  ExpectInvalid("identifier 0 bytes is null but its length is 8");
  ids_[0].bytes = naa_.data();
  ics_[0].port_count = kMaxVdsInterconnectBytes + 1;
  ExpectInvalid("interconnect 0 port length is 4097");
  ics_[0].port_count = 2;
  ics_[0].address = nullptr;
  ExpectInvalid("interconnect 0 address is null but its length is 3");
}

TEST_F(VdsLunChecksTest, ContentIsCheckedByValidateLunIdentity) {
  ids_[0].byte_count = 0;
  ExpectInvalid("empty identifier");
  ids_[0].byte_count = 7;  // NAA is 8 or 16 bytes
  ExpectInvalid("expected 8 or 16");
}

TEST_F(VdsLunChecksTest, TheFirstFailureInCheckOrderIsReported) {
  // Version before bus type before counts before strings before entries.
  fields_.version = 7;
  fields_.bus_type = 0xFF;
  fields_.identifier_count = 0xFFFFFFFFu;
  ids_[0].code_set = 9;
  ExpectInvalid("m_version");
  fields_.version = kVdsLunInformationVersion;
  ExpectInvalid("bus type");
  fields_.bus_type = 0;
  ExpectInvalid("m_cIdentifiers");
  fields_.identifier_count = 2;
  ExpectInvalid("identifier 0: unknown code set 9");
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
