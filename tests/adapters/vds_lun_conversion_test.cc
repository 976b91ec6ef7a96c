// Tests of hwsnap/windows/vds_lun_conversion.h (Windows only; runs under Wine).
//
// This file exists because VSS hands the provider VDS_LUN_INFORMATION structs
// it must not trust and takes back structs it frees with CoTaskMemFree: these
// tests prove that every field survives a round trip, that every malformed
// input is an invalid-argument error (never a crash or an over-read), that
// what is handed back lives on the COM task heap, and that a failed
// allocation at any point leaks nothing and leaves the output untouched.
#include "hwsnap/windows/vds_lun_conversion.h"

#include <objbase.h>

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/lun_identity.h"
#include "hwsnap/status.h"

namespace hwsnap {
namespace windows {
namespace {

using ::testing::HasSubstr;

std::vector<std::uint8_t> Bytes(std::initializer_list<int> values) {
  std::vector<std::uint8_t> out;
  for (int v : values) out.push_back(static_cast<std::uint8_t>(v));
  return out;
}

Designator MakeDesignator(CodeSet code_set, DesignatorType type, std::vector<std::uint8_t> bytes,
                          Association association = Association::kLogicalUnit) {
  Designator d;
  d.code_set = code_set;
  d.type = type;
  d.association = association;
  d.bytes = std::move(bytes);
  return d;
}

// A LUN using every field: all unique designator types, a vendor-specific
// one, two interconnects (one with empty port).
LunIdentity FullLun() {
  LunIdentity lun;
  lun.device_type = 0;
  lun.device_type_modifier = 7;
  lun.command_queueing = true;
  lun.bus_type = BusType::kIscsi;
  lun.vendor_id = "HWSNAP  ";
  lun.product_id = "MOCK-DISK       ";
  lun.product_revision = "0001";
  lun.serial_number = "SN-0123456789";
  lun.designators.push_back(MakeDesignator(
      CodeSet::kBinary, DesignatorType::kNaa,
      Bytes({0x60, 0x01, 0x44, 0xf0, 0xc0, 0xff, 0xee, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2a})));
  lun.designators.push_back(
      MakeDesignator(CodeSet::kBinary, DesignatorType::kEui64, Bytes({1, 2, 3, 4, 5, 6, 7, 8})));
  lun.designators.push_back(MakeDesignator(CodeSet::kAscii, DesignatorType::kT10VendorId,
                                           Bytes({'H', 'W', 'S', 'N', 'A', 'P', ' ', ' ', 'x', '1'})));
  lun.designators.push_back(
      MakeDesignator(CodeSet::kUtf8, DesignatorType::kScsiNameString, Bytes({'i', 'q', 'n', '.', 'x', 0})));
  lun.designators.push_back(
      MakeDesignator(CodeSet::kBinary, DesignatorType::kVendorSpecific, Bytes({0xde, 0xad, 0xbe, 0xef})));
  Interconnect fc;
  fc.address_type = InterconnectAddressType::kFcph;
  fc.port = Bytes({0x50, 0x06, 0x01, 0x60, 0x3b, 0xa0, 0x1a, 0x2b});
  fc.address = Bytes({0x21, 0x00, 0x00, 0x24, 0xff, 0x3c, 0x4d, 0x5e});
  lun.interconnects.push_back(fc);
  Interconnect scsi;
  scsi.address_type = InterconnectAddressType::kScsi;
  scsi.address = Bytes({0, 1, 0, 3});
  lun.interconnects.push_back(scsi);
  return lun;
}

// A hand-built, well-formed VDS_LUN_INFORMATION over buffers this fixture
// owns; each malformed-input test breaks exactly one thing in it.
class VdsInputTest : public ::testing::Test {
 protected:
  VdsInputTest() {
    ids_[0].m_CodeSet = VDSStorageIdCodeSetBinary;
    ids_[0].m_Type = VDSStorageIdTypeFCPHName;
    ids_[0].m_cbIdentifier = sizeof(naa_);
    ids_[0].m_rgbIdentifier = naa_;
    ids_[1].m_CodeSet = VDSStorageIdCodeSetBinary;
    ids_[1].m_Type = VDSStorageIdTypeEUI64;
    ids_[1].m_cbIdentifier = sizeof(eui_);
    ids_[1].m_rgbIdentifier = eui_;
    ics_[0].m_addressType = VDS_IA_FCPH;
    ics_[0].m_cbPort = sizeof(port_);
    ics_[0].m_pbPort = port_;
    ics_[0].m_cbAddress = sizeof(address_);
    ics_[0].m_pbAddress = address_;
    info_.m_version = VER_VDS_LUN_INFORMATION;
    info_.m_DeviceType = 0;
    info_.m_DeviceTypeModifier = 3;
    info_.m_bCommandQueueing = TRUE;
    info_.m_BusType = VDSBusTypeFibre;
    info_.m_szVendorId = vendor_;
    info_.m_szProductId = product_;
    info_.m_szProductRevision = revision_;
    info_.m_szSerialNumber = serial_;
    info_.m_deviceIdDescriptor.m_version = 1;
    info_.m_deviceIdDescriptor.m_cIdentifiers = 2;
    info_.m_deviceIdDescriptor.m_rgIdentifiers = ids_;
    info_.m_cInterconnects = 1;
    info_.m_rgInterconnects = ics_;
  }

