// LUN identity from INQUIRY + VPD 0x80 + 0x83 (hwsnap/scsi/identity_builder.h):
// the tgt LUN exactly as Windows would describe it, the string conventions,
// and designators the core model cannot carry.
#include "hwsnap/scsi/identity_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "fixture_bytes.h"
#include "fixture_loader.h"
#include "hwsnap/status.h"

namespace hwsnap::scsi {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

using testing::FixtureBytes;

struct ParsedLun {
  StandardInquiry inquiry;
  UnitSerialNumberPage serial;
  DeviceIdentificationPage ids;
};

ParsedLun ParseLun(const std::string& dir) {
  ParsedLun lun;
  absl::StatusOr<StandardInquiry> inq = ParseStandardInquiry(FixtureBytes(dir + "/inquiry.hex"));
  absl::StatusOr<UnitSerialNumberPage> sn = ParseVpdUnitSerialNumber(FixtureBytes(dir + "/vpd80.hex"));
  absl::StatusOr<DeviceIdentificationPage> ids = ParseVpdDeviceIdentification(FixtureBytes(dir + "/vpd83.hex"));
  EXPECT_TRUE(inq.ok() && sn.ok() && ids.ok());
  if (inq.ok()) lun.inquiry = *inq;
  if (sn.ok()) lun.serial = *sn;
  if (ids.ok()) lun.ids = *ids;
  return lun;
}

TEST(IdentityBuilderTest, TgtLun1AsWindowsReportsIt) {
  ParsedLun lun = ParseLun("tgt/lun1");
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity({lun.inquiry, &lun.serial, &lun.ids, BusType::kIscsi});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_TRUE(built->dropped.empty());
  const LunIdentity& id = built->identity;
  EXPECT_EQ(id.device_type, 0);
  EXPECT_EQ(id.device_type_modifier, 0);
  EXPECT_TRUE(id.command_queueing);
  EXPECT_EQ(id.bus_type, BusType::kIscsi);
  EXPECT_EQ(id.vendor_id, "IET");
  EXPECT_EQ(id.product_id, "VIRTUAL-DISK");
  EXPECT_EQ(id.product_revision, "0001");
  EXPECT_EQ(id.serial_number, "beaf11");
  ASSERT_EQ(id.designators.size(), 3u);
  EXPECT_EQ(id.designators[0].code_set, CodeSet::kAscii);
  EXPECT_EQ(id.designators[0].association, Association::kLogicalUnit);
  EXPECT_EQ(id.designators[0].type, DesignatorType::kT10VendorId);
  EXPECT_EQ(id.designators[0].bytes.size(), 36u);  // NUL padding kept, as page 0x83 sends it
  EXPECT_EQ(id.designators[1].type, DesignatorType::kNaa);
  EXPECT_THAT(id.designators[1].bytes, ElementsAre(0x30, 0, 0, 0x01, 0, 0, 0, 0x01));
  EXPECT_EQ(id.designators[2].bytes.size(), 16u);
  EXPECT_TRUE(id.HasUniqueDesignator());
  ASSERT_NE(id.PrimaryDesignator(), nullptr);
  EXPECT_EQ(id.PrimaryDesignator()->ToString(), "naa:3000000100000001");
  EXPECT_TRUE(ValidateLunIdentity(id).ok());
}

TEST(IdentityBuilderTest, TgtLunsAreDistinct) {
  ParsedLun a = ParseLun("tgt/lun1");
  ParsedLun b = ParseLun("tgt/lun2-readonly-thin");
  absl::StatusOr<BuiltIdentity> ia = BuildLunIdentity({a.inquiry, &a.serial, &a.ids, BusType::kIscsi});
  absl::StatusOr<BuiltIdentity> ib = BuildLunIdentity({b.inquiry, &b.serial, &b.ids, BusType::kIscsi});
  ASSERT_TRUE(ia.ok() && ib.ok());
  EXPECT_EQ(ib->identity.serial_number, "hwsnap-snap-0001");
  EXPECT_FALSE(ia->identity.SameLunAs(ib->identity));
  EXPECT_TRUE(ia->identity.SameLunAs(ia->identity));
}

TEST(IdentityBuilderTest, WithoutVpdPages) {
  ParsedLun lun = ParseLun("tgt/lun1");
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity({lun.inquiry, nullptr, nullptr, BusType::kSas});
  ASSERT_TRUE(built.ok());
  EXPECT_EQ(built->identity.serial_number, "");
  EXPECT_TRUE(built->identity.designators.empty());
  EXPECT_FALSE(built->identity.HasUniqueDesignator());
  EXPECT_EQ(built->identity.bus_type, BusType::kSas);
}

TEST(IdentityBuilderTest, StringConventions) {
  EXPECT_EQ(NormalizeInquiryText("IET     "), "IET");
  EXPECT_EQ(NormalizeInquiryText("  lead  "), "  lead");
  EXPECT_EQ(NormalizeInquiryText(std::string("AB\0CD   ", 8)), "AB");
  EXPECT_EQ(NormalizeInquiryText("A\x01\xFF "), "A??");
  EXPECT_EQ(NormalizeSerialNumber("      beaf11  "), "beaf11");
  EXPECT_EQ(NormalizeSerialNumber(std::string("SN1\0\0\0", 6)), "SN1");
  EXPECT_EQ(NormalizeSerialNumber("        "), "");
}

TEST(IdentityBuilderTest, DropsWhatTheModelCannotCarry) {
  StandardInquiry inq;
  inq.vendor_id = "VENDOR  ";
  DeviceIdentificationPage ids;
  auto add = [&](std::uint8_t code_set, std::uint8_t assoc, std::uint8_t type, std::vector<std::uint8_t> bytes) {
    DeviceIdDesignator d;
    d.code_set = code_set;
    d.association = assoc;
    d.designator_type = type;
    d.designator = std::move(bytes);
    ids.designators.push_back(std::move(d));
  };
  add(1, 0, 3, {0x50, 1, 2, 3, 4, 5, 6, 7});        // kept
  add(1, 3, 3, {0x50, 1, 2, 3, 4, 5, 6, 8});        // reserved association
  add(0, 0, 0, {1});                                // reserved code set
  add(1, 0, 0xA, std::vector<std::uint8_t>(18, 1)); // UUID type (SPC-5)
  add(1, 0, 0, {});                                 // empty vendor specific
  add(1, 1, 4, {0, 0, 0, 1});                       // kept: relative port of association 1
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity({inq, nullptr, &ids, BusType::kFibre});
  ASSERT_TRUE(built.ok()) << built.status();
  ASSERT_EQ(built->identity.designators.size(), 2u);
  EXPECT_EQ(built->identity.designators[1].association, Association::kTargetPort);
  EXPECT_THAT(built->dropped, ElementsAre(HasSubstr("designator 1: association 3"),
                                          HasSubstr("designator 2: code set 0"),
                                          HasSubstr("designator 3: designator type 10"),
                                          HasSubstr("designator 4: empty designator")));
  EXPECT_TRUE(ValidateLunIdentity(built->identity).ok());
}

TEST(IdentityBuilderTest, CapsDesignatorsAndSerialAtCoreLimits) {
  StandardInquiry inq;
  DeviceIdentificationPage ids;
  for (int i = 0; i < 70; ++i) {
    DeviceIdDesignator d;
    d.code_set = 1;
    d.designator_type = 0;
    d.designator = {static_cast<std::uint8_t>(i)};
    ids.designators.push_back(d);
  }
  UnitSerialNumberPage serial;
  serial.serial = std::string(300, 'S');
  absl::StatusOr<BuiltIdentity> built = BuildLunIdentity({inq, &serial, &ids, BusType::kScsi});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->identity.designators.size(), 64u);
  EXPECT_EQ(built->identity.serial_number.size(), 256u);
  EXPECT_EQ(built->dropped.size(), 7u);  // 6 designators + the serial
}

}  // namespace
}  // namespace hwsnap::scsi
