// Tests of hwsnap/lun_identity.h: "same LUN" decides which snapshot belongs to
// which disk on import, and validation is the gate for every identity that
// comes from outside, so both are pinned down case by case.
#include "hwsnap/lun_identity.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "hwsnap/status.h"

namespace hwsnap {
namespace {

using ::testing::HasSubstr;

Designator Make(DesignatorType type, std::vector<std::uint8_t> bytes, CodeSet code_set = CodeSet::kBinary,
                Association association = Association::kLogicalUnit) {
  Designator d;
  d.type = type;
  d.code_set = code_set;
  d.association = association;
  d.bytes = std::move(bytes);
  return d;
}

std::vector<std::uint8_t> Ascii(const std::string& text) { return {text.begin(), text.end()}; }

Designator Naa16(std::uint8_t last) {
  return Make(DesignatorType::kNaa, {0x60, 0x01, 0x40, 0x5f, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, last});
}
Designator Eui64(std::uint8_t last) { return Make(DesignatorType::kEui64, {0, 0x25, 0x38, 1, 2, 3, 4, last}); }
Designator T10(const std::string& specific) {
  return Make(DesignatorType::kT10VendorId, Ascii("VENDOR  " + specific), CodeSet::kAscii);
}
Designator ScsiName(const std::string& name) {
  return Make(DesignatorType::kScsiNameString, Ascii(name), CodeSet::kUtf8);
}
Designator RelativePort(std::uint8_t port) {
  return Make(DesignatorType::kPortRelative, {0, 0, 0, port}, CodeSet::kBinary, Association::kTargetPort);
}

LunIdentity Lun(std::vector<Designator> designators) {
  LunIdentity lun;
  lun.bus_type = BusType::kIscsi;
  lun.vendor_id = "VENDOR";
  lun.product_id = "DISK";
  lun.product_revision = "1.0";
  lun.serial_number = "SN0001";
  lun.designators = std::move(designators);
  return lun;
}

// ---- SameLunAs ----

TEST(LunIdentityTest, SharedNaaMeansSameLun) {
  const LunIdentity a = Lun({Naa16(1), RelativePort(1)});
  LunIdentity b = Lun({RelativePort(2), Naa16(1)});
  b.bus_type = BusType::kSas;  // bus type is ignored, as VSS ignores it
  b.serial_number = "OTHER";
  EXPECT_TRUE(a.SameLunAs(b));
  EXPECT_TRUE(b.SameLunAs(a));
}

TEST(LunIdentityTest, EachUniqueDesignatorTypeMatchesOnItsOwn) {
  for (const Designator& d : {Naa16(7), Eui64(7), T10("SERIAL7"), ScsiName("iqn.2001-04.com.example:lun7")}) {
    EXPECT_TRUE(d.IsUniqueLunDesignator()) << d.ToString();
    EXPECT_TRUE(Lun({d}).SameLunAs(Lun({d}))) << d.ToString();
  }
}

TEST(LunIdentityTest, DifferentUniqueDesignatorsMeanDifferentLuns) {
  EXPECT_FALSE(Lun({Naa16(1)}).SameLunAs(Lun({Naa16(2)})));
  EXPECT_FALSE(Lun({Naa16(1)}).SameLunAs(Lun({Eui64(1)})));
  EXPECT_FALSE(Lun({T10("A")}).SameLunAs(Lun({T10("B")})));
}

TEST(LunIdentityTest, DesignatorsNotNamingTheLogicalUnitAreIgnored) {
  const Designator port_naa =
      Make(DesignatorType::kNaa, Naa16(9).bytes, CodeSet::kBinary, Association::kTargetPort);
  const Designator device_naa =
      Make(DesignatorType::kNaa, Naa16(9).bytes, CodeSet::kBinary, Association::kTargetDevice);
  EXPECT_FALSE(port_naa.IsUniqueLunDesignator());
  EXPECT_FALSE(device_naa.IsUniqueLunDesignator());
  EXPECT_FALSE(Lun({port_naa}).SameLunAs(Lun({port_naa})));
  EXPECT_FALSE(Lun({device_naa}).SameLunAs(Lun({device_naa})));
  // A shared target-port designator next to distinct LU ids does not make them one LUN.
  EXPECT_FALSE(Lun({Naa16(1), RelativePort(1)}).SameLunAs(Lun({Naa16(2), RelativePort(1)})));
}

TEST(LunIdentityTest, NonUniqueTypesAreIgnored) {
  const Designator vendor = Make(DesignatorType::kVendorSpecific, {1, 2, 3, 4});
  const Designator port = Make(DesignatorType::kPortRelative, {0, 0, 0, 1});
  const Designator group = Make(DesignatorType::kTargetPortGroup, {0, 0, 0, 1});
  for (const Designator& d : {vendor, port, group}) {
    EXPECT_FALSE(d.IsUniqueLunDesignator()) << d.ToString();
    EXPECT_FALSE(Lun({d}).SameLunAs(Lun({d}))) << d.ToString();
    EXPECT_FALSE(Lun({d}).HasUniqueDesignator()) << d.ToString();
  }
}

TEST(LunIdentityTest, SameBytesWithDifferentCodeSetDiffer) {
  const Designator ascii = T10("SERIAL1");
  Designator utf8 = ascii;
  utf8.code_set = CodeSet::kUtf8;
  EXPECT_FALSE(Lun({ascii}).SameLunAs(Lun({utf8})));
}

TEST(LunIdentityTest, WithoutUniqueDesignatorsNothingMatches) {
  const LunIdentity bare = Lun({});
  EXPECT_FALSE(bare.HasUniqueDesignator());
  EXPECT_FALSE(bare.SameLunAs(bare));
  EXPECT_EQ(bare.PrimaryDesignator(), nullptr);
  EXPECT_THAT(bare.ToString(), HasSubstr("no unique designator"));
}

// ---- PrimaryDesignator ----

TEST(LunIdentityTest, PrimaryPrefersNaaThenEuiThenNameThenT10) {
  const LunIdentity all = Lun({T10("S"), ScsiName("iqn.x"), Eui64(1), RelativePort(1), Naa16(1)});
  ASSERT_NE(all.PrimaryDesignator(), nullptr);
  EXPECT_EQ(all.PrimaryDesignator()->type, DesignatorType::kNaa);

  const LunIdentity no_naa = Lun({T10("S"), ScsiName("iqn.x"), Eui64(1)});
  EXPECT_EQ(no_naa.PrimaryDesignator()->type, DesignatorType::kEui64);

  const LunIdentity name_and_t10 = Lun({T10("S"), ScsiName("iqn.x")});
  EXPECT_EQ(name_and_t10.PrimaryDesignator()->type, DesignatorType::kScsiNameString);

  const LunIdentity t10_only = Lun({RelativePort(1), T10("S")});
  EXPECT_EQ(t10_only.PrimaryDesignator()->type, DesignatorType::kT10VendorId);
}

TEST(LunIdentityTest, PrimarySkipsNaaThatNamesAPort) {
  const Designator port_naa =
      Make(DesignatorType::kNaa, Naa16(3).bytes, CodeSet::kBinary, Association::kTargetPort);
  const LunIdentity lun = Lun({port_naa, Eui64(3)});
  ASSERT_NE(lun.PrimaryDesignator(), nullptr);
  EXPECT_EQ(lun.PrimaryDesignator()->type, DesignatorType::kEui64);
}

TEST(LunIdentityTest, ToStringNamesVendorSerialAndPrimary) {
  const std::string text = Lun({Naa16(0xab)}).ToString();
  EXPECT_THAT(text, HasSubstr("VENDOR"));
  EXPECT_THAT(text, HasSubstr("SN0001"));
  EXPECT_THAT(text, HasSubstr("naa:6001405f"));
}

TEST(LunIdentityTest, EqualityComparesEveryField) {
  const LunIdentity a = Lun({Naa16(1)});
  LunIdentity b = a;
  EXPECT_EQ(a, b);
  b.product_revision = "2.0";
  EXPECT_NE(a, b);
  b = a;
  b.interconnects.push_back(Interconnect{InterconnectAddressType::kScsi, {1}, {2}});
  EXPECT_NE(a, b);
}

// ---- ValidateLunIdentity ----

TEST(LunIdentityTest, WellFormedIdentitiesAreValid) {
  EXPECT_TRUE(ValidateLunIdentity(Lun({Naa16(1), Eui64(1), T10("S"), ScsiName("iqn.x"), RelativePort(1)})).ok());
  EXPECT_TRUE(ValidateLunIdentity(LunIdentity{}).ok()) << "an empty identity is well formed, just unsupported";
  EXPECT_TRUE(ValidateLunIdentity(Lun({})).ok());
  EXPECT_TRUE(ValidateLunIdentity(Lun({Make(DesignatorType::kNaa, {0x50, 1, 2, 3, 4, 5, 6, 7})})).ok())
      << "NAA 5 is 8 bytes";
  EXPECT_TRUE(ValidateLunIdentity(Lun({Make(DesignatorType::kEui64, std::vector<std::uint8_t>(12, 1))})).ok());
  EXPECT_TRUE(ValidateLunIdentity(Lun({Make(DesignatorType::kEui64, std::vector<std::uint8_t>(16, 1))})).ok());
  LunIdentity nvme = Lun({Eui64(1)});
  nvme.bus_type = BusType::kNvme;
  nvme.product_id = std::string(40, 'M');  // NVMe model numbers are 40 bytes
  EXPECT_TRUE(ValidateLunIdentity(nvme).ok());
}

struct InvalidCase {
  const char* what;
  LunIdentity lun;
  const char* message;  // a part of the message naming the offending field
};

std::vector<InvalidCase> InvalidCases() {
  std::vector<InvalidCase> cases;
  cases.push_back({"NAA of 7 bytes", Lun({Make(DesignatorType::kNaa, std::vector<std::uint8_t>(7, 1))}), "naa"});
  cases.push_back({"EUI-64 of 9 bytes", Lun({Make(DesignatorType::kEui64, std::vector<std::uint8_t>(9, 1))}), "eui"});
  cases.push_back({"empty designator bytes", Lun({Naa16(1), Make(DesignatorType::kNaa, {})}), "designator 1"});
  {
    Designator d = Naa16(1);
    d.code_set = static_cast<CodeSet>(7);
    cases.push_back({"unknown code set", Lun({d}), "code set"});
  }
  {
    Designator d = Naa16(1);
    d.code_set = CodeSet::kReserved;
    cases.push_back({"reserved code set", Lun({d}), "code set"});
  }
  {
    Designator d = Naa16(1);
    d.type = static_cast<DesignatorType>(9);
    cases.push_back({"unknown designator type", Lun({d}), "type"});
  }
  {
    Designator d = Naa16(1);
    d.association = static_cast<Association>(3);
    cases.push_back({"unknown association", Lun({d}), "association"});
  }
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.vendor_id = std::string("VEN\0DOR", 7);
    cases.push_back({"NUL in vendor id", lun, "vendor id"});
  }
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.product_id = "DISK\n";
    cases.push_back({"control character in product id", lun, "product id"});
  }
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.product_revision = std::string(65, '1');
    cases.push_back({"overly long revision", lun, "product revision"});
  }
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.serial_number = std::string(100000, 'S');
    cases.push_back({"overly long serial", lun, "serial number"});
  }
  {
    std::vector<Designator> many(65, Naa16(1));
    cases.push_back({"too many designators", Lun(many), "designators"});
  }
  cases.push_back({"SCSI name not UTF-8",
                   Lun({Make(DesignatorType::kScsiNameString, Ascii("iqn.x"), CodeSet::kAscii)}), "UTF-8"});
  cases.push_back({"T10 vendor id shorter than the vendor field",
                   Lun({Make(DesignatorType::kT10VendorId, Ascii("VEND"), CodeSet::kAscii)}), "t10"});
  cases.push_back({"relative port of 3 bytes",
                   Lun({Make(DesignatorType::kPortRelative, {0, 0, 1}, CodeSet::kBinary, Association::kTargetPort)}),
                   "port"});
  cases.push_back({"designator longer than a VPD length byte",
                   Lun({Make(DesignatorType::kVendorSpecific, std::vector<std::uint8_t>(256, 1))}), "255"});
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.bus_type = static_cast<BusType>(0x99);
    cases.push_back({"unknown bus type", lun, "bus type"});
  }
  {
    LunIdentity lun = Lun({Naa16(1)});
    lun.interconnects.push_back(Interconnect{static_cast<InterconnectAddressType>(42), {}, {}});
    cases.push_back({"unknown interconnect address type", lun, "interconnect 0"});
  }
  return cases;
}

TEST(LunIdentityTest, MalformedIdentitiesAreInvalidArgumentNamingTheField) {
  for (const InvalidCase& c : InvalidCases()) {
    const absl::Status s = ValidateLunIdentity(c.lun);
    ASSERT_FALSE(s.ok()) << c.what;
    EXPECT_EQ(GetErrorCode(s), ErrorCode::kInvalidArgument) << c.what << ": " << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.message)) << c.what;
  }
}

}  // namespace
}  // namespace hwsnap