  // Converting info_ fails with invalid-argument and a message containing `text`.
  void ExpectInvalid(const std::string& text) {
    absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
    ASSERT_FALSE(lun.ok());
    EXPECT_EQ(GetErrorCode(lun.status()), ErrorCode::kInvalidArgument) << lun.status();
    EXPECT_THAT(std::string(lun.status().message()), HasSubstr(text));
  }

  char vendor_[9] = "VENDOR  ";
  char product_[17] = "PRODUCT         ";
  char revision_[5] = "1.00";
  char serial_[7] = "SER001";
  BYTE naa_[8] = {0x50, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07};
  BYTE eui_[8] = {9, 8, 7, 6, 5, 4, 3, 2};
  BYTE port_[2] = {0xaa, 0xbb};
  BYTE address_[3] = {1, 2, 3};
  VDS_STORAGE_IDENTIFIER ids_[2] = {};
  VDS_INTERCONNECT ics_[1] = {};
  VDS_LUN_INFORMATION info_{};
};

TEST_F(VdsInputTest, ReadsEveryField) {
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_EQ(lun->device_type, 0);
  EXPECT_EQ(lun->device_type_modifier, 3);
  EXPECT_TRUE(lun->command_queueing);
  EXPECT_EQ(lun->bus_type, BusType::kFibre);
  EXPECT_EQ(lun->vendor_id, "VENDOR  ");
  EXPECT_EQ(lun->product_id, "PRODUCT         ");
  EXPECT_EQ(lun->product_revision, "1.00");
  EXPECT_EQ(lun->serial_number, "SER001");
  ASSERT_EQ(lun->designators.size(), 2u);
  EXPECT_EQ(lun->designators[0], MakeDesignator(CodeSet::kBinary, DesignatorType::kNaa,
                                                Bytes({0x50, 1, 2, 3, 4, 5, 6, 7})));
  EXPECT_EQ(lun->designators[1],
            MakeDesignator(CodeSet::kBinary, DesignatorType::kEui64, Bytes({9, 8, 7, 6, 5, 4, 3, 2})));
  ASSERT_EQ(lun->interconnects.size(), 1u);
  EXPECT_EQ(lun->interconnects[0].address_type, InterconnectAddressType::kFcph);
  EXPECT_EQ(lun->interconnects[0].port, Bytes({0xaa, 0xbb}));
  EXPECT_EQ(lun->interconnects[0].address, Bytes({1, 2, 3}));
  EXPECT_TRUE(lun->HasUniqueDesignator());
}

TEST_F(VdsInputTest, EveryIdentifierBecomesAnAssociationZeroDesignator) {
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  for (const Designator& d : lun->designators) EXPECT_EQ(d.association, Association::kLogicalUnit);
}

TEST_F(VdsInputTest, NullStringsBecomeEmpty) {
  info_.m_szVendorId = nullptr;
  info_.m_szProductId = nullptr;
  info_.m_szProductRevision = nullptr;
  info_.m_szSerialNumber = nullptr;
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_EQ(lun->vendor_id, "");
  EXPECT_EQ(lun->product_id, "");
  EXPECT_EQ(lun->product_revision, "");
  EXPECT_EQ(lun->serial_number, "");
}

TEST_F(VdsInputTest, EmptyListsWithNullOrNonNullArraysAreAccepted) {
  info_.m_deviceIdDescriptor.m_cIdentifiers = 0;
  info_.m_cInterconnects = 0;
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_TRUE(lun->designators.empty());
  EXPECT_TRUE(lun->interconnects.empty());
  info_.m_deviceIdDescriptor.m_rgIdentifiers = nullptr;
  info_.m_rgInterconnects = nullptr;
  lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_FALSE(lun->HasUniqueDesignator());
}

TEST_F(VdsInputTest, InterconnectWithEmptyPortAndAddressIsAccepted) {
  ics_[0].m_cbPort = 0;
  ics_[0].m_pbPort = nullptr;
  ics_[0].m_cbAddress = 0;
  ics_[0].m_pbAddress = nullptr;
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
  ASSERT_TRUE(lun.ok()) << lun.status();
  EXPECT_TRUE(lun->interconnects[0].port.empty());
  EXPECT_TRUE(lun->interconnects[0].address.empty());
}

TEST_F(VdsInputTest, CommandQueueingIsAnyNonZeroWinBool) {
  info_.m_bCommandQueueing = 5;
  EXPECT_TRUE(LunIdentityFromVds(&info_)->command_queueing);
  info_.m_bCommandQueueing = FALSE;
  EXPECT_FALSE(LunIdentityFromVds(&info_)->command_queueing);
}

TEST_F(VdsInputTest, DiskSignatureAndDescriptorVersionAreIgnored) {
  info_.m_diskSignature = IID_IUnknown;
  info_.m_deviceIdDescriptor.m_version = 0xdeadbeef;
  EXPECT_TRUE(LunIdentityFromVds(&info_).ok());
}

// --- Malformed input: invalid-argument, never a crash -----------------------

TEST_F(VdsInputTest, NullPointerIsInvalid) {
  absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(nullptr);
  ASSERT_FALSE(lun.ok());
  EXPECT_EQ(GetErrorCode(lun.status()), ErrorCode::kInvalidArgument);
  EXPECT_THAT(std::string(lun.status().message()), HasSubstr("null"));
}

TEST_F(VdsInputTest, UnknownVersionsAreInvalid) {
  for (ULONG version : {0ul, 2ul, 0xfffffffful}) {
    SCOPED_TRACE(version);
    info_.m_version = version;
    ExpectInvalid("m_version");
  }
}

TEST_F(VdsInputTest, UnknownBusTypesAreInvalid) {
  info_.m_BusType = static_cast<VDS_STORAGE_BUS_TYPE>(0x14);
  ExpectInvalid("bus type 20");
  info_.m_BusType = VDSBusTypeMaxReserved;
  ExpectInvalid("bus type 127");
  info_.m_BusType = static_cast<VDS_STORAGE_BUS_TYPE>(-1);
  ExpectInvalid("bus type");
}

TEST_F(VdsInputTest, KnownBusTypesIncludingNvmeAreAccepted) {
  for (int bus = 0; bus <= 0x13; ++bus) {
    SCOPED_TRACE(bus);
    info_.m_BusType = static_cast<VDS_STORAGE_BUS_TYPE>(bus);
    absl::StatusOr<LunIdentity> lun = LunIdentityFromVds(&info_);
    ASSERT_TRUE(lun.ok()) << lun.status();
    EXPECT_EQ(static_cast<int>(lun->bus_type), bus);
  }
}

TEST_F(VdsInputTest, AbsurdOrNegativeIdentifierCountsAreInvalid) {
  info_.m_deviceIdDescriptor.m_cIdentifiers = kMaxVdsIdentifiers + 1;
  ExpectInvalid("m_cIdentifiers is 65");
  info_.m_deviceIdDescriptor.m_cIdentifiers = static_cast<ULONG>(-1);
  ExpectInvalid("-1 as a signed LONG");
}

TEST_F(VdsInputTest, NullIdentifierArrayWithCountIsInvalid) {
  info_.m_deviceIdDescriptor.m_rgIdentifiers = nullptr;
  ExpectInvalid("m_rgIdentifiers is null");
}

TEST_F(VdsInputTest, NullIdentifierBytesWithLengthAreInvalid) {
  ids_[1].m_rgbIdentifier = nullptr;
  ExpectInvalid("identifier 1 bytes is null");
}

TEST_F(VdsInputTest, OversizedIdentifierIsInvalidWithoutBeingRead) {
  ids_[0].m_cbIdentifier = 256;  // the buffer holds 8: must be rejected before copying
  ExpectInvalid("identifier 0 bytes length is 256");
  ids_[0].m_cbIdentifier = static_cast<ULONG>(-8);
  ExpectInvalid("-8 as a signed LONG");
}

TEST_F(VdsInputTest, EmptyIdentifierIsInvalid) {
  ids_[0].m_cbIdentifier = 0;
  ids_[0].m_rgbIdentifier = nullptr;
  ExpectInvalid("empty identifier");
}

TEST_F(VdsInputTest, UnknownCodeSetsAreInvalid) {
  ids_[0].m_CodeSet = static_cast<VDS_STORAGE_IDENTIFIER_CODE_SET>(4);
  ExpectInvalid("unknown code set 4");
  ids_[0].m_CodeSet = static_cast<VDS_STORAGE_IDENTIFIER_CODE_SET>(0x101);  // must not narrow to 1
  ExpectInvalid("unknown code set 257");
  ids_[0].m_CodeSet = VDSStorageIdCodeSetReserved;
  ExpectInvalid("code set 0");
}

TEST_F(VdsInputTest, UnknownIdentifierTypesAreInvalid) {
  ids_[1].m_Type = static_cast<VDS_STORAGE_IDENTIFIER_TYPE>(9);
  ExpectInvalid("unknown identifier type 9");
  ids_[1].m_Type = static_cast<VDS_STORAGE_IDENTIFIER_TYPE>(0x102);
  ExpectInvalid("unknown identifier type 258");
}

TEST_F(VdsInputTest, IdentifierLengthMustFitItsType) {
  ids_[0].m_cbIdentifier = 7;  // NAA is 8 or 16 bytes
  ExpectInvalid("expected 8 or 16");
}

TEST_F(VdsInputTest, AbsurdOrNegativeInterconnectCountsAreInvalid) {
  info_.m_cInterconnects = kMaxVdsInterconnects + 1;
  ExpectInvalid("m_cInterconnects is 65");
  info_.m_cInterconnects = static_cast<ULONG>(-2);
  ExpectInvalid("-2 as a signed LONG");
}

TEST_F(VdsInputTest, NullInterconnectArrayWithCountIsInvalid) {
  info_.m_rgInterconnects = nullptr;
  ExpectInvalid("m_rgInterconnects is null");
}

TEST_F(VdsInputTest, NullInterconnectBuffersWithLengthAreInvalid) {
  ics_[0].m_pbPort = nullptr;
  ExpectInvalid("interconnect 0 port is null");
  ics_[0].m_pbPort = port_;
  ics_[0].m_pbAddress = nullptr;
  ExpectInvalid("interconnect 0 address is null");
}

TEST_F(VdsInputTest, OversizedInterconnectBuffersAreInvalid) {
  ics_[0].m_cbPort = kMaxVdsInterconnectBytes + 1;
  ExpectInvalid("interconnect 0 port length is 4097");
  ics_[0].m_cbPort = sizeof(port_);
  ics_[0].m_cbAddress = static_cast<ULONG>(-1);
  ExpectInvalid("interconnect 0 address length");
}

TEST_F(VdsInputTest, UnknownInterconnectAddressTypeIsInvalid) {
  ics_[0].m_addressType = static_cast<VDS_INTERCONNECT_ADDRESS_TYPE>(6);
  ExpectInvalid("unknown address type 6");
}

TEST_F(VdsInputTest, UnterminatedStringIsInvalidAndNotReadBeyondTheBound) {
  // Exactly kMaxVdsStringBytes + 1 readable bytes without a NUL.
  std::vector<char> unterminated(kMaxVdsStringBytes + 1, 'A');
  info_.m_szSerialNumber = unterminated.data();
  ExpectInvalid("m_szSerialNumber is not NUL-terminated");
}

TEST_F(VdsInputTest, OverlongOrNonPrintableStringsAreInvalid) {
  std::string long_vendor(65, 'V');
  info_.m_szVendorId = long_vendor.data();
  ExpectInvalid("vendor id is 65 bytes");
  char control[] = "AB\x01" "C";
  info_.m_szVendorId = vendor_;
  info_.m_szProductRevision = control;
  ExpectInvalid("product revision contains a non-printable byte 0x01");
}

// --- Writing: round trips, heap, allocation failures ------------------------

TEST(VdsOutputTest, RoundTripKeepsEveryField) {
  const LunIdentity lun = FullLun();
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(lun, &info).ok());
  EXPECT_EQ(info.m_version, static_cast<ULONG>(VER_VDS_LUN_INFORMATION));
  EXPECT_EQ(info.m_DeviceTypeModifier, 7);
  EXPECT_EQ(info.m_bCommandQueueing, TRUE);
  EXPECT_EQ(info.m_BusType, VDSBusTypeiScsi);
  EXPECT_STREQ(info.m_szVendorId, "HWSNAP  ");
  EXPECT_STREQ(info.m_szSerialNumber, "SN-0123456789");
  EXPECT_TRUE(IsEqualGUID(info.m_diskSignature, GUID_NULL));
  EXPECT_EQ(info.m_deviceIdDescriptor.m_version, 1u);
  EXPECT_EQ(info.m_deviceIdDescriptor.m_cIdentifiers, 5u);
  EXPECT_EQ(info.m_deviceIdDescriptor.m_rgIdentifiers[0].m_Type, VDSStorageIdTypeFCPHName);
  EXPECT_EQ(info.m_deviceIdDescriptor.m_rgIdentifiers[0].m_cbIdentifier, 16u);
  EXPECT_EQ(info.m_cInterconnects, 2u);
  EXPECT_EQ(info.m_rgInterconnects[1].m_pbPort, nullptr);
  EXPECT_EQ(info.m_rgInterconnects[1].m_cbPort, 0u);

  absl::StatusOr<LunIdentity> back = LunIdentityFromVds(&info);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, lun);
  EXPECT_TRUE(back->SameLunAs(lun));
  FreeVdsLunInformation(&info);
  EXPECT_EQ(info.m_szVendorId, nullptr);
  EXPECT_EQ(info.m_rgInterconnects, nullptr);
}

TEST(VdsOutputTest, RoundTripOfAMinimalLun) {
  LunIdentity lun;  // no strings, no designators, no interconnects
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(lun, &info).ok());
  ASSERT_NE(info.m_szVendorId, nullptr);  // "" rather than null: VSS compares strings
  EXPECT_STREQ(info.m_szVendorId, "");
  EXPECT_STREQ(info.m_szProductId, "");
  EXPECT_STREQ(info.m_szProductRevision, "");
  EXPECT_STREQ(info.m_szSerialNumber, "");
  EXPECT_EQ(info.m_deviceIdDescriptor.m_cIdentifiers, 0u);
  EXPECT_EQ(info.m_deviceIdDescriptor.m_rgIdentifiers, nullptr);
  EXPECT_EQ(info.m_cInterconnects, 0u);
  EXPECT_EQ(info.m_rgInterconnects, nullptr);
  absl::StatusOr<LunIdentity> back = LunIdentityFromVds(&info);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, lun);
  FreeVdsLunInformation(&info);
}

TEST(VdsOutputTest, OnlyAssociationZeroDesignatorsAreWritten) {
  LunIdentity lun = FullLun();
  lun.designators.insert(lun.designators.begin(),
                         MakeDesignator(CodeSet::kBinary, DesignatorType::kNaa,
                                        Bytes({0x50, 0, 0, 0, 0, 0, 0, 1}), Association::kTargetPort));
  lun.designators.push_back(MakeDesignator(CodeSet::kBinary, DesignatorType::kPortRelative,
                                           Bytes({0, 0, 0, 1}), Association::kTargetPort));
  lun.designators.push_back(MakeDesignator(CodeSet::kUtf8, DesignatorType::kScsiNameString,
                                           Bytes({'i', 'q', 'n', '.', 't', 0}), Association::kTargetDevice));
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(lun, &info).ok());
  EXPECT_EQ(info.m_deviceIdDescriptor.m_cIdentifiers, 5u);
  absl::StatusOr<LunIdentity> back = LunIdentityFromVds(&info);
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, FullLun());
  FreeVdsLunInformation(&info);
}

TEST(VdsOutputTest, DescriptorVersionIsTheCallersChoice) {
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(FullLun(), &info, 42).ok());
  EXPECT_EQ(info.m_deviceIdDescriptor.m_version, 42u);
  FreeVdsLunInformation(&info);
}

TEST(VdsOutputTest, EverythingLivesOnTheComTaskHeap) {
  VDS_LUN_INFORMATION info{};
  ASSERT_TRUE(LunIdentityToVds(FullLun(), &info).ok());
  IMalloc* malloc = nullptr;
  ASSERT_EQ(CoGetMalloc(1, &malloc), S_OK);
  std::vector<void*> blocks = {info.m_szVendorId, info.m_szProductId, info.m_szProductRevision,
                               info.m_szSerialNumber, info.m_deviceIdDescriptor.m_rgIdentifiers,
                               info.m_rgInterconnects};
  for (ULONG i = 0; i < info.m_deviceIdDescriptor.m_cIdentifiers; ++i) {
    blocks.push_back(info.m_deviceIdDescriptor.m_rgIdentifiers[i].m_rgbIdentifier);
  }
  blocks.push_back(info.m_rgInterconnects[0].m_pbPort);
  blocks.push_back(info.m_rgInterconnects[0].m_pbAddress);
  blocks.push_back(info.m_rgInterconnects[1].m_pbAddress);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    SCOPED_TRACE(i);
    ASSERT_NE(blocks[i], nullptr);
    EXPECT_EQ(malloc->DidAlloc(blocks[i]), 1);
  }
  malloc->Release();
  // What VSS does with it: CoTaskMemFree each block (here through the helper).
  FreeVdsLunInformation(&info);
}

TEST(VdsOutputTest, NullOutputIsInvalid) {
  absl::Status s = LunIdentityToVds(FullLun(), nullptr);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument);
}

TEST(VdsOutputTest, InvalidIdentityIsRejectedAndOutputUntouched) {
  LunIdentity lun = FullLun();
  lun.designators[0].bytes.resize(7);  // NAA of 7 bytes
  VDS_LUN_INFORMATION info{};
  std::memset(&info, 0x5a, sizeof(info));
  VDS_LUN_INFORMATION before = info;
  absl::Status s = LunIdentityToVds(lun, &info);
  EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("designator 0"));
  EXPECT_EQ(std::memcmp(&info, &before, sizeof(info)), 0);
}

// A CoTaskMem-backed allocator that counts live blocks and fails the Nth
// allocation (plain functions: VdsAllocator holds function pointers).
int g_allocations = 0;
int g_live_blocks = 0;
int g_fail_at = -1;

void* CountingAllocate(std::size_t bytes) {
  if (g_allocations++ == g_fail_at) return nullptr;
  void* block = CoTaskMemAlloc(bytes);
  if (block != nullptr) ++g_live_blocks;
  return block;
}

void CountingFree(void* block) {
  if (block == nullptr) return;
  --g_live_blocks;
  CoTaskMemFree(block);
}

VdsAllocator CountingAllocator() {
  VdsAllocator allocator;
  allocator.allocate = &CountingAllocate;
  allocator.free = &CountingFree;
  return allocator;
}

TEST(VdsOutputTest, EveryAllocationFailureFreesEverythingAndLeavesOutputUntouched) {
  const LunIdentity lun = FullLun();
  // Count the allocations of a successful conversion.
  g_allocations = 0;
  g_live_blocks = 0;
  g_fail_at = -1;
  VDS_LUN_INFORMATION ok{};
  ASSERT_TRUE(LunIdentityToVds(lun, &ok, 1, CountingAllocator()).ok());
  const int total = g_allocations;
  // 4 strings + identifier array + 5 identifiers + interconnect array + 3 non-empty buffers.
  EXPECT_EQ(total, 14);
  EXPECT_EQ(g_live_blocks, total);
  FreeVdsLunInformation(&ok, CountingAllocator());
  EXPECT_EQ(g_live_blocks, 0);

  for (int fail_at = 0; fail_at < total; ++fail_at) {
    SCOPED_TRACE(fail_at);
    g_allocations = 0;
    g_live_blocks = 0;
    g_fail_at = fail_at;
    VDS_LUN_INFORMATION info{};
    std::memset(&info, 0x5a, sizeof(info));
    VDS_LUN_INFORMATION before = info;
    absl::Status s = LunIdentityToVds(lun, &info, 1, CountingAllocator());
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kOutOfMemory) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr("cannot allocate"));
    EXPECT_EQ(g_live_blocks, 0);
    EXPECT_EQ(std::memcmp(&info, &before, sizeof(info)), 0);
  }
  g_fail_at = -1;
}

TEST(VdsOutputTest, FreeIsSafeOnNullAndOnAnEmptyStruct) {
  FreeVdsLunInformation(nullptr);
  VDS_LUN_INFORMATION info{};
  FreeVdsLunInformation(&info);
  FreeVdsLunInformation(&info);
  EXPECT_EQ(info.m_szVendorId, nullptr);
}

}  // namespace
}  // namespace windows
}  // namespace hwsnap
